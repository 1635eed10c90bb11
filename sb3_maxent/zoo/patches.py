"""
Fixes of third-party bugs that break sb3-maxent's documented commands, applied at run time when the module concerned
is imported (nothing is changed on disk). Each names the versions it is for, where the bug is upstream, and the
condition under which it applies, so that it can be dropped once upstream is fixed (as SB3's
``common/vec_env/patch_gym.py`` does for Gym).

1. rl_zoo3 <= 2.9.2 with huggingface_hub >= 1.0: ``python -m rl_zoo3.load_from_hub`` (and ``enjoy``'s automatic
   download) catches ``requests.HTTPError`` for a file a repository does not have (every repository without
   ``vec_normalize.pkl``), but the Hub client now raises its own ``EntryNotFoundError``, no longer a
   ``requests.HTTPError``, so the download crashes. Upstream: ``rl_zoo3/load_from_hub.py`` (``except HTTPError``) in
   https://github.com/DLR-RM/rl-baselines3-zoo. Fix: ``huggingface_sb3.load_from_hub`` is wrapped so that a missing
   file raises the Hub's error as an instance of a subclass of both the Hub's error class and ``requests.HTTPError``
   (same message and attributes). Applies when the Hub's error is not a ``requests.HTTPError`` already.
2. rl_zoo3 <= 2.9.2 with sb3-team-hf-integration (``huggingface_sb3``) >= 3.0: ``python -m rl_zoo3.push_to_hub``
   imports ``generate_metadata`` from ``huggingface_sb3.push_to_hub``, which is now ``_generate_metadata`` and returns
   a ``ModelCardData`` instead of a dict: the import fails. Upstream: https://github.com/huggingface/huggingface_sb3/issues/54
   (reported there). Fix: the old name is added back, returning the old dict (tagged ``sb3-maxent`` for our
   algorithms). Applies when the module has ``_generate_metadata`` and no ``generate_metadata``.

(``rl_zoo3.load_from_hub`` also imports ``requests``, which rl_zoo3 does not declare: ``sb3-maxent[zoo]`` installs it.)
"""

import functools
import importlib.metadata
import re
from typing import Any

from _sb3_maxent_post_import import when_imported
from sb3_maxent.zoo.algorithms import ZOO_ALGORITHMS

_combined_error_classes: dict[type, type] = {}


def _as_requests_http_error(error: BaseException) -> BaseException:
    """The same error, of a subclass of both its class and ``requests.HTTPError`` (``error`` if impossible)."""
    try:
        from requests.exceptions import HTTPError
    except ImportError:
        return error
    error_class = type(error)
    if error_class not in _combined_error_classes:
        try:
            _combined_error_classes[error_class] = type(
                error_class.__name__, (error_class, HTTPError), {"__module__": error_class.__module__}
            )
        except TypeError:  # incompatible layouts: keep the Hub's error
            return error
    combined_class = _combined_error_classes[error_class]
    combined = combined_class.__new__(combined_class, *error.args)
    combined.__dict__.update(error.__dict__)
    combined.args = error.args
    return combined


def _wrap_load_from_hub(package: Any) -> None:
    original = package.load_from_hub
    if getattr(original, "_sb3_maxent_wrapped", False):
        return
    from huggingface_hub.errors import EntryNotFoundError

    @functools.wraps(original)
    def load_from_hub(repo_id: str, filename: str) -> str:
        try:
            return original(repo_id, filename)
        except EntryNotFoundError as error:
            combined = _as_requests_http_error(error)
            if combined is error:
                raise
            raise combined from error

    load_from_hub._sb3_maxent_wrapped = True  # type: ignore[attr-defined]
    package.load_from_hub = load_from_hub


def _add_generate_metadata(push_to_hub_module: Any) -> None:
    if hasattr(push_to_hub_module, "generate_metadata") or not hasattr(push_to_hub_module, "_generate_metadata"):
        return

    def generate_metadata(model_name: str, env_id: str, mean_reward: float, std_reward: float) -> dict[str, Any]:
        """
        The model card metadata as a dict (``_generate_metadata``'s ``ModelCardData``, as rl_zoo3 2.9.2 expects),
        tagged ``sb3-maxent`` for our algorithms.
        """
        metadata = push_to_hub_module._generate_metadata(model_name, env_id, mean_reward, std_reward).to_dict()
        if model_name in {algorithm.class_name for algorithm in ZOO_ALGORITHMS}:
            metadata["tags"] = [*metadata.get("tags", []), "sb3-maxent"]
        return metadata

    push_to_hub_module.generate_metadata = generate_metadata


#: The fixes are for rl_zoo3 releases before this one (the next major release; setup.cfg's ceiling for rl_zoo3)
RL_ZOO3_FIXED_BEFORE = (3, 0)


def _version(package: str) -> tuple[int, ...]:
    """The installed version's leading numbers (``(0,)`` when the package is not installed)."""
    try:
        version = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return (0,)
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def install() -> None:
    """Apply the fixes above as soon as the module concerned is imported, for the releases they are for (idempotent)."""
    if _version("rl_zoo3") >= RL_ZOO3_FIXED_BEFORE:
        return
    when_imported("huggingface_sb3", _wrap_load_from_hub)
    when_imported("huggingface_sb3.push_to_hub", _add_generate_metadata)

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

3. rl_zoo3 <= 2.9.2: the model card of ``python -m rl_zoo3.push_to_hub`` tells a reader to ``pip install rl_zoo3``,
   which does not know an algorithm registered by a plugin (``--algo maxent_ppo`` fails there), and to run
   ``rl_zoo3.enjoy`` without ``--no-render``, which fails on a machine without a display (Qt's "xcb"). Upstream:
   ``generate_model_card`` in ``rl_zoo3/push_to_hub.py``. Fix: for our algorithms the card's install command is
   ``pip install "sb3-maxent[zoo]"`` and its ``enjoy`` commands end with ``--no-render`` (``sb3_maxent_model_card``).
   The command runs as ``__main__``, so the card is rewritten where the zoo writes its metadata into it
   (``huggingface_hub.repocard.metadata_save``, which it imports). Applies to the cards of our algorithms only.

(``rl_zoo3.load_from_hub`` also imports ``requests``, which rl_zoo3 does not declare: ``sb3-maxent[zoo]`` installs it.)
"""

import functools
import importlib.metadata
import re
from pathlib import Path
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


#: What a card of one of our algorithms says to install (sb3-maxent is not on PyPI yet: from a clone, ``.[zoo]``)
CARD_INSTALL = (
    "Install sb3-maxent with RL Zoo (sb3-maxent registers the algorithm with the zoo):\n"
    "```bash\n"
    'pip install "sb3-maxent[zoo]"   # from a clone of the sb3-maxent repository: pip install ".[zoo]"\n'
    "```"
)


def sb3_maxent_model_card(card: str) -> str:
    """
    The zoo's model card with sb3-maxent's install command instead of ``pip install rl_zoo3`` and ``--no-render`` at
    the end of its ``enjoy`` commands (they run on a machine without a display; drop it to watch in a window).
    Idempotent: a card already rewritten is returned unchanged.
    """
    card = card.replace("Install the RL Zoo (with SB3 and SB3-Contrib):\n```bash\npip install rl_zoo3\n```", CARD_INSTALL)
    card = card.replace(
        "If you installed the RL Zoo3 via pip (`pip install rl_zoo3`)",
        'With sb3-maxent installed (`pip install "sb3-maxent[zoo]"`)',
    )
    return re.sub(r"^(python -m rl_zoo3\.enjoy .*?) *-f logs/$", r"\1 -f logs/ --no-render", card, flags=re.MULTILINE)


def _wrap_metadata_save(repocard_module: Any) -> None:
    original = repocard_module.metadata_save
    if getattr(original, "_sb3_maxent_wrapped", False):
        return

    @functools.wraps(original)
    def metadata_save(local_path: Any, data: dict[str, Any]) -> Any:
        result = original(local_path, data)
        model_index = data.get("model-index") or [{}]
        if model_index[0].get("name") in {algorithm.class_name for algorithm in ZOO_ALGORITHMS}:
            path = Path(local_path)
            path.write_text(sb3_maxent_model_card(path.read_text(encoding="utf-8")), encoding="utf-8")
        return result

    metadata_save._sb3_maxent_wrapped = True  # type: ignore[attr-defined]
    repocard_module.metadata_save = metadata_save


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
    when_imported("huggingface_hub.repocard", _wrap_metadata_save)

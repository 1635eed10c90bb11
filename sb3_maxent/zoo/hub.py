"""
Hugging Face Hub: fixes for rl_zoo3 2.9.2's Hub commands, the small agents shipped with sb3-maxent, and the
offline cache.

rl_zoo3 2.9.2 predates huggingface_hub 1.x/2.x and sb3-team-hf-integration 3.x in two places:

- ``rl_zoo3.push_to_hub`` imports ``generate_metadata`` from ``huggingface_sb3.push_to_hub``, which is now
  ``_generate_metadata`` and returns a ``ModelCardData`` instead of a dict: the import fails.
  Fix: :func:`install_fixes` adds ``huggingface_sb3.push_to_hub.generate_metadata`` (the old name, returning the
  old dict) when that module is imported.
- ``rl_zoo3.load_from_hub`` expects ``requests.HTTPError`` for a file missing from a repository (every repository
  without ``vec_normalize.pkl``), but the Hub client now raises its own ``EntryNotFoundError``, so the download
  crashes. Fix: :func:`install_fixes` wraps ``huggingface_sb3.load_from_hub`` so that a missing file raises an
  exception that is both the Hub's error (same class, message and attributes) and a ``requests.HTTPError``.
  (``rl_zoo3.load_from_hub`` also imports ``requests``, which rl_zoo3 does not declare: ``sb3-maxent[zoo]``
  installs it.)

Both fixes are applied by the RL Zoo hook of sb3-maxent (and by ``python -m sb3_maxent.train`` and friends), only
for processes that import the zoo; nothing is changed on disk.
"""

import functools
import hashlib
import shutil
from pathlib import Path
from typing import Any

#: Organization under which the shipped agents are named (``sb3-maxent/<algo>-<env>``) in a local Hub cache
SHIPPED_AGENTS_ORGANIZATION = "sb3-maxent"
#: Folder of the shipped agents, one Hub repository folder each
SHIPPED_AGENTS_DIR = Path(__file__).resolve().parent / "agents"

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
        from sb3_maxent.zoo.registration import ZOO_ALGORITHMS

        if model_name in {algorithm.class_name for algorithm in ZOO_ALGORITHMS}:
            metadata["tags"] = [*metadata.get("tags", []), "sb3-maxent"]
        return metadata

    push_to_hub_module.generate_metadata = generate_metadata


def install_fixes() -> None:
    """Apply the two fixes above as soon as ``huggingface_sb3`` is imported (idempotent)."""
    from sb3_maxent.zoo.registration import _when_imported

    _when_imported("huggingface_sb3", _wrap_load_from_hub)
    _when_imported("huggingface_sb3.push_to_hub", _add_generate_metadata)


def shipped_agents() -> dict[str, Path]:
    """
    The trained agents shipped with sb3-maxent, by Hub repository name (``<algo>-<env>``, e.g.
    ``maxent_ppo-CartPole-v1``): each folder is a Hub repository as ``python -m rl_zoo3.push_to_hub`` writes it
    (model zip, ``config.yml``, ``args.yml``, ``env_kwargs.yml``, ``train_eval_metrics.zip``, ``results.json``,
    ``README.md`` model card).
    """
    folders = sorted(SHIPPED_AGENTS_DIR.iterdir())
    return {path.name: path for path in folders if path.is_dir() and not path.name.startswith("_")}


def add_to_hub_cache(
    folder: str | Path,
    repo_id: str,
    cache_dir: str | Path | None = None,
    missing_files: tuple[str, ...] = ("vec_normalize.pkl",),
) -> Path:
    """
    Put a Hub repository folder into a Hugging Face cache as if it had been downloaded, so that the real client
    code (``huggingface_sb3.load_from_hub``, ``python -m rl_zoo3.load_from_hub``) finds it with
    ``HF_HUB_OFFLINE=1``. The layout is the client's: ``models--{org}--{name}/refs/main`` holds a commit hash,
    ``snapshots/<hash>/`` the files, and ``.no_exist/<hash>/<file>`` marks the files the repository does not have
    (what the client records after a 404).

    :param folder: The repository folder (e.g. one of :func:`shipped_agents`)
    :param repo_id: ``"{organization}/{name}"``
    :param cache_dir: The cache (``HF_HUB_CACHE``); default: huggingface_hub's
    :param missing_files: Files to record as absent from the repository, unless the folder has them
    :return: The snapshot folder
    """
    from huggingface_hub import constants

    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    if repo_id.count("/") != 1:
        raise ValueError(f"repo_id must be 'organization/name', got {repo_id!r}")
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    digest = hashlib.sha1()
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    commit = digest.hexdigest()
    repo_folder = Path(cache_dir or constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo_folder / "snapshots" / commit
    for path in files:
        target = snapshot / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for name in missing_files:
        if not (folder / name).exists():
            marker = repo_folder / ".no_exist" / commit / name
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    (repo_folder / "refs").mkdir(parents=True, exist_ok=True)
    (repo_folder / "refs" / "main").write_text(commit)
    return snapshot


def cache_shipped_agents(
    cache_dir: str | Path | None = None, organization: str = SHIPPED_AGENTS_ORGANIZATION
) -> dict[str, Path]:
    """
    Put every shipped agent into a Hugging Face cache (:func:`add_to_hub_cache`) as ``{organization}/<algo>-<env>``.

    :param cache_dir: The cache (``HF_HUB_CACHE``); default: huggingface_hub's
    :param organization: The organization part of the repository ids
    :return: Repository id -> snapshot folder
    """
    return {
        f"{organization}/{name}": add_to_hub_cache(folder, f"{organization}/{name}", cache_dir)
        for name, folder in shipped_agents().items()
    }

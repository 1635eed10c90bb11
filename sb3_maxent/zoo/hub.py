"""
The small trained agents shipped with sb3-maxent, and an offline Hugging Face cache of Hub repository folders (how
the tests run the Hub commands without a network). The fixes that make rl_zoo3 2.9.2's Hub commands work with
current Hub clients are in :mod:`sb3_maxent.zoo.patches`.
"""

import hashlib
import shutil
from pathlib import Path

#: Organization under which the shipped agents are named (``sb3-maxent/<algo>-<env>``) in a local Hub cache
SHIPPED_AGENTS_ORGANIZATION = "sb3-maxent"
#: Folder of the shipped agents, one Hub repository folder each
SHIPPED_AGENTS_DIR = Path(__file__).resolve().parent / "agents"


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

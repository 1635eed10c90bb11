"""
``python -m sb3_maxent.zoo.push_to_hub``: ``python -m rl_zoo3.push_to_hub`` (same arguments) with sb3-maxent
registered explicitly, Hub fixes included (for installs where the ``.pth`` hook is off).

``--dry-run`` packages the repository folder (``hub/<algo>-<env>/``: model, configs, evaluation, model card) exactly
as the zoo does, without any network call: the three Hub API calls of the zoo (``create_repo``,
``snapshot_download`` of the existing repository, ``upload_folder``) are skipped. Upload the folder later with
``hf upload <organization>/<algo>-<env> hub/<algo>-<env>``.
"""

import sys
from pathlib import Path
from typing import Any

from sb3_maxent.zoo._cli import run_zoo_command


def skip_hub_network_calls() -> None:
    """Replace the three network calls of ``rl_zoo3.push_to_hub.package_to_hub`` by local no-ops."""
    from huggingface_hub import HfApi

    def create_repo(self: Any, repo_id: str, **kwargs: Any) -> str:
        return f"(dry run: {repo_id} not created)"

    def snapshot_download(self: Any, repo_id: str, local_dir: Any = None, **kwargs: Any) -> str:
        Path(local_dir).mkdir(parents=True, exist_ok=True)  # a new, empty repository
        return str(local_dir)

    def upload_folder(self: Any, *, repo_id: str, folder_path: Any, **kwargs: Any) -> None:
        print(f"Dry run: {folder_path} is ready, not uploaded to {repo_id}")

    HfApi.create_repo = create_repo  # type: ignore[method-assign, assignment]
    HfApi.snapshot_download = snapshot_download  # type: ignore[method-assign, assignment]
    HfApi.upload_folder = upload_folder  # type: ignore[method-assign, assignment]


if __name__ == "__main__":
    if "--dry-run" in sys.argv:
        sys.argv.remove("--dry-run")
        skip_hub_network_calls()
    run_zoo_command("rl_zoo3.push_to_hub")

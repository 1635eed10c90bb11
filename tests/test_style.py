"""The code is ruff-clean (the rules are in pyproject.toml)."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (it comes with the [tests] extra)")
def test_ruff_check():
    result = subprocess.run(["ruff", "check", "--no-cache", "."], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-5000:]

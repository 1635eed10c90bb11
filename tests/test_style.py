"""The code is ruff-clean and mypy-clean (the rules of both are in pyproject.toml)."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (it comes with the [tests] extra)")
def test_ruff_check():
    result = subprocess.run(["ruff", "check", "--no-cache", "."], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-5000:]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (it comes with the [tests] extra)")
def test_mypy():
    """The package ships py.typed: its annotations are checked (SB3's and sb3-contrib's mypy settings)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "sb3_maxent"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-5000:]

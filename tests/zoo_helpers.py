"""Helpers of the RL Zoo / Hub tests: the documented commands, run as subprocesses as a user types them."""

import importlib.util
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Tiny networks: one torch thread is much faster than two on a busy 2-core machine (see docs/zoo.md)
ZOO_THREADS = ["--num-threads", "1"]


def hook_installed() -> bool:
    """Whether this environment's site-packages has the ``.pth`` hook (``pip install .`` or ``pip install -e .``)."""
    return any((Path(directory) / "sb3_maxent_zoo_hook.pth").is_file() for directory in site.getsitepackages())


needs_hook = pytest.mark.skipif(
    not hook_installed(),
    reason="sb3_maxent_zoo_hook.pth is not in site-packages: reinstall the package (`pip install -e .` or `pip install .`)",
)

# rl_zoo3 2.9.2 imports `requests` in rl_zoo3.load_from_hub (hence enjoy) without declaring it: sb3-maxent[zoo] adds it
needs_requests = pytest.mark.skipif(
    importlib.util.find_spec("requests") is None,
    reason="`requests` is not installed (rl_zoo3.load_from_hub and rl_zoo3.enjoy import it): pip install 'sb3-maxent[zoo]'",
)


# The first line of the banner that `import gym` prints from gym-notices 0.1 on (procgen-mirror pulls gym; the
# `[procgen]` extra pins gym-notices below 0.1, which has no notice for gym 0.26)
GYM_BANNER = "Gym has been unmaintained"


def assert_no_gym_banner(output: str, args: list[str]) -> None:
    """A documented command prints no gym deprecation banner (on stdout or stderr)."""
    assert GYM_BANNER not in output, f"`python {' '.join(args)}` printed gym's deprecation banner:\n{output[:2000]}"


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    check: bool = True,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """
    Run ``python <args>`` (this interpreter) in ``cwd``; stdout and stderr together in ``.stdout``.

    :param check: Fail the test, showing the output, if the command fails
    """
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    result = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        pytest.fail(f"`python {' '.join(args)}` failed with exit code {result.returncode}:\n{result.stdout[-6000:]}")
    assert_no_gym_banner(result.stdout, args)
    return result


def run_parallel(
    commands: list[list[str]],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    envs: list[dict[str, str]] | None = None,
) -> list[subprocess.CompletedProcess]:
    """
    Start the commands together (their start-up, importing torch and the zoo, overlaps), wait for all.

    :param envs: Extra environment variables of each command (after ``env``)
    """
    envs = envs or [{} for _ in commands]
    processes = [
        subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {}), **extra_env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for args, extra_env in zip(commands, envs, strict=True)
    ]
    results = []
    for args, process in zip(commands, processes, strict=True):
        stdout, _ = process.communicate(timeout=timeout)
        assert_no_gym_banner(stdout, args)
        results.append(subprocess.CompletedProcess([sys.executable, *args], process.returncode, stdout))
    return results

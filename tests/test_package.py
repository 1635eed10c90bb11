"""The package as users get it: the wheel, the version, the documented commands run as subprocesses."""

import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from zoo_helpers import assert_no_gym_banner

import sb3_maxent

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_version_comes_from_one_place():
    assert sb3_maxent.__version__ == (REPO_ROOT / "sb3_maxent" / "version.txt").read_text().strip()


def test_wheel_contains_the_package(tmp_path):
    pytest.importorskip("setuptools")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("sb3_maxent-*.whl")
    assert wheel.name.startswith(f"sb3_maxent-{sb3_maxent.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "sb3_maxent/__init__.py",
        "sb3_maxent/version.txt",
        "sb3_maxent/py.typed",
        "sb3_maxent/maxent_ppo/maxent_ppo.py",
    ):
        assert required in names
    assert not any(name.startswith("tests/") for name in names)
    metadata = zipfile.ZipFile(wheel).read(f"sb3_maxent-{sb3_maxent.__version__}.dist-info/METADATA").decode()
    for extra in ("procgen", "mujoco", "all", "tests"):
        assert f"Provides-Extra: {extra}" in metadata
    assert "Requires-Dist: stable-baselines3" in metadata


def test_ci_runs_the_readme_test_command():
    """`.ci/run` extracts the test command from README.md; check that it finds the documented one."""
    command = subprocess.run(
        ["awk", "/<!-- test-command -->/ {found=1; next} found && /^(pip|python)/ {print; exit}", "README.md"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert command.endswith("python -m pytest")
    assert command.startswith("pip install torch==2.13.0")
    assert "awk '/<!-- test-command -->/" in (REPO_ROOT / ".ci" / "run").read_text()


def test_quickstart_command_runs(tmp_path):
    """The README's main job, with a tiny budget: trains, evaluates on unseen levels, saves, reports."""
    pytest.importorskip("procgen")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sb3_maxent.quickstart",
            "--timesteps",
            "256",
            "--n-envs",
            "4",
            "--n-steps",
            "32",
            "--eval-episodes",
            "2",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_no_gym_banner(result.stdout + result.stderr, result.args)
    assert "test return  (levels 500-999, unseen)" in result.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["test_levels"] == [500, 1000]
    assert results["timesteps"] == 256
    assert isinstance(results["test_return_mean"], float)

    from sb3_maxent import MaxEntPPO

    model = MaxEntPPO.load(results["model"])
    assert model.maxent_coef(1.0) == pytest.approx(0.3)
    # the shipped FruitBot entry's settings (train-procgen's), with the CPU-sized rollout of the command line
    assert (model.maxent_units, model.clip_range_vf(1.0), model.vf_coef, model.n_steps) == ("advantage", 0.2, 0.25, 32)
    assert results["reward_normalization"] == {"norm_obs": False, "norm_reward": True, "gamma": 0.99, "clip_reward": 10.0}
    with open(results["vec_normalize"], "rb") as file:  # (VecNormalize.save pickles the wrapper without its env)
        vec_normalize = pickle.load(file)
    assert (vec_normalize.gamma, vec_normalize.clip_reward, vec_normalize.norm_obs) == (0.99, 10.0, False)
    assert (tmp_path / "logs" / "progress.csv").exists()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--timesteps", "0"], "--timesteps must be positive"),
        (["--num-levels", "600"], "--num-levels must be in [1, 500]"),
        (["--precision", "bfloat16"], "applies to --policy ImpalaCnnPolicy only"),
    ],
)
def test_quickstart_rejects_bad_arguments(arguments, message):
    result = subprocess.run(
        [sys.executable, "-m", "sb3_maxent.quickstart", *arguments], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "import sb3_maxent, procgen"],
        ["-m", "sb3_maxent.quickstart", "--help"],
        ["-m", "sb3_maxent.train", "--help"],
        ["-m", "rl_zoo3.train", "--help"],
        ["-m", "benchmarks.learning", "--help"],
    ],
)
def test_documented_commands_print_no_gym_banner(args):
    """procgen-mirror pulls the unmaintained gym, whose import prints a banner unless gym-notices is below 0.1."""
    pytest.importorskip("procgen")
    result = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_no_gym_banner(result.stdout + result.stderr, args)

"""
Smoke tests of the benchmark scripts: they run as a user runs them (subprocesses, tiny sizes) and write what they
promise (CSV with the documented columns, Markdown tables, PNG figures). Results are not checked here: these runs
are far too short to mean anything (the measured results are in docs/results.md).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_script(
    script: str, *args: str, timeout: float = 120, env_vars: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg", **(env_vars or {}))
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{script.removesuffix('.py')}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO_ROOT,
    )
    if check:
        assert result.returncode == 0, f"{script} {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.parametrize("script", ["throughput.py", "learning.py"])
def test_help(script: str) -> None:
    result = run_script(script, "--help", timeout=60)
    assert f"usage: python -m benchmarks.{script.removesuffix('.py')}" in result.stdout
    for option in ("--output-dir", "--threads"):
        assert option in result.stdout
    if script == "learning.py":
        for word in ("classic", "multimodal", "fruitbot", "mujoco", "--budget", "--seeds", "--jobs", "--plot-only"):
            assert word in result.stdout
    else:
        for word in ("--quick", "--tiny", "ratio"):
            assert word in result.stdout


def test_throughput_tiny(tmp_path: Path) -> None:
    result = run_script("throughput.py", "--tiny", "--output-dir", str(tmp_path))
    frame = pd.read_csv(tmp_path / "throughput-tiny.csv")
    assert list(frame.columns) == [
        "group",
        "measure",
        "implementation",
        "ms_wall",
        "ms_cpu",
        "ratio",
        "ratio_cpu",
        "ratio_floor",
        "ratio_floor_cpu",
    ]
    implementations = set(frame.implementation)
    for name in (
        "SB3 PPO",
        "MaxEntPPO one_step",
        "sb3_maxent DSPG",
        "plain PyTorch DSPG",
        "SB3 SAC",
        "sb3_maxent SoftQL",
        "SB3 DQN",
        "float32, NCHW, whole minibatch",
        "float32, channels_last, whole minibatch",
    ):
        assert name in implementations
    assert {"env step", "gradient step", "gradient step (minibatch)", "minibatch update"} <= set(frame.measure)
    assert (frame.ms_wall > 0).all() and (frame.ms_cpu > 0).all()
    # Each group's baseline has ratio 1, and the floor (plain PyTorch DSPG) has ratio_floor 1
    for name in ("SB3 PPO", "SB3 SAC", "SB3 DQN", "float32, NCHW, whole minibatch"):
        assert (frame[frame.implementation == name].ratio == 1.0).all()
    assert (frame[frame.implementation == "plain PyTorch DSPG"].ratio_floor == 1.0).all()
    assert frame[frame.implementation == "sb3_maxent DSPG"].ratio_floor.notna().any()
    table = (tmp_path / "throughput-tiny.md").read_text()
    assert "| ratio |" in table and "plain PyTorch DSPG" in table
    assert "| ratio |" in result.stdout


def test_learning_tiny(tmp_path: Path) -> None:
    args = ["multimodal", "--budget", "tiny", "--seeds", "0", "1", "--agents", "SAC", "SoftQL", "PPO", "MaxEntPPO-soft"]
    args += ["--checkpoint-dir", str(tmp_path / "checkpoints")]
    run_script("learning.py", *args, "--output-dir", str(tmp_path))
    out = tmp_path / "multimodal-tiny"
    for task in ("bandit", "maze"):
        for agent in ("SAC", "SoftQL") if task == "bandit" else ("PPO", "MaxEntPPO-soft"):
            for seed in (0, 1):
                curve = pd.read_csv(out / "per_seed" / f"{task}__{agent}__seed{seed}.csv")
                assert curve.timesteps.iloc[0] == 0 and curve.timesteps.is_monotonic_increasing
                assert {"task", "agent", "seed", "train_seconds", "peak_rss_mb", "minority_share"} <= set(curve.columns)
                assert curve.minority_share.between(0, 0.5).all()
    curves = pd.read_csv(out / "curves.csv")
    assert set(curves.agent) == {"SAC", "SoftQL", "PPO", "MaxEntPPO-soft"} and set(curves.seed) == {0, 1}
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary.task) == {"bandit", "maze"} and (summary.seeds == 2).all()
    assert "maze" in (out / "summary.md").read_text()
    figures = ["bandit_minority_share", "bandit_mean_reward", "bandit_final_modes", "bandit_actions", "maze_minority_share"]
    for name in [*figures, "maze_success", "maze_episode_length", "maze_final_modes"]:
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_SIGNATURE, name
    config = json.loads((out / "config.json").read_text())
    assert "MaxEntPPO-soft" in config["comparisons"]["maze"]["agents"]
    assert config["commands"] == ["python -m benchmarks.learning " + " ".join([*args, "--output-dir", str(tmp_path)])]

    # A second call skips the finished runs and only redraws
    result = run_script("learning.py", *args, "--output-dir", str(tmp_path), "--plot-only")
    assert "run(s)" not in result.stdout and "summary.md" in result.stdout


@pytest.mark.parametrize(
    "suite, task, agent",
    [
        ("fruitbot", "fruitbot", "MaxEntPPO"),  # Procgen games, VecNormalize statistics, entropy column
        ("classic", "pendulum", "SAC"),  # replay buffer, warm-up actions from the action space's generator
    ],
)
def test_killed_run_resumes_where_it_stopped(tmp_path: Path, suite: str, task: str, agent: str) -> None:
    """A run killed (SIGKILL) after its second checkpoint and started again gives the curve of an uninterrupted run."""
    if suite == "fruitbot":
        pytest.importorskip("procgen")
    args = [suite, "--budget", "tiny", "--tasks", task, "--agents", agent, "--seeds", "0", "--checkpoint-every", "64"]
    run_script("learning.py", *args, "--output-dir", str(tmp_path / "whole"), "--checkpoint-dir", str(tmp_path / "ck_whole"))
    interrupted = [*args, "--output-dir", str(tmp_path / "resumed"), "--checkpoint-dir", str(tmp_path / "ck_resumed")]
    kill = {"SB3_MAXENT_BENCHMARK_KILL_AFTER_CHECKPOINTS": "2"}
    killed = run_script("learning.py", *interrupted, env_vars=kill, check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    name = f"{task}__{agent}__seed0"
    run_dir = tmp_path / "resumed" / f"{suite}-tiny" / "per_seed"
    assert not (run_dir / f"{name}.csv").exists() and (run_dir / f"{name}.partial.csv").exists()
    checkpoint = tmp_path / "ck_resumed" / f"{suite}-tiny" / name
    assert (checkpoint / "state.pkl").exists()
    resumed = run_script("learning.py", *interrupted)
    assert "resumed at step 128" in resumed.stdout
    whole = pd.read_csv(tmp_path / "whole" / f"{suite}-tiny" / "per_seed" / f"{name}.csv")
    curve = pd.read_csv(run_dir / f"{name}.csv")
    assert len(curve) == 5  # evaluations at 0, 1/4, ..., 4/4 of the budget
    # the same numbers (the measurements of the machine, wall-clock and memory, aside), to the last bit
    measured = ["train_seconds", "peak_rss_mb"]
    pd.testing.assert_frame_equal(curve.drop(columns=measured), whole.drop(columns=measured), check_exact=True)
    assert (curve.peak_rss_mb > 100).all() and curve.peak_rss_mb.is_monotonic_increasing
    # the finished run leaves its trained agent, not its checkpoint
    assert (checkpoint / "final_model.zip").exists() and not (checkpoint / "state.pkl").exists()
    assert (checkpoint / "vecnormalize.pkl").exists() == (suite == "fruitbot")
    if suite == "fruitbot":  # the comparison's table at a quarter, half and all of its budget
        summary = (tmp_path / "resumed" / "fruitbot-tiny" / "summary.md").read_text()
        assert "fruitbot: at 64, 128, 192, 256 steps" in summary
        assert "| MaxEntPPO, beta 0.3 | 128 | 1 |" in summary


def test_summary_tables_steps_to_thresholds_and_peak_memory() -> None:
    from benchmarks import plotting
    from benchmarks.learning import Agent, Comparison

    agents = {name: Agent(name, "MlpPolicy", {}) for name in ("DSPG", "SAC")}
    thresholds = {"eval_return": (100.0, 500.0)}
    comparison = Comparison("mujoco", "hopper", "Hopper-v5", agents, 30, 10, {"eval_return": "return"}, thresholds=thresholds)
    returns = {("DSPG", 0): [0, 50, 120, 90], ("DSPG", 1): [0, 150, 200, 600], ("SAC", 0): [0, 10, 20, 30]}
    frame = pd.DataFrame(
        [
            dict(task="hopper", agent=agent, seed=seed, timesteps=10 * i, train_seconds=60.0 * i, eval_return=value)
            | dict(peak_rss_mb=100.0 * (seed + 1) + i)
            for (agent, seed), values in returns.items()
            for i, value in enumerate(values)
        ]
    )
    table = plotting.thresholds_table(frame, comparison)
    # DSPG: 100 first reached at 20 (seed 0) and 10 (seed 1) steps; 500 at 30 by seed 1 only; SAC never
    assert "| DSPG | 0k (2/2) | 0k (1/2) |" in table  # (k steps: the tiny steps round to 0k)
    assert "| SAC | not reached (1/1)" not in table and "| SAC | not reached (0/1) | not reached (0/1) |" in table
    comparison.thresholds = {"eval_return": (100.0,)}
    frame["timesteps"] *= 1000
    assert "| DSPG | 15k (2/2) |" in plotting.thresholds_table(frame, comparison)
    summary = plotting.summarize(frame, comparison)
    assert summary.set_index("agent").peak_rss_mb.to_dict() == {"DSPG": 203.0, "SAC": 103.0}  # the largest run's peak
    assert "| peak memory (MB) |" in plotting.markdown_table(summary, comparison)
    # stability: DSPG seed 0 drops 120 -> 90 (30), seed 1 never drops; mean |change| over 20-30 steps: 30 and 400
    comparison.stability = ("eval_return",)
    table = plotting.stability_table(frame, comparison)
    assert "| DSPG | 2 | 15 ± 21 | 215 ± 262 |" in table and "| SAC | 1 | 0 ± 0 | 10 ± 0 |" in table


def test_replay_memory_measures_the_float32_saving(tmp_path: Path) -> None:
    """replay_memory.py: a full buffer's resident memory is its arrays' size; float32 observations need about half."""
    output = tmp_path / "replay-memory.md"
    result = run_script("replay_memory.py", "--tasks", "Ant-v5", "--sizes", "50000", "--output", str(output))
    rows = {row["storage"]: row for row in map(json.loads, result.stdout.splitlines()[:2])}
    for row in rows.values():  # every page written: resident = the arrays' bytes (up to allocator slack)
        assert row["resident_mb"] == pytest.approx(row["nbytes_mb"], rel=0.05)
    assert rows["float64"]["observations_dtype"] == "float64" and rows["float32"]["observations_dtype"] == "float32"
    # Ant: 105-dim observations stored twice dominate the transition (8 actions, reward, done, timeout at 4 bytes)
    expected = (2 * 105 * 4 + 44) / (2 * 105 * 8 + 44)
    assert rows["float32"]["nbytes_mb"] / rows["float64"]["nbytes_mb"] == pytest.approx(expected, rel=0.01)
    assert "| Ant-v5 | 105 | 50,000 |" in output.read_text()


def test_printed_commands_run_each_run_alone(tmp_path: Path) -> None:
    """--print-commands: one independent command per unfinished run (for a cluster); --plot-only gathers them."""
    args = ["multimodal", "--budget", "tiny", "--tasks", "bandit", "--agents", "SAC", "DSPG", "--seeds", "0", "1"]
    args += ["--output-dir", str(tmp_path), "--checkpoint-dir", str(tmp_path / "checkpoints")]
    commands = run_script("learning.py", *args, "--print-commands").stdout.strip().splitlines()
    assert len(commands) == 4 and all(command.startswith("python -m benchmarks.learning multimodal") for command in commands)
    first = commands[0].split()[3:]  # (python -m benchmarks.learning ...)
    run_script("learning.py", *first)
    per_seed = tmp_path / "multimodal-tiny" / "per_seed"
    assert sorted(path.name for path in per_seed.glob("*__seed*.csv")) == [
        "bandit__SAC__seed0.actions.csv",
        "bandit__SAC__seed0.csv",
    ]
    # the finished run is no longer printed
    assert run_script("learning.py", *args, "--print-commands").stdout.strip().splitlines() == commands[1:]


def test_maze_reference_is_the_exact_policys_episode_length() -> None:
    """The maze figures' reference line: the exact soft-optimal policy's mean episode length, which sampling agrees with."""
    from benchmarks import learning, learning_envs

    spec = learning_envs.MazeSpec()
    policy = spec.exact_policy(learning.MAZE_GAMMA, learning.MAZE_ENT_COEF)
    exact = learning.maze_references()["episode_length"][0]
    assert exact == spec.exact_episode_length(policy) and 10.0 < exact < 11.0  # the shortest path is 10 steps
    sampled = learning_envs.evaluate_maze(learning_envs.TabularPolicyAgent(policy, seed=1), n_episodes=1000)
    assert sampled["success"] == 1.0 and abs(sampled["episode_length"] - exact) < 0.1
    assert 0.4 < sampled["minority_share"] <= 0.5  # both passages (the reference line: 0.5 by symmetry)


def test_train_procgen_check(tmp_path: Path) -> None:
    """Our curve is set against the logged runs at the table's steps, by linear interpolation of both."""
    import shutil

    source = REPO_ROOT / "docs" / "results" / "fruitbot-full" / "train_procgen_ppo2_fruitbot_easy200_train.csv"
    shutil.copy(source, tmp_path / source.name)
    (tmp_path / "per_seed").mkdir()
    # a finished run reaching 1M steps (train return 2e-6 * steps), a partial one reaching 0.5M
    steps = list(range(0, 1_000_001, 100_000))
    finished = pd.DataFrame(dict(timesteps=steps, train_return=[2e-6 * s for s in steps]))
    finished.to_csv(tmp_path / "per_seed" / "fruitbot_train_procgen__PPO+ent-bfloat16__seed0.csv", index=False)
    finished[finished.timesteps <= 500_000].to_csv(
        tmp_path / "per_seed" / "fruitbot_train_procgen__PPO+ent-float32__seed0.partial.csv", index=False
    )
    run_script("train_procgen_check.py", "--results-dir", str(tmp_path))
    table = pd.read_csv(tmp_path / "ppo_vs_train_procgen.csv")
    assert list(table.columns) == [
        "steps",
        "ours_train_return",
        "ours_seeds",
        "train_procgen_mean",
        "train_procgen_min",
        "train_procgen_max",
        "precision",
    ]
    assert set(table.precision) == {"bfloat16"}  # (the partial run only with --partial)
    row = table.set_index("steps").loc[500_000]
    assert row.ours_train_return == pytest.approx(1.0) and row.ours_seeds == 1
    # the logged runs at 524288 steps: 1.52, 0.66, 0.69; at 507904 (interpolated towards 500k) a little lower
    assert row.train_procgen_min <= row.train_procgen_mean <= row.train_procgen_max < 1.52
    assert table.set_index("steps").loc[1_500_000].ours_seeds == 0
    run_script("train_procgen_check.py", "--results-dir", str(tmp_path), "--partial")
    table = pd.read_csv(tmp_path / "ppo_vs_train_procgen.csv")
    assert set(table.precision) == {"bfloat16", "float32"}
    assert (tmp_path / "ppo_vs_train_procgen.png").read_bytes().startswith(PNG_SIGNATURE)
    assert "| 500k | bfloat16 | 1.00 (1) |" in (tmp_path / "ppo_vs_train_procgen.md").read_text()
    # a stopped run without its curve: its values where it has them; a variant with a curve keeps the curve's
    stopped = "# values of stopped runs\nsteps,variant,ours_train_return,ours_seeds\n250000,float16,-1.5,1\n"
    stopped += "500000,float16,0.25,1\n500000,bfloat16,99.0,1\n"
    (tmp_path / "stopped_runs.csv").write_text(stopped)
    run_script("train_procgen_check.py", "--results-dir", str(tmp_path), "--partial")
    table = pd.read_csv(tmp_path / "ppo_vs_train_procgen.csv").set_index(["precision", "steps"])
    assert table.loc[("float16", 500_000)].ours_train_return == 0.25 and table.loc[("float16", 500_000)].ours_seeds == 1
    assert table.loc[("float16", 1_000_000)].ours_seeds == 0
    assert table.loc[("bfloat16", 500_000)].ours_train_return == pytest.approx(1.0)
    text = (tmp_path / "ppo_vs_train_procgen.md").read_text()
    assert "| 250k | float16 | -1.50 (1) |" in text and "| 300k | float16 |" not in text

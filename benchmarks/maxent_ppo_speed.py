"""
Time MaxEntPPO against SB3's PPO on the same configuration, in one process, and print the ratio.

    python benchmarks/maxent_ppo_speed.py            # FruitBot with the IMPALA CNN, and CartPole with an MLP
    python benchmarks/maxent_ppo_speed.py --quick    # smaller, about a minute

Both algorithms run the same number of steps with the same seed, alternating (PPO, MaxEntPPO, PPO, ...) so
that machine load affects both alike; the median over repeats is reported. MaxEntPPO only changes the
update (``train()``), so the time of the update phase is reported separately from the whole ``learn()``.
Wall-clock and process CPU time are both reported: on a busy machine, the CPU-time ratio (with
``--threads 1``) is the stable one. Target: MaxEntPPO costs at most 3% more than PPO.
"""

import argparse
import functools
import time
from collections.abc import Callable
from typing import Any

import torch as th
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecEnv
from timing import interleaved, median

from sb3_maxent import MaxEntPPO
from sb3_maxent.common.policies import ImpalaCnnPolicy


def time_learn(model: PPO, total_timesteps: int) -> dict[str, float]:
    """Seconds (wall-clock and process CPU time) spent in ``learn()`` and, within it, in ``train()``."""
    timings = {"train": 0.0, "train cpu": 0.0}
    original_train = model.train

    def timed_train() -> None:
        start, start_cpu = time.perf_counter(), time.process_time()
        original_train()
        timings["train"] += time.perf_counter() - start
        timings["train cpu"] += time.process_time() - start_cpu

    model.train = timed_train  # type: ignore[method-assign]
    start, start_cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps)
    timings["learn"] = time.perf_counter() - start
    timings["learn cpu"] = time.process_time() - start_cpu
    return timings


def make_model(policy: Any, env: VecEnv, maxent_mode: str | None, maxent_units: str = "reward", **kwargs: Any) -> PPO:
    """SB3's ``PPO`` (``maxent_mode=None``) or ``MaxEntPPO`` in that mode and unit (beta 0.3), seed 0, same settings."""
    if maxent_mode is None:
        return PPO(policy, env, seed=0, **kwargs)
    maxent_policy = "ImpalaCnnPolicy" if policy is ImpalaCnnPolicy else policy
    return MaxEntPPO(maxent_policy, env, maxent_coef=0.3, maxent_mode=maxent_mode, maxent_units=maxent_units, seed=0, **kwargs)


def benchmark(
    name: str,
    make_env: Callable[[], VecEnv],
    policy: Any,
    kwargs: dict[str, Any],
    total_timesteps: int,
    repeats: int,
    modes: list[str],
) -> list[dict[str, Any]]:
    def run(label: str) -> dict[str, float]:
        env = make_env()
        mode = None if label == "PPO" else label.split("[")[1].rstrip("]")
        timing = time_learn(make_model(policy, env, mode, **kwargs), total_timesteps)
        env.close()
        return timing

    labels = ["PPO", *(f"MaxEntPPO[{mode}]" for mode in modes)]
    runs = interleaved(
        {label: functools.partial(run, label) for label in labels}, repeats, warmup_rounds=0, measure=lambda fn: fn()
    )

    def median_of(label: str, key: str) -> float:
        return median(run[key] for run in runs[label])

    rows = []
    for label in runs:
        row: dict[str, Any] = {"task": name, "algorithm": label, "steps/s": total_timesteps / median_of(label, "learn")}
        for key in ("learn", "train", "learn cpu", "train cpu"):
            row[f"{key} s"] = median_of(label, key)
            row[f"ratio {key}"] = median_of(label, key) / median_of("PPO", key)
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    header = ["task", "algorithm", "steps/s", "learn s", "ratio learn", "ratio train", "ratio learn cpu", "ratio train cpu"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        cells = [f"{row[key]:.3f}" if isinstance(row[key], float) else str(row[key]) for key in header]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs (about a minute)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per algorithm (median reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--skip-procgen", action="store_true", help="only the MLP task")
    args = parser.parse_args()
    if args.threads:
        th.set_num_threads(args.threads)
    repeats = args.repeats or (3 if args.quick else 5)
    modes = ["one_step", "soft_returns"]
    rows = []

    # Small MLP task: SB3's PPO defaults on CartPole (many small minibatches: per-minibatch overhead shows)
    n_steps = 256 if args.quick else 1024
    rows += benchmark(
        "CartPole-v1 MLP",
        lambda: make_vec_env("CartPole-v1", n_envs=8, seed=0),
        "MlpPolicy",
        dict(n_steps=n_steps, batch_size=64, n_epochs=10),
        total_timesteps=8 * n_steps * 2,
        repeats=repeats,
        modes=modes,
    )
    print_table(rows)

    if not args.skip_procgen:
        from sb3_maxent.envs import make_procgen_vec_env

        # FruitBot with the paper's IMPALA CNN; the paper's 64 x 256 rollout is scaled down to fit a CPU
        n_envs, n_steps = (4, 32) if args.quick else (8, 64)
        rows += benchmark(
            "FruitBot IMPALA",
            lambda: make_procgen_vec_env("fruitbot", n_envs=n_envs, num_levels=500, seed=0),
            ImpalaCnnPolicy,
            dict(n_steps=n_steps, batch_size=n_envs * n_steps // 4, n_epochs=3, learning_rate=5e-4, gamma=0.999),
            total_timesteps=n_envs * n_steps * 2,
            repeats=repeats,
            modes=["one_step"] if args.quick else modes,
        )
        print()
        print_table(rows)


if __name__ == "__main__":
    main()

"""
Time MaxEntPPO against SB3's PPO on the same configuration, in one process, and print the ratio.

    python benchmarks/maxent_ppo_speed.py            # FruitBot with the IMPALA CNN, and CartPole with an MLP
    python benchmarks/maxent_ppo_speed.py --quick    # smaller, about a minute

Both algorithms run the same number of steps with the same seed, alternating (PPO, MaxEntPPO, PPO, ...) so
that machine load affects both alike; the median over repeats is reported. MaxEntPPO only changes the
update (``train()``), so the time of the update phase is reported separately from the whole ``learn()``.
Target: MaxEntPPO costs at most 3% more than PPO.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch as th
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecEnv

from sb3_maxent import MaxEntPPO
from sb3_maxent.common.policies import ImpalaCnnPolicy


def time_learn(model: PPO, total_timesteps: int) -> tuple[float, float]:
    """Return (seconds in learn(), seconds in train()) for one run."""
    train_seconds = 0.0
    original_train = model.train

    def timed_train() -> None:
        nonlocal train_seconds
        start = time.perf_counter()
        original_train()
        train_seconds += time.perf_counter() - start

    model.train = timed_train  # type: ignore[method-assign]
    start = time.perf_counter()
    model.learn(total_timesteps)
    return time.perf_counter() - start, train_seconds


def benchmark(
    name: str,
    make_env: Callable[[], VecEnv],
    policy: Any,
    kwargs: dict[str, Any],
    total_timesteps: int,
    repeats: int,
    modes: list[str],
) -> list[dict[str, Any]]:
    runs: dict[str, list[tuple[float, float]]] = {"PPO": [], **{f"MaxEntPPO[{mode}]": [] for mode in modes}}
    for _ in range(repeats):
        for label in runs:
            env = make_env()
            if label == "PPO":
                model = PPO(policy, env, seed=0, **kwargs)
            else:
                mode = label.split("[")[1].rstrip("]")
                maxent_policy = "ImpalaCnnPolicy" if policy is ImpalaCnnPolicy else policy
                model = MaxEntPPO(maxent_policy, env, maxent_coef=0.3, maxent_mode=mode, seed=0, **kwargs)
            runs[label].append(time_learn(model, total_timesteps))
            env.close()
    ppo_learn = statistics.median(run[0] for run in runs["PPO"])
    ppo_train = statistics.median(run[1] for run in runs["PPO"])
    rows = []
    for label, timings in runs.items():
        learn_seconds = statistics.median(run[0] for run in timings)
        train_seconds = statistics.median(run[1] for run in timings)
        rows.append(
            {
                "task": name,
                "algorithm": label,
                "steps/s": total_timesteps / learn_seconds,
                "learn s": learn_seconds,
                "train s": train_seconds,
                "ratio learn": learn_seconds / ppo_learn,
                "ratio train": train_seconds / ppo_train,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    header = ["task", "algorithm", "steps/s", "learn s", "train s", "ratio learn", "ratio train"]
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

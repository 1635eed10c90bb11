"""
Time one SoftQL gradient step against SB3 (SAC for continuous actions, DQN for discrete actions), in one process.

Each algorithm's ``train(gradient_steps=1)`` (replay sampling, losses, backward, optimizer steps, target update,
logging) is timed on a replay buffer filled with random transitions; repeats of the algorithms are interleaved and
the median over repeats is reported, so that the ratio column is meaningful on a shared, noisy machine.

    python -m benchmarks.softql_step                  # all cases, 1 torch thread
    python -m benchmarks.softql_step --cases hopper --repeats 30 --steps 50
"""

import argparse
import functools
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import DQN, SAC
from stable_baselines3.common.base_class import BaseAlgorithm

from benchmarks.timing import interleaved, median, silent
from sb3_maxent.softql import SoftQL


class SpacesOnlyEnv(gym.Env):
    """An env with the given spaces (only its spaces are used: the replay buffer is filled directly)."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space) -> None:
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        return self.observation_space.sample(), {}

    def step(self, action):
        return self.observation_space.sample(), 0.0, False, False, {}


def fill_replay_buffer(model: BaseAlgorithm, n_transitions: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    observation_space, action_space = model.observation_space, model.action_space
    buffer = model.replay_buffer
    assert buffer is not None
    for _ in range(n_transitions):
        if isinstance(observation_space, spaces.Box) and observation_space.dtype == np.uint8:
            obs = rng.integers(0, 256, size=(1, *observation_space.shape), dtype=np.uint8)
            next_obs = rng.integers(0, 256, size=(1, *observation_space.shape), dtype=np.uint8)
        else:
            obs = rng.standard_normal((1, *observation_space.shape)).astype(np.float32)
            next_obs = rng.standard_normal((1, *observation_space.shape)).astype(np.float32)
        if isinstance(action_space, spaces.Discrete):
            action = rng.integers(0, action_space.n, size=(1, 1))
        else:
            action = rng.uniform(-1, 1, size=(1, *action_space.shape)).astype(np.float32)
        buffer.add(obs, next_obs, action, rng.standard_normal(1).astype(np.float32), np.array([rng.random() < 0.01]), [{}])


def make_cases(n_transitions: int) -> dict[str, list[tuple[str, Callable[[], BaseAlgorithm]]]]:
    hopper = SpacesOnlyEnv(spaces.Box(-np.inf, np.inf, (11,), np.float32), spaces.Box(-1, 1, (3,), np.float32))
    cartpole = SpacesOnlyEnv(spaces.Box(-np.inf, np.inf, (4,), np.float32), spaces.Discrete(2))
    atari = SpacesOnlyEnv(spaces.Box(0, 255, (84, 84, 4), np.uint8), spaces.Discrete(6))
    common = {"learning_starts": 0, "seed": 0, "device": "cpu"}
    return {
        "hopper": [
            (
                "SoftQL (2x128, batch 128, 16+16 particles)",
                lambda: SoftQL("MlpPolicy", hopper, batch_size=128, buffer_size=n_transitions, **common),
            ),
            (
                "SAC (2x128, batch 128)",
                lambda: SAC(
                    "MlpPolicy",
                    hopper,
                    batch_size=128,
                    buffer_size=n_transitions,
                    policy_kwargs={"net_arch": [128, 128]},
                    **common,
                ),
            ),
            ("SAC (SB3 defaults: 2x256, batch 256)", lambda: SAC("MlpPolicy", hopper, buffer_size=n_transitions, **common)),
        ],
        "cartpole": [
            (
                "SoftQL discrete (2x64, batch 128)",
                lambda: SoftQL("MlpPolicy", cartpole, batch_size=128, buffer_size=n_transitions, **common),
            ),
            ("DQN (2x64, batch 128)", lambda: DQN("MlpPolicy", cartpole, batch_size=128, buffer_size=n_transitions, **common)),
        ],
        "atari": [
            (
                "SoftQL discrete (NatureCNN, batch 32)",
                lambda: SoftQL("CnnPolicy", atari, batch_size=32, buffer_size=n_transitions, **common),
            ),
            ("DQN (NatureCNN, batch 32)", lambda: DQN("CnnPolicy", atari, batch_size=32, buffer_size=n_transitions, **common)),
        ],
    }


def time_steps(model: BaseAlgorithm, n_steps: int) -> float:
    start = time.perf_counter()
    model.train(gradient_steps=n_steps, batch_size=model.batch_size)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) / n_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["hopper", "cartpole", "atari"], choices=["hopper", "cartpole", "atari"])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per algorithm (median reported)")
    parser.add_argument("--steps", type=int, default=20, help="gradient steps per repeat")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 avoids contention on shared machines)")
    parser.add_argument("--transitions", type=int, default=2_000, help="random transitions in each replay buffer")
    args = parser.parse_args()
    th.set_num_threads(args.threads)

    cases = make_cases(args.transitions)
    print(f"torch {th.__version__}, {args.threads} thread(s); median of {args.repeats} repeats x {args.steps} steps")
    print(f"| {'case':<9} | {'algorithm':<45} | {'ms / gradient step':>18} | {'ratio':>6} |")
    print(f"|{'-' * 11}|{'-' * 47}|{'-' * 20}|{'-' * 8}|")
    for case in args.cases:
        models = []
        for name, factory in cases[case]:
            model = factory()
            silent(model)
            fill_replay_buffer(model, args.transitions)
            model.train(gradient_steps=3, batch_size=model.batch_size)  # type: ignore[attr-defined]  # warm-up
            models.append((name, model))
        variants = {name: functools.partial(time_steps, model, args.steps) for name, model in models}
        timings = interleaved(variants, args.repeats, warmup_rounds=0, measure=lambda fn: fn())
        medians = {name: median(values) for name, values in timings.items()}
        reference = medians[models[1][0]]  # the first SB3 row is the reference of the ratio
        for name, _ in models:
            print(f"| {case:<9} | {name:<45} | {1e3 * medians[name]:>18.2f} | {medians[name] / reference:>6.2f} |")


if __name__ == "__main__":
    main()

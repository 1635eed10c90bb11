"""
Throughput of sb3-maxent's algorithms against SB3 and the plain-PyTorch floor, all in one process.

For each algorithm, the time of one environment step (collection: policy forward, env step, buffer write) and of
one gradient step (one optimizer update of all networks, replay sampling and logging included), against:

- MaxEntPPO: SB3's ``PPO`` on the same configuration and seed (gradient step = one minibatch update; both measured
  inside ``learn()``: :func:`time_learn`);
- DSPG: SB3's ``SAC`` with the same networks and batch, and a plain-PyTorch DSPG step (the floor: the same math
  without SB3's machinery, ``benchmarks/dspg_step.py``);
- SoftQL: SB3's ``SAC`` (continuous actions, same networks and batch) and ``DQN`` (discrete actions).

Gradient steps are timed on replay buffers filled with random transitions (``train(gradient_steps=k)``),
environment steps with ``learn()`` on the real task with training off (Hopper-v5 for the off-policy algorithms),
on-policy steps inside ``learn()``. Variants of a group are interleaved and the median over repeats is reported,
as milliseconds of wall-clock and of process CPU time per step. ``ratio`` is wall-clock time / the SB3 baseline's,
``ratio_cpu`` the same with CPU time (the stable one on a shared machine), ``ratio_floor`` / ``ratio_floor_cpu``
the same against the plain-PyTorch floor where one exists. One torch thread by default.

Sizes: ``--full`` (default) is the papers': FruitBot with the IMPALA CNN, 64 envs x 256 steps, 8 minibatches,
3 epochs (about 30 minutes on a 2-core CPU; use ``--device cuda`` on a GPU); DSPG 2x512, batch 100, M = 64
(Shi, Song and Wu 2019); SoftQL 2x128, batch 128, 16 + 16 particles (Haarnoja et al. 2017). ``--quick`` (under
2 minutes on 2 cores) keeps the off-policy sizes and shrinks the PPO rollouts (CartPole MLP and FruitBot IMPALA with
4 envs x 32 steps). ``--tiny`` is a smoke test (seconds, tiny networks; not a measurement).

    python -m benchmarks.throughput --quick                 # -> docs/results/throughput-quick.{csv,md}
    python -m benchmarks.throughput                         # the papers' sizes -> docs/results/throughput-full.{csv,md}
    python -m benchmarks.throughput --quick --groups dspg softql --repeats 10   # -> throughput-quick-dspg-softql.*
    python -m benchmarks.throughput --groups impala    # the IMPALA CNN fast path -> throughput-full-impala.{csv,md}

The ``impala`` group times one minibatch update of the IMPALA CNN (real FruitBot frames, ``MaxEntPPO`` with
``maxent_coef=0``) with each option of the fast path (channels_last, ``micro_batch_size``, ``precision``) against the
plain float32 update, then the rollout step and, at full size, a whole 64 x 256 iteration.
"""

import argparse
import functools
import gc
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCHMARKS_DIR = Path(__file__).resolve().parent
warnings.filterwarnings("ignore", message=".*Gym has been unmaintained.*")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch as th  # noqa: E402

from benchmarks.timing import interleaved, median, silent  # noqa: E402

DEFAULT_OUTPUT_DIR = BENCHMARKS_DIR.parent / "docs" / "results"
GROUPS = ("maxent_ppo", "impala", "dspg", "softql")
COLUMNS = ["group", "measure", "implementation", "ms_wall", "ms_cpu", "ratio", "ratio_cpu", "ratio_floor", "ratio_floor_cpu"]


def interleaved_medians(
    variants: dict[str, Callable[[], Any]], units: dict[str, int], repeats: int
) -> dict[str, tuple[float, float]]:
    """
    Median over ``repeats`` interleaved calls of each variant (after one warm-up round), divided by its units.

    :return: name -> (wall seconds per unit, CPU seconds per unit)
    """
    samples = interleaved(variants, repeats)
    return {
        name: (median(wall / units[name] for wall, _ in values), median(cpu / units[name] for _, cpu in values))
        for name, values in samples.items()
    }


def rows_for(
    group: str, measure: str, medians: dict[str, tuple[float, float]], baseline: str, floor: str | None = None
) -> list[dict[str, Any]]:
    rows = []
    for name, (wall, cpu) in medians.items():
        row = dict(group=group, measure=measure, implementation=name, ms_wall=1e3 * wall, ms_cpu=1e3 * cpu)
        row["ratio"] = wall / medians[baseline][0]
        row["ratio_cpu"] = cpu / medians[baseline][1]
        if floor is not None:
            row["ratio_floor"] = wall / medians[floor][0]
            row["ratio_floor_cpu"] = cpu / medians[floor][1]
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# MaxEntPPO vs PPO (on-policy: env steps and minibatch updates inside learn())
# ---------------------------------------------------------------------------------------------------------------------


def time_learn(model: Any, total_timesteps: int) -> dict[str, float]:
    """Seconds (wall-clock and process CPU time) spent in ``learn()`` and, within it, in ``train()``."""
    timings = {"train": 0.0, "train cpu": 0.0}
    original_train = model.train

    def timed_train() -> None:
        start, start_cpu = time.perf_counter(), time.process_time()
        original_train()
        timings["train"] += time.perf_counter() - start
        timings["train cpu"] += time.process_time() - start_cpu

    model.train = timed_train
    start, start_cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps)
    timings["learn"] = time.perf_counter() - start
    timings["learn cpu"] = time.process_time() - start_cpu
    return timings


def make_model(policy: Any, env: Any, maxent_mode: str | None, maxent_units: str = "reward", **kwargs: Any) -> Any:
    """SB3's ``PPO`` (``maxent_mode=None``) or ``MaxEntPPO`` in that mode and unit (beta 0.3), seed 0, same settings."""
    from stable_baselines3 import PPO

    from sb3_maxent import MaxEntPPO
    from sb3_maxent.common.policies import ImpalaCnnPolicy

    if maxent_mode is None:
        return PPO(policy, env, seed=0, **kwargs)
    maxent_policy = "ImpalaCnnPolicy" if policy is ImpalaCnnPolicy else policy
    return MaxEntPPO(maxent_policy, env, maxent_coef=0.3, maxent_mode=maxent_mode, maxent_units=maxent_units, seed=0, **kwargs)


def maxent_ppo_group(mode: str, repeats: int, device: str) -> list[dict[str, Any]]:
    from stable_baselines3.common.env_util import make_vec_env

    from sb3_maxent.common.policies import ImpalaCnnPolicy

    cases = []
    if mode == "tiny":
        cases.append(
            (
                "CartPole-v1, MLP, 2 envs x 32 steps",
                lambda: make_vec_env("CartPole-v1", n_envs=2, seed=0),
                "MlpPolicy",
                dict(n_steps=32, batch_size=32, n_epochs=2),
                2,
            )
        )
    else:
        cases.append(
            (
                "CartPole-v1, MLP, 8 envs x 256 steps, batch 64, 10 epochs",
                lambda: make_vec_env("CartPole-v1", n_envs=8, seed=0),
                "MlpPolicy",
                dict(n_steps=256, batch_size=64, n_epochs=10),
                2,
            )
        )
        from sb3_maxent.envs import make_procgen_vec_env

        n_envs, n_steps = (4, 32) if mode == "quick" else (64, 256)  # full: the paper's rollout
        cases.append(
            (
                f"FruitBot, IMPALA CNN, {n_envs} envs x {n_steps} steps, 8 minibatches, 3 epochs",
                lambda: make_procgen_vec_env(
                    "fruitbot", n_envs=n_envs, distribution_mode="easy", num_levels=500, seed=0, num_threads=1
                ),
                ImpalaCnnPolicy,
                dict(n_steps=n_steps, batch_size=n_envs * n_steps // 8, n_epochs=3, learning_rate=5e-4, gamma=0.999),
                1,
            )
        )
    rows = []
    for label, make_env, policy, kwargs, n_rollouts in cases:
        env_probe = make_env()
        n_envs = env_probe.num_envs
        env_probe.close()
        total = n_envs * kwargs["n_steps"] * n_rollouts
        minibatches = n_rollouts * kwargs["n_epochs"] * -(-n_envs * kwargs["n_steps"] // kwargs["batch_size"])
        variants = {
            "SB3 PPO": (None, "reward"),
            "MaxEntPPO one_step": ("one_step", "reward"),
            "MaxEntPPO one_step, advantage units": ("one_step", "advantage"),
            "MaxEntPPO soft_returns": ("soft_returns", "reward"),
        }

        def one_run(
            maxent_mode: str | None,
            maxent_units: str,
            make_env: Callable[[], Any] = make_env,
            policy: Any = policy,
            kwargs: dict[str, Any] = kwargs,
            total: int = total,
            minibatches: int = minibatches,
        ) -> tuple[float, float, float, float]:
            env = make_env()
            model = make_model(policy, env, maxent_mode, maxent_units, device=device, **kwargs)
            timing = time_learn(model, total)
            env.close()
            # free the model before the next one is built (at the paper's size its rollout buffer is 0.8 GB)
            del model, env
            gc.collect()
            return (
                (timing["learn"] - timing["train"]) / total,
                (timing["learn cpu"] - timing["train cpu"]) / total,
                timing["train"] / minibatches,
                timing["train cpu"] / minibatches,
            )

        runs = {name: functools.partial(one_run, *settings) for name, settings in variants.items()}
        samples = interleaved(runs, repeats, measure=lambda run: run())  # (the first round is a warm-up)

        def median_of(name: str, index: int, samples: dict = samples) -> float:
            return median(sample[index] for sample in samples[name])

        group = f"MaxEntPPO vs PPO: {label}"
        env_step = {name: (median_of(name, 0), median_of(name, 1)) for name in variants}
        gradient_step = {name: (median_of(name, 2), median_of(name, 3)) for name in variants}
        rows += rows_for(group, "env step", env_step, "SB3 PPO")
        rows += rows_for(group, "gradient step (minibatch)", gradient_step, "SB3 PPO")
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# The IMPALA CNN's fast path: memory format, micro-batches, reduced precision of the trunk
# ---------------------------------------------------------------------------------------------------------------------

# name -> (channels_last, precision, micro_batch_size); the first is the plain float32 floor
IMPALA_VARIANTS: dict[str, tuple[bool, str, int | None]] = {
    "float32, NCHW, whole minibatch": (False, "float32", None),
    "float32, channels_last, whole minibatch": (True, "float32", None),
    "float32, NCHW, micro-batches of 256": (False, "float32", 256),
    "float32, channels_last, micro-batches of 128": (True, "float32", 128),
    "float32, channels_last, micro-batches of 256": (True, "float32", 256),
    "bfloat16, channels_last, whole minibatch": (True, "bfloat16", None),
    "bfloat16, channels_last, micro-batches of 128": (True, "bfloat16", 128),
    "bfloat16, channels_last, micro-batches of 256": (True, "bfloat16", 256),
}


def impala_group(mode: str, repeats: int, device: str) -> list[dict[str, Any]]:
    """
    One MaxEntPPO minibatch update (``maxent_coef=0``: PPO's) on the IMPALA CNN with real FruitBot frames, with each
    option of the fast path (``ImpalaCNN(precision=...)``, ``MaxEntPPO(micro_batch_size=...)``) against the plain
    float32 update (NCHW, the whole minibatch at once: ``ImpalaCNN``'s trunk called without its channels_last
    conversion), at batch 2048 (the paper's) and 1024; then the rollout step (64 envs, policy forward and env step)
    and, at full size, a whole 64 x 256 iteration of the paper's settings with the fastest options.
    """
    from sb3_maxent import MaxEntPPO
    from sb3_maxent.common.torch_layers import ImpalaCNN
    from sb3_maxent.envs import make_procgen_vec_env

    class NchwImpalaCNN(ImpalaCNN):
        """The float32 floor: the same network without the channels_last conversion."""

        def forward(self, observations: th.Tensor) -> th.Tensor:
            return self.linear(self.cnn(observations))

    tiny = mode == "tiny"
    # 2048: the paper's minibatch; 256: the quick start's (16 envs x 128 steps in 8 minibatches)
    batch_sizes = (64,) if tiny else (2048, 256) if mode == "quick" else (2048, 1024, 256)
    variants = dict(list(IMPALA_VARIANTS.items())[:3]) if tiny else IMPALA_VARIANTS
    n_envs = 4 if tiny else 64
    env = make_procgen_vec_env("fruitbot", n_envs=n_envs, distribution_mode="easy", num_levels=200, seed=0, num_threads=1)

    def make(channels_last: bool, precision: str, micro_batch_size: int | None, batch_size: int, n_steps: int) -> Any:
        th.manual_seed(0)
        extractor = ImpalaCNN if channels_last else NchwImpalaCNN
        micro_batch_size = None if micro_batch_size is None else min(micro_batch_size, batch_size)
        policy_kwargs = dict(features_extractor_class=extractor, features_extractor_kwargs=dict(precision=precision))
        return silent(
            MaxEntPPO(
                "ImpalaCnnPolicy",
                env,
                maxent_coef=0.0,
                n_steps=n_steps,
                batch_size=batch_size,
                n_epochs=1,
                micro_batch_size=micro_batch_size,
                learning_rate=5e-4,
                policy_kwargs=policy_kwargs,
                device=device,
                seed=0,
            )
        )

    rows = []
    for batch_size in batch_sizes:
        n_steps = max(batch_size // n_envs, 1) * (2 if batch_size < 2048 or tiny else 1)
        models = {name: make(*settings, batch_size, n_steps) for name, settings in variants.items()}
        first = next(iter(models.values()))
        first.learn(n_envs * n_steps)  # one rollout of real frames, shared by all (train() only reads it)
        first_frames = first.rollout_buffer.observations.reshape(-1, *first.observation_space.shape)[:n_envs].copy()
        for model in models.values():
            model.rollout_buffer = first.rollout_buffer
        n_updates = n_envs * n_steps // batch_size
        medians = interleaved_medians(
            {name: model.train for name, model in models.items()}, dict.fromkeys(models, n_updates), repeats
        )
        floor = next(iter(variants))
        rows += rows_for(f"IMPALA CNN fast path: FruitBot, batch {batch_size}", "minibatch update", medians, floor, floor)
        del models, first
        gc.collect()

    # the rollout: 64 envs, policy forward (one frame per env) and env step, training off. (The frames reach the
    # policy channels_last in memory already: VecTransposeImage's transpose is a view of procgen's HWC frames.)
    models = {name: make(*settings, 64, 8) for name, settings in variants.items() if settings[2] is None}
    for model in models.values():
        model.train = lambda: None  # (collection only)
    n_rollout = n_envs * 8
    medians = interleaved_medians(
        {name: functools.partial(model.learn, n_rollout, reset_num_timesteps=False) for name, model in models.items()},
        dict.fromkeys(models, n_rollout),
        repeats,
    )
    floor = next(iter(models))
    rows += rows_for(f"IMPALA CNN fast path: FruitBot, {n_envs} envs", "env step (rollout)", medians, floor, floor)
    # the features extractor alone on contiguous NCHW frames (as the rollout buffer stores them), without gradient:
    # where the memory format matters for inference
    frames = th.as_tensor(first_frames).float() / 255.0
    for batch in (1, n_envs):
        batch_frames = frames[:batch].contiguous()

        def forward(model: Any, batch_frames: th.Tensor = batch_frames) -> Callable[[], Any]:
            def call() -> None:
                with th.no_grad():
                    model.policy.features_extractor(batch_frames)

            return call

        medians = interleaved_medians(
            {name: forward(model) for name, model in models.items()}, dict.fromkeys(models, 1), repeats * 5
        )
        rows += rows_for(
            f"IMPALA CNN fast path: forward without gradient, batch {batch}", "features (no grad)", medians, floor, floor
        )
    del models
    gc.collect()
    if mode == "full":
        # one whole iteration of the paper's settings: 64 x 256 steps, 8 minibatches of 2048, 3 epochs
        iteration = {
            "float32, NCHW, whole minibatch": (False, "float32", None),
            "float32, channels_last, micro-batches of 256": (True, "float32", 256),
            "bfloat16, channels_last, micro-batches of 256": (True, "bfloat16", 256),
        }
        models = {name: make(*settings, 2048, 256) for name, settings in iteration.items()}
        for model in models.values():
            model.n_epochs = 3
        medians = interleaved_medians(
            {name: functools.partial(model.learn, 64 * 256, reset_num_timesteps=False) for name, model in models.items()},
            dict.fromkeys(models, 1),
            max(repeats // 2, 1),
        )
        floor = next(iter(models))
        rows += rows_for("IMPALA CNN fast path: FruitBot, 64 x 256, 3 epochs", "whole iteration", medians, floor, floor)
    env.close()
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# Off-policy: env steps on Hopper-v5 with training off
# ---------------------------------------------------------------------------------------------------------------------


def env_step_times(
    factories: dict[str, Callable[[Any], Any]], n_steps: int, repeats: int, env_id: str = "Hopper-v5"
) -> dict[str, tuple[float, float]]:
    """Per env step of ``learn()`` on ``env_id`` with the policy acting (learning_starts=0) and no gradient step."""
    import gymnasium as gym

    models = {}
    for name, factory in factories.items():
        model = silent(factory(gym.make(env_id)))
        model.learning_starts, model.gradient_steps = 0, 0
        models[name] = model

    def learn(model: Any) -> Callable[[], Any]:
        return lambda: model.learn(n_steps, reset_num_timesteps=False)

    return interleaved_medians({name: learn(model) for name, model in models.items()}, dict.fromkeys(models, n_steps), repeats)


def dspg_group(mode: str, repeats: int, device: str) -> list[dict[str, Any]]:
    from stable_baselines3 import SAC

    from benchmarks.dspg_step import BUFFER_FILL, HopperShapedEnv, PlainDSPG, fill_buffer
    from sb3_maxent import DSPG

    hidden, batch_size, n_samples = (32, 16, 4) if mode == "tiny" else (512, 100, 64)  # the paper's size
    gradient_steps = 4  # per call: the paper's gradient steps per env step
    net = dict(net_arch=[hidden, hidden])
    common = dict(buffer_size=BUFFER_FILL, batch_size=batch_size, seed=0, device=device)

    def make_dspg(env: Any) -> Any:
        return DSPG("MlpPolicy", env, n_action_samples=n_samples, policy_kwargs=dict(net), **common)

    def make_sac(env: Any) -> Any:
        return SAC("MlpPolicy", env, policy_kwargs=dict(net), **common)  # SB3 adds keys to policy_kwargs: a fresh dict

    rng = np.random.default_rng(0)
    dspg, sac = silent(make_dspg(HopperShapedEnv())), silent(make_sac(HopperShapedEnv()))
    for model in (dspg, sac):
        fill_buffer(model, rng)
    plain = PlainDSPG(n_samples, squash=True, hidden=hidden, batch_size=batch_size)
    variants = {
        "sb3_maxent DSPG": lambda: dspg.train(gradient_steps, batch_size),
        "plain PyTorch DSPG": lambda: plain.train(gradient_steps),
        "SB3 SAC": lambda: sac.train(gradient_steps, batch_size),
    }
    group = f"DSPG vs SAC: Hopper shapes, 2x{hidden} ReLU, batch {batch_size}, M={n_samples}"
    medians = interleaved_medians(variants, dict.fromkeys(variants, gradient_steps), repeats)
    rows = rows_for(group, "gradient step", medians, "SB3 SAC", "plain PyTorch DSPG")
    n_env_steps = 20 if mode == "tiny" else 500
    medians = env_step_times({"sb3_maxent DSPG": make_dspg, "SB3 SAC": make_sac}, n_env_steps, repeats)
    rows += rows_for(group.replace("Hopper shapes", "Hopper-v5"), "env step", medians, "SB3 SAC")
    return rows


def softql_group(mode: str, repeats: int, device: str) -> list[dict[str, Any]]:
    from gymnasium import spaces
    from stable_baselines3 import DQN, SAC

    from benchmarks.softql_step import SpacesOnlyEnv, fill_replay_buffer
    from sb3_maxent import SoftQL

    n_transitions = 500 if mode == "tiny" else 2_000
    hidden, batch_size = (32, 16) if mode == "tiny" else (128, 128)  # the reference code's size
    particles = dict(n_value_particles=4, n_kernel_particles=4) if mode == "tiny" else {}
    common = dict(learning_starts=0, buffer_size=max(n_transitions, 10_000), seed=0, device=device)
    gradient_steps = 2 if mode == "tiny" else 10

    def make_softql(env: Any) -> Any:
        return SoftQL(
            "MlpPolicy", env, batch_size=batch_size, policy_kwargs=dict(net_arch=[hidden, hidden]), **particles, **common
        )

    def make_sac(env: Any) -> Any:
        return SAC("MlpPolicy", env, batch_size=batch_size, policy_kwargs=dict(net_arch=[hidden, hidden]), **common)

    hopper = SpacesOnlyEnv(spaces.Box(-np.inf, np.inf, (11,), np.float32), spaces.Box(-1, 1, (3,), np.float32))
    models = {"sb3_maxent SoftQL": silent(make_softql(hopper)), "SB3 SAC": silent(make_sac(hopper))}
    for model in models.values():
        fill_replay_buffer(model, n_transitions)
    n_particles = particles.get("n_value_particles", 16)
    group = (
        f"SoftQL vs SAC: Hopper shapes, 2x{hidden} ReLU, batch {batch_size}, "
        f"{n_particles} value + {n_particles} kernel particles"
    )

    def train(model: Any) -> Callable[[], Any]:
        return lambda: model.train(gradient_steps=gradient_steps, batch_size=batch_size)

    medians = interleaved_medians(
        {name: train(model) for name, model in models.items()}, dict.fromkeys(models, gradient_steps), repeats
    )
    rows = rows_for(group, "gradient step", medians, "SB3 SAC")
    n_env_steps = 20 if mode == "tiny" else 500
    medians = env_step_times({"sb3_maxent SoftQL": make_softql, "SB3 SAC": make_sac}, n_env_steps, repeats)
    rows += rows_for(group.replace("Hopper shapes", "Hopper-v5"), "env step", medians, "SB3 SAC")

    # Discrete actions: SoftQL (exact soft value) against DQN, same network and batch
    cases = [
        (
            "CartPole shapes, 2x64 MLP, batch 128",
            SpacesOnlyEnv(spaces.Box(-np.inf, np.inf, (4,), np.float32), spaces.Discrete(2)),
            "MlpPolicy",
            128,
        )
    ]
    if mode == "full":
        atari = SpacesOnlyEnv(spaces.Box(0, 255, (84, 84, 4), np.uint8), spaces.Discrete(6))
        cases.append(("Atari shapes, NatureCNN, batch 32", atari, "CnnPolicy", 32))
    for label, env, policy, batch in cases:
        discrete = {
            "sb3_maxent SoftQL": silent(SoftQL(policy, env, batch_size=batch, **common)),
            "SB3 DQN": silent(DQN(policy, env, batch_size=batch, **common)),
        }
        for model in discrete.values():
            fill_replay_buffer(model, n_transitions)
        medians = interleaved_medians(
            {name: train(model) for name, model in discrete.items()}, dict.fromkeys(discrete, gradient_steps), repeats
        )
        rows += rows_for(f"SoftQL vs DQN: {label}", "gradient step", medians, "SB3 DQN")
        # env steps of the discrete agents: CartPole-v1
        if label.startswith("CartPole"):

            def make_greedy_dqn(env: Any, policy: str = policy, batch: int = batch) -> Any:
                model = DQN(policy, env, batch_size=batch, **common)
                model.exploration_schedule = lambda _: 0.0  # act with the network, as SoftQL does
                return model

            factories = {
                "sb3_maxent SoftQL": lambda e, p=policy, b=batch: SoftQL(p, e, batch_size=b, **common),
                "SB3 DQN": make_greedy_dqn,
            }
            medians = env_step_times(factories, n_env_steps, repeats, env_id="CartPole-v1")
            rows += rows_for("SoftQL vs DQN: CartPole-v1, 2x64 MLP", "env step", medians, "SB3 DQN")
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------------------------------


def format_table(frame: pd.DataFrame) -> str:
    """Markdown table, one line per implementation."""
    header = [
        "group",
        "measure",
        "implementation",
        "ms wall",
        "ms CPU",
        "ratio",
        "ratio CPU",
        "ratio to floor",
        "ratio to floor CPU",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    previous_group = None
    for _, row in frame.iterrows():
        group = row.group if row.group != previous_group else ""
        previous_group = row.group

        def number(value: float, digits: int = 2) -> str:
            return "" if pd.isna(value) else f"{value:.{digits}f}"

        cells = [
            group,
            row.measure,
            row.implementation,
            number(row.ms_wall, 3),
            number(row.ms_cpu, 3),
            number(row.ratio),
            number(row.ratio_cpu),
            number(row.ratio_floor),
            number(row.ratio_floor_cpu),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.throughput", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller PPO rollouts, fewer repeats: under 2 minutes on 2 cores")
    size.add_argument("--tiny", action="store_true", help="smoke test: tiny networks, one repeat (seconds; not a measurement)")
    parser.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS), help="which algorithms to time")
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed repeats per variant, median reported (default 5 full, 3 quick)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: stable ratios on a shared machine)")
    parser.add_argument("--device", default="cpu", help="torch device")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, help="where throughput-<mode>.csv/.md go")
    args = parser.parse_args(argv)
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    repeats = args.repeats or {"tiny": 1, "quick": 3, "full": 5}[mode]
    th.set_num_threads(args.threads)
    th.manual_seed(0)

    start = time.perf_counter()
    functions = {"maxent_ppo": maxent_ppo_group, "impala": impala_group, "dspg": dspg_group, "softql": softql_group}
    rows: list[dict[str, Any]] = []
    for group in args.groups:
        rows += functions[group](mode, repeats, args.device)
        print(f"[{time.perf_counter() - start:.0f} s] {group} done", flush=True)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    table = format_table(frame)
    print()
    print(
        f"torch {th.__version__}, {args.threads} thread(s), device {args.device}, {mode} sizes, median of {repeats} repeat(s)"
    )
    print(table)

    args.output_dir.mkdir(parents=True, exist_ok=True)
    # (a run of some groups only does not overwrite the tables of all of them)
    name = f"throughput-{mode}" + ("" if list(args.groups) == list(GROUPS) else "-" + "-".join(args.groups))
    csv_path, md_path = args.output_dir / f"{name}.csv", args.output_dir / f"{name}.md"
    frame.to_csv(csv_path, index=False)
    md_path.write_text(
        f"`python -m benchmarks.throughput{''.join(' ' + arg for arg in (argv if argv is not None else sys.argv[1:]))}`: "
        f"torch {th.__version__}, "
        f"{args.threads} thread(s), device {args.device}, median of {repeats} repeat(s), "
        f"{time.perf_counter() - start:.0f} s in all. Times in milliseconds per step; ratios to the SB3 baseline of the "
        f"group (PPO, SAC or DQN) and to the plain-PyTorch floor.\n\n{table}\n"
    )
    print(f"\nwrote {csv_path} and {md_path}")


if __name__ == "__main__":
    main()

"""
Procgen throughput: raw gym3 vs :class:`sb3_maxent.envs.ProcgenVecEnv` (bare, and in SB3's ``VecMonitor`` as
:func:`~sb3_maxent.envs.make_procgen_vec_env` returns it) vs the Gymnasium env in SB3's DummyVecEnv.

All four run in this one process on the same game with random actions; each is timed ``--repeats`` times,
interleaved; the table gives the median steps/s and the median over repeats of the ratio to raw gym3 measured in
the same repeat (the target for the monitored ProcgenVecEnv is >= 80 % of raw gym3). The DummyVecEnv is what
``make_vec_env("procgen/<game>-v0", n_envs)`` gives (Monitor wrappers, ``render_mode="rgb_array"``, which renders
the 64x64 observation, not procgen's 512x512 frame).

Usage::

    python -m benchmarks.procgen_throughput                      # fruitbot, 64 envs
    python -m benchmarks.procgen_throughput --n-envs 16 --game coinrun --steps 200 --repeats 5
"""

import argparse
import functools
import time
from collections.abc import Callable

import numpy as np
from stable_baselines3.common.env_util import make_vec_env

from benchmarks.timing import interleaved, median
from sb3_maxent.envs import ProcgenVecEnv, make_procgen_vec_env
from sb3_maxent.envs.procgen import make_gym3_env, procgen_gym3_kwargs


def steps_per_second(step: Callable[[np.ndarray], object], n_envs: int, n_steps: int, rng: np.random.Generator) -> float:
    """Time ``n_steps`` vectorized steps with random actions (after a short warm-up); return env steps per second."""
    actions = rng.integers(0, 15, size=(n_steps + 10, n_envs))
    for actions_t in actions[:10]:
        step(actions_t)
    start = time.perf_counter()
    for actions_t in actions[10:]:
        step(actions_t)
    return n_envs * n_steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--game", default="fruitbot")
    parser.add_argument("--n-envs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=300, help="vectorized steps per measurement")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--distribution-mode", default="easy")
    args = parser.parse_args()
    options = {"distribution_mode": args.distribution_mode}
    rng = np.random.default_rng(0)

    raw_env = make_gym3_env(args.n_envs, rand_seed=0, **procgen_gym3_kwargs(args.game, **options))

    def raw_step(actions: np.ndarray) -> None:
        raw_env.act(actions)
        raw_env.observe()

    vec_env = ProcgenVecEnv(args.game, n_envs=args.n_envs, seed=0, **options)
    vec_env.reset()
    monitored_env = make_procgen_vec_env(args.game, n_envs=args.n_envs, seed=0, **options)
    monitored_env.reset()
    dummy_env = make_vec_env(f"procgen/{args.game}-v0", n_envs=args.n_envs, seed=0, env_kwargs=options)
    dummy_env.reset()

    candidates: dict[str, Callable[[np.ndarray], object]] = {
        "raw gym3 (act + observe)": raw_step,
        "ProcgenVecEnv": vec_env.step,
        "VecMonitor(ProcgenVecEnv) via make_procgen_vec_env": monitored_env.step,
        "DummyVecEnv(gym.make) via make_vec_env": dummy_env.step,
    }
    # DummyVecEnv is much slower: fewer steps keep each of its measurements about as long as the others
    n_steps = {name: args.steps if "Dummy" not in name else max(args.steps // 4, 20) for name in candidates}
    rates = {
        name: functools.partial(steps_per_second, step, args.n_envs, n_steps[name], rng) for name, step in candidates.items()
    }
    results = interleaved(rates, args.repeats, warmup_rounds=0, measure=lambda fn: fn())

    raw = results["raw gym3 (act + observe)"]
    print(f"Procgen {args.game} ({args.distribution_mode}), n_envs={args.n_envs}, median of {args.repeats} repeats")
    print(f"{'':52s} {'steps/s':>10s} {'ratio to raw':>13s}")
    for name, values in results.items():
        ratio = median(value / raw_value for value, raw_value in zip(values, raw, strict=True))
        print(f"{name:52s} {median(values):10.0f} {ratio:13.2f}")
    raw_env.close()
    vec_env.close()
    monitored_env.close()
    dummy_env.close()


if __name__ == "__main__":
    main()

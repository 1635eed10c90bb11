"""
Quick start: train MaxEntPPO on Procgen FruitBot (easy mode), evaluate on unseen levels, save everything.

    python -m sb3_maxent.quickstart                  # default budget: a few minutes on 2 CPU cores
    python -m sb3_maxent.quickstart --help           # all options (budget, algorithm, temperature, levels, ...)

The settings are the shipped RL Zoo FruitBot entries (``hyperparams/maxent_ppo.yml``, ``hyperparams/ppo.yml``):
the on-policy max-ent paper's, i.e. train-procgen's PPO2 settings in SB3's terms (beta = 0.3 in the paper's
units, lr 5e-4, gamma 0.999, lambda 0.95, clip 0.2 for the policy and the value, 3 epochs in 8 minibatches, reward
normalization with discount 0.99 and clip 10, easy mode, training levels [0, 500), evaluation on the unseen
levels 500-999). To fit minutes on a CPU instead of hours on a GPU, the default network is SB3's NatureCNN
(``--policy ImpalaCnnPolicy`` gives the paper's IMPALA CNN, about ten times more compute per step) and the rollout
is smaller (16 envs x 128 steps instead of 64 x 256), so that a short run still makes about fifty updates (100k
steps, about 5 minutes on an idle 2-core machine).
The paper's full settings are listed in ``docs/maxent_ppo.md``.
"""

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from sb3_maxent.common.torch_layers import CNN_PRECISIONS
from sb3_maxent.maxent_ppo.maxent_ppo import MAXENT_MODES, MAXENT_UNITS

DEFAULT_OUTPUT_DIR = "quickstart_output"
ENV_ID = "procgen/fruitbot-v0"  # the entry of the shipped hyperparameter files the quick start runs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sb3_maxent.quickstart",
        description="Train MaxEntPPO (or PPO) on Procgen FruitBot, evaluate on train and unseen test levels, save the model.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--algo", choices=["maxent_ppo", "ppo"], default="maxent_ppo", help="Algorithm to train")
    parser.add_argument("--game", default="fruitbot", help="Procgen game")
    parser.add_argument("--timesteps", type=int, default=100_000, help="Training budget in environment steps")
    parser.add_argument(
        "--policy",
        default="CnnPolicy",
        help="CnnPolicy (NatureCNN, fast on CPU) or ImpalaCnnPolicy (the paper's, ~10x slower)",
    )
    parser.add_argument(
        "--precision",
        choices=tuple(CNN_PRECISIONS),
        default="float32",
        help="Arithmetic of the IMPALA CNN's convolutions (ImpalaCnnPolicy only): bfloat16 is about 2x faster on CPUs "
        "with avx512_bf16, and about 12x slower on CPUs without (emulated)",
    )
    parser.add_argument("--maxent-coef", type=float, default=None, help="Max-ent temperature beta (default: the entry's, 0.3)")
    parser.add_argument("--maxent-mode", choices=MAXENT_MODES, default="one_step", help="Max-ent mode (MaxEntPPO only)")
    parser.add_argument(
        "--maxent-units",
        choices=MAXENT_UNITS,
        default=None,
        help="Units of beta (default: the entry's, 'advantage' as in the paper's code; 'reward' with soft_returns)",
    )
    parser.add_argument("--ent-coef", type=float, default=None, help="PPO's entropy regularization (default: the entry's)")
    parser.add_argument("--n-envs", type=int, default=16, help="Number of parallel games (paper: 64)")
    parser.add_argument("--n-steps", type=int, default=128, help="Rollout length per game (paper: 256)")
    parser.add_argument("--num-levels", type=int, default=500, help="Training levels [0, num_levels)")
    parser.add_argument("--eval-episodes", type=int, default=32, help="Evaluation episodes on train and on test levels")
    parser.add_argument("--seed", type=int, default=0, help="Random seed")
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, help="Where the model, logs and results go")
    parser.add_argument("--device", default="auto", help="torch device")
    args = parser.parse_args(argv)
    for name in ("timesteps", "n_envs", "n_steps", "eval_episodes"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.precision != "float32" and args.policy != "ImpalaCnnPolicy":
        parser.error(f"--precision {args.precision} applies to --policy ImpalaCnnPolicy only (NatureCNN runs in float32)")
    if not 1 <= args.num_levels <= 500:
        parser.error(
            "--num-levels must be in [1, 500]: the training levels [0, num_levels) stay apart from the test levels 500-999"
        )
    return args


def evaluate(model: Any, env: Any, n_episodes: int) -> tuple[float, float]:
    """Mean and standard deviation of the episode return of the stochastic policy (as in the Procgen paper)."""
    from stable_baselines3.common.evaluation import evaluate_policy

    returns, _ = evaluate_policy(model, env, n_eval_episodes=n_episodes, deterministic=False, return_episode_rewards=True)
    return float(np.mean(returns)), float(np.std(returns))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from stable_baselines3 import PPO
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecNormalize

    from sb3_maxent import MaxEntPPO
    from sb3_maxent.envs import make_procgen_vec_env, procgen_level_split
    from sb3_maxent.zoo import algorithm_kwargs, hyperparams_path, normalize_kwargs, read_entry

    output_dir = Path(args.output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    # The shipped entry (the paper's settings), with the CPU-sized rollout and the command line's choices; its levels:
    # easy mode, training levels [0, 500) (or --num-levels), evaluation on the unseen levels 500-999
    entry = read_entry(hyperparams_path(args.algo), ENV_ID)
    train_split, test_split = procgen_level_split(  # (refuses overlapping ranges)
        args.num_levels,
        entry["env_kwargs"]["start_level"],
        entry["eval_env_kwargs"]["num_levels"],
        entry["eval_env_kwargs"]["start_level"],
    )
    train_levels = entry["env_kwargs"] | train_split._asdict()
    test_levels = entry["eval_env_kwargs"] | test_split._asdict()
    hyperparams: dict[str, Any] = algorithm_kwargs(entry) | dict(
        n_steps=args.n_steps,
        batch_size=max(args.n_envs * args.n_steps // 8, 1),  # 8 minibatches, as in the paper
        seed=args.seed,
        device=args.device,
    )
    if args.ent_coef is not None:
        hyperparams["ent_coef"] = args.ent_coef
    if args.precision != "float32":
        hyperparams["policy_kwargs"] = dict(features_extractor_kwargs=dict(precision=args.precision))
    train_env = VecNormalize(
        make_procgen_vec_env(args.game, args.n_envs, seed=args.seed, **train_levels),
        **(normalize_kwargs(entry) or {}),
    )
    model: PPO
    if args.algo == "maxent_ppo":
        hyperparams["maxent_mode"] = args.maxent_mode
        if args.maxent_coef is not None:
            hyperparams["maxent_coef"] = args.maxent_coef
        if args.maxent_units is not None:
            hyperparams["maxent_units"] = args.maxent_units
        elif args.maxent_mode == "soft_returns":
            hyperparams["maxent_units"] = "reward"  # soft returns add beta to the rewards: reward units only
        model = MaxEntPPO(args.policy, train_env, **hyperparams)
    else:
        from sb3_maxent.common.policies import ImpalaCnnPolicy

        policy = ImpalaCnnPolicy if args.policy == "ImpalaCnnPolicy" else args.policy
        model = PPO(policy, train_env, **hyperparams)
    model.set_logger(configure(str(output_dir / "logs"), ["stdout", "csv"]))

    print(
        f"Training {type(model).__name__} ({args.policy}) on {args.game} easy, levels [0, {args.num_levels}), "
        f"{args.timesteps} steps, {args.n_envs} envs x {args.n_steps} steps per rollout",
        flush=True,
    )
    start = time.time()
    model.learn(args.timesteps)
    train_seconds = time.time() - start

    model_path = output_dir / f"{args.algo}_{args.game}.zip"
    vec_normalize_path = output_dir / "vec_normalize.pkl"
    model.save(model_path)
    train_env.save(str(vec_normalize_path))

    # Evaluation: raw (unnormalized) rewards, on the training levels and on the unseen levels 500-999
    n_eval_envs = min(args.eval_episodes, 16)
    start = time.time()
    train_return = evaluate(
        model, make_procgen_vec_env(args.game, n_eval_envs, seed=args.seed + 1, **train_levels), args.eval_episodes
    )
    test_return = evaluate(
        model, make_procgen_vec_env(args.game, n_eval_envs, seed=args.seed + 1, **test_levels), args.eval_episodes
    )
    eval_seconds = time.time() - start

    results = {
        "algo": args.algo,
        "game": args.game,
        "timesteps": args.timesteps,
        "train_levels": [train_split.start_level, train_split.start_level + train_split.num_levels],
        "test_levels": [test_split.start_level, test_split.start_level + test_split.num_levels],
        "train_return_mean": train_return[0],
        "train_return_std": train_return[1],
        "test_return_mean": test_return[0],
        "test_return_std": test_return[1],
        "eval_episodes": args.eval_episodes,
        "train_seconds": round(train_seconds, 1),
        "eval_seconds": round(eval_seconds, 1),
        "model": str(model_path),
        "vec_normalize": str(vec_normalize_path),
        "logs": str(output_dir / "logs" / "progress.csv"),
        "hyperparameters": {k: v for k, v in hyperparams.items() if k != "device"} | {"policy": args.policy},
        "reward_normalization": normalize_kwargs(entry),
        "settings_from": f"{hyperparams_path(args.algo)}[{ENV_ID}]",
    }
    results_path = output_dir / "results.json"
    results_path.write_text(json.dumps(results, indent=2))

    print()
    print(f"Trained {args.timesteps} steps in {train_seconds:.0f} s, evaluated in {eval_seconds:.0f} s")
    print(f"  train return (levels 0-{args.num_levels - 1}):  {train_return[0]:.2f} +/- {train_return[1]:.2f}")
    print(f"  test return  (levels 500-999, unseen): {test_return[0]:.2f} +/- {test_return[1]:.2f}")
    print(f"  model:          {model_path}")
    print(f"  reward stats:   {vec_normalize_path}")
    print(f"  training log:   {results['logs']}")
    print(f"  results:        {results_path}")
    print(f"Load it with: MaxEntPPO.load({str(model_path)!r})" if args.algo == "maxent_ppo" else "")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])

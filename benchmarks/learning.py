"""
Learning comparisons of sb3-maxent's agents against SB3's, over several seeds, written as CSV, Markdown and PNG.

Suites (the first argument) and what they check:

- ``classic``: CartPole-v1 (PPO, MaxEntPPO, DQN, SoftQL) and Pendulum-v1 (SAC, DSPG, SoftQL; and PPO vs MaxEntPPO),
  minutes on a CPU. Evaluation: mean return of 5 episodes, deterministic and stochastic policy.
- ``multimodal``: two tasks with two equally good solutions, in the spirit of the two-passage example of Haarnoja and
  Tang (2017), "Learning Diverse Skills via Maximum Entropy Deep Reinforcement Learning":
  ``bandit`` (one-step continuous bandit with two goals: SAC, DSPG, SoftQL at the same temperature) and ``maze`` (a
  grid maze with two passages of equal length: PPO, PPO + entropy regularization, MaxEntPPO in both modes, DQN,
  SoftQL). Measured: the share of the policy's actions / episodes that use each mode; the exact max-ent optimum uses
  both equally (soft value iteration for the maze).
- ``fruitbot``: the on-policy max-ent paper's Fig. 2-5 on Procgen FruitBot (easy, training levels 0-499) with the
  shipped entries (train-procgen's settings): ``fruitbot_tuning``, its tuning grid (entropy regularization and
  beta in the paper's units, one seed each), and ``fruitbot``, PPO without entropy, PPO + the tuned regularization,
  MaxEntPPO at the paper's beta 0.3 (and at the tuned beta); train reward (training episodes), test reward (unseen
  levels 500-999, stochastic policy) and policy entropy over time.
- ``mujoco``: the DSPG paper's (Shi, Song and Wu 2019) Fig. 1 / Table 1: DSPG vs SB3 SAC (and SoftQL) on Hopper,
  HalfCheetah, Ant, Walker2d (v5). The reduced budget (100k steps) gives DSPG and SAC the same network (2x256),
  batch (100), critic learning rate (3e-4), Polyak tau, warm-up (10k random steps), learned temperature and one
  gradient step per env step; DSPG keeps the paper's M = 64, actor learning rate 5e-5 and per-task clipping norm
  (``MUJOCO_SHARED``). Measured: deterministic evaluation return (5 episodes), steps to fixed returns, how steady each
  seed's curve is (largest drop, mean change between evaluations), wall time, peak memory (replay observations stored
  as float32).

Budgets (``--budget``): ``tiny`` (seconds; a smoke test of the pipeline, not a result), ``reduced`` (what a
2-core CPU can run: minutes for classic/multimodal; per FruitBot agent and seed, about 10 minutes for a tuning run
(300k steps) and 35-60 for the comparison (1M steps); per MuJoCo run (100k steps) about an hour for DSPG and 25
minutes for SAC; smaller networks where the papers' do not fit, see ``--list``), ``full``
(the papers': FruitBot 2M steps with the IMPALA CNN and 64 x 256 rollouts, MuJoCo 3M steps at the papers' sizes; for
a GPU, ``--device cuda``).

Hyperparameters come from the shipped RL Zoo files (``sb3_maxent/hyperparams/*.yml``) and, for SB3's own agents
where we ship none, from RL Zoo's (``rl_zoo3/hyperparams``); ``--list`` prints every agent's settings and where they
come from. Every run is one process-independent job (agent, task, seed); ``--jobs N`` runs N at a time with one
torch thread each.

Outputs, in ``<output-dir>/<suite>-<budget>/``:

- ``per_seed/<task>__<agent>__seed<k>.csv``: one row per evaluation (``timesteps``, ``train_seconds``,
  ``peak_rss_mb`` (the run's peak resident memory so far), the metrics). A run whose CSV exists is skipped
  (``--overwrite`` reruns it), so a suite can be run in parts.
- ``curves.csv``: all of them; ``summary.csv`` / ``summary.md``: final (and best) metrics, mean and std over seeds,
  and where a comparison defines them, the metrics at fixed steps or the steps to fixed values.
- ``<task>_<metric>.png``: mean over seeds with a band (``--band std`` or ``ci95``), one figure per claim.
- ``config.json``: the commands that wrote the directory, versions and every agent's hyperparameters.

Runs are resumable: each checkpoints itself (model, optimizer, replay buffer, env and ``VecNormalize`` state, random
generators, the curve so far) every ``--checkpoint-every`` steps (default: every evaluation) in
``<checkpoint-dir>/<suite>-<budget>/<run>/`` (``runs/checkpoints`` by default, not tracked by git), and the same
command started again continues each unfinished run from its last checkpoint, with the same numbers as an
uninterrupted run. A finished run leaves its trained agent there (``final_model.zip``, ``vecnormalize.pkl``).

Examples::

    python -m benchmarks.learning classic --seeds 0 1 2 --jobs 2
    python -m benchmarks.learning multimodal --tasks maze --agents PPO MaxEntPPO-soft --seeds 0 1 2 3 4
    python -m benchmarks.learning fruitbot --tasks fruitbot_tuning --seeds 0 --jobs 2   # the tuning grid, 300k steps
    python -m benchmarks.learning fruitbot --tasks fruitbot --seeds 0 1 2 --jobs 2     # the comparison, 1M steps
    python -m benchmarks.learning fruitbot --budget full --device cuda --jobs 4       # the paper's 2M steps
    python -m benchmarks.learning mujoco --tasks hopper halfcheetah walker2d ant --agents DSPG SAC --seeds 0 1 2 --jobs 2
    python -m benchmarks.learning mujoco --budget full --device cuda                   # 3M steps, 4 tasks
    python -m benchmarks.learning classic --plot-only                                 # redo tables and figures
    python -m benchmarks.learning mujoco --seeds 0 1 2 --print-commands | parallel -j 8   # one command per run
    python -m benchmarks.learning --list                                              # suites, tasks, agents, settings
"""

import argparse
import contextlib
import copy
import functools
import json
import os
import platform
import resource
import shutil
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from stable_baselines3.common.callbacks import BaseCallback

from benchmarks.timing import proc_status_mb
from sb3_maxent.zoo import algorithm_kwargs, normalize_kwargs

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
DEFAULT_OUTPUT_DIR = REPO_ROOT / "docs" / "results"
# outside the repository: a new checkout of the work tree keeps them
DEFAULT_CHECKPOINT_DIR = Path("~/.cache/sb3-maxent/checkpoints").expanduser()
BUDGETS = ("tiny", "reduced", "full")

# ---------------------------------------------------------------------------------------------------------------------
# Hyperparameters
# ---------------------------------------------------------------------------------------------------------------------


def zoo_hyperparams(algo: str, env_id: str, source: str = "sb3_maxent") -> dict[str, Any]:
    """
    One entry of an RL Zoo hyperparameter file, as written (strings such as ``lin_0.001`` and policy_kwargs kept).

    :param algo: File name without ``.yml`` (``maxent_ppo``, ``dspg``, ``softql``, ``ppo``, ``sac``, ``dqn``)
    :param env_id: The entry
    :param source: ``sb3_maxent`` (the files we ship) or ``rl_zoo3`` (RL Zoo's own)
    """
    from sb3_maxent.zoo import hyperparams_path, read_entry

    if source == "sb3_maxent":
        path = hyperparams_path(algo)
    else:
        import rl_zoo3

        path = Path(rl_zoo3.__file__).parent / "hyperparams" / f"{algo}.yml"
    return read_entry(path, env_id) | {"_source": f"{source}:{path.name}[{env_id}]"}


@dataclass
class Agent:
    """An agent of a comparison: the algorithm class name, its policy and arguments, the source of its settings."""

    algo: str  # "PPO", "MaxEntPPO", "SAC", "DSPG", "SoftQL", "DQN"
    policy: Any
    kwargs: dict[str, Any]
    n_envs: int = 1
    source: str = ""
    note: str = ""
    label: str = ""  # legend label, when the common one (plotting.AGENT_LABELS) does not say enough
    vec_normalize: dict[str, Any] | None = None  # VecNormalize's kwargs for the training env (None: no VecNormalize)


@dataclass
class Comparison:
    """One figure's worth of runs: a task, its agents and budget, what to measure."""

    suite: str
    task: str  # file-name-safe label
    env_id: str
    agents: dict[str, Agent]
    budget: int
    eval_freq: int
    metrics: dict[str, str]  # metric column -> axis label (with units)
    reference: dict[str, tuple[float, str]] = field(default_factory=dict)  # metric -> (reference line, its label)
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> range its band is clipped to
    description: str = ""
    table_steps: tuple[int, ...] = ()  # steps at which summary.md tabulates every metric
    thresholds: dict[str, tuple[float, ...]] = field(default_factory=dict)  # metric -> values to reach (steps tabulated)
    stability: tuple[str, ...] = ()  # metrics whose per-seed drops and swings are tabulated
    env_kwargs: dict[str, Any] = field(default_factory=dict)  # overrides of the shipped entry's env_kwargs (Procgen)


def from_zoo(algo_class: str, file: str, env_id: str, source: str = "sb3_maxent", **overrides: Any) -> Agent:
    hyperparams = zoo_hyperparams(file, env_id, source)
    agent_source = hyperparams["_source"]
    kwargs = algorithm_kwargs(hyperparams) | overrides
    note = ", ".join(f"{key}={value}" for key, value in overrides.items())
    return Agent(algo_class, hyperparams["policy"], kwargs, int(hyperparams.get("n_envs", 1)), agent_source, note)


def classic_comparisons(budget: str) -> list[Comparison]:
    returns = {
        "eval_return": "episode return, deterministic policy",
        "eval_return_stochastic": "episode return, stochastic policy",
    }

    def steps(reduced: int) -> int:
        return {"tiny": 512, "reduced": reduced, "full": reduced}[budget]

    cartpole_maxent = from_zoo("MaxEntPPO", "maxent_ppo", "CartPole-v1")
    # RL Zoo's PPO settings are the MaxEntPPO entry without the max-ent term
    cartpole_ppo = from_zoo("PPO", "ppo", "CartPole-v1", source="rl_zoo3")
    pendulum_ppo = from_zoo("PPO", "ppo", "Pendulum-v1", source="rl_zoo3")
    comparisons = [
        Comparison(
            "classic",
            "cartpole",
            "CartPole-v1",
            {
                "PPO": cartpole_ppo,
                "MaxEntPPO": cartpole_maxent,
                "DQN": from_zoo("DQN", "dqn", "CartPole-v1", source="rl_zoo3"),
                "SoftQL": from_zoo("SoftQL", "softql", "CartPole-v1"),
            },
            steps(100_000),
            steps(100_000) // 20,
            returns,
            reference={"eval_return": (500.0, "maximum return (500)")},
            limits={"eval_return": (0.0, 500.0), "eval_return_stochastic": (0.0, 500.0)},
            description="PPO and DQN (RL Zoo's settings) against MaxEntPPO (beta 0.01) and SoftQL (alpha 0.3).",
        ),
        Comparison(
            "classic",
            "pendulum",
            "Pendulum-v1",
            {
                "SAC": from_zoo("SAC", "sac", "Pendulum-v1"),
                "DSPG": from_zoo("DSPG", "dspg", "Pendulum-v1"),
                "SoftQL": from_zoo("SoftQL", "softql", "Pendulum-v1"),
            },
            steps(20_000),
            steps(20_000) // 20,
            returns,
            limits={"eval_return": (-np.inf, 0.0), "eval_return_stochastic": (-np.inf, 0.0)},
            description="Off-policy continuous control: DSPG and SoftQL against SB3's SAC at SAC's Pendulum budget.",
        ),
        Comparison(
            "classic",
            "pendulum_onpolicy",
            "Pendulum-v1",
            {"PPO": pendulum_ppo, "MaxEntPPO": from_zoo("MaxEntPPO", "maxent_ppo", "Pendulum-v1")},
            steps(100_000),
            steps(100_000) // 20,
            returns,
            limits={"eval_return": (-np.inf, 0.0), "eval_return_stochastic": (-np.inf, 0.0)},
            description="On-policy continuous control: MaxEntPPO (beta 0.01) against PPO with RL Zoo's settings.",
        ),
    ]
    return comparisons


# Temperature of the multi-modal tasks, the same for every max-ent agent of a task
BANDIT_ENT_COEF = 0.1
MAZE_ENT_COEF = 0.03
MAZE_GAMMA = 0.99


@functools.cache
def maze_references() -> dict[str, tuple[float, str]]:
    """
    The reference lines of the maze's figures, from its exact soft-optimal policy at MAZE_ENT_COEF (soft value
    iteration): both passages equally often (the maze is mirror-symmetric), and the policy's exact mean episode length
    (the shortest path is 10).
    """
    from benchmarks import learning_envs

    spec = learning_envs.MazeSpec()
    length = spec.exact_episode_length(spec.exact_policy(MAZE_GAMMA, MAZE_ENT_COEF))
    return {
        "minority_share": (0.5, "exact max-ent optimum (0.5)"),
        "episode_length": (length, f"exact max-ent optimum ({length:.2f})"),
    }


def multimodal_comparisons(budget: str) -> list[Comparison]:
    bandit_steps = {"tiny": 200, "reduced": 3_000, "full": 3_000}[budget]
    maze_steps = {"tiny": 1_024, "reduced": 60_000, "full": 60_000}[budget]
    small = dict(net_arch=[64, 64])
    # 500 uniform random actions first, so that every agent's critic starts having seen both goals
    off_policy = dict(learning_rate=1e-3, batch_size=64, learning_starts=500, gradient_steps=1, train_freq=1)
    source = "benchmarks/learning.py (documented in docs/results.md)"
    bandit = {
        "SAC": Agent("SAC", "MlpPolicy", off_policy | dict(ent_coef=BANDIT_ENT_COEF, policy_kwargs=small), source=source),
        "DSPG": Agent(
            "DSPG",
            "MlpPolicy",
            off_policy | dict(ent_coef=BANDIT_ENT_COEF, actor_learning_rate=1e-3, n_action_samples=32, policy_kwargs=small),
            source=source,
        ),
        "SoftQL": Agent(
            "SoftQL",
            "MlpPolicy",
            off_policy | dict(ent_coef=BANDIT_ENT_COEF, tau=0.005, target_update_interval=1),
            source=source,
        ),
    }
    on_policy = dict(n_steps=128, batch_size=256, n_epochs=10, learning_rate=3e-4, gamma=MAZE_GAMMA, gae_lambda=0.95)
    q_learning = dict(
        learning_rate=1e-3,
        batch_size=64,
        buffer_size=50_000,
        learning_starts=1_000,
        train_freq=4,
        gradient_steps=1,
        target_update_interval=500,
        gamma=0.99,
        policy_kwargs=small,
    )
    maze = {
        "PPO": Agent("PPO", "MlpPolicy", on_policy | dict(ent_coef=0.0), n_envs=8, source=source),
        "PPO+ent": Agent("PPO", "MlpPolicy", on_policy | dict(ent_coef=0.01), n_envs=8, source=source, note="ent_coef=0.01"),
        "MaxEntPPO": Agent(
            "MaxEntPPO",
            "MlpPolicy",
            on_policy | dict(maxent_coef=MAZE_ENT_COEF, maxent_mode="one_step"),
            n_envs=8,
            source=source,
        ),
        "MaxEntPPO-soft": Agent(
            "MaxEntPPO",
            "MlpPolicy",
            on_policy | dict(maxent_coef=MAZE_ENT_COEF, maxent_mode="soft_returns"),
            n_envs=8,
            source=source,
        ),
        "DQN": Agent(
            "DQN", "MlpPolicy", q_learning | dict(exploration_fraction=0.2, exploration_final_eps=0.02), source=source
        ),
        "SoftQL": Agent("SoftQL", "MlpPolicy", q_learning | dict(ent_coef=MAZE_ENT_COEF), source=source),
    }
    return [
        Comparison(
            "multimodal",
            "bandit",
            "TwoGoalBandit",
            bandit,
            bandit_steps,
            bandit_steps // 15,
            {
                "minority_share": "share of the less-used goal",
                "mean_reward": "mean reward of the stochastic policy",
            },
            # the exact optimum: half of the actions at each goal; mean reward -alpha (each goal's bump is N(g, alpha/(2c) I))
            reference={
                "minority_share": (0.5, "exact max-ent optimum (0.5)"),
                "mean_reward": (-BANDIT_ENT_COEF, f"exact max-ent optimum (-{BANDIT_ENT_COEF})"),
            },
            limits={"minority_share": (0.0, 0.5), "mean_reward": (-np.inf, 0.0)},
            description=f"Two-goal continuous bandit, temperature {BANDIT_ENT_COEF} for all three: "
            "only SoftQL's sampler can keep both goals.",
        ),
        Comparison(
            "multimodal",
            "maze",
            "TwoPassageMaze",
            maze,
            maze_steps,
            maze_steps // 20,
            {
                "minority_share": "share of the less-used passage",
                "success": "share of episodes reaching the goal",
                "episode_length": "episode length (steps)",
            },
            reference=maze_references(),
            limits={"minority_share": (0.0, 0.5), "success": (0.0, 1.0), "episode_length": (10.0, 100.0)},
            description=f"Maze with two passages of equal length, temperature {MAZE_ENT_COEF} for the max-ent agents.",
        ),
    ]


# The on-policy max-ent paper's tuning protocol at the reduced budget: one seed per value, a logarithmic grid about a
# factor of 3 apart around its tuned values (beta in its own units, maxent_units="advantage")
FRUITBOT_MAXENT_GRID = (0.03, 0.1, 0.3, 1.0)
FRUITBOT_ENT_GRID = (0.003, 0.01, 0.03)
# The grid's best values (highest train reward over the last quarter of the tuning runs, docs/results.md), which the
# comparison runs with; the paper's tuned values were 0.3 (max-ent) and 0.01 (regularization)
FRUITBOT_TUNED_MAXENT_COEF = 0.03  # train reward -1.72 over the last quarter; 0.1: -1.77, 0.3: -2.16, 1.0: -2.27
FRUITBOT_TUNED_ENT_COEF = 0.01  # -1.63; 0.003: -1.88, 0.03: -1.66


# The CNN trunk's precision of the full-size FruitBot runs (float32: fast on every CPU, and a run continues on any
# machine; bfloat16 is 1.5x faster on CPUs with avx512_bf16 and about 12x slower on those without, which emulate it),
# and the precisions the train-procgen check compares
FRUITBOT_FULL_PRECISION = "float32"
CNN_PRECISIONS_MEASURED = ("float32", "bfloat16")
# the fastest micro-batch size per precision for a 2048-frame IMPALA update on a 2-core CPU (benchmarks/throughput.py)
FRUITBOT_MICRO_BATCH_SIZE = {"float32": 128, "bfloat16": 256}
# openai/train-procgen, train_procgen/results/easy-200-run{0,1,2}/progress-fruitbot-train.csv: eprewmean at 2.1M steps
TRAIN_PROCGEN_PPO_2M = 16.94


def fast_path_kwargs(precision: str) -> dict[str, Any]:
    """MaxEntPPO's arguments for the IMPALA CNN fast path: micro-batches and the trunk's precision."""
    return dict(
        micro_batch_size=FRUITBOT_MICRO_BATCH_SIZE[precision],
        policy_kwargs=dict(features_extractor_kwargs=dict(precision=precision)),
    )


def fruitbot_comparisons(budget: str) -> list[Comparison]:
    """
    The paper's Fig. 2-5 on FruitBot with the shipped entries (train-procgen's settings, docs/zoo.md): a tuning
    grid (``fruitbot_tuning``) and the comparison of PPO, PPO + the regularizer and MaxEntPPO (``fruitbot``).
    """
    ppo_entry = zoo_hyperparams("ppo", "procgen/fruitbot-v0")
    maxent_entry = zoo_hyperparams("maxent_ppo", "procgen/fruitbot-v0")
    if budget == "full":
        # The paper's size: the shipped entries as they are (IMPALA CNN, 64 envs x 256 steps, batch 2048, 3 epochs), on
        # the CNN fast path (micro-batches; the trunk's precision as FRUITBOT_FULL_PRECISION), every agent a MaxEntPPO
        # (maxent_coef=0: SB3's PPO, the bit-exact test) so that PPO gets the fast path too
        n_envs, policy = 64, "ImpalaCnnPolicy"
        overrides = fast_path_kwargs(FRUITBOT_FULL_PRECISION)
        steps, tuning_steps, eval_freq = int(float(maxent_entry["n_timesteps"])), 300_000, 100_000
    elif budget == "reduced":
        # CPU: SB3's NatureCNN (about a tenth of the IMPALA CNN's compute) and 16 envs x 256 steps in the paper's 8
        # minibatches, everything else as shipped
        n_envs, policy, overrides = 16, "CnnPolicy", dict(n_steps=256, batch_size=512)
        steps, tuning_steps, eval_freq = 1_000_000, 300_000, 50_000
    else:
        n_envs, policy, overrides = 2, "CnnPolicy", dict(n_steps=32, batch_size=8)
        steps, tuning_steps, eval_freq = 256, 256, 128

    def agent(algo: str, entry: dict[str, Any], label: str, **extra: Any) -> Agent:
        if budget == "full" and algo == "PPO":
            algo, extra = "MaxEntPPO", extra | dict(maxent_coef=0.0)
        kwargs = algorithm_kwargs(entry) | overrides | extra
        note = ", ".join(f"{key}={value}" for key, value in (overrides | extra).items())
        if budget != "full":
            note = f"policy={policy}, n_envs={n_envs}, " + note
        return Agent(algo, policy, kwargs, n_envs, entry["_source"], note, label, normalize_kwargs(entry))

    def regularized(ent_coef: float) -> Agent:
        return agent("PPO", ppo_entry, f"PPO + entropy reg. {ent_coef}", ent_coef=ent_coef)

    def maxent(maxent_coef: float) -> Agent:
        return agent("MaxEntPPO", maxent_entry, f"MaxEntPPO, beta {maxent_coef}", ent_coef=0.0, maxent_coef=maxent_coef)

    tuning = {f"PPO+ent{coef}": regularized(coef) for coef in FRUITBOT_ENT_GRID}
    tuning |= {f"MaxEntPPO-beta{coef}": maxent(coef) for coef in FRUITBOT_MAXENT_GRID}
    comparison = {
        "PPO": agent("PPO", ppo_entry, "PPO, no entropy term", ent_coef=0.0),
        "PPO+ent": regularized(FRUITBOT_TUNED_ENT_COEF),
        "MaxEntPPO": maxent(0.3),
    }
    if FRUITBOT_TUNED_MAXENT_COEF != 0.3:
        comparison["MaxEntPPO-tuned"] = maxent(FRUITBOT_TUNED_MAXENT_COEF)
    metrics = {
        "train_return": "train reward (last 100 episodes)",
        "test_return": "test reward (levels 500-999, stochastic policy)",
        "entropy": "policy entropy (nats, mean over the last rollout)",
    }
    # Our PPO against OpenAI's logged PPO2 runs (train-procgen's settings: 200 training levels, entropy regularization
    # 0.01), in float32 and with the bfloat16 trunk; only the training episodes are measured, as in the logs
    check = {
        f"PPO+ent-{precision}": agent(
            "PPO",
            ppo_entry,
            f"PPO + entropy reg. 0.01, {precision} trunk",
            ent_coef=0.01,
            **(fast_path_kwargs(precision) if budget == "full" else {}),
        )
        for precision in (CNN_PRECISIONS_MEASURED if budget == "full" else CNN_PRECISIONS_MEASURED[:1])
    }
    if budget == "full":
        # PPO2's value loss instead of SB3's (MaxEntPPO's value_clip_mode), Baselines' initialization of the IMPALA
        # trunk (ImpalaCnnPolicy's trunk_init), and both: PPO2 as train-procgen ran it, up to the max-pools' padding and
        # the framework. In float32, which every CPU runs fast (bfloat16 only those with avx512_bf16 or AMX)
        for name, description, value_clip_mode, policy_kwargs in (
            ("ppo2-value-loss", "PPO2's value loss", "ppo2", {}),
            ("baselines-init", "Baselines' initialization", "sb3", dict(trunk_init="glorot_uniform")),
            ("ppo2", "PPO2's value loss and initialization", "ppo2", dict(trunk_init="glorot_uniform")),
        ):
            kwargs = fast_path_kwargs("float32")
            kwargs["policy_kwargs"] |= policy_kwargs
            check[f"PPO+ent-float32-{name}"] = agent(
                "PPO",
                ppo_entry,
                f"PPO + entropy reg. 0.01, float32 trunk, {description}",
                ent_coef=0.01,
                value_clip_mode=value_clip_mode,
                **kwargs,
            )
    return [
        Comparison(
            "fruitbot",
            "fruitbot_train_procgen",
            "procgen/fruitbot-v0",
            check,
            steps,
            max(eval_freq // 3, 1),
            {key: metrics[key] for key in ("train_return", "entropy")},
            reference={"train_return": (TRAIN_PROCGEN_PPO_2M, "train-procgen PPO2 at 2.1M (mean of 3 runs)")},
            description=(
                "Our PPO (SB3's update, the IMPALA CNN fast path) at train-procgen's settings (64 x 256, entropy "
                "regularization 0.01, easy, 200 training levels) against the three logged PPO2 runs of "
                "'Leveraging Procedural Generation to Benchmark Reinforcement Learning' (Cobbe et al. 2020)."
            ),
            table_steps=(steps // 8, steps // 4, steps // 2, 3 * steps // 4, steps),
            env_kwargs=dict(num_levels=200),
        ),
        Comparison(
            "fruitbot",
            "fruitbot_tuning",
            "procgen/fruitbot-v0",
            tuning,
            tuning_steps,
            eval_freq // 2,
            metrics,
            description=(
                "The on-policy max-ent paper's tuning (its Fig. 2) at a reduced size: entropy regularization "
                f"{FRUITBOT_ENT_GRID} and max-ent beta {FRUITBOT_MAXENT_GRID} (the paper's units), one seed each."
            ),
        ),
        Comparison(
            "fruitbot",
            "fruitbot",
            "procgen/fruitbot-v0",
            comparison,
            steps,
            eval_freq,
            metrics,
            description=(
                "Fig. 3-5 of 'On-Policy Maximum Entropy Deep Reinforcement Learning': PPO without entropy term, "
                "with the tuned entropy regularization, and MaxEntPPO at the paper's beta 0.3 (and the tuned beta)."
            ),
            table_steps=(steps // 4, steps // 2, 3 * steps // 4, steps),  # the paper's claims are about 1M of its 2M
        ),
    ]


MUJOCO_TASKS = ("Hopper-v5", "HalfCheetah-v5", "Ant-v5", "Walker2d-v5")
# Returns whose first crossing summary.md reports (steps to reach them, per seed)
MUJOCO_THRESHOLDS = {
    "Hopper-v5": (1000.0, 2000.0, 3000.0),
    "HalfCheetah-v5": (1000.0, 3000.0, 5000.0),
    "Ant-v5": (1500.0, 2000.0, 3000.0),  # (standing still for 1000 steps earns about 1000)
    "Walker2d-v5": (500.0, 1000.0, 2000.0),
}
# What DSPG and SAC share in the reduced (100k-step) comparison: SB3 SAC's network, learning rate, Polyak tau and
# learned temperature, RL Zoo's 10k random warm-up steps, the DSPG paper's batch of 100 (it keeps the paper's M = 64
# affordable), one gradient step per env step (the paper's 4 cost 4x the CPU), float32 replay observations
MUJOCO_SHARED = dict(
    policy_kwargs=dict(net_arch=[256, 256]),
    learning_rate=3e-4,
    batch_size=100,
    buffer_size=1_000_000,
    learning_starts=10_000,
    tau=0.005,
    gamma=0.99,
    train_freq=1,
    gradient_steps=1,
    ent_coef="auto",
    target_entropy="auto",
)


def mujoco_comparisons(budget: str) -> list[Comparison]:
    from sb3_maxent.common.buffers import Float32ReplayBuffer

    comparisons = []
    for env_id in MUJOCO_TASKS:
        if budget == "full":
            steps, eval_freq = 3_000_000, 50_000  # the DSPG paper's budget (its Table 1)
            agents = {
                "DSPG": from_zoo("DSPG", "dspg", env_id),
                "SoftQL": from_zoo("SoftQL", "softql", env_id),
                "SAC": from_zoo("SAC", "sac", env_id),
            }
        else:
            steps, eval_freq = (100_000, 5_000) if budget == "reduced" else (300, 100)
            shared = dict(MUJOCO_SHARED)
            if budget == "tiny":
                shared |= dict(learning_starts=100, policy_kwargs=dict(net_arch=[32, 32]))
            # DSPG keeps the paper's own knobs (M = 64, the actor's learning rate and the task's clipping norm, from
            # the shipped entry) except the number of gradient steps; SoftQL keeps its paper's settings
            paper = zoo_hyperparams("dspg", env_id)
            dspg_own = {key: paper[key] for key in ("n_action_samples", "actor_learning_rate", "max_grad_norm")}
            source = "benchmarks/learning.py MUJOCO_SHARED"
            agents = {
                "DSPG": Agent(
                    "DSPG",
                    "MlpPolicy",
                    shared | dspg_own | dict(replay_buffer_class=Float32ReplayBuffer),
                    source=f"{source} + {paper['_source']} (n_action_samples, actor_learning_rate, max_grad_norm)",
                    note="the paper's 4 gradient steps per env step -> 1",
                ),
                "SAC": Agent("SAC", "MlpPolicy", shared | dict(replay_buffer_class=Float32ReplayBuffer), source=source),
                "SoftQL": from_zoo(
                    "SoftQL",
                    "softql",
                    env_id,
                    learning_starts=shared["learning_starts"],
                    replay_buffer_class=Float32ReplayBuffer,
                ),
            }
        comparisons.append(
            Comparison(
                "mujoco",
                env_id.split("-")[0].lower(),
                env_id,
                agents,
                steps,
                eval_freq,
                {"eval_return": "episode return, deterministic policy (5 episodes)"},
                description=(
                    "Fig. 1 / Table 1 of Shi, Song and Wu (2019), 'Soft Policy Gradient Method for Maximum Entropy Deep "
                    f"Reinforcement Learning', on {env_id}: DSPG vs SB3's SAC"
                    + (
                        " with the same network, batch, critic learning rate, warm-up and learned temperature"
                        if budget != "full"
                        else ""
                    )
                    + ", and SoftQL."
                ),
                thresholds={"eval_return": MUJOCO_THRESHOLDS[env_id]},
                stability=("eval_return",),
            )
        )
    return comparisons


SUITES: dict[str, Callable[[str], list[Comparison]]] = {
    "classic": classic_comparisons,
    "multimodal": multimodal_comparisons,
    "fruitbot": fruitbot_comparisons,
    "mujoco": mujoco_comparisons,
}


# ---------------------------------------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------------------------------------


def algo_class(name: str) -> type:
    import stable_baselines3

    import sb3_maxent

    return getattr(sb3_maxent, name) if hasattr(sb3_maxent, name) else getattr(stable_baselines3, name)


def resolve_policy(agent: Agent) -> Any:
    """The policy argument: SB3's PPO has no ``ImpalaCnnPolicy`` alias, so it gets the class (as ppo.yml's dotted path)."""
    if agent.policy == "ImpalaCnnPolicy" and agent.algo == "PPO":
        from sb3_maxent.common.policies import ImpalaCnnPolicy

        return ImpalaCnnPolicy
    return agent.policy


def make_envs(
    comparison: Comparison, agent: Agent, seed: int, tiny: bool
) -> tuple[Any, Any, Callable[[Any], dict[str, float]]]:
    """
    The training env, the evaluation env (``None`` where each evaluation makes its own, seeded) and the evaluation
    function of a comparison.
    """
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecNormalize

    from benchmarks import learning_envs

    if comparison.env_id == "TwoGoalBandit":
        env = make_vec_env(learning_envs.TwoGoalBandit, n_envs=agent.n_envs, seed=seed)
        return env, None, lambda model: learning_envs.evaluate_bandit(model)[0]
    if comparison.env_id == "TwoPassageMaze":
        n_episodes = 20 if tiny else 100
        env = make_vec_env(learning_envs.make_two_passage_maze, n_envs=agent.n_envs, seed=seed)
        return env, None, lambda model: learning_envs.evaluate_maze(model, n_episodes=n_episodes, seed=seed + 1000)
    if comparison.suite == "fruitbot":
        from sb3_maxent.envs import make_procgen_vec_env

        # the shipped entry's levels (train-procgen's: easy, training levels 0-499, evaluation on 500-999)
        entry, game = zoo_hyperparams("maxent_ppo", comparison.env_id), comparison.env_id.split("/")[1].split("-")[0]
        env_kwargs = entry["env_kwargs"] | comparison.env_kwargs
        env = make_procgen_vec_env(game, agent.n_envs, seed=seed, num_threads=1, **env_kwargs)
        n_eval_envs, n_episodes = (2, 2) if tiny else (16, 32)
        eval_env = make_procgen_vec_env(game, n_eval_envs, seed=seed + 1000, num_threads=1, **entry["eval_env_kwargs"])
        metrics = {"test_return": False}  # the Procgen paper's evaluation: the stochastic policy
    else:
        env = make_vec_env(comparison.env_id, n_envs=agent.n_envs, seed=seed)
        n_episodes = 2 if tiny else 5
        eval_env = make_vec_env(comparison.env_id, n_envs=n_episodes, seed=seed + 1000)
        metrics = {"eval_return": True, "eval_return_stochastic": False}
    if agent.vec_normalize is not None:
        env = VecNormalize(env, **agent.vec_normalize)

    def evaluate(model: Any) -> dict[str, float]:
        results = {}
        for key, deterministic in metrics.items():
            if key in comparison.metrics:
                returns, _ = evaluate_policy(
                    model, eval_env, n_eval_episodes=n_episodes, deterministic=deterministic, return_episode_rewards=True
                )
                results[key] = float(np.mean(returns))
        return results

    return env, eval_env, evaluate


def policy_entropy(model: Any, observations: np.ndarray, chunk: int = 1024) -> float:
    """Mean entropy (nats) of the policy's action distribution on a batch of observations (no gradient)."""
    import torch as th

    entropies = []
    with th.no_grad():
        for start in range(0, len(observations), chunk):
            obs_tensor, _ = model.policy.obs_to_tensor(observations[start : start + chunk])
            entropies.append(model.policy.get_distribution(obs_tensor).entropy().cpu().numpy())
    return float(np.concatenate(entropies).mean())


def reset_peak_memory() -> None:
    """Start the process's peak resident memory afresh (Linux; elsewhere the peak stays the process's)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size


def peak_memory_mb() -> float:
    """Peak resident memory (MiB) since the last :func:`reset_peak_memory`, or of the process."""
    try:
        return proc_status_mb("VmHWM")
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux units (KiB); macOS reports bytes


class LearningCurve(BaseCallback):
    """
    Evaluates at 0, eval_freq, 2 eval_freq, ... steps and writes each row as it comes, and calls
    ``checkpoint(callback)`` between two rollouts once every ``checkpoint_freq`` steps (0: never).
    """

    def __init__(
        self,
        evaluate: Callable[[Any], dict[str, float]],
        eval_freq: int,
        partial_path: Path,
        want_entropy: bool,
        checkpoint: Callable[[Any], None] | None = None,
        checkpoint_freq: int = 0,
    ) -> None:
        super().__init__()
        self.evaluate, self.eval_freq, self.partial_path = evaluate, eval_freq, partial_path
        self.want_entropy, self.checkpoint, self.checkpoint_freq = want_entropy, checkpoint, checkpoint_freq
        self.rows: list[dict[str, Any]] = []
        self.next_eval = 0
        self.next_checkpoint = checkpoint_freq
        self.n_checkpoints = 0
        self.overhead_seconds = 0.0  # evaluations and checkpoints, left out of train_seconds
        self.start = 0.0
        self.entropy = float("nan")

    def progress(self) -> dict[str, Any]:
        """What a checkpoint keeps of the curve; ``restore(progress)`` continues it."""
        return {
            "rows": self.rows,
            "next_eval": self.next_eval,
            "next_checkpoint": self.next_checkpoint,
            "n_checkpoints": self.n_checkpoints,
            "entropy": self.entropy,
            "train_seconds": time.perf_counter() - self.start - self.overhead_seconds,
        }

    def restore(self, progress: dict[str, Any]) -> None:
        for key in ("rows", "next_eval", "next_checkpoint", "n_checkpoints", "entropy"):
            setattr(self, key, progress[key])
        self.start = time.perf_counter() - progress["train_seconds"]
        self.overhead_seconds = 0.0

    def record(self, timesteps: int) -> None:
        eval_start = time.perf_counter()
        ep_info_buffer = self.model.ep_info_buffer
        row = {
            "timesteps": timesteps,
            "num_timesteps": self.model.num_timesteps,
            "train_seconds": eval_start - self.start - self.overhead_seconds,
            "train_return": float(np.mean([info["r"] for info in ep_info_buffer])) if ep_info_buffer else float("nan"),
        }
        if self.want_entropy:
            row["entropy"] = self.entropy
        row |= self.evaluate(self.model)
        # the run's peak resident memory so far (resumed runs: the largest of their processes')
        peak = max([peak_memory_mb()] + [previous.get("peak_rss_mb", 0.0) for previous in self.rows])
        row["peak_rss_mb"] = round(peak, 1)
        self.rows.append(row)
        pd.DataFrame(self.rows).to_csv(self.partial_path, index=False)
        self.overhead_seconds += time.perf_counter() - eval_start

    def _on_training_start(self) -> None:
        if not self.rows:  # (a resumed run keeps the clock of its checkpoint)
            self.start = time.perf_counter()

    def _on_step(self) -> bool:
        while self.num_timesteps >= self.next_eval:
            self.record(self.next_eval)
            self.next_eval += self.eval_freq
        return True

    def _on_rollout_start(self) -> None:
        # between two rollouts: the last update is done, the next rollout has not started
        if self.checkpoint is None or self.checkpoint_freq <= 0 or self.num_timesteps < self.next_checkpoint:
            return
        while self.next_checkpoint <= self.num_timesteps:
            self.next_checkpoint += self.checkpoint_freq
        self.n_checkpoints += 1
        checkpoint_start = time.perf_counter()
        self.checkpoint(self)
        self.overhead_seconds += time.perf_counter() - checkpoint_start

    def _on_rollout_end(self) -> None:
        buffer = getattr(self.model, "rollout_buffer", None)
        if not self.want_entropy or buffer is None:
            return
        # only for the rollouts whose entropy an evaluation will record: one is due before the next rollout
        # ends, or training is over (the last row is recorded after it)
        next_rollout_end = self.num_timesteps + buffer.buffer_size * buffer.n_envs
        if next_rollout_end >= self.next_eval or self.num_timesteps >= self.model._total_timesteps:
            observations = buffer.observations.reshape(-1, *buffer.obs_shape)
            self.entropy = policy_entropy(self.model, observations)


def run_spec(job: dict[str, Any], comparison: Comparison, agent: Agent) -> dict[str, Any]:
    """What a run is: a checkpoint continues only a run with the same spec."""
    spec = {key: job[key] for key in ("suite", "budget", "task", "agent", "seed", "device")}
    return spec | {"budget_steps": comparison.budget, "agent_settings": describe_agent(agent)}


def run_one(job: dict[str, Any]) -> tuple[str, str]:
    """
    Train one agent on one task with one seed and write its learning curve; return (path, error or "").

    With ``job["checkpoint_dir"]``, the run checkpoints itself every ``job["checkpoint_freq"]`` steps there
    (see ``resume.py``), continues from its last checkpoint when started again, and leaves its final model there.
    """
    import torch as th

    th.set_num_threads(job["threads"])
    reset_peak_memory()  # (several runs may share this process)
    warnings.filterwarnings("ignore", message=".*Gym has been unmaintained.*")
    output = Path(job["output"])
    partial = output.with_suffix(".partial.csv")
    try:
        from benchmarks import resume

        comparison = next(c for c in SUITES[job["suite"]](job["budget"]) if c.task == job["task"])
        agent = comparison.agents[job["agent"]]
        env, eval_env, evaluate = make_envs(comparison, agent, job["seed"], job["budget"] == "tiny")
        # the tiny budget is a smoke test: 5 evaluations are enough
        eval_freq = max(comparison.budget // 4, 1) if job["budget"] == "tiny" else comparison.eval_freq
        checkpoint_dir = Path(job["checkpoint_dir"]) / output.stem if job.get("checkpoint_dir") else None
        spec = run_spec(job, comparison, agent)

        def checkpoint(curve: Any) -> None:
            assert checkpoint_dir is not None
            resume.save_checkpoint(checkpoint_dir, curve.model, env, eval_env, curve.progress(), spec)
            resume.kill_after_checkpoint(curve.n_checkpoints)

        callback = LearningCurve(
            evaluate,
            eval_freq,
            partial,
            "entropy" in comparison.metrics,
            checkpoint if checkpoint_dir else None,
            job.get("checkpoint_freq") or eval_freq,
        )
        state = resume.find_checkpoint(checkpoint_dir, spec) if checkpoint_dir else None
        if state is None:
            kwargs = copy.deepcopy(agent.kwargs)  # SB3 adds keys to policy_kwargs
            model = algo_class(agent.algo)(
                resolve_policy(agent), env, seed=job["seed"], device=job["device"], verbose=0, **kwargs
            )
        else:
            assert checkpoint_dir is not None
            model = resume.load_checkpoint(checkpoint_dir, state, algo_class(agent.algo), env, eval_env, job["device"])
            callback.restore(state["progress"])
            print(f"{output.stem}: resumed at step {model.num_timesteps} from {checkpoint_dir}", flush=True)
        model.learn(comparison.budget - model.num_timesteps, callback=callback, reset_num_timesteps=state is None)
        if callback.rows[-1]["timesteps"] < comparison.budget:
            callback.record(comparison.budget)
        if comparison.env_id == "TwoGoalBandit":  # the final actions, for the scatter plot
            from benchmarks import learning_envs

            _, actions = learning_envs.evaluate_bandit(model, n_samples=500)
            pd.DataFrame(actions, columns=["a1", "a2"]).to_csv(output.with_suffix(".actions.csv"), index=False)
        frame = pd.DataFrame(callback.rows)
        for key, value in (("task", job["task"]), ("agent", job["agent"]), ("seed", job["seed"])):
            frame.insert(0, key, value)
        frame.to_csv(output, index=False)
        partial.unlink(missing_ok=True)
        if checkpoint_dir is not None:  # the trained agent stays (final_model.zip, and its VecNormalize statistics)
            resume.finish(checkpoint_dir, model)
        env.close()
        if eval_env is not None:
            eval_env.close()
        return str(output), ""
    except Exception:  # one failed run must not stop the others; the error is reported at the end
        return str(output), traceback.format_exc()


# ---------------------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A value of the settings, for JSON (and for comparing settings: no memory addresses)."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def describe_agent(agent: Agent) -> dict[str, Any]:
    return {
        "algo": agent.algo,
        "policy": agent.policy,
        "n_envs": agent.n_envs,
        "settings_from": agent.source,
        "changed_from_file": agent.note,
        "kwargs": jsonable(agent.kwargs),
        "vec_normalize": agent.vec_normalize,
    }


def describe(comparisons: list[Comparison]) -> dict[str, Any]:
    return {
        comparison.task: {
            "env_id": comparison.env_id,
            "budget_steps": comparison.budget,
            "eval_every_steps": comparison.eval_freq,
            "description": comparison.description,
            "agents": {name: describe_agent(agent) for name, agent in comparison.agents.items()},
        }
        for comparison in comparisons
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.learning", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("suite", nargs="?", choices=sorted(SUITES), help="which comparison to run")
    parser.add_argument("--budget", choices=BUDGETS, default="reduced", help="tiny (smoke test), reduced (CPU), full (papers)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="random seeds (one run per seed)")
    parser.add_argument("--tasks", nargs="+", help="subset of the suite's tasks (default: all)")
    parser.add_argument("--agents", nargs="+", help="subset of the agents (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--device", default="cpu", help="torch device of the runs (cuda for the full budget)")
    parser.add_argument(
        "--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, help="results go to <output-dir>/<suite>-<budget>/"
    )
    parser.add_argument("--band", choices=["std", "ci95"], default="std", help="band of the plots: std over seeds or 95%% CI")
    parser.add_argument("--overwrite", action="store_true", help="rerun runs whose CSV exists (and drop their checkpoints)")
    parser.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=DEFAULT_CHECKPOINT_DIR,
        help="each run checkpoints itself in <checkpoint-dir>/<suite>-<budget>/<run>/ and continues from there when "
        "started again with the same arguments; its trained agent stays there (final_model.zip)",
    )
    parser.add_argument(
        "--checkpoint-every", type=int, default=0, help="steps between checkpoints (default: the evaluation interval)"
    )
    parser.add_argument("--no-checkpoints", action="store_true", help="neither write nor resume from checkpoints")
    parser.add_argument("--plot-only", action="store_true", help="only rebuild curves.csv, the tables and the figures")
    parser.add_argument(
        "--print-commands",
        action="store_true",
        help="print one independent command per unfinished run (for GNU parallel, a Slurm array, Ray...) and exit; "
        "gather the results with --plot-only",
    )
    parser.add_argument("--list", action="store_true", help="print the suites, tasks, agents and settings, and exit")
    args = parser.parse_args(argv)
    if args.suite is None and not args.list:
        parser.error("give a suite (classic, multimodal, fruitbot, mujoco) or --list")
    if args.jobs < 1 or args.threads < 1:
        parser.error("--jobs and --threads must be >= 1")
    if args.checkpoint_every < 0:
        parser.error("--checkpoint-every must be >= 0")
    return args


def select_comparisons(args: argparse.Namespace) -> list[Comparison]:
    """The suite's comparisons that ``--tasks`` selects; unknown tasks or agents stop with the known ones."""
    comparisons = SUITES[args.suite](args.budget)
    if args.tasks:
        known = {c.task: c for c in comparisons} | {c.env_id: c for c in comparisons}
        unknown = [task for task in args.tasks if task not in known]
        if unknown:
            raise SystemExit(f"unknown task(s) {unknown} for {args.suite}: {sorted(c.task for c in comparisons)}")
        comparisons = [c for c in comparisons if c.task in args.tasks or c.env_id in args.tasks]
    if args.agents:
        all_agents = {name for c in comparisons for name in c.agents}
        unknown = sorted(set(args.agents) - all_agents)
        if unknown:
            raise SystemExit(f"unknown agent(s) {unknown}: {sorted(all_agents)}")
    return comparisons


def build_jobs(
    args: argparse.Namespace, comparisons: list[Comparison], per_seed: Path, checkpoint_dir: Path | None
) -> list[dict[str, Any]]:
    """One job per (task, agent, seed) whose curve is not written yet (all of them with ``--overwrite``)."""
    jobs = []
    for comparison in comparisons:
        for name in comparison.agents:
            if args.agents and name not in args.agents:
                continue
            for seed in args.seeds:
                output = per_seed / f"{comparison.task}__{name}__seed{seed}.csv"
                if output.exists() and not args.overwrite:
                    continue
                if args.overwrite and checkpoint_dir is not None:
                    shutil.rmtree(checkpoint_dir / output.stem, ignore_errors=True)
                jobs.append(
                    dict(
                        suite=args.suite,
                        budget=args.budget,
                        task=comparison.task,
                        agent=name,
                        seed=seed,
                        output=str(output),
                        threads=args.threads,
                        device=args.device,
                        checkpoint_dir=None if checkpoint_dir is None else str(checkpoint_dir),
                        checkpoint_freq=args.checkpoint_every,
                    )
                )
    return jobs


def job_command(args: argparse.Namespace, job: dict[str, Any]) -> str:
    """The command that runs one job alone (for GNU parallel, a Slurm array, Ray: ``--print-commands``)."""
    command = f"python -m benchmarks.learning {job['suite']} --budget {job['budget']} --tasks {job['task']}"
    command += f" --agents {job['agent']} --seeds {job['seed']} --device {job['device']} --threads {job['threads']}"
    command += f" --output-dir {args.output_dir}"
    if job["checkpoint_dir"] is None:
        return command + " --no-checkpoints"
    return command + f" --checkpoint-dir {args.checkpoint_dir} --checkpoint-every {args.checkpoint_every}"


def write_config(args: argparse.Namespace, argv: list[str] | None, out_dir: Path) -> None:
    """``config.json``: every command that wrote into the directory, the versions, every agent's settings."""
    import stable_baselines3
    import torch as th

    import sb3_maxent

    config_path = out_dir / "config.json"
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    command = "python -m benchmarks.learning " + " ".join(argv if argv is not None else sys.argv[1:])
    # a suite can be run in parts: keep every command that wrote into this directory (once: resuming repeats one)
    commands = config.pop("commands", [config.pop("command")] if "command" in config else [])
    config |= {
        "commands": [*commands, command] if command not in commands else commands,
        "versions": {
            "python": platform.python_version(),
            "torch": th.__version__,
            "stable_baselines3": stable_baselines3.__version__,
            "sb3_maxent": sb3_maxent.__version__,
        },
        "comparisons": describe(SUITES[args.suite](args.budget)),
    }
    config_path.write_text(json.dumps(config, indent=1) + "\n")


def run_jobs(args: argparse.Namespace, jobs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """Run the jobs, ``--jobs`` at a time (one process each beyond 1); return the failed ones with their errors."""
    failures = []
    start = time.perf_counter()

    def report(job: dict[str, Any], error: str) -> None:
        status = "FAILED" if error else "done"
        elapsed = time.perf_counter() - start
        print(f"[{elapsed:7.0f} s] {status}: {job['task']} {job['agent']} seed {job['seed']}", flush=True)
        if error:
            print(error, file=sys.stderr, flush=True)
            failures.append((job, error))

    if args.jobs == 1:
        for job in jobs:
            report(job, run_one(job)[1])
        return failures
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_one, job): job for job in jobs}
        for future in as_completed(futures):
            report(futures[future], future.result()[1])
    return failures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", message=".*Gym has been unmaintained.*")
    if args.list:
        for suite in [args.suite] if args.suite else sorted(SUITES):
            print(json.dumps({suite: describe(SUITES[suite](args.budget))}, indent=1))
        return 0

    from benchmarks import plotting

    out_dir = args.output_dir / f"{args.suite}-{args.budget}"
    per_seed = out_dir / "per_seed"
    per_seed.mkdir(parents=True, exist_ok=True)
    checkpoint_dir = None if args.no_checkpoints else args.checkpoint_dir / f"{args.suite}-{args.budget}"
    jobs = build_jobs(args, select_comparisons(args), per_seed, checkpoint_dir)
    if args.print_commands:
        for job in jobs:
            print(job_command(args, job))
        return 0

    failures = []
    if not args.plot_only and jobs:
        write_config(args, argv, out_dir)
        print(f"{len(jobs)} run(s), {args.jobs} at a time -> {out_dir}", flush=True)
        failures = run_jobs(args, jobs)

    written = plotting.write_suite_outputs(out_dir, SUITES[args.suite](args.budget), band=args.band)
    for path in written:
        print(f"wrote {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

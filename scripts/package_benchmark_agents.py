"""
Package the best agents of the benchmark comparisons (``benchmarks/learning.py``) as Hugging Face Hub repositories in
``agents/`` (a folder of the source repository, not of the wheel), and push them when a network is there.

For each agent below, the seed with the best mean over the last quarter of its run (its selection metric) is taken
from ``docs/results/<suite>-<budget>/per_seed/`` and its trained model (``final_model.zip``, with the
``VecNormalize`` statistics) from the run's checkpoint folder. The repository folder is then written with the zoo's
own code paths only:

1. ``python -m rl_zoo3.train`` with the agent's exact settings (one entry, written from the benchmark's settings, as
   ``-conf``) for a single rollout, which writes the zoo's log folder (``config.yml``, ``args.yml``,
   ``vecnormalize.pkl``); the trained model and statistics of the benchmark run replace the zoo's;
2. ``python -m sb3_maxent.zoo.push_to_hub --dry-run``: the zoo's evaluation (10 episodes), model card and folder;
3. the folder is trimmed to what ``rl_zoo3.load_from_hub`` downloads, and the card gets an sb3-maxent section: the
   exact training command, the package version, the evaluation and the run's own curve.

Usage::

    python -m scripts.package_benchmark_agents                       # every agent whose runs are finished
    python -m scripts.package_benchmark_agents maxent_ppo-procgen-fruitbot-v0
    python -m scripts.package_benchmark_agents --push <organization>  # upload agents/* (needs a network and a token)
"""

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from scripts.train_hub_agents import package_log_folder, run_command

REPO_ROOT = Path(__file__).resolve().parent.parent
AGENTS_DIR = REPO_ROOT / "agents"
RESULTS_DIR = REPO_ROOT / "docs" / "results"
CHECKPOINT_DIR = REPO_ROOT / "runs" / "checkpoints"


@dataclass
class BenchmarkAgent:
    """One agent of a benchmark comparison to package."""

    algo: str  # zoo alias
    suite: str
    budget: str
    task: str
    agent: str  # the agent's name in the comparison
    metric: str  # selection: best mean over the last quarter of the run
    stochastic: bool  # evaluation with the stochastic policy (Procgen, as the paper's) or the deterministic one
    env_kwargs: dict[str, Any] | None = None  # the training env's kwargs, written to args.yml (the zoo evaluates on them)
    results_name: str = ""  # the results folder, if not <suite>-<budget>


AGENTS = {
    "maxent_ppo-procgen-fruitbot-v0": BenchmarkAgent(
        "maxent_ppo",
        "fruitbot",
        "reduced",
        "fruitbot",
        "MaxEntPPO",
        "test_return",
        stochastic=True,
        env_kwargs=dict(distribution_mode="easy", num_levels=500, start_level=0),
    ),
    **{
        f"dspg-{env_id}": BenchmarkAgent(
            "dspg", "mujoco", "reduced", env_id.split("-")[0].lower(), "DSPG", "eval_return", False
        )
        for env_id in ("Hopper-v5", "HalfCheetah-v5", "Walker2d-v5", "Ant-v5")
    },
}


def zoo_value(value: Any) -> Any:
    """A setting as an RL Zoo file writes it (policy_kwargs and friends as ``dict(...)`` strings)."""
    if isinstance(value, dict):
        return "dict(" + ", ".join(f"{key}={item!r}" for key, item in value.items()) + ")"
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    raise ValueError(f"cannot write {value!r} into an RL Zoo file")


def zoo_entry(spec: BenchmarkAgent, comparison: Any) -> dict[str, Any]:
    """The RL Zoo entry of the benchmark agent: its exact settings, the env keys of the shipped entry."""
    from benchmarks import learning

    agent = comparison.agents[spec.agent]
    shipped = learning.zoo_hyperparams(spec.algo, comparison.env_id)
    entry = {key: shipped[key] for key in ("env_kwargs", "eval_env_kwargs", "vec_env_wrapper") if key in shipped}
    entry |= {"policy": agent.policy, "n_envs": agent.n_envs, "n_timesteps": comparison.budget}
    if agent.vec_normalize is not None:
        entry["normalize"] = zoo_value(agent.vec_normalize)
    entry |= {key: zoo_value(value) for key, value in agent.kwargs.items()}
    return entry


def best_run(spec: BenchmarkAgent) -> tuple[int, pd.DataFrame, Path, int, dict[int, float]]:
    """
    (seed, curve, checkpoint folder) of the finished run with the best mean of the metric over its last quarter among
    the runs whose final model is in the checkpoint folder, the number of those runs, and the seeds that finished
    without their model here (seed -> their last-quarter mean: the card names them, so that "the best of N" is true).
    """
    results = RESULTS_DIR / (spec.results_name or f"{spec.suite}-{spec.budget}") / "per_seed"
    candidates, without_model = [], {}
    for path in sorted(results.glob(f"{spec.task}__{spec.agent}__seed*.csv")):
        if path.name.endswith(".partial.csv"):
            continue
        curve = pd.read_csv(path)
        last_quarter = curve[curve.timesteps >= 0.75 * curve.timesteps.max()]
        score, seed = float(last_quarter[spec.metric].mean()), int(curve.seed.iloc[0])
        checkpoint = CHECKPOINT_DIR / f"{spec.suite}-{spec.budget}" / path.stem
        if not (checkpoint / "final_model.zip").is_file():
            print(f"{path.stem}: no final model in {checkpoint}, skipped")
            without_model[seed] = score
            continue
        candidates.append((score, seed, curve, checkpoint))
    if not candidates:
        raise FileNotFoundError(f"no finished run of {spec.agent} on {spec.task} with its final model ({results})")
    _, seed, curve, checkpoint = max(candidates, key=lambda candidate: candidate[0])
    return seed, curve, checkpoint, len(candidates), without_model


def card_section(
    repo_name: str,
    spec: BenchmarkAgent,
    comparison: Any,
    seed: int,
    n_seeds: int,
    without_model: dict[int, float],
    curve: pd.DataFrame,
    results: dict,
) -> str:
    import sb3_maxent

    final = curve.iloc[-1]
    metrics = ", ".join(f"{metric} {final[metric]:.2f}" for metric in comparison.metrics if metric in curve)
    evaluation = "stochastic" if spec.stochastic else "deterministic"
    stochastic = " --stochastic" if spec.stochastic else ""
    levels = f" (env kwargs {spec.env_kwargs})" if spec.env_kwargs else ""
    if n_seeds > 1:
        chosen = f"the best of {n_seeds} seeds by the mean {spec.metric} over the last quarter of the run"
    else:
        chosen = "the only seed run so far" if not without_model else "the only seed whose model was kept"
    if without_model:
        others = ", ".join(f"seed {other} at {score:.2f}" for other, score in sorted(without_model.items()))
        its = "its trained model was" if len(without_model) == 1 else "their trained models were"
        chosen += f"; {others} on the same measure finished too, but {its} not kept"
    return f"""
## sb3-maxent

Trained with sb3-maxent {sb3_maxent.__version__} (`{comparison.agents[spec.agent].algo}`) in the benchmark comparison
"{comparison.description}" ({comparison.budget:,} steps, seed {seed}, {chosen}). The exact training command, from
a clone of the sb3-maxent repository:

```bash
python -m benchmarks.learning {spec.suite} --budget {spec.budget} --tasks {spec.task} --agents {spec.agent} --seeds {seed}
```

`config.yml` holds the same settings as an RL Zoo entry (`python -m rl_zoo3.train --algo {spec.algo} --env
{comparison.env_id} -conf <a file with that entry>`; install `pip install "sb3-maxent[zoo]"` first). At the end of
training the benchmark measured: {metrics}.

Evaluation above: RL Zoo's, {results["n_eval_episodes"]} {evaluation} episodes{levels}:
**{results["mean_reward"]:.2f} +/- {results["std_reward"]:.2f}**. Replay it with:

```bash
python -m rl_zoo3.enjoy --algo {spec.algo} --env {comparison.env_id} -f logs/ --no-render{stochastic}
```

This repository was packaged by `scripts/package_benchmark_agents.py {repo_name}` (sb3-maxent's source repository).
"""


def package(repo_name: str) -> dict[str, Any]:
    from benchmarks import learning

    spec = AGENTS[repo_name]
    comparison = next(c for c in learning.SUITES[spec.suite](spec.budget) if c.task == spec.task)
    seed, curve, checkpoint, n_seeds, without_model = best_run(spec)
    env_id = comparison.env_id
    env_name = env_id.replace("/", "-")
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        (work / "entry.yml").write_text(yaml.safe_dump({env_id: zoo_entry(spec, comparison)}, sort_keys=True))
        train = [sys.executable, "-m", "rl_zoo3.train", "--algo", spec.algo, "--env", env_id, "-conf", "entry.yml"]
        train += ["-n", "1", "-f", "logs", "--eval-freq", "-1", "--verbose", "0", "--num-threads", "1", "--seed", str(seed)]
        if spec.env_kwargs:
            train += ["--env-kwargs", *(f"{key}:{value!r}" for key, value in spec.env_kwargs.items())]
        run_command(train, cwd=work)
        log = work / "logs" / spec.algo / f"{env_name}_1"
        # the benchmark's trained agent replaces the zoo's one-rollout model; args.yml says how long it trained
        shutil.copyfile(checkpoint / "final_model.zip", log / f"{env_name}.zip")
        if (checkpoint / "vecnormalize.pkl").is_file():
            shutil.copyfile(checkpoint / "vecnormalize.pkl", log / env_name / "vecnormalize.pkl")
        args_path = log / env_name / "args.yml"
        args = yaml.load(args_path.read_text(), Loader=yaml.UnsafeLoader)
        args["n_timesteps"] = comparison.budget
        args_path.write_text(yaml.dump(args))
        target = AGENTS_DIR / repo_name
        results = package_log_folder(work, spec.algo, env_id, target, stochastic=spec.stochastic)
    with open(target / "README.md", "a") as card:
        card.write(card_section(repo_name, spec, comparison, seed, n_seeds, without_model, curve, results))
    size = sum(path.stat().st_size for path in target.iterdir())
    print(f"{repo_name}: seed {seed}, {results['mean_reward']:.2f} +/- {results['std_reward']:.2f}, {size / 1e6:.1f} MB")
    return results


def push(organization: str) -> None:
    from huggingface_hub import HfApi

    api = HfApi()
    for folder in sorted(path for path in AGENTS_DIR.iterdir() if path.is_dir()):
        repo_id = f"{organization}/{folder.name}"
        api.create_repo(repo_id, exist_ok=True)
        api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message="sb3-maxent benchmark agent")
        print(f"pushed {folder} to https://huggingface.co/{repo_id}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("agents", nargs="*", help=f"agents to package, among {', '.join(AGENTS)} (default: all finished)")
    parser.add_argument("--push", metavar="ORGANIZATION", help="upload every folder of agents/ to <organization>/<name>")
    args = parser.parse_args()
    if args.push:
        push(args.push)
        return
    unknown = sorted(set(args.agents) - set(AGENTS))
    if unknown:
        parser.error(f"unknown agents {unknown}: choose among {', '.join(AGENTS)}")
    for repo_name in args.agents or AGENTS:
        try:
            package(repo_name)
        except FileNotFoundError as error:
            if args.agents:
                raise
            print(f"{repo_name}: not packaged ({error})")


if __name__ == "__main__":
    main()

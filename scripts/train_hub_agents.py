"""
Train the small agents shipped in ``sb3_maxent/zoo/agents/`` and package them as Hub repositories, with the
documented commands only:

1. ``python -m rl_zoo3.train --algo <algo> --env <env> --seed <seed>`` with the shipped hyperparameters
   (``sb3_maxent/hyperparams/<algo>.yml``, found without ``-conf``);
2. ``python -m sb3_maxent.zoo.push_to_hub --dry-run ...``, which is ``python -m rl_zoo3.push_to_hub`` without the
   network calls: it evaluates the agent (10 deterministic episodes), writes the zoo's model card and the repository
   folder;
3. the folder is trimmed to what ``rl_zoo3.load_from_hub`` downloads (the model zip is kept, its unzipped copy and
   the replay video are not), and the model card gets an sb3-maxent section with the return it reached.

Usage (a few minutes on 2 CPU cores)::

    python -m scripts.train_hub_agents            # every agent
    python -m scripts.train_hub_agents dspg-Pendulum-v1
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
AGENTS_DIR = REPO_ROOT / "sb3_maxent" / "zoo" / "agents"
ORGANIZATION = "sb3-maxent"

# Hub repository name -> (zoo alias, env id, seed, class name)
AGENTS = {
    "maxent_ppo-CartPole-v1": ("maxent_ppo", "CartPole-v1", 0, "MaxEntPPO"),
    "dspg-Pendulum-v1": ("dspg", "Pendulum-v1", 0, "DSPG"),
    "softql-CartPole-v1": ("softql", "CartPole-v1", 0, "SoftQL"),
}

# What `python -m rl_zoo3.load_from_hub` downloads, plus the model card and the evaluation
KEPT_FILES = ("README.md", "results.json", "config.yml", "args.yml", "env_kwargs.yml", "train_eval_metrics.zip")


def run_command(command: list[str], cwd: Path) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, cwd=cwd, check=True)


def package_log_folder(work: Path, algo: str, env_id: str, target: Path, stochastic: bool = False) -> dict:
    """
    ``python -m sb3_maxent.zoo.push_to_hub --dry-run`` on the zoo log folder ``work/logs`` (RL Zoo's evaluation, 10
    episodes, and its model card), then the repository folder trimmed to what ``rl_zoo3.load_from_hub`` downloads,
    copied to ``target`` (replaced).

    :param work: The folder holding ``logs/``
    :param algo: The zoo alias
    :param env_id: The env id
    :param target: The repository folder to write
    :param stochastic: Evaluate the stochastic policy instead of the deterministic one
    :return: The evaluation (``results.json``)
    """
    push = [sys.executable, "-m", "sb3_maxent.zoo.push_to_hub", "--dry-run", "--algo", algo, "--env", env_id]
    push += ["-f", "logs", "-orga", ORGANIZATION, "--no-render", "--seed", "0", "--num-threads", "1"]
    run_command([*push, "--stochastic"] if stochastic else push, cwd=work)
    packaged = work / "hub" / target.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    optional = ["vec_normalize.pkl"] if (packaged / "vec_normalize.pkl").is_file() else []
    for name in (f"{target.name}.zip", *KEPT_FILES, *optional):
        shutil.copyfile(packaged / name, target / name)
    return json.loads((target / "results.json").read_text())


def _card_section(repo_name: str, algo: str, env_id: str, class_name: str, results: dict, train_seconds: float) -> str:
    return f"""
## sb3-maxent

This agent was trained with sb3-maxent (`{class_name}`), whose RL Zoo
integration registers `--algo {algo}`: install it with `pip install "sb3-maxent[zoo]"` before the commands above.
It ships inside the sb3-maxent wheel (`sb3_maxent/zoo/agents/{repo_name}`), made by `scripts/train_hub_agents.py`:

```bash
# hyperparameters: sb3_maxent/hyperparams/{algo}.yml
python -m rl_zoo3.train --algo {algo} --env {env_id} --seed {AGENTS[repo_name][2]}
```

Mean return over {results["n_eval_episodes"]} {"deterministic" if results["is_deterministic"] else "stochastic"} evaluation
episodes: **{results["mean_reward"]:.1f} +/- {results["std_reward"]:.1f}** (training took {train_seconds:.0f} s on a shared
2-core CPU).

Load it with the Hub client (offline: `sb3_maxent.zoo.hub.cache_shipped_agents()` puts the shipped agents into the
Hugging Face cache as `{ORGANIZATION}/<name>`):

```python
from huggingface_sb3 import load_from_hub
from sb3_maxent import {class_name}

checkpoint = load_from_hub("{ORGANIZATION}/{repo_name}", "{repo_name}.zip")  # needs TRUST_REMOTE_CODE=True
model = {class_name}.load(checkpoint)
```
"""


def train_and_package(repo_name: str) -> dict:
    algo, env_id, seed, class_name = AGENTS[repo_name]
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        start = time.perf_counter()
        run_command(
            [
                sys.executable,
                "-m",
                "rl_zoo3.train",
                "--algo",
                algo,
                "--env",
                env_id,
                "--seed",
                str(seed),
                "-f",
                "logs",
                "--eval-freq",
                "-1",
                "--verbose",
                "0",
                "--num-threads",
                "1",
            ],
            cwd=work,
        )
        train_seconds = time.perf_counter() - start
        target = AGENTS_DIR / repo_name
        results = package_log_folder(work, algo, env_id, target)
    with open(target / "README.md", "a") as card:
        card.write(_card_section(repo_name, algo, env_id, class_name, results, train_seconds))
    size = sum(path.stat().st_size for path in target.iterdir())
    mean, std = results["mean_reward"], results["std_reward"]
    print(f"{repo_name}: {mean:.1f} +/- {std:.1f}, {train_seconds:.0f} s, {size / 1024:.0f} KB")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("agents", nargs="*", help=f"Agents to train, among {', '.join(AGENTS)} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.agents) - set(AGENTS))
    if unknown:
        parser.error(f"unknown agents {unknown}: choose among {', '.join(AGENTS)}")
    for repo_name in args.agents or AGENTS:
        train_and_package(repo_name)


if __name__ == "__main__":
    main()

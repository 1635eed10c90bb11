"""
Hugging Face Hub: the shipped agents, ``huggingface_sb3.load_from_hub`` + ``<Algo>.load``, ``python -m
rl_zoo3.load_from_hub`` / ``enjoy`` / ``push_to_hub``, with the real client code on a populated local cache and
``HF_HUB_OFFLINE=1`` (no network). Only ``push_to_hub``'s three network calls are skipped (``--dry-run``).
"""

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from zoo_helpers import ZOO_THREADS, needs_hook, needs_requests, run, run_parallel

from sb3_maxent.zoo import register, zoo_aliases
from sb3_maxent.zoo.hub import SHIPPED_AGENTS_ORGANIZATION, add_to_hub_cache, cache_shipped_agents, shipped_agents

pytest.importorskip("rl_zoo3")
pytest.importorskip("huggingface_sb3")


def _offline(cache_dir) -> dict[str, str]:
    return {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache_dir), "TRUST_REMOTE_CODE": "True"}


def _card_metadata(readme: str) -> dict:
    front_matter = re.match(r"^---\n(.*?)\n---\n", readme, re.DOTALL)
    assert front_matter, readme[:500]
    return yaml.safe_load(front_matter.group(1))


def assert_card_commands_work_here(card: str) -> None:
    """A card of ours installs sb3-maxent (not bare rl_zoo3) and its enjoy commands run without a display."""
    assert 'pip install "sb3-maxent[zoo]"' in card and "pip install rl_zoo3" not in card
    enjoy_commands = re.findall(r"^python -m rl_zoo3\.enjoy .*$", card, re.MULTILINE)
    assert enjoy_commands and all(command.endswith(" --no-render") for command in enjoy_commands), enjoy_commands


def test_shipped_agents_are_complete_hub_repositories():
    agents = shipped_agents()
    assert {"maxent_ppo-CartPole-v1", "dspg-Pendulum-v1", "softql-CartPole-v1"} <= set(agents)
    total_size = 0
    for name, folder in agents.items():
        algo, env_id = name.split("-", 1)
        files = {path.name for path in folder.iterdir()}
        # what `python -m rl_zoo3.load_from_hub` downloads, the evaluation and the card
        assert {f"{name}.zip", "config.yml", "args.yml", "env_kwargs.yml", "train_eval_metrics.zip"} <= files
        assert {"README.md", "results.json"} <= files
        total_size += sum(path.stat().st_size for path in folder.iterdir())
        metadata = _card_metadata((folder / "README.md").read_text())
        model_index = metadata["model-index"][0]
        algorithm = zoo_aliases()[algo]
        # the zoo reads the algorithm back from the card: model-index[0].name.lower() must be a registered alias
        assert model_index["name"] == algorithm.class_name
        assert zoo_aliases()[model_index["name"].lower()] is algorithm
        assert model_index["results"][0]["dataset"]["name"] == env_id
        results = json.loads((folder / "results.json").read_text())
        stated = model_index["results"][0]["metrics"][0]["value"]
        assert stated == f"{results['mean_reward']:.2f} +/- {results['std_reward']:.2f}"
        assert "sb3-maxent" in metadata["tags"]
        assert_card_commands_work_here((folder / "README.md").read_text())
        with zipfile.ZipFile(folder / f"{name}.zip") as archive:
            assert {"data", "policy.pth"} <= set(archive.namelist())
    assert total_size < 600_000


@needs_requests
def test_missing_file_error_is_the_hubs_and_requests(tmp_path):
    """rl_zoo3.load_from_hub catches requests.HTTPError for a repository without vec_normalize.pkl."""
    register()
    import huggingface_sb3

    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "config.yml").write_text("{}\n")
    add_to_hub_cache(folder, "someone/repo", tmp_path / "cache")
    # the real client, with the cache of this test process
    from huggingface_hub import hf_hub_download

    assert hf_hub_download("someone/repo", "config.yml", cache_dir=tmp_path / "cache", local_files_only=True)
    probe = (
        "import huggingface_sb3, requests, rl_zoo3\n"
        "from huggingface_hub.errors import EntryNotFoundError\n"
        "print('FOUND', huggingface_sb3.load_from_hub('someone/repo', 'config.yml'))\n"
        "try:\n    huggingface_sb3.load_from_hub('someone/repo', 'vec_normalize.pkl')\n"
        "except requests.HTTPError as error:\n"
        "    print('CAUGHT', isinstance(error, EntryNotFoundError), type(error).__name__)\n"
    )
    output = run(["-c", probe], tmp_path, env=_offline(tmp_path / "cache")).stdout
    assert "FOUND" in output and "CAUGHT True LocalEntryNotFoundError" in output, output[-3000:]
    assert huggingface_sb3.load_from_hub._sb3_maxent_wrapped


def test_shipped_agents_load_from_the_hub_cache_and_reach_their_return(tmp_path):
    """huggingface_sb3.load_from_hub + <Algo>.load, evaluated as push_to_hub evaluated them."""
    cache_shipped_agents(tmp_path / "cache")
    script = f"""
import json, sys
from huggingface_sb3 import load_from_hub
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.env_util import make_vec_env
import sb3_maxent

results = {{}}
for name, class_name in json.loads(sys.argv[1]).items():
    env_id = name.split("-", 1)[1]
    checkpoint = load_from_hub(f"{SHIPPED_AGENTS_ORGANIZATION}/{{name}}", f"{{name}}.zip")
    model = getattr(sb3_maxent, class_name).load(checkpoint, buffer_size=1)
    mean, std = evaluate_policy(model, make_vec_env(env_id, n_envs=1, seed=0), n_eval_episodes=10, deterministic=True)
    results[name] = mean
print("RESULTS", json.dumps(results))
"""
    agents = {name: zoo_aliases()[name.split("-", 1)[0]].class_name for name in shipped_agents()}
    output = run(["-c", script, json.dumps(agents)], tmp_path, env=_offline(tmp_path / "cache")).stdout
    results = json.loads(output.split("RESULTS ", 1)[1])
    for name, mean_return in results.items():
        stated = json.loads((shipped_agents()[name] / "results.json").read_text())["mean_reward"]
        assert mean_return >= stated - max(5.0, 0.05 * abs(stated)), (name, mean_return, stated)


@needs_hook
@needs_requests
def test_load_from_hub_enjoy_and_push_to_hub_commands(tmp_path):
    """The documented Hub commands, on the shipped MaxEntPPO agent, and the round trip through push_to_hub."""
    offline = _offline(tmp_path / "cache")
    cache_shipped_agents(tmp_path / "cache")
    name, env_id = "maxent_ppo-CartPole-v1", "CartPole-v1"
    download = run(
        [
            "-m",
            "rl_zoo3.load_from_hub",
            "--algo",
            "maxent_ppo",
            "--env",
            env_id,
            "-orga",
            SHIPPED_AGENTS_ORGANIZATION,
            "-f",
            "logs",
        ],
        tmp_path,
        env=offline,
    )
    assert "No normalization file" in download.stdout  # rl_zoo3 2.9.2's `except HTTPError` works again
    assert (tmp_path / "logs" / "maxent_ppo" / f"{env_id}_1" / f"{env_id}.zip").is_file()

    push = ["--algo", "maxent_ppo", "--env", env_id, "-f", "logs", "-orga", "someone", "--no-render", *ZOO_THREADS]
    enjoy, dry_run, literal_push = run_parallel(
        [
            [
                "-m",
                "rl_zoo3.enjoy",
                "--algo",
                "maxent_ppo",
                "--env",
                env_id,
                "-f",
                "logs",
                "--no-render",
                "-n",
                "1000",
                *ZOO_THREADS,
            ],
            ["-m", "sb3_maxent.zoo.push_to_hub", "--dry-run", *push],
            ["-m", "rl_zoo3.push_to_hub", *push],
        ],
        tmp_path,
        env=offline,
    )
    assert enjoy.returncode == 0 and "Episode Reward: 500.00" in enjoy.stdout, enjoy.stdout[-3000:]
    # the literal command gets past rl_zoo3 2.9.2's `generate_metadata` import and stops at the first network call
    assert literal_push.returncode != 0
    assert "generate_metadata" not in literal_push.stdout, literal_push.stdout[-3000:]
    assert re.search(r"create_repo|[Oo]ffline", literal_push.stdout), literal_push.stdout[-3000:]

    assert dry_run.returncode == 0, dry_run.stdout[-3000:]
    repo = tmp_path / "hub" / name
    metadata = _card_metadata((repo / "README.md").read_text())
    assert metadata["model-index"][0]["name"] == "MaxEntPPO"
    assert metadata["model-index"][0]["results"][0]["metrics"][0]["value"].startswith("500.00 +/- 0.00")
    assert "--algo maxent_ppo --env CartPole-v1" in (repo / "README.md").read_text()
    assert_card_commands_work_here((repo / "README.md").read_text())
    assert {f"{name}.zip", "config.yml", "args.yml", "env_kwargs.yml", "train_eval_metrics.zip", "results.json"} <= {
        path.name for path in repo.iterdir()
    }

    # round trip: the packaged repository, as if pushed and downloaded, loads back through the Hub client
    add_to_hub_cache(repo, f"someone/{name}", tmp_path / "cache")
    check = (
        "from huggingface_sb3 import load_from_hub\nfrom rl_zoo3 import ALGOS\nimport yaml, re\n"
        f"card = open(load_from_hub('someone/{name}', 'README.md')).read()\n"
        "name = yaml.safe_load(re.match(r'^---\\n(.*?)\\n---\\n', card, re.S).group(1))['model-index'][0]['name']\n"
        f"model = ALGOS[name.lower()].load(load_from_hub('someone/{name}', '{name}.zip'))\n"
        "print('LOADED', type(model).__name__, model.maxent_coef(1.0), model.num_timesteps)\n"
    )
    loaded = run(["-c", check], tmp_path, env=offline).stdout
    assert re.search(r"^LOADED MaxEntPPO 0.01 100096$", loaded, re.MULTILINE), loaded[-3000:]  # 391 rollouts of 8 x 32


BENCHMARK_AGENTS_DIR = Path(__file__).resolve().parent.parent / "agents"  # not in the wheel
BENCHMARK_AGENTS = sorted(path.name for path in BENCHMARK_AGENTS_DIR.iterdir() if path.is_dir())


@needs_hook
@needs_requests
@pytest.mark.parametrize("name", BENCHMARK_AGENTS)
def test_benchmark_agents_download_and_replay_to_their_card(tmp_path, name):
    """
    Each agent of agents/ (the benchmarks' best, scripts/package_benchmark_agents.py) downloads through
    ``python -m rl_zoo3.load_from_hub`` from an offline Hub cache and replays with ``python -m rl_zoo3.enjoy`` to the
    return on its card.
    """
    folder = BENCHMARK_AGENTS_DIR / name
    card = _card_metadata((folder / "README.md").read_text())
    algo, env_name = name.split("-", 1)
    env_id = card["model-index"][0]["results"][0]["dataset"]["name"]
    assert env_id.replace("/", "-") == env_name and zoo_aliases()[algo].class_name == card["model-index"][0]["name"]
    results = json.loads((folder / "results.json").read_text())
    stated = card["model-index"][0]["results"][0]["metrics"][0]["value"]
    assert stated == f"{results['mean_reward']:.2f} +/- {results['std_reward']:.2f}"
    assert re.search(
        r"python -m benchmarks\.learning \w+ --budget \w+ --tasks \w+ --agents \S+ --seeds \d+",
        (folder / "README.md").read_text(),
    )

    offline = _offline(tmp_path / "cache")
    add_to_hub_cache(folder, f"{SHIPPED_AGENTS_ORGANIZATION}/{name}", tmp_path / "cache")
    download = ["-m", "rl_zoo3.load_from_hub", "--algo", algo, "--env", env_id, "-orga", SHIPPED_AGENTS_ORGANIZATION]
    run([*download, "-f", "logs"], tmp_path, env=offline)
    enjoy = ["-m", "rl_zoo3.enjoy", "--algo", algo, "--env", env_id, "-f", "logs", "--no-render", "-n", "5000"]
    output = run([*enjoy, *ZOO_THREADS, *([] if results["is_deterministic"] else ["--stochastic"])], tmp_path, env=offline)
    episodes = int(re.search(r"^(\d+) Episodes$", output.stdout, re.MULTILINE).group(1))
    mean, std = map(float, re.search(r"^Mean reward: (\S+) \+/- (\S+)$", output.stdout, re.MULTILINE).groups())
    # the replay's mean and the card's, both over a few episodes: equal within 3 standard errors
    tolerance = 3 * np.sqrt(results["std_reward"] ** 2 / results["n_eval_episodes"] + std**2 / episodes)
    tolerance = max(tolerance, 0.02 * abs(results["mean_reward"]), 0.5)
    assert abs(mean - results["mean_reward"]) <= tolerance, (name, mean, std, episodes, results)


def test_benchmark_agent_selection_names_the_seeds_without_a_model(tmp_path, monkeypatch):
    """
    package_benchmark_agents.best_run: the best last-quarter mean among the runs whose final model is kept; a
    finished run without its model is not chosen, and the card names it with its score (so "the best of N" is true).
    """
    from scripts import package_benchmark_agents as packaging

    per_seed = tmp_path / "results" / "mujoco-reduced" / "per_seed"
    per_seed.mkdir(parents=True)
    for seed, returns in {0: [0, 900, 1000], 1: [0, 300, 400], 2: [0, 500, 600]}.items():
        curve = {"seed": seed, "agent": "DSPG", "task": "walker2d", "timesteps": [0, 50, 100], "eval_return": returns}
        pd.DataFrame(curve).to_csv(per_seed / f"walker2d__DSPG__seed{seed}.csv", index=False)
    (per_seed / "walker2d__DSPG__seed3.partial.csv").write_text("unfinished")
    for seed in (1, 2):  # seed 0, the best, finished but its model is gone
        checkpoint = tmp_path / "checkpoints" / "mujoco-reduced" / f"walker2d__DSPG__seed{seed}"
        checkpoint.mkdir(parents=True)
        (checkpoint / "final_model.zip").write_bytes(b"")
    monkeypatch.setattr(packaging, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(packaging, "CHECKPOINT_DIR", tmp_path / "checkpoints")

    seed, curve, checkpoint, n_seeds, without_model = packaging.best_run(packaging.AGENTS["dspg-Walker2d-v5"])
    assert (seed, n_seeds, without_model) == (2, 2, {0: 1000.0})
    assert checkpoint.name == "walker2d__DSPG__seed2" and curve.eval_return.iloc[-1] == 600

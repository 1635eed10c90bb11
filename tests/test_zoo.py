"""
RL Zoo integration: the documented commands (``python -m rl_zoo3.train --algo maxent_ppo ...``) with rl_zoo3
unmodified, the shipped hyperparameter files, the explicit ``python -m sb3_maxent.train`` / ``enjoy``, the off switch
of the hook, and the error messages.
"""

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from zoo_helpers import ZOO_THREADS, needs_hook, needs_requests, run, run_parallel

from sb3_maxent import DSPG, MaxEntPPO, SoftQL
from sb3_maxent.zoo import HYPERPARAMS_DIR, ZOO_ALGORITHMS, hyperparams_path, register, shipped_hyperparams, zoo_aliases

rl_zoo3 = pytest.importorskip("rl_zoo3")

MUJOCO_TASKS = ("Ant-v5", "HalfCheetah-v5", "Hopper-v5", "Walker2d-v5")


@pytest.fixture(scope="module")
def zoo():
    """The zoo with sb3-maxent registered in this process (what the hook does in a user's process)."""
    register(eager=True)
    from rl_zoo3 import exp_manager, hyperparams_opt, utils

    return argparse.Namespace(ALGOS=utils.ALGOS, exp_manager=exp_manager, hyperparams_opt=hyperparams_opt)


# ---------------------------------------------------------------------------------------------
# Registration and hyperparameter files
# ---------------------------------------------------------------------------------------------
def test_registration_table(zoo):
    assert {algorithm.alias for algorithm in ZOO_ALGORITHMS} == {"maxent_ppo", "dspg", "softql"}
    expected = {"maxent_ppo": MaxEntPPO, "maxentppo": MaxEntPPO, "dspg": DSPG, "softql": SoftQL}
    assert {alias: algorithm.load_class() for alias, algorithm in zoo_aliases().items()} == expected
    for alias, algorithm_class in expected.items():
        assert zoo.ALGOS[alias] is algorithm_class
        # The Hub maps a model card back to the zoo alias with model-index[0].name.lower()
        assert zoo.ALGOS[algorithm_class.__name__.lower()] is algorithm_class
        assert alias in zoo.hyperparams_opt.HYPERPARAMS_SAMPLER
        assert alias in zoo.hyperparams_opt.HYPERPARAMS_CONVERTER
    assert zoo.ALGOS["ppo"].__module__.startswith("stable_baselines3")  # the zoo's own entries are untouched
    register()  # idempotent
    assert sum(value is MaxEntPPO for value in zoo.ALGOS.values()) == 2


def test_hyperparams_path():
    files = shipped_hyperparams()
    assert set(files) == {"maxent_ppo", "ppo", "dspg", "softql", "sac"}
    for name, path in files.items():
        assert hyperparams_path(name) == path
        assert path.parent == HYPERPARAMS_DIR and path.is_file()
    assert hyperparams_path("maxentppo") == files["maxent_ppo"]
    # The top-level hyperparams/ of the repository is the same folder
    top_level = Path(__file__).resolve().parents[1] / "hyperparams"
    if top_level.exists():
        assert top_level.resolve() == HYPERPARAMS_DIR
    with pytest.raises(ValueError, match=r"no hyperparameters for 'td3'.*maxent_ppo"):
        hyperparams_path("td3")


def _entries(name: str) -> dict:
    return yaml.safe_load(hyperparams_path(name).read_text())


def test_yaml_contents_match_the_papers():
    dspg, softql, sac = _entries("dspg"), _entries("softql"), _entries("sac")
    paper_clip_norm = {"Hopper-v5": 1, "HalfCheetah-v5": 3, "Ant-v5": 5, "Walker2d-v5": 5}
    reward_scale = {"Hopper-v5": 30, "HalfCheetah-v5": 30, "Walker2d-v5": 10, "Ant-v5": 300}
    for task in MUJOCO_TASKS:
        entry = dspg[task]
        assert (entry["learning_rate"], entry["actor_learning_rate"], entry["batch_size"]) == (5e-4, 5e-5, 100)
        assert (entry["gradient_steps"], entry["n_action_samples"], entry["tau"], entry["ent_coef"]) == (4, 64, 0.01, 0.2)
        assert eval(entry["policy_kwargs"]) == {"net_arch": [512, 512]}
        # the paper's clipping norm N with rewards scaled by 1/alpha is alpha * N on the alpha-scaled objective
        assert entry["max_grad_norm"] == pytest.approx(0.2 * paper_clip_norm[task])
        entry = softql[task]
        assert entry["ent_coef"] == pytest.approx(1 / reward_scale[task])
        assert eval(entry["policy_kwargs"]) == {"net_arch": [128, 128]}
        assert (entry["learning_rate"], entry["batch_size"], entry["target_update_interval"], entry["tau"]) == (
            3e-4,
            128,
            1000,
            1.0,
        )
        assert (entry["n_value_particles"], entry["n_kernel_particles"], entry["kernel_update_ratio"]) == (16, 16, 0.5)
        # the zoo's own SAC settings for the v4 ids, for the v5 ids
        zoo_sac = yaml.safe_load((Path(rl_zoo3.__file__).parent / "hyperparams" / "sac.yml").read_text())
        assert sac[task] == zoo_sac[task.replace("-v5", "-v4")]
    for name, env_ids in {
        "maxent_ppo": ("CartPole-v1", "Pendulum-v1"),
        "dspg": ("Pendulum-v1",),
        "softql": ("CartPole-v1", "Pendulum-v1"),
    }.items():
        for env_id in env_ids:
            assert _entries(name)[env_id]["n_timesteps"] <= 1e5


def _manager(zoo, tmp_path, algo: str, env_id: str, config: str | None = None, **overrides):
    """RL Zoo's own ExperimentManager, as train.py builds it, with our default config (no -conf) unless given."""
    args = argparse.Namespace(env_kwargs=None, algo=algo, env=env_id)
    return zoo.exp_manager.ExperimentManager(
        args,
        algo,
        env_id,
        str(tmp_path),
        n_timesteps=64,
        eval_freq=-1,
        hyperparams=overrides,
        seed=0,
        verbose=0,
        config=config,
    )


def _experiment(zoo, tmp_path, algo: str, env_id: str, config: str | None = None, **overrides) -> tuple:
    manager = _manager(zoo, tmp_path, algo, env_id, config, **overrides)
    model, saved = manager.setup_experiment()
    return manager, model, saved


# What the on-policy max-ent paper ran: train-procgen's PPO2 (train_procgen/train.py with the Procgen paper's settings,
# OpenAI Baselines' ppo2 and VecNormalize defaults at the commit it pins), in PPO2's own terms
TRAIN_PROCGEN = dict(
    num_envs=64,
    nsteps=256,
    nminibatches=8,
    noptepochs=3,
    lr=5e-4,
    gamma=0.999,
    lam=0.95,
    cliprange=0.2,  # PPO2 clips the policy ratio and the value prediction with it
    vf_coef=0.5,  # times PPO2's own 0.5 * mean(...) value loss
    max_grad_norm=0.5,
    adam_epsilon=1e-5,
    ent_coef=0.01,  # the paper's tuned regularization
    beta=0.3,  # the paper's tuned max-ent temperature, added to the normalized advantages
    vec_normalize=dict(ob=False, ret=True, gamma=0.99, cliprew=10.0, epsilon=1e-8),
    distribution_mode="easy",
    num_levels=500,
)


@pytest.mark.parametrize("algo", ["maxent_ppo", "ppo"])
def test_fruitbot_entries_are_train_procgens_settings(zoo, tmp_path, algo):
    """Each shipped FruitBot entry, read and built by RL Zoo's ExperimentManager, is train-procgen's PPO2 run."""
    pytest.importorskip("procgen")
    from sb3_maxent.common.policies import ImpalaCnnPolicy

    reference = TRAIN_PROCGEN
    config = str(hyperparams_path(algo))
    hyperparams, _ = _manager(zoo, tmp_path, algo, "procgen/fruitbot-v0", config).read_hyperparameters()
    assert hyperparams["n_envs"] == reference["num_envs"]
    # 2 games instead of 64 (a 64 x 256 rollout buffer of frames is 0.8 GB); everything else as shipped
    _, model, _ = _experiment(zoo, tmp_path, algo, "procgen/fruitbot-v0", config, n_envs=2)
    assert isinstance(model.policy, ImpalaCnnPolicy)
    assert model.n_steps == reference["nsteps"]
    assert model.batch_size == reference["num_envs"] * reference["nsteps"] // reference["nminibatches"]
    assert (model.n_epochs, model.lr_schedule(1.0), model.gamma, model.gae_lambda) == (
        reference["noptepochs"],
        reference["lr"],
        reference["gamma"],
        reference["lam"],
    )
    assert model.clip_range(1.0) == model.clip_range_vf(1.0) == reference["cliprange"]
    assert model.vf_coef == pytest.approx(0.5 * reference["vf_coef"])  # SB3: vf_coef * mean(...), PPO2: * 0.5 * mean
    assert model.max_grad_norm == reference["max_grad_norm"]
    assert model.policy.optimizer.defaults["eps"] == reference["adam_epsilon"]
    assert model.normalize_advantage
    if algo == "maxent_ppo":
        assert (model.ent_coef, model.maxent_coef(1.0), model.maxent_units) == (0.0, reference["beta"], "advantage")
        assert model.maxent_mode == "one_step"
    else:
        assert model.ent_coef == reference["ent_coef"]
    vec_normalize = model.get_vec_normalize_env()
    expected = reference["vec_normalize"]
    assert (vec_normalize.norm_obs, vec_normalize.norm_reward) == (expected["ob"], expected["ret"])
    assert (vec_normalize.gamma, vec_normalize.clip_reward, vec_normalize.epsilon) == (
        expected["gamma"],
        expected["cliprew"],
        expected["epsilon"],
    )
    games = model.get_env().unwrapped
    assert (games.distribution_mode, games.start_level, games.num_levels) == (
        reference["distribution_mode"],
        0,
        reference["num_levels"],
    )
    model.env.close()


def test_normalize_gamma_written_in_the_entry_is_kept(zoo, tmp_path):
    """The zoo's rule (VecNormalize discounts with the algorithm's gamma) holds unless the entry writes its own."""
    for normalize, expected in (("dict(norm_obs=False, gamma=0.9)", 0.9), ("dict(norm_obs=False)", 0.98), (True, 0.98)):
        _, model, _ = _experiment(zoo, tmp_path, "maxent_ppo", "CartPole-v1", normalize=normalize)
        assert model.get_vec_normalize_env().gamma == expected
        assert model.gamma == 0.98
        model.env.close()


@pytest.mark.parametrize(
    "algo, env_id",
    [
        ("maxent_ppo", "CartPole-v1"),
        ("maxent_ppo", "Pendulum-v1"),
        ("dspg", "Pendulum-v1"),
        ("softql", "CartPole-v1"),
        ("softql", "Pendulum-v1"),
    ]
    + [(algo, task) for algo in ("dspg", "softql") for task in MUJOCO_TASKS],
)
def test_every_entry_builds_its_model(zoo, tmp_path, monkeypatch, algo, env_id):
    """Each shipped entry goes through the zoo's preprocessing into the algorithm's constructor, unchanged."""
    if env_id in MUJOCO_TASKS:
        pytest.importorskip("mujoco")
        monkeypatch.chdir(tmp_path)  # MuJoCo writes its warnings to MUJOCO_LOG.TXT in the working directory
    manager, model, _saved = _experiment(zoo, tmp_path, algo, env_id)
    assert manager.config == str(hyperparams_path(algo))
    assert type(model) is zoo.ALGOS[algo]
    entry = _entries(algo)[env_id]
    for key in ("gamma", "batch_size", "ent_coef", "n_action_samples", "max_grad_norm", "maxent_coef", "n_kernel_particles"):
        if key in entry:
            value = getattr(model, key)
            assert (value(1.0) if callable(value) else value) == entry[key], key
    if "policy_kwargs" in entry:
        assert model.policy_kwargs["net_arch"] == eval(entry["policy_kwargs"])["net_arch"]
    model.env.close()


def test_fruitbot_entry_trains_and_evaluates_on_unseen_levels(zoo, tmp_path):
    pytest.importorskip("procgen")
    from sb3_maxent.common.policies import ImpalaCnnPolicy
    from sb3_maxent.envs import ProcgenVecEnv

    manager, model, _ = _experiment(zoo, tmp_path, "maxent_ppo", "procgen/fruitbot-v0", n_envs=2, n_steps=16, batch_size=32)
    assert isinstance(model.policy, ImpalaCnnPolicy)
    train_env = model.get_env().unwrapped
    assert isinstance(train_env, ProcgenVecEnv) and train_env.num_envs == 2
    assert (train_env.distribution_mode, train_env.start_level, train_env.num_levels) == ("easy", 0, 500)
    eval_env = manager.create_envs(1, eval_env=True)
    assert eval_env.norm_reward is False and eval_env.training is False
    assert (eval_env.unwrapped.distribution_mode, eval_env.unwrapped.start_level, eval_env.unwrapped.num_levels) == (
        "easy",
        500,
        500,
    )
    model.learn(32)
    eval_env.close()


def test_native_procgen_vec_env(tmp_path):
    pytest.importorskip("procgen")
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecMonitor

    from sb3_maxent.envs import ProcgenVecEnv
    from sb3_maxent.zoo.wrappers import native_procgen_vec_env

    env_kwargs = dict(distribution_mode="easy", num_levels=10, start_level=3, use_backgrounds=False)
    envs = []
    for monitor_dir in (None, tmp_path):
        monitor_kwargs = {"info_keywords": ("is_success",)}  # (the zoo's monitor_kwargs)
        venv = make_vec_env(
            "procgen/coinrun-v0",
            n_envs=3,
            seed=7,
            env_kwargs=env_kwargs,
            monitor_dir=monitor_dir,
            monitor_kwargs=monitor_kwargs,
        )
        envs.append(native_procgen_vec_env(venv, num_threads=0))
    for env in envs:
        assert isinstance(env, VecMonitor) and isinstance(env.venv, ProcgenVecEnv)
        native = env.unwrapped
        assert (native.game, native.num_envs, native.start_level, native.num_levels) == ("coinrun", 3, 3, 10)
    assert native_procgen_vec_env(envs[0]) is envs[0]  # already native
    # same seed -> same games: the seed of the zoo's vec env carries over
    observations = [env.reset() for env in envs]
    np.testing.assert_array_equal(observations[0], observations[1])
    rng = np.random.default_rng(0)
    for _ in range(2000):
        actions = rng.integers(15, size=3)
        (obs_a, _, dones_a, infos_a), (obs_b, _, dones_b, infos_b) = (env.step(actions) for env in envs)
        np.testing.assert_array_equal(obs_a, obs_b)
        np.testing.assert_array_equal(dones_a, dones_b)
        if dones_b.any():
            break
    assert dones_b.any()
    for env_idx in np.flatnonzero(dones_b):  # VecMonitor's episode statistics, with or without the zoo's log
        assert infos_a[env_idx]["episode"]["l"] == infos_b[env_idx]["episode"]["l"] > 0
    log_lines = (tmp_path / "0.monitor.csv").read_text().splitlines()
    assert log_lines[1] == "r,l,t,is_success" and len(log_lines) > 2  # the zoo's info_keywords, and the episode
    for env in envs:
        env.close()
    with pytest.raises(ValueError, match="only replaces vectorized procgen"):
        native_procgen_vec_env(make_vec_env("CartPole-v1", n_envs=1))


# ---------------------------------------------------------------------------------------------
# The documented commands, as subprocesses
# ---------------------------------------------------------------------------------------------
@needs_hook
def test_hook_is_lazy_and_can_be_turned_off(tmp_path):
    probe = (
        "import sys; heavy = sorted(m for m in ('sb3_maxent', 'torch', 'stable_baselines3', 'rl_zoo3') if m in sys.modules); "
        "print('HEAVY', heavy, '_sb3_maxent_zoo_hook' in sys.modules); import rl_zoo3; "
        "print('ZOO', sorted(k for k in ('maxent_ppo', 'maxentppo', 'dspg', 'softql') if k in rl_zoo3.ALGOS))"
    )
    on, off = run_parallel([["-c", probe]] * 2, tmp_path, envs=[{}, {"SB3_MAXENT_NO_ZOO_HOOK": "1"}])
    assert "HEAVY [] True" in on.stdout, on.stdout  # the hook itself imports nothing
    assert "ZOO ['dspg', 'maxent_ppo', 'maxentppo', 'softql']" in on.stdout, on.stdout
    assert "HEAVY [] False" in off.stdout and "ZOO []" in off.stdout, off.stdout


@needs_hook
def test_train_commands_for_every_algorithm(tmp_path):
    """The literal commands of the issue, shortened with -n and --hyperparams; FruitBot with its shipped entry."""
    common = ["-f", "logs", "--seed", "0", "--eval-freq", "-1", "--verbose", "0", *ZOO_THREADS]
    commands = [
        [
            "-m",
            "rl_zoo3.train",
            "--algo",
            "maxent_ppo",
            "--env",
            "procgen/fruitbot-v0",
            "-n",
            "64",
            *common,
            "--hyperparams",
            "n_envs:2",
            "n_steps:32",
            "batch_size:32",
            "n_epochs:1",
        ],
        [
            "-m",
            "rl_zoo3.train",
            "--algo",
            "dspg",
            "--env",
            "Pendulum-v1",
            "-n",
            "120",
            *common,
            "--hyperparams",
            "learning_starts:100",
            "n_action_samples:4",
            "gradient_steps:1",
        ],
        [
            "-m",
            "rl_zoo3.train",
            "--algo",
            "softql",
            "--env",
            "Pendulum-v1",
            "-n",
            "120",
            *common,
            "--hyperparams",
            "learning_starts:100",
            "batch_size:16",
        ],
    ]
    if sys.modules.get("procgen") is None and not _importable("procgen"):
        commands = commands[1:]
    results = run_parallel(commands, tmp_path)
    for command, result in zip(commands, results, strict=True):
        assert result.returncode == 0, result.stdout[-4000:]
        algo, env_id = command[command.index("--algo") + 1], command[command.index("--env") + 1]
        # no -conf: the shipped YAML was used
        # (the subprocess may import another copy of the package than this process: the installed one)
        shipped = Path(hyperparams_path(algo)).relative_to(Path(hyperparams_path(algo)).parents[2])
        assert re.search(rf"Loading hyperparameters from: \S*/{re.escape(str(shipped))}\n", result.stdout)
        env_name = env_id.replace("/", "-")
        assert (tmp_path / "logs" / algo / f"{env_name}_1" / f"{env_name}.zip").is_file()
    model = DSPG.load(tmp_path / "logs" / "dspg" / "Pendulum-v1_1" / "Pendulum-v1.zip")
    assert model.num_timesteps == 120 and model.n_action_samples == 4


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


@needs_requests
def test_explicit_train_and_enjoy_without_the_hook(tmp_path):
    """With the hook off, rl_zoo3 knows nothing of us, and python -m sb3_maxent.train / enjoy do the same job."""
    off = {"SB3_MAXENT_NO_ZOO_HOOK": "1"}
    train = ["--algo", "maxent_ppo", "--env", "CartPole-v1", "-n", "256", "-f", "logs", "--seed", "0", "--eval-freq", "-1"]
    refused, trained = run_parallel(
        [["-m", "rl_zoo3.train", *train], ["-m", "sb3_maxent.train", *train, *ZOO_THREADS, "--verbose", "0"]],
        tmp_path,
        env=off,
    )
    assert refused.returncode == 2 and "invalid choice: 'maxent_ppo'" in refused.stdout, refused.stdout[-3000:]
    assert trained.returncode == 0, trained.stdout[-3000:]
    enjoy = run(
        [
            "-m",
            "sb3_maxent.enjoy",
            "--algo",
            "maxent_ppo",
            "--env",
            "CartPole-v1",
            "-f",
            "logs",
            "--no-render",
            "-n",
            "300",
            *ZOO_THREADS,
        ],
        tmp_path,
        env=off,
    )
    assert "Loading logs/maxent_ppo/CartPole-v1_1/CartPole-v1.zip" in enjoy.stdout
    assert re.search(r"Episode Reward: \d+", enjoy.stdout), enjoy.stdout[-3000:]


@needs_hook
@needs_requests
def test_enjoy_command(tmp_path):
    run(
        [
            "-m",
            "rl_zoo3.train",
            "--algo",
            "dspg",
            "--env",
            "Pendulum-v1",
            "-n",
            "120",
            "-f",
            "logs",
            "--eval-freq",
            "-1",
            "--hyperparams",
            "learning_starts:100",
            "n_action_samples:4",
            "--verbose",
            "0",
            *ZOO_THREADS,
        ],
        tmp_path,
    )
    enjoy = run(
        [
            "-m",
            "rl_zoo3.enjoy",
            "--algo",
            "dspg",
            "--env",
            "Pendulum-v1",
            "-f",
            "logs",
            "--no-render",
            "-n",
            "210",
            *ZOO_THREADS,
        ],
        tmp_path,
    )
    assert re.search(r"Episode Reward: -\d+", enjoy.stdout), enjoy.stdout[-3000:]


@pytest.mark.parametrize(
    "algo, env_id",
    [
        ("maxent_ppo", "CartPole-v1"),
        ("dspg", "Pendulum-v1"),
        ("softql", "CartPole-v1"),
    ],
)
@pytest.mark.filterwarnings("ignore:You have specified a mini-batch size")
def test_models_load_as_enjoy_loads_them(zoo, tmp_path, algo, env_id):
    """rl_zoo3.enjoy loads every model with learning_rate=0 (and schedules of 0) in custom_objects."""
    _, model, _ = _experiment(zoo, tmp_path, algo, env_id, n_envs=1, policy_kwargs="dict(net_arch=[8])")
    model.save(tmp_path / "model")
    custom_objects = {"learning_rate": 0.0, "lr_schedule": lambda _: 0.0, "clip_range": lambda _: 0.0}
    loaded = zoo.ALGOS[algo].load(tmp_path / "model", custom_objects=custom_objects, seed=0)
    assert loaded.predict(model.observation_space.sample(), deterministic=True)[0] in model.action_space


@needs_hook
def test_error_messages(tmp_path):
    shadow = tmp_path / "no_procgen" / "procgen"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'procgen'\", name='procgen')\n")
    train = ["-m", "rl_zoo3.train", "-f", "logs", "-n", "64", "--eval-freq", "-1", *ZOO_THREADS]
    commands = {
        "unknown algorithm": [*train, "--algo", "maxent_pp", "--env", "CartPole-v1"],
        "unknown env": [*train, "--algo", "maxent_ppo", "--env", "procgen/fruitbt-v0"],
        "env missing from the YAML": [*train, "--algo", "dspg", "--env", "MountainCarContinuous-v0"],
    }
    results = dict(zip(commands, run_parallel(list(commands.values()), tmp_path), strict=True))
    missing_procgen = run(
        [*train, "--algo", "maxent_ppo", "--env", "procgen/fruitbot-v0", "--hyperparams", "n_envs:1"],
        tmp_path,
        env={"PYTHONPATH": str(shadow.parent)},
        check=False,
    )
    for result in (*results.values(), missing_procgen):
        assert result.returncode != 0
    assert re.search(
        r"argument --algo: invalid choice: 'maxent_pp' \(choose from .*maxent_ppo", results["unknown algorithm"].stdout
    )
    assert (
        "procgen/fruitbt-v0 not found in gym registry, you maybe meant procgen/fruitbot-v0?" in results["unknown env"].stdout
    )
    message = results["env missing from the YAML"].stdout
    assert "No hyperparameters for --algo dspg --env MountainCarContinuous-v0" in message, message[-3000:]
    assert "it has entries for HalfCheetah-v5, Hopper-v5, Ant-v5, Walker2d-v5, Pendulum-v1" in message
    assert 'Procgen is not installed: run `pip install "sb3-maxent[procgen]"`' in missing_procgen.stdout, (
        missing_procgen.stdout[-3000:]
    )


_SHIPPED_ENTRIES = [
    (algo, env_id) for algo, path in sorted(shipped_hyperparams().items()) for env_id in yaml.safe_load(path.read_text())
]


@pytest.mark.parametrize("algo, env_id", _SHIPPED_ENTRIES, ids=[f"{algo}-{env_id}" for algo, env_id in _SHIPPED_ENTRIES])
def test_algorithm_kwargs_are_what_rl_zoo_builds(zoo, tmp_path, algo, env_id):
    """
    ``sb3_maxent.zoo.algorithm_kwargs`` (what the quick start, the benchmarks and the agent packaging build an algorithm
    from, without an ExperimentManager) gives, for every shipped entry, the arguments RL Zoo's own preprocessing gives.
    """
    from stable_baselines3.common.utils import FloatSchedule

    from sb3_maxent.zoo import algorithm_kwargs, read_entry

    manager = _manager(zoo, tmp_path, algo, env_id, config=str(hyperparams_path(algo)))
    hyperparams, _ = manager.read_hyperparameters()
    zoo_kwargs = manager._preprocess_hyperparams(hyperparams)[0]
    entry = read_entry(hyperparams_path(algo), env_id)
    ours = algorithm_kwargs(entry)
    # the zoo passes the policy with the kwargs (a class path resolved), ours apart
    policy = zoo_kwargs.pop("policy")
    assert policy == entry["policy"] or f"{policy.__module__}.{policy.__qualname__}" == entry["policy"]
    assert set(ours) == set(zoo_kwargs)
    for key, value in ours.items():
        if callable(value) or callable(zoo_kwargs[key]):  # schedules (the zoo makes floats constant ones): same values
            ours_values, zoo_values = ([FloatSchedule(v)(p) for p in (1.0, 0.5, 0.0)] for v in (value, zoo_kwargs[key]))
            assert ours_values == pytest.approx(zoo_values), key
        else:
            assert value == zoo_kwargs[key], key

"""
``-optimize`` for our algorithms: the samplers draw our own knobs (temperatures, particles, clipping), and an Optuna
storage lets several workers tune one study: SQLite (the quick path) and a real PostgreSQL server.

The PostgreSQL test needs a server and a driver: set ``SB3_MAXENT_TEST_POSTGRES_URL`` to a SQLAlchemy URL such as
``postgresql+psycopg://postgres@127.0.0.1:55432/postgres`` (``.ci/run`` starts a throwaway server on loopback).
"""

import importlib.util
import os
import uuid

import optuna
import pytest
from zoo_helpers import ZOO_THREADS, needs_hook, run_parallel

from sb3_maxent.zoo import hyperparams_opt, register

pytest.importorskip("rl_zoo3")

POSTGRES_URL_VAR = "SB3_MAXENT_TEST_POSTGRES_URL"


def test_samplers_draw_our_knobs():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    expected = {
        (hyperparams_opt.sample_maxent_ppo_params, 0): {"maxent_coef", "maxent_mode"},
        (hyperparams_opt.sample_dspg_params, 3): {"ent_coef", "n_action_samples", "max_grad_norm", "per_state_baseline"},
        (hyperparams_opt.sample_softql_params, 0): {"ent_coef"},  # no particles for Discrete actions
        (hyperparams_opt.sample_softql_params, 2): {
            "ent_coef",
            "n_value_particles",
            "n_kernel_particles",
            "kernel_update_ratio",
        },
    }
    for _ in range(10):
        for (sampler, n_actions), names in expected.items():
            trial = study.ask()
            params = sampler(trial, n_actions, 1, {})
            assert set(params) == names
            # a trial's parameters are the algorithm's arguments (`--trial-id` uses the converter)
            assert hyperparams_opt.convert_params(trial.params) == params
            assert 1e-3 <= params.get("maxent_coef", params.get("ent_coef")) <= 1.0
            study.tell(trial, 0.0)
    register(eager=True)
    from rl_zoo3.hyperparams_opt import HYPERPARAMS_CONVERTER, HYPERPARAMS_SAMPLER

    assert HYPERPARAMS_SAMPLER["softql"] is hyperparams_opt.sample_softql_params
    assert HYPERPARAMS_CONVERTER["maxentppo"] is hyperparams_opt.convert_params


def _optimize_args(algo: str, env_id: str, storage: str, study_name: str, seed: int, n_trials: int, *extra: str) -> list[str]:
    """``python -m rl_zoo3.train ... -optimize`` with a tiny evaluation, random sampling, no pruner, no plots."""
    return [
        *("-m", "rl_zoo3.train", "--algo", algo, "--env", env_id, "-optimize", "--n-trials", str(n_trials)),
        *("--n-evaluations", "1", "--eval-episodes", "1", "--storage", storage, "--study-name", study_name),
        *("--sampler", "random", "--pruner", "none", "--no-optim-plots", "--seed", str(seed), *ZOO_THREADS),
        *extra,
    ]


def _optimize_command(storage: str, study_name: str, seed: int) -> list[str]:
    return _optimize_args(
        "maxent_ppo",
        "CartPole-v1",
        storage,
        study_name,
        seed,
        1,
        *("-n", "128", "-f", "logs", "--hyperparams", "n_envs:1", "n_steps:64", "batch_size:64", "n_epochs:1"),
    )


def _two_workers_tune_one_study(tmp_path, storage: str, enqueue_grid: bool = True) -> optuna.Study:
    """
    Two workers started together on a shared study, which first holds the paper's temperature grid (enqueued) with
    ``enqueue_grid``. SQLite cannot lock the row of an enqueued trial, so two workers may both pop the same one and
    the second fails to finish it (Optuna's known limitation, https://github.com/optuna/optuna/issues/4621): with
    SQLite each worker samples its own trial instead.
    """
    study_name = f"maxent-ppo-grid-{uuid.uuid4().hex[:8]}"
    study = optuna.create_study(storage=storage, study_name=study_name, direction="maximize")
    grid = [0.03, 0.3]
    for maxent_coef in grid if enqueue_grid else []:
        study.enqueue_trial({"maxent_coef": maxent_coef, "maxent_mode": "one_step"})
    results = run_parallel([_optimize_command(storage, study_name, seed) for seed in (1, 2)], tmp_path)
    for result in results:
        assert result.returncode == 0, result.stdout[-4000:]
        assert "Number of finished trials" in result.stdout
    study = optuna.load_study(storage=storage, study_name=study_name)
    complete = study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
    assert len(complete) == 2
    if enqueue_grid:
        assert sorted(trial.params["maxent_coef"] for trial in complete) == grid
    for trial in complete:
        assert trial.value is not None and trial.value > 0  # CartPole's return over the evaluation episode
    return study


@needs_hook
def test_optimize_with_sqlite_storage(tmp_path):
    # several processes write to one SQLite file: wait for its lock instead of failing at once
    _two_workers_tune_one_study(tmp_path, f"sqlite:///{tmp_path / 'study.db'}?timeout=60", enqueue_grid=False)


@needs_hook
@pytest.mark.skipif(
    not os.environ.get(POSTGRES_URL_VAR),
    reason=f"no PostgreSQL server: set {POSTGRES_URL_VAR} (e.g. postgresql+psycopg://postgres@127.0.0.1:55432/postgres)",
)
@pytest.mark.skipif(
    importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is None,
    reason="no PostgreSQL driver: pip install 'psycopg[binary]'",
)
def test_optimize_with_postgresql_storage(tmp_path):
    storage = os.environ[POSTGRES_URL_VAR]
    study = _two_workers_tune_one_study(tmp_path, storage)
    optuna.delete_study(study_name=study.study_name, storage=storage)


# A gym package for `--gym-packages`: CartPole and Pendulum whose rewards become NaN after 20 steps in the first two
# envs a process makes (the first trial's training env, and its evaluation env), clean afterwards
NAN_ENVS_MODULE = """
import gymnasium as gym


class NanInFirstTrial(gym.Wrapper):
    made = 0

    def __init__(self, env):
        super().__init__(env)
        self.poisoned = NanInFirstTrial.made < 2
        NanInFirstTrial.made += 1
        self.steps = 0

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        return obs, float("nan") if self.poisoned and self.steps > 20 else reward, terminated, truncated, info


class AlwaysNan(NanInFirstTrial):
    def __init__(self, env):
        super().__init__(env)
        self.poisoned = True


gym.register("NanCartPole-v0", entry_point=lambda **kwargs: NanInFirstTrial(gym.make("CartPole-v1", **kwargs)))
gym.register("AlwaysNanCartPole-v0", entry_point=lambda **kwargs: AlwaysNan(gym.make("CartPole-v1", **kwargs)))
gym.register("NanPendulum-v0", entry_point=lambda **kwargs: NanInFirstTrial(gym.make("Pendulum-v1", **kwargs)))
"""

SMALL_OFF_POLICY = dict(
    policy="MlpPolicy", learning_starts=32, batch_size=16, train_freq=1, gradient_steps=1, policy_kwargs="dict(net_arch=[16])"
)
NAN_STUDIES = {
    "maxent_ppo": ("NanCartPole-v0", dict(policy="MlpPolicy", n_envs=1, n_steps=64, batch_size=32, n_epochs=1)),
    "softql": ("NanCartPole-v0", SMALL_OFF_POLICY),
    "dspg": ("NanPendulum-v0", SMALL_OFF_POLICY),
}


@needs_hook
def test_optimize_prunes_nan_trials_and_finishes_the_study(tmp_path):
    """A trial whose update becomes NaN raises NonFiniteError (a ValueError): RL Zoo prunes it and the study goes on."""
    import yaml

    (tmp_path / "nan_envs.py").write_text(NAN_ENVS_MODULE)
    commands = []
    for algo, (env_id, entry) in NAN_STUDIES.items():
        config = tmp_path / f"{algo}.yml"
        config.write_text(yaml.safe_dump({env_id: {**entry, "n_timesteps": 192}}))
        storage = f"sqlite:///{tmp_path / (algo + '.db')}?timeout=60"
        extra = ("--gym-packages", "nan_envs", "-conf", str(config), "-f", str(tmp_path / "logs"))
        commands.append(_optimize_args(algo, env_id, storage, algo, 0, 3, *extra))
    for (algo, _), result in zip(NAN_STUDIES.items(), run_parallel(commands, tmp_path, timeout=600), strict=True):
        assert result.returncode == 0, f"{algo}:\n{result.stdout[-4000:]}"
        study = optuna.load_study(storage=f"sqlite:///{tmp_path / (algo + '.db')}", study_name=algo)
        states = [trial.state for trial in study.trials]
        assert len(states) == 3, (algo, states)
        assert states[0] == optuna.trial.TrialState.PRUNED, (algo, states, result.stdout[-3000:])
        assert "the update was not applied" in result.stdout, algo
        assert optuna.trial.TrialState.COMPLETE in states[1:], (algo, states, result.stdout[-3000:])


@needs_hook
def test_optimize_whose_every_trial_is_pruned_says_so(tmp_path):
    """No completed trial: a message that says all were pruned and why, exit status 1, the trials kept in the storage."""
    import yaml

    (tmp_path / "nan_envs.py").write_text(NAN_ENVS_MODULE)
    env_id, entry = "AlwaysNanCartPole-v0", NAN_STUDIES["maxent_ppo"][1]
    config = tmp_path / "maxent_ppo.yml"
    config.write_text(yaml.safe_dump({env_id: {**entry, "n_timesteps": 128}}))
    storage = f"sqlite:///{tmp_path / 'study.db'}?timeout=60"
    extra = ("--gym-packages", "nan_envs", "-conf", str(config), "-f", str(tmp_path / "logs"))
    (result,) = run_parallel([_optimize_args("maxent_ppo", env_id, storage, "all-pruned", 0, 2, *extra)], tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "all 2 trial(s) of this run were pruned" in result.stdout
    assert "NonFiniteError" in result.stdout and "the update was not applied" in result.stdout
    assert "Record does not exist" not in result.stdout.split("-optimize: all")[0]  # (no bare traceback before it)
    study = optuna.load_study(storage=storage, study_name="all-pruned")
    assert [trial.state for trial in study.trials] == [optuna.trial.TrialState.PRUNED] * 2
    assert all("the update was not applied" in trial.user_attrs["pruned_because"] for trial in study.trials)

"""
Save and load are exact: every saved tensor, optimizer state, temperature, hyperparameter, schedule and the replay
buffer come back, the loaded model predicts the same actions, and its next updates are those of the original.
"""

import copy
import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from algorithms import ALGORITHMS, assert_same, optimizers, params_equal
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure
from stable_baselines3.common.utils import set_random_seed

from sb3_maxent import DSPG, ExponentialSchedule, MaxEntPPO, SoftQL

REPLAY_ARRAYS = ("observations", "actions", "rewards", "next_observations", "dones", "timeouts")
# what SB3 sets anew when a model is loaded with an environment (the next learn() resets it)
RESET_BY_LOAD = {"_last_obs", "_last_original_obs", "_last_episode_starts"}


def _attr(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def assert_same_value(saved, loaded, name: str) -> None:
    """A saved attribute came back: the same value, array, space, class, or schedule (the same values)."""
    if isinstance(saved, np.ndarray):
        assert np.array_equal(saved, loaded), name
    elif isinstance(saved, type):
        assert saved is loaded, name
    elif callable(saved) and not isinstance(saved, spaces.Space):  # a schedule
        assert type(saved) is type(loaded), name
        assert repr(saved) == repr(loaded), name
        for progress in (1.0, 0.3, 0.0):
            assert saved(progress) == loaded(progress), name
    else:
        assert saved == loaded, name


def saved_data(model) -> dict:
    """The attributes SB3 saves in data (all but the excluded ones and the torch ones)."""
    state_dicts, torch_variables = model._get_torch_save_params()
    excluded = {*model._excluded_save_params(), *state_dicts, *torch_variables, *RESET_BY_LOAD}
    return {name: value for name, value in model.__dict__.items() if name not in excluded}


def assert_same_torch_state(model, loaded) -> None:
    """Every tensor (target networks included), optimizer state and temperature is the same."""
    assert type(loaded.policy) is type(model.policy)
    assert params_equal(model, loaded)
    assert optimizers(model).keys() == optimizers(loaded).keys()
    for name, optimizer in optimizers(model).items():
        assert_same(optimizer.state_dict(), optimizers(loaded)[name].state_dict(), name)
    state_dicts, torch_variables = model._get_torch_save_params()
    for state_dict in state_dicts:
        assert_same(_attr(model, state_dict).state_dict(), _attr(loaded, state_dict).state_dict(), state_dict)
    for variable in torch_variables:
        assert th.equal(_attr(model, variable), _attr(loaded, variable)), variable
        assert _attr(loaded, variable).requires_grad == _attr(model, variable).requires_grad, variable
    if getattr(model, "log_ent_coef", None) is not None:
        assert th.equal(model.log_ent_coef, loaded.log_ent_coef)


def assert_same_data(model, loaded) -> None:
    """Every hyperparameter, counter and schedule is the same, and the policy's constructor arguments."""
    data = saved_data(model)
    assert data.keys() == saved_data(loaded).keys()
    for attribute, value in data.items():
        assert_same_value(value, getattr(loaded, attribute), attribute)
    parameters, loaded_parameters = model.policy._get_constructor_parameters(), loaded.policy._get_constructor_parameters()
    assert parameters.keys() == loaded_parameters.keys()
    for parameter, value in parameters.items():
        if parameter != "lr_schedule":  # (a new FloatSchedule of the same schedule: compared with the data)
            assert_same_value(value, loaded_parameters[parameter], parameter)


def save_load_cases():
    schedule = dict(maxent_coef=ExponentialSchedule(0.5, 0.05))
    return [
        pytest.param("MaxEntPPO", schedule, id="MaxEntPPO-schedule"),
        pytest.param("MaxEntPPO-soft_returns", schedule, id="MaxEntPPO-soft_returns-schedule"),
        pytest.param("DSPG", dict(ent_coef="auto"), id="DSPG-auto"),
        pytest.param("DSPG", dict(ent_coef=0.3), id="DSPG-0.3"),
        pytest.param("SoftQL-discrete", dict(ent_coef=0.5), id="SoftQL-discrete-0.5"),
        pytest.param("SoftQL-discrete", dict(ent_coef="auto_0.3"), id="SoftQL-discrete-auto_0.3"),
        pytest.param("SoftQL-continuous", dict(ent_coef=0.2), id="SoftQL-continuous-0.2"),
    ]


@pytest.mark.parametrize("name, overrides", save_load_cases())
def test_save_load_round_trip_is_exact(name, overrides, tmp_path):
    algorithm = ALGORITHMS[name]
    env = make_vec_env(algorithm.env_id, n_envs=2, seed=0)
    model = algorithm.make(env, seed=1, **overrides).learn(2 * algorithm.n_timesteps)
    model.save(tmp_path / "model.zip")
    loaded = algorithm.algorithm.load(tmp_path / "model.zip", env=make_vec_env(algorithm.env_id, n_envs=2, seed=0))
    if algorithm.off_policy:
        model.save_replay_buffer(tmp_path / "buffer.pkl")
        loaded.load_replay_buffer(tmp_path / "buffer.pkl")

    assert_same_torch_state(model, loaded)
    ent_coef = overrides.get("ent_coef")
    if isinstance(ent_coef, str):  # learned, saved, and still learnable
        assert loaded.log_ent_coef.requires_grad
        initial = float(ent_coef.split("_")[1]) if "_" in ent_coef else 1.0
        assert not math.isclose(float(loaded.log_ent_coef.detach().exp()), initial)
        assert "ent_coef" in optimizers(loaded)
    elif ent_coef is not None:
        assert loaded.ent_coef_tensor.item() == pytest.approx(ent_coef)
    assert_same_data(model, loaded)
    if isinstance(model, MaxEntPPO):
        assert loaded.maxent_coef.value_schedule == overrides["maxent_coef"]
        assert loaded.maxent_mode == model.maxent_mode
        assert type(loaded.rollout_buffer) is type(model.rollout_buffer)
    if isinstance(model, DSPG):
        assert loaded.actor.squash_output == model.actor.squash_output
    # the replay buffer
    if algorithm.off_policy:
        assert type(loaded.replay_buffer) is type(model.replay_buffer)
        for array in REPLAY_ARRAYS:
            assert np.array_equal(getattr(model.replay_buffer, array), getattr(loaded.replay_buffer, array)), array
        assert (loaded.replay_buffer.pos, loaded.replay_buffer.full) == (model.replay_buffer.pos, model.replay_buffer.full)

    observations = np.stack([model.observation_space.sample() for _ in range(5)])
    actions, _ = model.predict(observations, deterministic=True)
    np.testing.assert_array_equal(loaded.predict(observations, deterministic=True)[0], actions)

    # Everything the update depends on came back: with the same random streams (and, for MaxEntPPO, the same
    # rollout: it is not saved) the next updates are identical, target copies and temperature steps included
    if not algorithm.off_policy:
        loaded.rollout_buffer = copy.deepcopy(model.rollout_buffer)
    before = copy.deepcopy(model.policy.state_dict())
    for algo in (model, loaded):
        algo.set_logger(configure(None, []))  # as in SB3, a loaded model has a logger only once learn() starts
        set_random_seed(123)
        if algorithm.off_policy:
            algo.train(gradient_steps=15, batch_size=algo.batch_size)
        else:
            algo.train()
    assert not all(th.equal(before[key], value) for key, value in model.policy.state_dict().items())  # they did update
    assert_same_torch_state(model, loaded)
    loaded.learn(algorithm.n_timesteps, reset_num_timesteps=False)  # training continues after loading


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("MaxEntPPO", {}),
        ("DSPG", dict(policy_kwargs=dict(squash_output=True))),
        ("SoftQL-discrete", dict(ent_coef=0.25)),
        ("SoftQL-continuous", dict(ent_coef=0.25)),
    ],
)
def test_policy_save_load(name, overrides, tmp_path):
    algorithm = ALGORITHMS[name]
    model = algorithm.make(seed=0, **overrides).learn(algorithm.n_timesteps)
    model.policy.save(tmp_path / "policy.pth")
    policy = type(model.policy).load(tmp_path / "policy.pth")
    assert_same(model.policy.state_dict(), policy.state_dict())
    obs = np.stack([model.observation_space.sample() for _ in range(5)])
    np.testing.assert_array_equal(model.predict(obs, deterministic=True)[0], policy.predict(obs, deterministic=True)[0])
    if name == "DSPG":
        assert policy.squash_output and policy.actor.squash_output
    if name == "SoftQL-discrete":  # the temperature of the Boltzmann policy is the policy's
        assert math.isclose(float(policy.ent_coef), 0.25, rel_tol=1e-6)


def test_a_file_of_another_algorithm_is_named(tmp_path):
    from stable_baselines3 import PPO

    DSPG("MlpPolicy", "Pendulum-v1", buffer_size=100, policy_kwargs=dict(net_arch=[8])).save(tmp_path / "dspg")
    MaxEntPPO("MlpPolicy", "CartPole-v1", policy_kwargs=dict(net_arch=[8])).save(tmp_path / "maxent_ppo")
    PPO("MlpPolicy", "CartPole-v1", policy_kwargs=dict(net_arch=[8])).save(tmp_path / "ppo")
    for algorithm, name in ((MaxEntPPO, "dspg"), (DSPG, "maxent_ppo"), (SoftQL, "maxent_ppo"), (SoftQL, "dspg")):
        with pytest.raises(ValueError, match=f"the policy of another algorithm: {algorithm.__name__} can load only"):
            algorithm.load(tmp_path / name)
    # each class still loads its own
    assert DSPG.load(tmp_path / "dspg").policy is not None
    assert MaxEntPPO.load(tmp_path / "maxent_ppo").maxent_coef(1.0) == pytest.approx(0.3)


def test_a_ppo_file_loads_as_that_ppo(tmp_path):
    """SB3's PPO files load into MaxEntPPO with maxent_coef=0 (where it is exactly PPO), with a warning; A2C's do not."""
    from stable_baselines3 import A2C, PPO

    kwargs = dict(n_steps=64, batch_size=32, n_epochs=2, policy_kwargs=dict(net_arch=[8]), seed=0)
    PPO("MlpPolicy", "CartPole-v1", **kwargs).learn(64).save(tmp_path / "ppo")
    A2C("MlpPolicy", "CartPole-v1", n_steps=8, policy_kwargs=dict(net_arch=[8])).save(tmp_path / "a2c")
    with pytest.warns(UserWarning, match=r"saved by SB3's PPO: loaded with maxent_coef=0\.0"):
        loaded = MaxEntPPO.load(tmp_path / "ppo", env=gym.make("CartPole-v1"))
    assert loaded.maxent_coef(1.0) == 0.0
    reference = PPO.load(tmp_path / "ppo", env=gym.make("CartPole-v1"))
    for model in (loaded, reference):  # trained on, both make the same update
        model.set_random_seed(1)
        model.learn(64, reset_num_timesteps=False)
    assert_same(loaded.policy.state_dict(), reference.policy.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a coefficient given to load is used, without a warning
        assert MaxEntPPO.load(tmp_path / "ppo", maxent_coef=0.3).maxent_coef(1.0) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="saved by neither MaxEntPPO nor PPO"):
        MaxEntPPO.load(tmp_path / "a2c")

"""Every algorithm learns on each action space it supports, with several environments, and refuses the others."""

import gymnasium as gym
import numpy as np
import pytest
from algorithms import ALGORITHMS, MatrixActionEnv, assert_trained, identity_env
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import IdentityEnv, IdentityEnvMultiBinary, IdentityEnvMultiDiscrete

from sb3_maxent import DSPG, SoftQL


@pytest.mark.parametrize(
    "name, action_space",
    [(name, action_space) for name, algorithm in ALGORITHMS.items() for action_space in algorithm.action_spaces],
)
def test_learns_on_its_action_spaces(name, action_space):
    algorithm = ALGORITHMS[name]
    model = algorithm.make(identity_env(action_space), seed=0).learn(algorithm.n_timesteps)
    assert_trained(model)
    obs = model.env.reset()
    action, _ = model.predict(obs, deterministic=True)
    assert model.action_space.contains(action[0])
    # deterministic predictions are deterministic
    assert np.array_equal(action, model.predict(obs, deterministic=True)[0])


@pytest.mark.parametrize("name", [name for name, algorithm in ALGORITHMS.items() if "Box" in algorithm.action_spaces])
def test_box_actions_of_any_shape(name, tmp_path):
    """A (2, 2) Box action, as SB3 accepts: trained on the flattened action, predicted in the space's shape, and the
    same deterministic action after save/load."""
    algorithm = ALGORITHMS[name]
    model = algorithm.make(MatrixActionEnv(), seed=0).learn(algorithm.n_timesteps)
    assert_trained(model)
    obs = np.zeros((1, 1), np.float32)
    for deterministic in (True, False):
        action, _ = model.predict(obs, deterministic=deterministic)
        assert action.shape == (1, 2, 2) and model.action_space.contains(action[0])
    model.save(tmp_path / "model")
    loaded = type(model).load(tmp_path / "model")
    assert np.array_equal(loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0])


@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_multiple_envs(name):
    algorithm = ALGORITHMS[name]
    env = make_vec_env(algorithm.env_id, n_envs=2, seed=0)
    # a buffer size from a YAML file is a float: it is taken as the integer it is
    overrides = dict(buffer_size=1e3) if algorithm.off_policy else {}
    model = algorithm.make(env, seed=0, **overrides).learn(2 * algorithm.n_timesteps)
    assert_trained(model)
    if algorithm.off_policy:
        assert model.buffer_size == 1000 and model.replay_buffer.n_envs == 2
    else:
        assert model.rollout_buffer.n_envs == 2


class UnboundedBoxEnv(gym.Env):
    """Box actions with infinite bounds (that cannot be rescaled to [-1, 1])."""

    observation_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = spaces.Box(-np.inf, np.inf, (2,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        return np.zeros(1, np.float32), 0.0, True, False, {}


@pytest.mark.parametrize(
    "algorithm, make_env, message",
    [
        # the message names the algorithms of the package that take the space
        (DSPG, lambda: IdentityEnv(dim=3), "SoftQL: Discrete and Box"),
        (DSPG, lambda: IdentityEnvMultiDiscrete(2), "MaxEntPPO: Box, Discrete, MultiDiscrete and MultiBinary"),
        (DSPG, lambda: IdentityEnvMultiBinary(2), "MaxEntPPO: Box, Discrete, MultiDiscrete and MultiBinary"),
        (DSPG, UnboundedBoxEnv, "finite"),
        (SoftQL, lambda: IdentityEnvMultiDiscrete(2), "MaxEntPPO: Box, Discrete, MultiDiscrete and MultiBinary"),
        (SoftQL, lambda: IdentityEnvMultiBinary(2), "DSPG: Box"),
        (SoftQL, UnboundedBoxEnv, "finite"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_unsupported_action_spaces_raise_at_construction(algorithm, make_env, message):
    """SB3's algorithms raise AssertionError for an unsupported action space; so do DSPG (an SB3 off-policy algorithm)
    and SoftQL. For infinite bounds SB3 asserts first, before DSPG's own ValueError would."""
    with pytest.raises((AssertionError, ValueError) if algorithm is DSPG and message == "finite" else AssertionError) as error:
        algorithm("MlpPolicy", make_env())
    if message is not None:
        assert message in str(error.value)

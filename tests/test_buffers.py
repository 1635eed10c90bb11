"""
Float32 replay buffers (``float32_observations``): half the memory for MuJoCo's float64 observations, and the
same training, parameter for parameter, as the float64 buffer.
"""

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3 import SAC
from stable_baselines3.common.buffers import DictReplayBuffer, ReplayBuffer

from sb3_maxent import DSPG, SoftQL
from sb3_maxent.common.buffers import Float32DictReplayBuffer, Float32ReplayBuffer

pytest.importorskip("mujoco")


def _settings(algorithm: type) -> dict:
    """Tiny settings (a new dict each time: SAC writes into its policy_kwargs)."""
    tiny = dict(learning_starts=40, batch_size=16, buffer_size=1_000, policy_kwargs=dict(net_arch=[16, 16]), seed=3)
    extra = {DSPG: dict(n_action_samples=4, gradient_steps=2), SoftQL: dict(n_value_particles=4, n_kernel_particles=4)}
    return dict(tiny, **extra.get(algorithm, {}))


class DictObservation(gym.ObservationWrapper):
    """Hopper's float64 observation split into a Dict of two float64 Boxes."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        low, high = env.observation_space.low, env.observation_space.high
        position, velocity = spaces.Box(low[:5], high[:5], dtype=np.float64), spaces.Box(low[5:], high[5:], dtype=np.float64)
        self.observation_space = spaces.Dict({"position": position, "velocity": velocity})

    def observation(self, observation: np.ndarray) -> dict[str, np.ndarray]:
        return {"position": observation[:5], "velocity": observation[5:]}


def _train(algorithm: type, float32: bool, dict_observations: bool = False):
    env = gym.make("Hopper-v5")
    if dict_observations:
        env = DictObservation(env)
    assert env.observation_space.dtype == np.float64 or dict_observations
    kwargs = _settings(algorithm)
    if algorithm is SAC:
        buffer_class = Float32DictReplayBuffer if dict_observations else Float32ReplayBuffer
        kwargs["replay_buffer_class"] = buffer_class if float32 else None
    else:
        kwargs["float32_observations"] = float32
    policy = "MultiInputPolicy" if dict_observations else "MlpPolicy"
    return algorithm(policy, env, **kwargs).learn(120)


def _observation_arrays(buffer: ReplayBuffer) -> list[np.ndarray]:
    arrays = [buffer.observations, buffer.next_observations]
    return [array for item in arrays for array in (item.values() if isinstance(item, dict) else [item])]


@pytest.mark.parametrize("dict_observations", [False, True], ids=["box", "dict"])
@pytest.mark.parametrize("algorithm", [DSPG, SoftQL, SAC], ids=lambda algorithm: algorithm.__name__)
def test_float32_buffer_halves_the_memory_and_trains_the_same(algorithm, dict_observations):
    float64, float32 = (_train(algorithm, flag, dict_observations) for flag in (False, True))
    expected_class = Float32DictReplayBuffer if dict_observations else Float32ReplayBuffer
    assert type(float32.replay_buffer) is expected_class
    assert type(float64.replay_buffer) is (DictReplayBuffer if dict_observations else ReplayBuffer)
    arrays = zip(_observation_arrays(float64.replay_buffer), _observation_arrays(float32.replay_buffer), strict=True)
    for array64, array32 in arrays:
        assert array64.dtype == np.float64 and array32.dtype == np.float32
        assert array32.nbytes * 2 == array64.nbytes
        assert np.array_equal(array32, array64.astype(np.float32))  # the same transitions, rounded when stored
    # training is unchanged: the networks see float32 observations either way
    parameters64, parameters32 = float64.policy.state_dict(), float32.policy.state_dict()
    assert parameters64.keys() == parameters32.keys()
    for name in parameters64:
        assert th.equal(parameters64[name], parameters32[name]), name


@pytest.mark.parametrize("algorithm", [DSPG, SoftQL], ids=lambda algorithm: algorithm.__name__)
def test_float32_observations_is_saved_and_checked(algorithm, tmp_path):
    model = algorithm("MlpPolicy", "Hopper-v5", float32_observations=True, **_settings(algorithm))
    model.save(tmp_path / "model.zip")
    loaded = algorithm.load(tmp_path / "model.zip")
    assert loaded.float32_observations and type(loaded.replay_buffer) is Float32ReplayBuffer
    with pytest.raises(ValueError, match="float32_observations must be True or False"):
        algorithm("MlpPolicy", "Hopper-v5", float32_observations="yes")
    with pytest.raises(ValueError, match="replay_buffer_class=ReplayBuffer was given"):
        algorithm("MlpPolicy", "Hopper-v5", float32_observations=True, replay_buffer_class=ReplayBuffer)
    # a subclass of the float32 buffer is accepted
    assert algorithm("MlpPolicy", "Hopper-v5", float32_observations=True, replay_buffer_class=Float32ReplayBuffer)

"""
Float32 replay buffers (``replay_buffer_class=Float32ReplayBuffer`` and its Dict and soft n-step variants): half the
memory for MuJoCo's float64 observations, and the same training, parameter for parameter, as the float64 buffer; files
saved with the former ``float32_observations=True`` still load with their buffer.
"""

import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3 import SAC
from stable_baselines3.common.buffers import DictReplayBuffer, ReplayBuffer
from stable_baselines3.common.save_util import json_to_data

from sb3_maxent import DSPG, SoftQL
from sb3_maxent.common.buffers import (
    Float32DictReplayBuffer,
    Float32ReplayBuffer,
    Float32SoftNStepReplayBuffer,
    SoftNStepReplayBuffer,
)

pytest.importorskip("mujoco")

# The buffer each case gets without replay_buffer_class, and its float32 variant
BUFFERS = {
    "box": (ReplayBuffer, Float32ReplayBuffer),
    "dict": (DictReplayBuffer, Float32DictReplayBuffer),
    "n_step": (SoftNStepReplayBuffer, Float32SoftNStepReplayBuffer),
}


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


def _train(algorithm: type, float32: bool, case: str):
    env = gym.make("Hopper-v5")
    if case == "dict":
        env = DictObservation(env)
    assert env.observation_space.dtype == np.float64 or case == "dict"
    kwargs = _settings(algorithm)
    if float32:
        kwargs["replay_buffer_class"] = BUFFERS[case][1]
    if case == "n_step":
        kwargs["n_steps"] = 3
    policy = "MultiInputPolicy" if case == "dict" else "MlpPolicy"
    return algorithm(policy, env, **kwargs).learn(120)


def _observation_arrays(buffer: ReplayBuffer) -> list[np.ndarray]:
    arrays = [buffer.observations, buffer.next_observations]
    return [array for item in arrays for array in (item.values() if isinstance(item, dict) else [item])]


@pytest.mark.parametrize(
    "algorithm, case",
    [
        *((algorithm, case) for algorithm in (DSPG, SoftQL) for case in BUFFERS),
        (SAC, "box"),
        (SAC, "dict"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else value,
)
def test_float32_buffer_halves_the_memory_and_trains_the_same(algorithm, case):
    """Each buffer the algorithm picks itself (plain, Dict, soft n-step) has a float32 variant that trains the same."""
    float64, float32 = (_train(algorithm, flag, case) for flag in (False, True))
    automatic, float32_class = BUFFERS[case]
    assert type(float64.replay_buffer) is automatic and type(float32.replay_buffer) is float32_class
    if case == "n_step":  # given explicitly, the soft buffer still gets the algorithm's n_steps and gamma
        assert (float32.replay_buffer.n_steps, float32.replay_buffer.gamma) == (3, float32.gamma)
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
def test_float32_buffer_is_saved_and_the_old_switch_is_gone(algorithm, tmp_path):
    model = algorithm("MlpPolicy", "Hopper-v5", replay_buffer_class=Float32ReplayBuffer, **_settings(algorithm))
    model.save(tmp_path / "model.zip")
    assert type(algorithm.load(tmp_path / "model.zip").replay_buffer) is Float32ReplayBuffer
    with pytest.raises(TypeError, match="float32_observations"):
        algorithm("MlpPolicy", "Hopper-v5", float32_observations=True)
    # the Box buffer names the Dict one for a Dict observation space
    with pytest.raises(ValueError, match="replay_buffer_class=Float32DictReplayBuffer"):
        algorithm("MultiInputPolicy", DictObservation(gym.make("Hopper-v5")), replay_buffer_class=Float32ReplayBuffer)


def _saved_data(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json_to_data(archive.read("data").decode())


def test_files_of_float32_observations_load_with_their_buffer(tmp_path):
    """
    A packaged agent saved with ``float32_observations=True`` (which its file still holds, with the buffer class it
    chose) loads with that buffer, and the retired attribute is dropped: saved again, the file no longer has it.
    """
    path = Path(__file__).resolve().parent.parent / "agents" / "dspg-Hopper-v5" / "dspg-Hopper-v5.zip"
    if not path.is_file():
        pytest.skip("agents/ is not in the wheel")
    data = _saved_data(path)
    assert data["float32_observations"] is True and data["replay_buffer_class"] is Float32ReplayBuffer
    model = DSPG.load(path, buffer_size=100)
    assert type(model.replay_buffer) is Float32ReplayBuffer and model.replay_buffer.observations.dtype == np.float32
    assert not hasattr(model, "float32_observations")
    model.save(tmp_path / "again.zip")
    data = _saved_data(tmp_path / "again.zip")
    assert "float32_observations" not in data and data["replay_buffer_class"] is Float32ReplayBuffer

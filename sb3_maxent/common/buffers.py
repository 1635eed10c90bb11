"""
Replay buffers that store float64 observations as float32.

SB3's replay buffers store observations with the observation space's dtype. MuJoCo's observations are float64, so a
buffer of 1e6 Ant-v5 transitions (105 numbers, observation and next observation) takes 1.7 GB, twice what the
networks can use: SB3's policies turn every observation into float32 before the first layer
(``preprocess_obs``). These buffers store float64 Box observations as float32 (other spaces unchanged), which halves
that memory and changes nothing in training: the rounding to float32 happens when the transition is stored instead
of when it is sampled.

They work with any SB3 off-policy algorithm (``SAC(..., replay_buffer_class=Float32ReplayBuffer)``); DSPG and SoftQL
pick the right one themselves with ``float32_observations=True``.
"""

from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.buffers import DictReplayBuffer, ReplayBuffer


def float32_observation_space(observation_space: spaces.Space) -> spaces.Space:
    """
    The observation space with its float64 Box spaces (also inside a Dict) made float32; other spaces unchanged.

    :param observation_space: The environment's observation space
    :return: The space whose dtype the buffer stores
    """
    if isinstance(observation_space, spaces.Dict):
        return spaces.Dict({key: float32_observation_space(space) for key, space in observation_space.spaces.items()})
    if isinstance(observation_space, spaces.Box) and observation_space.dtype == np.float64:
        return spaces.Box(
            low=observation_space.low.astype(np.float32),
            high=observation_space.high.astype(np.float32),
            shape=observation_space.shape,
            dtype=np.float32,
        )
    return observation_space


class Float32ReplayBuffer(ReplayBuffer):
    """
    SB3's ``ReplayBuffer``, storing float64 Box observations as float32 (see the module's docstring).

    :param buffer_size: Max number of elements in the buffer
    :param observation_space: Observation space (float64 is stored as float32)
    :param action_space: Action space
    :param device: PyTorch device
    :param n_envs: Number of parallel environments
    :param optimize_memory_usage: Enable a memory efficient variant of the replay buffer (SB3's)
    :param handle_timeout_termination: Handle timeout termination (due to timelimit) separately and treat the task as
        infinite horizon task (SB3's)
    """

    def __init__(self, buffer_size: int, observation_space: spaces.Space, action_space: spaces.Space, **kwargs: Any) -> None:
        super().__init__(buffer_size, float32_observation_space(observation_space), action_space, **kwargs)


class Float32DictReplayBuffer(DictReplayBuffer):
    """
    SB3's ``DictReplayBuffer``, storing the float64 Box observations of a Dict space as float32.

    :param buffer_size: Max number of elements in the buffer
    :param observation_space: Observation space (its float64 Box spaces are stored as float32)
    :param action_space: Action space
    :param device: PyTorch device
    :param n_envs: Number of parallel environments
    :param optimize_memory_usage: Not supported by SB3's ``DictReplayBuffer``
    :param handle_timeout_termination: Handle timeout termination (due to timelimit) separately and treat the task as
        infinite horizon task (SB3's)
    """

    def __init__(self, buffer_size: int, observation_space: spaces.Dict, action_space: spaces.Space, **kwargs: Any) -> None:
        super().__init__(buffer_size, float32_observation_space(observation_space), action_space, **kwargs)  # type: ignore[arg-type]


FLOAT32_BUFFERS = (Float32ReplayBuffer, Float32DictReplayBuffer)


def check_float32_observations(algorithm: str, float32_observations: Any, replay_buffer_class: type | None) -> None:
    """
    Refuse a ``float32_observations`` that is not a bool, or that contradicts an explicit ``replay_buffer_class``.

    :param algorithm: The algorithm's name, for the message
    :param float32_observations: Its ``float32_observations`` argument
    :param replay_buffer_class: Its ``replay_buffer_class`` argument
    """
    if not isinstance(float32_observations, (bool, np.bool_)):
        raise ValueError(f"{algorithm}: float32_observations must be True or False, got {float32_observations!r}")
    if float32_observations and replay_buffer_class is not None and not issubclass(replay_buffer_class, FLOAT32_BUFFERS):
        raise ValueError(
            f"{algorithm}: float32_observations=True chooses the replay buffer (Float32ReplayBuffer or "
            f"Float32DictReplayBuffer), but replay_buffer_class={replay_buffer_class.__name__} was given: give one "
            "of the two, or a subclass of them"
        )


def replay_buffer_class_for(
    observation_space: spaces.Space, float32_observations: bool, replay_buffer_class: type[ReplayBuffer] | None
) -> type[ReplayBuffer] | None:
    """
    The replay buffer class an off-policy algorithm of the package uses (``None``: SB3's choice).

    :param observation_space: The algorithm's observation space
    :param float32_observations: Whether float64 observations are stored as float32
    :param replay_buffer_class: The class the user gave, if any
    """
    if not float32_observations or replay_buffer_class is not None:
        return replay_buffer_class
    return Float32DictReplayBuffer if isinstance(observation_space, spaces.Dict) else Float32ReplayBuffer

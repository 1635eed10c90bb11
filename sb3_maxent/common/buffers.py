"""
Replay buffers that store float64 observations as float32, and the n-step replay buffer of the soft targets.

SB3's replay buffers store observations with the observation space's dtype. MuJoCo's observations are float64, so a
buffer of 1e6 Ant-v5 transitions (105 numbers, observation and next observation) takes 1.7 GB, twice what the
networks can use: SB3's policies turn every observation into float32 before the first layer
(``preprocess_obs``). These buffers store float64 Box observations as float32 (other spaces unchanged), which halves
that memory and changes nothing in training: the rounding to float32 happens when the transition is stored instead
of when it is sampled.

They are chosen as SB3 chooses any buffer, with ``replay_buffer_class``, and work with any SB3 off-policy algorithm.
That is the one way, for DSPG and SoftQL too (their former ``float32_observations=True`` switch picked the same
classes): SB3's own argument, which an SB3 user already knows, serves SB3's algorithms as well, and a class given
explicitly is never replaced behind the user's back. There is one for each buffer the algorithms pick themselves:

- ``Float32ReplayBuffer`` for SB3's ``ReplayBuffer`` (Box and other non-Dict observation spaces);
- ``Float32DictReplayBuffer`` for SB3's ``DictReplayBuffer`` (Dict observation spaces);
- ``Float32SoftNStepReplayBuffer`` for ``SoftNStepReplayBuffer`` (DSPG and SoftQL with ``n_steps > 1``; given
  explicitly, it still gets the algorithm's ``n_steps`` and ``gamma``, see ``n_step_setup``).

For example ``DSPG("MlpPolicy", "Hopper-v5", replay_buffer_class=Float32ReplayBuffer)``,
``SoftQL("MlpPolicy", "Hopper-v5", n_steps=3, replay_buffer_class=Float32SoftNStepReplayBuffer)`` or
``SAC("MlpPolicy", "Hopper-v5", replay_buffer_class=Float32ReplayBuffer)``. Files saved with
``float32_observations=True`` hold the class it chose and load with it.

``SoftNStepReplayBuffer`` is SB3's ``NStepReplayBuffer`` that also returns the intermediate states and actions of each
n-step segment: a soft (max-ent) n-step target needs the policy's log-probabilities there, not only the summed reward.
DSPG and SoftQL use it themselves with ``n_steps > 1``.

DSPG's and SoftQL's checks of their replay arguments (the n-step buffer, ``train_freq`` and ``gradient_steps``) and the
choice of their buffer are here too.
"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.buffers import DictReplayBuffer, NStepReplayBuffer, ReplayBuffer
from stable_baselines3.common.vec_env import VecNormalize


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
        _refuse_dict(type(self), observation_space)
        super().__init__(buffer_size, float32_observation_space(observation_space), action_space, **kwargs)


def _refuse_dict(buffer_class: type, observation_space: spaces.Space) -> None:
    """SB3's ``ReplayBuffer`` fails on a Dict space with an unrelated error: name the buffer that takes one."""
    if isinstance(observation_space, spaces.Dict):
        raise ValueError(
            f"{buffer_class.__name__} stores Box observations; for a Dict observation space use "
            "replay_buffer_class=Float32DictReplayBuffer (n-step returns are not supported for Dict spaces, as in SB3)"
        )


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


class SoftNStepReplayBufferSamples(NamedTuple):
    """
    SB3's ``ReplayBufferSamples`` of an n-step segment (same first six fields, in the same order), with its
    intermediate steps ``k = 1 .. n - 1``.

    :param observations: ``s_t``
    :param actions: ``a_t``
    :param next_observations: the observation after the last step of the segment (``s_{t+m}``, ``m <= n`` steps)
    :param dones: 1 if the segment ends with a termination (no bootstrap), 0 otherwise (time-outs bootstrap)
    :param rewards: ``sum_{k < m} gamma^k r_{t+k}``
    :param discounts: ``gamma^m``, the discount of the bootstrap
    :param intermediate_observations: ``s_{t+k}``, shape ``(batch_size, n - 1, *obs_shape)``
    :param intermediate_actions: ``a_{t+k}``, shape ``(batch_size, n - 1, action_dim)``
    :param intermediate_discounts: ``gamma^k`` for the steps inside the segment (``k < m``), 0 after its end,
        shape ``(batch_size, n - 1)``
    """

    observations: th.Tensor
    actions: th.Tensor
    next_observations: th.Tensor
    dones: th.Tensor
    rewards: th.Tensor
    discounts: th.Tensor
    intermediate_observations: th.Tensor
    intermediate_actions: th.Tensor
    intermediate_discounts: th.Tensor

    def flat_intermediate_steps(self) -> tuple[th.Tensor, th.Tensor]:
        """The intermediate observations and actions as one batch of ``batch_size * (n - 1)`` (for one network pass)."""
        observations, actions = self.intermediate_observations, self.intermediate_actions
        n_steps = observations.shape[0] * observations.shape[1]
        return observations.reshape(n_steps, *observations.shape[2:]), actions.reshape(n_steps, -1)

    def discounted_sum(self, terms: th.Tensor) -> th.Tensor:
        """
        ``sum_k gamma^k terms_k`` over each segment's intermediate steps, shape ``(batch_size, 1)``.

        :param terms: One value per intermediate step (``batch_size * (n - 1)`` values, as
            :meth:`flat_intermediate_steps` orders them)
        """
        weights = self.intermediate_discounts
        terms = terms.reshape(weights.shape)
        # Steps after the end of the segment (zero discount) may be another episode's: masked, not multiplied
        return th.where(weights > 0, weights * terms, th.zeros_like(terms)).sum(dim=1, keepdim=True)


class SoftNStepReplayBuffer(NStepReplayBuffer):
    """
    SB3's ``NStepReplayBuffer`` (same sampling, summed rewards, per-sample discounts and done / time-out handling:
    a segment stops at the first termination or time-out, a time-out bootstraps, a termination does not), whose
    samples also hold the intermediate observations and actions of the segment (``SoftNStepReplayBufferSamples``).

    The soft n-step target needs them: ``sum_k gamma^k (r_{t+k} - alpha log pi(a_{t+k}|s_{t+k}))`` over the
    steps ``k >= 1`` of the segment depends on the current policy, so it is computed when sampling, not when
    storing. No extra memory: the segment is read from the stored transitions.

    DSPG and SoftQL use it automatically with ``n_steps > 1``. They refuse SB3's plain ``NStepReplayBuffer`` with
    an error rather than swapping it for this one: a class the user names explicitly (perhaps a subclass with its
    own sampling) is not replaced behind their back, and the plain buffer cannot give the entropy terms.
    Like SB3's, it does not support Dict observations or ``optimize_memory_usage``.

    :param buffer_size: Max number of element in the buffer
    :param observation_space: Observation space
    :param action_space: Action space
    :param device: PyTorch device
    :param n_envs: Number of parallel environments
    :param optimize_memory_usage: Not supported
    :param handle_timeout_termination: Handle timeout termination (due to timelimit) separately and treat the task as
        infinite horizon task (SB3's)
    :param n_steps: Number of steps of the n-step returns
    :param gamma: Discount factor (the algorithm's)
    """

    def _get_samples(self, batch_inds: np.ndarray, env: VecNormalize | None = None) -> SoftNStepReplayBufferSamples:  # type: ignore[override]
        # SB3's NStepReplayBuffer._get_samples, keeping the segment's indices and mask
        env_indices = np.random.randint(0, self.n_envs, size=batch_inds.shape)
        # The newest transition is temporarily marked as a time-out if it is not done, so that no segment runs
        # into the oldest ones (the next positions of a full buffer)
        last_valid_index = self.pos - 1
        original_timeout_values = self.timeouts[last_valid_index].copy()
        self.timeouts[last_valid_index] = np.logical_or(original_timeout_values, np.logical_not(self.dones[last_valid_index]))

        indices = (batch_inds[:, None] + np.arange(self.n_steps).reshape(1, -1)) % self.buffer_size  # [batch, n_steps]
        segment_envs = env_indices[:, None]
        rewards_seq = self._normalize_reward(self.rewards[indices, segment_envs], env)
        done_or_truncated = np.logical_or(self.dones[indices, segment_envs], self.timeouts[indices, segment_envs])
        # The segment ends at its first done / time-out (inclusive), or after n_steps
        done_idx = np.where(done_or_truncated.any(axis=1), done_or_truncated.argmax(axis=1), self.n_steps - 1)
        mask = np.arange(self.n_steps).reshape(1, -1) <= done_idx[:, None]  # [batch, n_steps]
        target_q_discounts = self.gamma ** mask.sum(axis=1, keepdims=True).astype(np.float32)  # [batch, 1]
        step_discounts = self.gamma ** np.arange(self.n_steps, dtype=np.float32).reshape(1, -1)  # [1, n_steps]
        n_step_returns = (rewards_seq * step_discounts * mask).sum(axis=1, keepdims=True)  # [batch, 1]

        last_indices = (batch_inds + done_idx) % self.buffer_size
        next_obs = self._normalize_obs(self.next_observations[last_indices, env_indices], env)
        next_dones = self.dones[last_indices, env_indices][:, None].astype(np.float32)
        next_timeouts = self.timeouts[last_indices, env_indices][:, None].astype(np.float32)
        final_dones = next_dones * (1.0 - next_timeouts)
        self.timeouts[last_valid_index] = original_timeout_values

        obs = self._normalize_obs(self.observations[batch_inds, env_indices], env)
        # The intermediate steps k = 1 .. n - 1 (those after the segment's end get a zero discount)
        intermediate_indices = indices[:, 1:]
        intermediate_obs = self._normalize_obs(self.observations[intermediate_indices, segment_envs], env)
        intermediate_discounts = (step_discounts * mask)[:, 1:]
        return SoftNStepReplayBufferSamples(
            observations=self.to_torch(obs),  # type: ignore[arg-type]
            actions=self.to_torch(self.actions[batch_inds, env_indices]),
            next_observations=self.to_torch(next_obs),  # type: ignore[arg-type]
            dones=self.to_torch(final_dones),
            rewards=self.to_torch(n_step_returns),
            discounts=self.to_torch(target_q_discounts),
            intermediate_observations=self.to_torch(intermediate_obs),  # type: ignore[arg-type]
            intermediate_actions=self.to_torch(self.actions[intermediate_indices, segment_envs]),
            intermediate_discounts=self.to_torch(intermediate_discounts.astype(np.float32)),
        )


class Float32SoftNStepReplayBuffer(SoftNStepReplayBuffer):
    """
    ``SoftNStepReplayBuffer``, storing float64 Box observations as float32 (see the module's docstring).

    :param buffer_size: Max number of element in the buffer
    :param observation_space: Observation space (float64 is stored as float32)
    :param action_space: Action space
    :param device: PyTorch device
    :param n_envs: Number of parallel environments
    :param optimize_memory_usage: Not supported
    :param handle_timeout_termination: Handle timeout termination (due to timelimit) separately and treat the task as
        infinite horizon task (SB3's)
    :param n_steps: Number of steps of the n-step returns
    :param gamma: Discount factor (the algorithm's)
    """

    def __init__(self, buffer_size: int, observation_space: spaces.Space, action_space: spaces.Space, **kwargs: Any) -> None:
        _refuse_dict(type(self), observation_space)
        super().__init__(buffer_size, float32_observation_space(observation_space), action_space, **kwargs)


def check_n_step_replay(
    algorithm: str, n_steps: Any, replay_buffer_class: type | None, replay_buffer_kwargs: dict[str, Any] | None
) -> None:
    """
    Refuse an ``n_steps`` that is not an integer >= 1, an ``n_steps`` in ``replay_buffer_kwargs`` without a buffer
    class (SB3 would pass it to its one-step ``ReplayBuffer``, or override it with ``n_steps``), and SB3's plain
    ``NStepReplayBuffer``: it sums the n rewards only, so a soft target built on it would silently leave out the
    intermediate ``-alpha log pi`` terms of the max-ent return (``SoftNStepReplayBuffer`` gives them; it is chosen
    automatically with ``n_steps > 1``).

    :param algorithm: The algorithm's name, for the message
    :param n_steps: Its ``n_steps`` argument
    :param replay_buffer_class: Its ``replay_buffer_class`` argument
    :param replay_buffer_kwargs: Its ``replay_buffer_kwargs`` argument
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"`n_steps` must be an integer >= 1, got {n_steps!r}")
    buffer_n_steps = (replay_buffer_kwargs or {}).get("n_steps")
    if replay_buffer_class is None and buffer_n_steps is not None:
        raise ValueError(
            f"{algorithm}: replay_buffer_kwargs n_steps={buffer_n_steps!r} without a replay_buffer_class: pass "
            "n_steps=N to the algorithm instead (SoftNStepReplayBuffer is then used)"
        )
    if (
        isinstance(replay_buffer_class, type)
        and issubclass(replay_buffer_class, NStepReplayBuffer)
        and not issubclass(replay_buffer_class, SoftNStepReplayBuffer)
    ):
        raise ValueError(
            f"{algorithm}: replay_buffer_class={replay_buffer_class.__name__} sums the n rewards only, so the soft "
            "target would leave out the entropy terms -alpha log pi of the intermediate steps. Pass n_steps=N "
            "(without replay_buffer_class: SoftNStepReplayBuffer is then used), or replay_buffer_class="
            "sb3_maxent.common.buffers.SoftNStepReplayBuffer with replay_buffer_kwargs=dict(n_steps=N)."
        )


def check_train_schedule(algorithm: str, train_freq: Any, gradient_steps: Any) -> None:
    """
    Refuse, at construction, a ``train_freq`` or ``gradient_steps`` that SB3 would misread or refuse only later.

    What SB3 refuses itself: a ``train_freq`` unit other than ``"step"`` and ``"episode"`` and a frequency that is not
    an ``int`` (``ValueError``, at construction), a frequency of 0 or less only once ``learn()`` collects
    (``AssertionError``). It takes any integer ``gradient_steps``: 0 collects transitions and never trains (a use of
    its own, e.g. filling the buffer or SB3's generic tests, so it is accepted here too, with a warning, since SB3 says
    nothing), and every negative value means as many gradient steps as environment steps in the rollout (documented
    as -1). Refused here as well: a frequency below 1, and a ``gradient_steps`` that is neither an integer >= 0 nor -1.

    :param algorithm: The algorithm's name, for the message
    :param train_freq: Its ``train_freq`` argument (an integer, or a tuple of frequency and unit)
    :param gradient_steps: Its ``gradient_steps`` argument
    """
    frequency = train_freq[0] if isinstance(train_freq, tuple) and len(train_freq) > 0 else train_freq
    if isinstance(frequency, (int, np.integer)) and not isinstance(frequency, (bool, np.bool_)) and frequency < 1:
        raise ValueError(
            f"{algorithm}: the frequency of `train_freq` must be an integer >= 1, got {train_freq!r}: learn() would "
            "never collect a step or an episode to train on"
        )
    is_integer = isinstance(gradient_steps, (int, np.integer)) and not isinstance(gradient_steps, (bool, np.bool_))
    if not is_integer or (gradient_steps < 0 and gradient_steps != -1):
        raise ValueError(
            f"{algorithm}: `gradient_steps` must be an integer >= 0, or -1 for as many gradient steps as environment "
            f"steps in each rollout, got {gradient_steps!r}"
        )
    if gradient_steps == 0:
        warnings.warn(
            f"{algorithm}: gradient_steps=0: learn() will collect transitions and never train (as in SB3)", stacklevel=3
        )


def replay_buffer_class_for(
    observation_space: spaces.Space, replay_buffer_class: type[ReplayBuffer] | None, n_steps: int = 1
) -> type[ReplayBuffer] | None:
    """
    The replay buffer class an off-policy algorithm of the package uses (``None``: SB3's choice, ``ReplayBuffer`` or
    ``DictReplayBuffer``). The class the user gave is kept as it is (the float32 buffers of the module's docstring are
    given this way).

    :param observation_space: The algorithm's observation space
    :param replay_buffer_class: The class the user gave, if any
    :param n_steps: The algorithm's ``n_steps``: above 1, ``SoftNStepReplayBuffer`` (where SB3 would choose its
        ``NStepReplayBuffer``); the caller then passes ``n_steps`` and ``gamma`` to it, as SB3 does
    """
    if replay_buffer_class is not None:
        return replay_buffer_class
    if n_steps > 1:
        if isinstance(observation_space, spaces.Dict):
            raise ValueError(f"n_steps={n_steps}: n-step returns are not supported for Dict observation spaces (as in SB3)")
        return SoftNStepReplayBuffer
    return None


@contextmanager
def n_step_setup(
    replay_buffer_class: type[ReplayBuffer] | None, replay_buffer_kwargs: dict[str, Any], n_steps: int, gamma: float
) -> Iterator[None]:
    """
    Around SB3's ``OffPolicyAlgorithm._setup_model``: a ``SoftNStepReplayBuffer`` (chosen by
    ``replay_buffer_class_for`` or given) gets the algorithm's ``gamma`` and, with ``n_steps > 1``, its ``n_steps``,
    unless ``replay_buffer_kwargs`` gives them (it is updated in place, as SB3 does for its own choice). SB3's warning
    that ``n_steps`` is ignored for a custom buffer class is silenced when the buffer does use it (also when a saved
    model, whose buffer class was recorded, is loaded).

    :param replay_buffer_class: The class chosen by ``replay_buffer_class_for``
    :param replay_buffer_kwargs: The algorithm's ``replay_buffer_kwargs`` (updated in place)
    :param n_steps: The algorithm's ``n_steps``
    :param gamma: The algorithm's ``gamma``
    """
    soft_n_step = isinstance(replay_buffer_class, type) and issubclass(replay_buffer_class, SoftNStepReplayBuffer)
    if soft_n_step:
        replay_buffer_kwargs.setdefault("gamma", gamma)
        if n_steps > 1:
            replay_buffer_kwargs.setdefault("n_steps", n_steps)
    with warnings.catch_warnings():
        if soft_n_step and n_steps > 1 and replay_buffer_kwargs["n_steps"] == n_steps:
            warnings.filterwarnings("ignore", message=r"`n_steps=\d+` is ignored because a custom `replay_buffer_class`")
        yield

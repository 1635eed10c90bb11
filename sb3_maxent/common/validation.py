"""Argument checks that several algorithms share: one rule, one message, raised at construction."""

from typing import Any

from stable_baselines3.common.buffers import NStepReplayBuffer


def check_one_step_replay(
    algorithm: str, n_steps: Any, replay_buffer_class: type | None, replay_buffer_kwargs: dict[str, Any] | None
) -> None:
    """
    Refuse n-step returns for a soft (max-ent) off-policy algorithm. SB3's ``NStepReplayBuffer`` sums the n rewards
    only, so a soft target built on it would leave out the intermediate ``-alpha log pi`` terms of the max-ent return.

    :param algorithm: The algorithm's name, for the message
    :param n_steps: Its ``n_steps`` argument
    :param replay_buffer_class: Its ``replay_buffer_class`` argument
    :param replay_buffer_kwargs: Its ``replay_buffer_kwargs`` argument
    """
    n_step_kwarg = (replay_buffer_kwargs or {}).get("n_steps", 1)
    n_step_buffer = isinstance(replay_buffer_class, type) and issubclass(replay_buffer_class, NStepReplayBuffer)
    if n_steps != 1 or n_step_kwarg != 1 or n_step_buffer:
        raise ValueError(
            f"{algorithm} supports one-step targets only (n_steps=1, got n_steps={n_steps!r}"
            f"{', an NStepReplayBuffer' if n_step_buffer else ''}"
            f"{f', replay_buffer_kwargs n_steps={n_step_kwarg!r}' if n_step_kwarg != 1 else ''}): SB3's n-step "
            "replay buffer sums the rewards only, so the soft target would leave out the entropy terms "
            "-alpha log pi of the intermediate steps."
        )

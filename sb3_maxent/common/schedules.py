"""Schedules for temperatures (callables of ``progress_remaining``, which goes from 1 to 0 during training)."""

import math


class ExponentialSchedule:
    """
    Exponential (geometric) annealing from ``start`` to ``end``, the temperature annealing used by
    the on-policy max-ent PPO paper ("On-Policy Maximum Entropy Deep Reinforcement Learning", Sec. 5: "an exponential
    annealing parameter").

    ``value(p) = start * (end / start) ** ((1 - p) / end_fraction)`` for ``1 - p <= end_fraction``
    and ``end`` afterwards, where ``p`` is SB3's ``progress_remaining`` (1 at the start of training,
    0 at the end). Equivalently the value decays as ``start * exp(-rate * elapsed_fraction)`` with
    ``rate = ln(start / end) / end_fraction``.

    It is a plain picklable class, like SB3's ``LinearSchedule``, so models that use it save and load.

    :param start: value at the start of training (``progress_remaining = 1``), > 0
    :param end: value reached at ``end_fraction`` of training, > 0
    :param end_fraction: fraction of training after which ``end`` is held, in (0, 1]
    """

    def __init__(self, start: float, end: float, end_fraction: float = 1.0) -> None:
        if not (start > 0 and end > 0):
            raise ValueError(
                f"ExponentialSchedule needs positive start and end values, got start={start}, end={end} "
                "(use a constant 0.0 to switch the term off)"
            )
        if not 0 < end_fraction <= 1:
            raise ValueError(f"`end_fraction` must be in (0, 1], got {end_fraction}")
        self.start = float(start)
        self.end = float(end)
        self.end_fraction = float(end_fraction)

    @classmethod
    def from_rate(cls, start: float, rate: float) -> "ExponentialSchedule":
        """
        Build the schedule ``start * exp(-rate * elapsed_fraction)`` over the whole run.

        :param start: value at the start of training, > 0
        :param rate: decay rate per unit of training progress (``rate = 0`` keeps ``start`` constant)
        """
        if rate < 0:
            raise ValueError(f"The decay `rate` must be >= 0, got {rate}")
        return cls(start, start * math.exp(-rate), end_fraction=1.0)

    def __call__(self, progress_remaining: float) -> float:
        elapsed = (1.0 - progress_remaining) / self.end_fraction
        if elapsed >= 1.0:
            return self.end
        return self.start * (self.end / self.start) ** max(elapsed, 0.0)

    def __repr__(self) -> str:
        return f"ExponentialSchedule(start={self.start}, end={self.end}, end_fraction={self.end_fraction})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExponentialSchedule) and (self.start, self.end, self.end_fraction) == (
            other.start,
            other.end,
            other.end_fraction,
        )

"""
What the speed scripts share: the one timing loop (variants called in interleaved rounds, so that the load of a shared
machine affects all of them alike, each taking each position of a round equally often; medians over the rounds), a
model that logs nothing, and the process's memory as Linux reports it.
"""

import statistics
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from stable_baselines3.common.logger import Logger

Sample = TypeVar("Sample")


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of one call."""
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - start_cpu


def proc_status_mb(field: str) -> float:
    """
    A memory field of ``/proc/self/status`` in MiB (``VmRSS``: resident now, ``VmHWM``: peak resident).

    :raises OSError: Without ``/proc`` (not Linux)
    :raises StopIteration: Without that field
    """
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith(f"{field}:")).split()[1]) / 1024


def rotated(items: list[Any], repeat: int) -> list[Any]:
    """The items in the order of this repeat: each takes each position equally often over the repeats, so that
    whatever depends on the position in a round (allocator, caches, frequency) affects none of them more."""
    shift = repeat % len(items)
    return items[shift:] + items[:shift]


def interleaved(
    variants: dict[Hashable, Callable[[], Any]],
    repeats: int,
    warmup_rounds: int = 1,
    measure: Callable[[Callable[[], Any]], Sample] = timed,  # type: ignore[assignment]
) -> dict[Hashable, list[Sample]]:
    """
    Call every variant once per round, in :func:`rotated` order, for ``warmup_rounds + repeats`` rounds.

    :param variants: name -> the call to measure
    :param repeats: Rounds measured
    :param warmup_rounds: Rounds run first and not measured
    :param measure: How one call is measured (default: :func:`timed`; ``lambda fn: fn()`` when the call returns its
        own measurement)
    :return: name -> the measurements of the measured rounds
    """
    samples: dict[Hashable, list[Sample]] = {name: [] for name in variants}
    for round_index in range(warmup_rounds + repeats):
        for name in rotated(list(variants), round_index):
            sample = measure(variants[name])
            if round_index >= warmup_rounds:
                samples[name].append(sample)
    return samples


def median(values: Any) -> float:
    """The median of the values (a shorthand for the scripts)."""
    return statistics.median(values)


def silent(model: Any) -> Any:
    """The model, with a logger that writes nothing (timed updates then spend nothing on logging output)."""
    model.set_logger(Logger(folder=None, output_formats=[]))
    return model

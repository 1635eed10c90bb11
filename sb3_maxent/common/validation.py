"""Argument checks that several algorithms share: one rule, one message, raised at construction."""

import math
from typing import Any, Literal, overload

import numpy as np


def check_net_arch(algorithm: str, policy_kwargs: dict[str, Any] | None, actor_critic: bool = False) -> None:
    """
    Refuse a ``net_arch`` in ``policy_kwargs`` that is not a list of positive layer sizes, or a dict of such lists
    (e.g. ``dict(pi=[64, 64], vf=[64, 64])``), before torch's layers fail on it.

    :param algorithm: The algorithm's name, for the message
    :param policy_kwargs: Its ``policy_kwargs`` argument
    :param actor_critic: Whether the policy is SB3's ``ActorCriticPolicy``, which still accepts the old form
        ``[dict(pi=[...], vf=[...])]`` (with SB3's deprecation warning): its dict is checked
    """
    net_arch = (policy_kwargs or {}).get("net_arch")
    if net_arch is None:
        return
    if actor_critic and isinstance(net_arch, list) and len(net_arch) == 1 and isinstance(net_arch[0], dict):
        net_arch = net_arch[0]
    layer_lists = list(net_arch.values()) if isinstance(net_arch, dict) else [net_arch]
    for layers in layer_lists:
        if not isinstance(layers, (list, tuple)) or not all(
            isinstance(size, int) and not isinstance(size, bool) and size > 0 for size in layers
        ):
            raise ValueError(
                f"{algorithm}: policy_kwargs['net_arch'] must be a list of positive layer sizes (e.g. [64, 64]) or a "
                f"dict of such lists (e.g. dict(pi=[64, 64], vf=[64, 64])), got {net_arch!r}"
            )


def check_float(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    allow_inf: bool = False,
) -> None:
    """
    Refuse a hyperparameter that is not a number in ``[low, high]`` (``(low, high]`` with ``low_open``), NaN always,
    infinity unless ``allow_inf``.

    :param name: The argument's name, for the message
    :param value: Its value
    :param low: Smallest value allowed (``None``: no bound)
    :param high: Largest value allowed (``None``: no bound)
    :param low_open: Whether ``low`` itself is excluded
    :param allow_inf: Whether ``float("inf")`` is allowed (e.g. ``max_grad_norm``: no clipping)
    """
    is_number = not isinstance(value, (bool, str)) and hasattr(value, "__float__")
    number = float(value) if is_number else math.nan
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and number > high
    if math.isnan(number) or (math.isinf(number) and not allow_inf) or too_low or too_high:
        bounds = f"{'(' if low_open else '['}{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        finite = "" if allow_inf else "finite "
        raise ValueError(f"`{name}` must be a {finite}number in {bounds}, got {value!r}")


@overload
def check_int(name: str, value: Any, low: int = 1, high: int | None = None, allow_none: Literal[False] = False) -> int: ...


@overload
def check_int(name: str, value: Any, low: int = 1, high: int | None = None, *, allow_none: bool) -> int | None: ...


def check_int(name: str, value: Any, low: int = 1, high: int | None = None, allow_none: bool = False) -> int | None:
    """
    Refuse (``ValueError``) a value that is not an integer in ``[low, high]`` (``bool`` is not an integer here): the
    one integer check of the package (hyperparameters, seeds, Procgen's options).

    :param name: The argument's name, for the message
    :param value: Its value
    :param low: Smallest value allowed
    :param high: Largest value allowed (``None``: no bound)
    :param allow_none: Whether ``None`` is allowed (e.g. a seed: fresh entropy)
    :return: The value as an ``int`` (or ``None``)
    """
    if value is None and allow_none:
        return None
    is_integer = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer))
    if not is_integer or value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"`{name}` must be {'None or ' if allow_none else ''}an integer {bounds}, got {value!r}")
    return int(value)


def integer_argument(name: str, value: Any, low: int = 1) -> int:
    """
    An integer hyperparameter >= ``low`` as an ``int``: integral floats (``1e6`` from a YAML file) are accepted,
    anything else is refused as :func:`check_int` refuses it.

    :param name: The argument's name, for the message
    :param value: Its value
    :param low: Smallest value allowed
    :return: The value as an ``int``
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    check_int(name, value, low)
    return int(value)


def check_learning_rate(name: str, value: Any) -> None:
    """
    Refuse a learning rate that is neither a schedule (a callable of the progress remaining) nor a finite float >= 0
    (0 is allowed: a frozen model, as RL Zoo's ``enjoy`` loads models with ``learning_rate=0.0``).

    :param name: The argument's name, for the message
    :param value: Its value
    """
    if not callable(value):
        check_float(name, value, 0.0)


# The action spaces each algorithm of the package trains on, to point a user to the one that takes a space
ACTION_SPACES_OF_ALGORITHMS = {
    "MaxEntPPO": "Box, Discrete, MultiDiscrete and MultiBinary",
    "DSPG": "Box",
    "SoftQL": "Discrete and Box",
}


def unsupported_action_space(algorithm: str, action_space: Any) -> AssertionError:
    """
    The error for an action space ``algorithm`` does not train on: an ``AssertionError`` as SB3 raises, which names the
    spaces of every algorithm of the package (so that a user sees which one takes this space).
    """
    others = "; ".join(f"{name}: {kinds}" for name, kinds in ACTION_SPACES_OF_ALGORITHMS.items() if name != algorithm)
    return AssertionError(
        f"{algorithm} supports {ACTION_SPACES_OF_ALGORITHMS[algorithm]} action spaces, got {action_space}. "
        f"The package's algorithms take these action spaces: {others}."
    )

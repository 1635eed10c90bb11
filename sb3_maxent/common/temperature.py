"""
The temperature ``ent_coef`` (alpha) of the off-policy algorithms: a fixed float, or learned as in SAC
(Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications": ``"auto"``, or ``"auto_<initial value>"``),
where log(alpha) is optimized with Adam.
"""

import math
from numbers import Real
from typing import Any

import torch as th

ENT_COEF_FORMS = "a float, 'auto' or 'auto_<initial value>'"


def parse_ent_coef(ent_coef: Any, allow_zero: bool) -> tuple[bool, float]:
    """
    Read an ``ent_coef`` argument, refusing anything else with a message that names it.

    :param ent_coef: A finite float (``>= 0`` with ``allow_zero``, ``> 0`` otherwise), ``"auto"`` (learned from 1.0)
        or ``"auto_<initial value>"`` (learned from that positive value)
    :param allow_zero: Whether a fixed temperature of 0 is allowed
    :return: Whether the temperature is learned, and its (initial) value
    """
    if isinstance(ent_coef, str):
        if ent_coef != "auto" and not ent_coef.startswith("auto_"):
            raise ValueError(f"`ent_coef` must be {ENT_COEF_FORMS}, got {ent_coef!r}")
        if ent_coef == "auto":
            return True, 1.0
        try:
            init_value = float(ent_coef[len("auto_") :])
        except ValueError:
            init_value = math.nan
        if not (math.isfinite(init_value) and init_value > 0):
            raise ValueError(f"The initial value of `ent_coef={ent_coef!r}` must be a positive float")
        return True, init_value
    valid = isinstance(ent_coef, Real) and not isinstance(ent_coef, bool) and math.isfinite(ent_coef)
    if not valid or ent_coef < 0 or (ent_coef == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`ent_coef` (the temperature alpha) must be {ENT_COEF_FORMS} (float {bound}), got {ent_coef!r}")
    return False, float(ent_coef)


def learned_temperature(init_value: float, device: th.device, learning_rate: float) -> tuple[th.Tensor, th.optim.Adam]:
    """
    log(alpha) as a parameter, and its optimizer.

    :param init_value: The initial alpha
    :param device: The model's device
    :param learning_rate: Adam's learning rate (the algorithm's, at the start)
    :return: ``log_ent_coef`` (shape (1,)) and its Adam optimizer
    """
    log_ent_coef = th.log(th.ones(1, device=device) * init_value).requires_grad_(True)
    return log_ent_coef, th.optim.Adam([log_ent_coef], lr=learning_rate)


def temperature_save_params(ent_coef_optimizer: th.optim.Optimizer | None) -> tuple[list[str], list[str]]:
    """
    What an algorithm saves of its temperature (``_get_torch_save_params``): the optimizer's state dict and
    ``log_ent_coef`` when it is learned, ``ent_coef_tensor`` when it is fixed.

    :param ent_coef_optimizer: The temperature's optimizer (``None``: fixed temperature)
    :return: State dict names and variable names to add to the algorithm's
    """
    if ent_coef_optimizer is not None:
        return ["ent_coef_optimizer"], ["log_ent_coef"]
    return [], ["ent_coef_tensor"]

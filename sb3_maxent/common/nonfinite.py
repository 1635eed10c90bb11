"""
Non-finite updates: the package's error, and the checks that keep a NaN or infinite update from the weights.

Every algorithm of the package checks its losses and gradient norms *before* its optimizers step, and raises
:class:`NonFiniteError` with the model as it was before the update (weights, optimizer states, target networks), so
that a model saved after the error still predicts, and a checkpoint is never poisoned.
"""

import copy
import math

import torch as th

NONFINITE_HINT = (
    "Check the observations and rewards for NaN/inf (wrap the env in stable_baselines3.common.vec_env.VecCheckNan), "
    "or lower the learning rate, or scale the rewards down."
)


class NonFiniteError(RuntimeError, ValueError):
    """
    A loss or a gradient of an update became NaN or infinite. It is raised before any optimizer of that update
    stepped: the model is as it was before the update.

    Both a ``ValueError`` (RL Zoo's ``-optimize`` prunes a trial that raises one, and goes on with the study) and a
    ``RuntimeError`` (what the package raised before, so that ``except RuntimeError`` keeps working).
    """


def check_finite(algorithm: str, values: dict[str, float], timestep: int, hint: str = NONFINITE_HINT) -> None:
    """
    Raise :class:`NonFiniteError` naming the first of ``values`` that is NaN or infinite.

    :param algorithm: The algorithm's name, for the message
    :param values: What was checked (e.g. ``{"loss": ..., "gradient norm": ...}``), as Python floats
    :param timestep: The algorithm's ``num_timesteps``, for the message
    :param hint: What the user can do about it
    """
    for name, value in values.items():
        if not math.isfinite(value):
            raise NonFiniteError(
                f"{algorithm}: the {name} is {value} at timestep {timestep}; the update was not applied (the model, its "
                f"optimizers and target networks are as they were before it). {hint}"
            )


def host_values(tensors: dict[str, th.Tensor]) -> dict[str, float]:
    """The values of 0-d tensors as Python floats, in one device-to-host transfer."""
    values = th.stack([tensor.detach().reshape(()).float() for tensor in tensors.values()]).tolist()
    return dict(zip(tensors, values, strict=True))


def nonfinite_gradients(parameters: list[th.nn.Parameter]) -> th.Tensor:
    """
    0 if every gradient of the parameters is finite, inf otherwise (so that :func:`check_finite` reports it):
    where no norm is needed (no clipping), the one fused check of torch's ``GradScaler`` is cheaper than a norm.
    """
    grads = [param.grad for param in parameters if param.grad is not None]
    if not grads:
        return th.zeros(())
    found = th.zeros(1, device=grads[0].device)
    # (multiplies the gradients by 1 in place: they do not change)
    th._amp_foreach_non_finite_check_and_unscale_(grads, found, th.ones(1, device=grads[0].device))
    return (found / (1.0 - found)).reshape(())  # 0 / 1 = 0, or 1 / 0 = inf


class UpdateSnapshot:
    """
    Parameters and optimizer state before the first part of an update that steps an optimizer before a later part
    is known to be finite (DSPG's critic steps before its actor's loss exists); :meth:`restore` undoes that step.

    :param parameters: The parameters the optimizer steps
    :param optimizer: The optimizer
    """

    def __init__(self, parameters: list[th.nn.Parameter], optimizer: th.optim.Optimizer) -> None:
        self.parameters = parameters
        self.optimizer = optimizer
        with th.no_grad():
            self.values = [param.detach().clone() for param in parameters]
        self.optimizer_state = copy.deepcopy(optimizer.state_dict())

    def restore(self) -> None:
        with th.no_grad():
            for param, value in zip(self.parameters, self.values, strict=True):
                param.copy_(value)
        self.optimizer.load_state_dict(self.optimizer_state)

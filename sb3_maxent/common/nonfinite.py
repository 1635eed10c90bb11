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
    ``RuntimeError`` (the usual class of an error that stops training, so that code catching training failures with
    ``except RuntimeError`` catches this one too).
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
    """The values of 0-d tensors as Python floats: one device-to-host transfer on an accelerator, plain reads on a CPU."""
    first = next(iter(tensors.values()), None)
    if first is None or first.device.type == "cpu":
        return {name: tensor.item() for name, tensor in tensors.items()}
    values = th.stack([tensor.detach().reshape(()).float() for tensor in tensors.values()]).tolist()
    return dict(zip(tensors, values, strict=True))


def gradient_norm(parameters: list[th.nn.Parameter]) -> th.Tensor:
    """
    The total 2-norm of the parameters' gradients, a 0-d tensor on their device (0 without gradients): NaN or
    infinite if and only if a gradient is (or the norm overflows its dtype, which clipping could not fix either), so
    that :func:`check_finite` reports it. For the parts of an update that clip nothing: where ``clip_grad_norm_`` runs,
    its returned norm is the same check at no extra cost. One fused reduction (``torch.nn.utils.get_total_norm``).
    """
    grads = [param.grad for param in parameters if param.grad is not None]
    if not grads:
        return th.zeros(())
    return th.nn.utils.get_total_norm(grads)


class UpdateSnapshot:
    """
    Parameters and optimizer state before the first part of an update that steps an optimizer before a later part
    is known to be finite (DSPG's critic steps before its actor's loss exists); :meth:`restore` undoes that step.
    The copies live in buffers allocated once: :meth:`capture` before each such step is one in-place copy per tensor.

    :param parameters: The parameters the optimizer steps
    :param optimizer: The optimizer
    """

    def __init__(self, parameters: list[th.nn.Parameter], optimizer: th.optim.Optimizer) -> None:
        self.parameters = parameters
        self.optimizer = optimizer
        self._values: list[th.Tensor] = []
        self._state_keys: list[tuple[th.nn.Parameter, str]] = []
        self._state_values: list[th.Tensor] = []
        self._other_state: dict[int, dict] = {}
        self._captured_state_layout: tuple = ()

    def capture(self) -> "UpdateSnapshot":
        """Copy the parameters and the optimizer's state (tensors into the buffers, anything else by value)."""
        with th.no_grad():
            if not self._values:
                self._values = [param.detach().clone() for param in self.parameters]
            else:
                for buffer, param in zip(self._values, self.parameters, strict=True):
                    buffer.copy_(param.detach())
            layout = tuple((id(param), tuple(sorted(self.optimizer.state.get(param, {})))) for param in self.parameters)
            sources = [
                (param, key, value)
                for param in self.parameters
                for key, value in self.optimizer.state.get(param, {}).items()
                if isinstance(value, th.Tensor)
            ]
            if layout != self._captured_state_layout:  # first capture, or the optimizer's state appeared
                self._state_keys = [(param, key) for param, key, _ in sources]
                self._state_values = [value.detach().clone() for _, _, value in sources]
                self._captured_state_layout = layout
            else:
                for buffer, (_, _, value) in zip(self._state_values, sources, strict=True):
                    buffer.copy_(value.detach())
            self._other_state = {
                id(param): {key: copy.deepcopy(value) for key, value in state.items() if not isinstance(value, th.Tensor)}
                for param, state in self.optimizer.state.items()
            }
        return self

    def restore(self) -> None:
        """Put the parameters and the optimizer's state back as :meth:`capture` found them."""
        with th.no_grad():
            for param, value in zip(self.parameters, self._values, strict=True):
                param.copy_(value)
            for param in self.parameters:
                if id(param) not in self._other_state:
                    self.optimizer.state.pop(param, None)  # it had no state before the step
            for (param, key), value in zip(self._state_keys, self._state_values, strict=True):
                self.optimizer.state[param][key].copy_(value)
            for param in self.parameters:
                if id(param) in self._other_state:
                    self.optimizer.state[param].update(copy.deepcopy(self._other_state[id(param)]))

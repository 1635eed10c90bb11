"""
Stein variational gradient descent (SVGD) pieces of continuous Soft Q-Learning.

Haarnoja et al. 2017, "Reinforcement Learning with Deep Energy-Based Policies" (Algorithm 1),
after Liu & Wang 2016 (SVGD) and Wang & Liu 2016 (amortized SVGD). Every function works on a batch of
states at once: particles have shape ``(batch_size, n_particles, action_dim)``, and there is no Python
loop over states or particles.

The Stein direction (paper Eq. 13) that moves the "updated" particles ``a_i`` towards the target density
``p(a) ∝ exp(Q(s, a) / alpha)``, estimated with the "fixed" particles ``a_j`` of the same state, is

    Δa_i = mean_j [ κ(a_j, a_i) ∇_{a_j} log p(a_j) + ∇_{a_j} κ(a_j, a_i) ]

with the RBF kernel ``κ(x, y) = exp(-||x - y||² / h)`` and the median-heuristic bandwidth
``h = median_{j,i} ||a_j - a_i||² / log(n_fixed)``, floored at ``min_bandwidth``, computed per state.
The median is taken over the ``n_fixed x n_updated`` cross distances and is the lower median when that
count is even, exactly as in the authors' code (``softqlearning/misc/kernel.py``).
"""

import math

import torch as th

# Added inside the log of the tanh log-Jacobian, as in the reference code
SQUASH_EPS = 1e-6


def rbf_kernel(
    fixed_particles: th.Tensor, updated_particles: th.Tensor, min_bandwidth: float = 1e-3
) -> tuple[th.Tensor, th.Tensor, th.Tensor]:
    """
    Adaptive isotropic RBF kernel between two sets of particles of each state.

    :param fixed_particles: ``a_j``, shape ``(batch_size, n_fixed, action_dim)``, ``n_fixed >= 2``
    :param updated_particles: ``a_i``, shape ``(batch_size, n_updated, action_dim)``
    :param min_bandwidth: lower bound of the bandwidth ``h`` (1e-3 in the reference code)
    :return: ``κ(a_j, a_i)`` of shape ``(batch_size, n_fixed, n_updated)``, its gradient with respect to
        the first argument ``∇_{a_j} κ(a_j, a_i)`` of shape ``(batch_size, n_fixed, n_updated, action_dim)``,
        and the bandwidth ``h`` of each state, shape ``(batch_size,)``. The bandwidth is a constant
        (no gradient flows through it).
    """
    n_fixed = fixed_particles.shape[-2]
    # diff[b, j, i] = a_j - a_i
    diff = fixed_particles.unsqueeze(-2) - updated_particles.unsqueeze(-3)
    squared_distances = diff.square().sum(dim=-1)
    # Median heuristic (lower median over the n_fixed * n_updated cross distances of each state)
    median = squared_distances.detach().flatten(start_dim=-2).median(dim=-1).values
    bandwidth = (median / math.log(n_fixed)).clamp(min=min_bandwidth)
    kernel = th.exp(-squared_distances / bandwidth[..., None, None])
    # ∇_x exp(-||x - y||² / h) = -2 (x - y) / h * κ(x, y)
    kernel_grad = -2.0 * diff / bandwidth[..., None, None, None] * kernel.unsqueeze(-1)
    return kernel, kernel_grad, bandwidth


def squash_log_jacobian(actions: th.Tensor) -> th.Tensor:
    """
    ``sum_k log(1 - a_k² + eps)``: the log-Jacobian term of ``a = tanh(u)`` that the reference code adds to
    ``Q / alpha`` in the SVGD target (it keeps the particles away from the bounds of the action box).

    :param actions: squashed actions in ``[-1, 1]``, action dimension last
    :return: the term, action dimension summed out
    """
    return th.log1p(-actions.square() + SQUASH_EPS).sum(dim=-1)


def stein_direction(
    fixed_particles: th.Tensor,
    updated_particles: th.Tensor,
    grad_log_density: th.Tensor,
    min_bandwidth: float = 1e-3,
) -> tuple[th.Tensor, th.Tensor]:
    """
    Empirical Stein variational direction (paper Eq. 13) for every updated particle of every state.

    :param fixed_particles: ``a_j``, shape ``(batch_size, n_fixed, action_dim)``
    :param updated_particles: ``a_i``, shape ``(batch_size, n_updated, action_dim)``
    :param grad_log_density: ``∇_{a_j} log p(a_j)`` at the fixed particles, same shape as ``fixed_particles``
    :param min_bandwidth: lower bound of the kernel bandwidth
    :return: ``Δa_i`` of shape ``(batch_size, n_updated, action_dim)`` (no gradient) and the bandwidths ``(batch_size,)``
    """
    with th.no_grad():
        kernel, kernel_grad, bandwidth = rbf_kernel(fixed_particles, updated_particles, min_bandwidth)
        # mean over j of κ(a_j, a_i) ∇ log p(a_j) + ∇_{a_j} κ(a_j, a_i)
        driving = th.einsum("bji,bjd->bid", kernel, grad_log_density)
        repulsive = kernel_grad.sum(dim=1)
        direction = (driving + repulsive) / fixed_particles.shape[-2]
    return direction, bandwidth

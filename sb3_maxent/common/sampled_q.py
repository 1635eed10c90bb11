"""
Q-values of M actions per state in one batched pass: DSPG's critic on its sampled actions (``DSPGCritic``) and
continuous SoftQL's Q-network on its particles and uniform actions (``ContinuousSoftQNetwork``) share this one code.
"""

import torch as th
from torch import nn
from torch.nn import functional as F


def sampled_q_values(q_net: nn.Sequential, features: th.Tensor, actions: th.Tensor) -> th.Tensor:
    """
    ``Q(s_i, a_ij)`` of an MLP on ``[features; action]`` (SB3's ``create_mlp`` layers, as in ``ContinuousCritic``) for
    M actions per state, the features of each state given once.

    When the first layer is linear (always with ``create_mlp``) it is split as ``W [f; a] + b = (W_f f + b) + W_a a``,
    so that the state part is computed once per state instead of once per action: equal to concatenating the expanded
    inputs up to float rounding (summed in another order, so not bit for bit), and faster at DSPG's size (see
    docs/dspg.md, Speed), the case it was measured for. Without autograd (targets, policy-gradient weights) the
    ``(N * M, H)`` activations, the largest tensors of an update, go through ``ReLU`` and ``Tanh`` in place.

    :param q_net: The Q-network's layers; its input is the features then the action
    :param features: Features of the N states, shape ``(N, features_dim)``
    :param actions: M actions per state (normalized), shape ``(N, M, action_dim)``
    :return: shape ``(N, M)``
    """
    n_states, n_samples, action_dim = actions.shape
    first_layer = q_net[0]
    if isinstance(first_layer, nn.Linear):
        features_dim = features.shape[1]
        state_part = F.linear(features, first_layer.weight[:, :features_dim], first_layer.bias)
        # (N, 1, H) + (N, M, A) @ (A, H), fused in one batched matmul
        hidden = th.baddbmm(
            state_part.unsqueeze(1),
            actions,
            first_layer.weight[:, features_dim:].t().expand(n_states, action_dim, -1),
        ).reshape(n_states * n_samples, -1)
        layers = list(q_net)[1:]
    else:
        expanded = features.unsqueeze(1).expand(-1, n_samples, -1)
        hidden = th.cat([expanded, actions], dim=2).reshape(n_states * n_samples, -1)
        layers = list(q_net)
    in_place = not th.is_grad_enabled()
    for layer in layers:
        if in_place and type(layer) is nn.ReLU:
            hidden = th.relu_(hidden)
        elif in_place and type(layer) is nn.Tanh:
            hidden = th.tanh_(hidden)
        else:
            hidden = layer(hidden)
    return hidden.view(n_states, n_samples)

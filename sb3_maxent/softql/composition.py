"""
Composition of soft Q-functions (Haarnoja et al. 2018, "Composable Deep Reinforcement Learning for Robotic
Manipulation"; Haarnoja and Tang 2017, "Learning Diverse Skills via Maximum Entropy Deep Reinforcement Learning",
"Compositionality").

Agents trained with SoftQL on rewards ``r_1, ..., r_n`` (same spaces, same temperature alpha) give soft
Q-functions ``Q_i``. The composed policy acts with the Boltzmann policy of their weighted sum,

    pi_C(a|s) ∝ exp( sum_i w_i Q_i(s, a) / alpha ),

which is the max-ent policy of the combined reward ``r_C = sum_i w_i r_i`` exactly when the task lasts one step
(``Q_i = r_i``), and an approximation otherwise: Haarnoja et al. bound the gap between ``sum_i w_i Q_i`` and the
soft Q-function of ``r_C`` by a term that vanishes when the constituent policies agree. No training is needed.
"""

import copy
from collections.abc import Sequence

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import PyTorchObs
from torch import nn

from sb3_maxent.softql.policies import DiscreteSoftQLPolicy
from sb3_maxent.softql.softql import SoftQL


class ComposedSoftQPolicy(BasePolicy):
    """
    Boltzmann policy of a weighted sum of discrete soft Q-functions: ``softmax(sum_i w_i Q_i(s, .) / alpha)``.
    Build it with ``compose_soft_q``. It is an SB3 ``BasePolicy``: ``predict()`` works as for any SB3 policy
    (so does ``evaluate_policy``); ``deterministic=True`` is greedy with respect to the summed Q-function.

    :param observation_space: Observation space shared by the components
    :param action_space: ``Discrete`` action space shared by the components
    :param q_nets: the components' Q-networks (``obs -> Q(s, .)``, shape ``(batch_size, n_actions)``)
    :param weights: weight ``w_i`` of each Q-network
    :param ent_coef: temperature alpha > 0 of the composed policy
    """

    action_space: spaces.Discrete
    weights: th.Tensor
    log_ent_coef: th.Tensor

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        q_nets: Sequence[nn.Module],
        weights: Sequence[float],
        ent_coef: float,
    ) -> None:
        super().__init__(observation_space, action_space)
        if len(q_nets) != len(weights) or len(q_nets) == 0:
            raise ValueError(f"Need one weight per Q-network, got {len(q_nets)} Q-networks and {len(weights)} weights")
        self.q_nets = nn.ModuleList(q_nets)
        device = next(self.q_nets.parameters()).device
        self.register_buffer("weights", th.as_tensor(np.asarray(weights, dtype=np.float32), device=device))
        self.register_buffer("log_ent_coef", th.tensor(float(np.log(ent_coef)), device=device))

    @property
    def ent_coef(self) -> th.Tensor:
        """The temperature alpha of the composed policy (a 0-d tensor)."""
        return self.log_ent_coef.exp()

    def q_values(self, obs: PyTorchObs) -> th.Tensor:
        """
        The composed soft Q-function ``sum_i w_i Q_i(s, .)``.

        :param obs: Observation (preprocessed tensor, as given to the Q-networks)
        :return: shape (batch_size, n_actions)
        """
        stacked = th.stack([q_net(obs) for q_net in self.q_nets], dim=0)
        return th.tensordot(self.weights, stacked, dims=1)

    def action_probabilities(self, obs: PyTorchObs) -> th.Tensor:
        """
        The composed policy ``softmax(sum_i w_i Q_i(s, .) / alpha)``.

        :param obs: Observation
        :return: shape (batch_size, n_actions), rows sum to 1
        """
        return th.softmax(self.q_values(obs) / self.ent_coef, dim=-1)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        if deterministic:
            return self.q_values(observation).argmax(dim=1).reshape(-1)
        return th.multinomial(self.action_probabilities(observation), num_samples=1).reshape(-1)


def compose_soft_q(
    models: Sequence[SoftQL | DiscreteSoftQLPolicy],
    weights: Sequence[float] | None = None,
    ent_coef: float | None = None,
) -> ComposedSoftQPolicy:
    """
    Build the policy of the summed soft Q-functions of trained discrete SoftQL agents (Haarnoja and Tang 2017,
    "Learning Diverse Skills via Maximum Entropy Deep Reinforcement Learning"), for the combined reward
    ``sum_i weights[i] * r_i``. The Q-networks are copied: training the agents further does not change the composed
    policy.

    Example::

        composed = compose_soft_q([agent_1, agent_2])          # reward r_1 + r_2
        action, _ = composed.predict(obs, deterministic=False)

    :param models: trained ``SoftQL`` agents (or their ``DiscreteSoftQLPolicy``) with the same observation and
        ``Discrete`` action spaces
    :param weights: weight of each agent's Q-function (default: 1 each, the sum of the rewards)
    :param ent_coef: temperature of the composed policy (default: the agents' common temperature; required when
        their temperatures differ)
    :return: the composed policy
    """
    if len(models) == 0:
        raise ValueError("compose_soft_q needs at least one agent")
    policies = []
    for index, model in enumerate(models):
        policy = model.policy if isinstance(model, SoftQL) else model
        policy = getattr(policy, "_orig_mod", policy)  # a policy compiled with th.compile: the module it wraps
        if not isinstance(policy, DiscreteSoftQLPolicy):
            raise ValueError(
                f"compose_soft_q composes discrete SoftQL agents (DiscreteSoftQLPolicy); agent {index} has "
                f"{type(policy).__name__}. Continuous agents would need a new sampler for the summed energy."
            )
        policies.append(policy)
    first = policies[0]
    for index, policy in enumerate(policies[1:], start=1):
        if policy.observation_space != first.observation_space or policy.action_space != first.action_space:
            raise ValueError(
                f"All agents must share their spaces: agent 0 has {first.observation_space} / {first.action_space}, "
                f"agent {index} has {policy.observation_space} / {policy.action_space}"
            )
    if weights is None:
        weights = [1.0] * len(policies)
    weights = [float(weight) for weight in weights]
    if len(weights) != len(policies) or not all(np.isfinite(weights)):
        raise ValueError(f"`weights` must hold one finite number per agent ({len(policies)}), got {weights}")
    temperatures = [float(policy.ent_coef) for policy in policies]
    if ent_coef is None:
        if not np.allclose(temperatures, temperatures[0], rtol=1e-6, atol=0.0):
            raise ValueError(
                f"The agents have different temperatures {temperatures}: pass the temperature of the composed "
                "policy as `ent_coef`"
            )
        ent_coef = temperatures[0]
    if not (np.isfinite(ent_coef) and ent_coef > 0):
        raise ValueError(f"`ent_coef` must be a finite float > 0, got {ent_coef}")
    q_nets = [copy.deepcopy(policy.q_net) for policy in policies]
    composed = ComposedSoftQPolicy(first.observation_space, first.action_space, q_nets, weights, ent_coef)
    composed.set_training_mode(False)
    return composed

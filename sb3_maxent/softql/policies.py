"""
Policies of Soft Q-Learning.

- Discrete actions: a soft Q-network (SB3's ``QNetwork``) and its target; the policy is the Boltzmann
  distribution ``pi(a|s) = softmax(Q(s, .) / alpha)``, so it carries the temperature ``alpha`` (a buffer,
  saved with the policy). ``predict(deterministic=True)`` is greedy.
- Continuous actions: a soft Q-network ``Q(s, a)``, its target, and the amortized SVGD sampler
  ``a = tanh(f(s, xi))``, ``xi ~ N(0, I)`` (Haarnoja et al. 2017) that draws actions from
  ``pi(a|s) ∝ exp(Q(s, a) / alpha)``. ``predict(deterministic=True)`` returns, among the sampler's actions for
  a fixed set of latents (``xi = 0`` and ``n_deterministic_candidates - 1`` other fixed draws), the one with the
  highest Q-value: deterministic, and the greedy limit of the Boltzmann policy within the sampler's support.
"""

from typing import Any

import torch as th
from gymnasium import spaces
from stable_baselines3.common.policies import BaseModel, BasePolicy
from stable_baselines3.common.preprocessing import get_action_dim
from stable_baselines3.common.torch_layers import (
    BaseFeaturesExtractor,
    CombinedExtractor,
    FlattenExtractor,
    NatureCNN,
    create_mlp,
    get_actor_critic_arch,
)
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from stable_baselines3.dqn.policies import DQNPolicy
from torch import nn

from sb3_maxent.common.sampled_q import sampled_q_values
from sb3_maxent.common.torch_layers import ImpalaCNN

# Features extractors after which the Q head is linear by default (as DQN does for NatureCNN)
_IMAGE_EXTRACTORS = (NatureCNN, ImpalaCNN)


class DiscreteSoftQLPolicy(DQNPolicy):
    """
    Soft Q-Learning policy for discrete actions: SB3's DQN Q-network and target network, acting with the
    Boltzmann policy ``softmax(Q(s, .) / alpha)`` (greedy when ``deterministic=True``).

    The temperature is the buffer ``log_ent_coef`` (saved with the policy); ``SoftQL`` keeps it equal to
    its ``ent_coef`` (fixed or learned).

    :param observation_space: Observation space
    :param action_space: Action space (``Discrete``)
    :param lr_schedule: Learning rate schedule (could be constant)
    :param net_arch: Hidden layers of the Q-network (default ``[64, 64]``, none after a CNN features extractor)
    :param activation_fn: Activation function
    :param features_extractor_class: Features extractor to use
    :param features_extractor_kwargs: Keyword arguments to pass to the features extractor
    :param normalize_images: Whether to normalize images or not, dividing by 255.0 (True by default)
    :param optimizer_class: The optimizer to use, ``th.optim.Adam`` by default
    :param optimizer_kwargs: Additional keyword arguments, excluding the learning rate, to pass to the optimizer
    """

    action_space: spaces.Discrete
    log_ent_coef: th.Tensor

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        net_arch: list[int] | None = None,
        activation_fn: type[nn.Module] = nn.ReLU,
        features_extractor_class: type[BaseFeaturesExtractor] = FlattenExtractor,
        features_extractor_kwargs: dict[str, Any] | None = None,
        normalize_images: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(action_space, spaces.Discrete):
            raise ValueError(
                f"{type(self).__name__} needs a Discrete action space, got {action_space}; "
                "use ContinuousSoftQLPolicy (or the string alias, e.g. 'MlpPolicy') for Box actions"
            )
        if net_arch is None and issubclass(features_extractor_class, _IMAGE_EXTRACTORS):
            net_arch = []
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch=net_arch,
            activation_fn=activation_fn,
            features_extractor_class=features_extractor_class,
            features_extractor_kwargs=features_extractor_kwargs,
            normalize_images=normalize_images,
            optimizer_class=optimizer_class,
            optimizer_kwargs=optimizer_kwargs,
        )
        # log(alpha); alpha = 1 until SoftQL sets it
        self.register_buffer("log_ent_coef", th.zeros((), device=self.device))

    @property
    def ent_coef(self) -> th.Tensor:
        """The temperature ``alpha`` of the Boltzmann policy (a 0-d tensor)."""
        return self.log_ent_coef.exp()

    def action_logits(self, obs: PyTorchObs) -> th.Tensor:
        """
        Logits ``Q(s, .) / alpha`` of the Boltzmann policy.

        :param obs: Observation
        :return: shape (batch_size, n_actions)
        """
        return self.q_net(obs) / self.ent_coef

    def action_probabilities(self, obs: PyTorchObs) -> th.Tensor:
        """
        The Boltzmann policy ``pi(.|s) = softmax(Q(s, .) / alpha)``.

        :param obs: Observation
        :return: shape (batch_size, n_actions), rows sum to 1
        """
        return th.softmax(self.action_logits(obs), dim=-1)

    def _predict(self, obs: PyTorchObs, deterministic: bool = True) -> th.Tensor:
        if deterministic:
            return self.q_net._predict(obs, deterministic=True)
        probabilities = self.action_probabilities(obs)
        return th.multinomial(probabilities, num_samples=1).reshape(-1)


class DiscreteCnnPolicy(DiscreteSoftQLPolicy):
    """
    Discrete Soft Q-Learning policy on images (NatureCNN features extractor by default).

    Same parameters as ``DiscreteSoftQLPolicy``.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        features_extractor_class: type[BaseFeaturesExtractor] = NatureCNN,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            observation_space, action_space, lr_schedule, features_extractor_class=features_extractor_class, **kwargs
        )


class DiscreteImpalaCnnPolicy(DiscreteSoftQLPolicy):
    """
    Discrete Soft Q-Learning policy on the IMPALA CNN (``sb3_maxent.common.torch_layers.ImpalaCNN``), as used for
    Procgen. Same parameters as ``DiscreteSoftQLPolicy``.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        features_extractor_class: type[BaseFeaturesExtractor] = ImpalaCNN,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            observation_space, action_space, lr_schedule, features_extractor_class=features_extractor_class, **kwargs
        )


class DiscreteMultiInputPolicy(DiscreteSoftQLPolicy):
    """
    Discrete Soft Q-Learning policy for dict observations (``CombinedExtractor`` by default).
    Same parameters as ``DiscreteSoftQLPolicy``.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        features_extractor_class: type[BaseFeaturesExtractor] = CombinedExtractor,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            observation_space, action_space, lr_schedule, features_extractor_class=features_extractor_class, **kwargs
        )


class ContinuousSoftQNetwork(BaseModel):
    """
    Soft Q-function ``Q(s, a)`` for continuous (normalized, ``[-1, 1]``) actions, evaluated for one action per
    state or for a batch of action particles per state (the features of each state are computed once).

    :param observation_space: Observation space
    :param action_space: Action space (``Box``)
    :param net_arch: Hidden layers
    :param features_extractor: Network to extract features
    :param features_dim: Number of features
    :param activation_fn: Activation function
    :param normalize_images: Whether to normalize images or not, dividing by 255.0 (True by default)
    """

    features_extractor: BaseFeaturesExtractor

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        net_arch: list[int],
        features_extractor: BaseFeaturesExtractor,
        features_dim: int,
        activation_fn: type[nn.Module] = nn.ReLU,
        normalize_images: bool = True,
    ) -> None:
        super().__init__(
            observation_space, action_space, features_extractor=features_extractor, normalize_images=normalize_images
        )
        self.net_arch = net_arch
        self.features_dim = features_dim
        self.activation_fn = activation_fn
        action_dim = get_action_dim(self.action_space)
        self.q_net = nn.Sequential(*create_mlp(features_dim + action_dim, 1, net_arch, activation_fn))

    def forward(self, obs: PyTorchObs, actions: th.Tensor) -> th.Tensor:
        """
        :param obs: Observation, batch of ``batch_size``
        :param actions: shape ``(batch_size, action_dim)`` or ``(batch_size, n_particles, action_dim)``
        :return: Q-values of shape ``(batch_size,)`` or ``(batch_size, n_particles)``
        """
        return self.q_values_from_features(self.extract_features(obs, self.features_extractor), actions)

    def q_values_from_features(self, features: th.Tensor, actions: th.Tensor) -> th.Tensor:
        """
        Q-values from the output of the features extractor (see ``forward()``).

        :param features: features of the observations, shape ``(batch_size, features_dim)``
        :param actions: shape ``(batch_size, action_dim)`` or ``(batch_size, n_particles, action_dim)``
        :return: Q-values of shape ``(batch_size,)`` or ``(batch_size, n_particles)``
        """
        if actions.dim() == 3:
            # particles or uniform actions: the batched pass shared with DSPG's critic
            return sampled_q_values(self.q_net, features, actions)
        return self.q_net(th.cat([features, actions], dim=-1)).squeeze(-1)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(
            {
                "net_arch": self.net_arch,
                "features_dim": self.features_dim,
                "activation_fn": self.activation_fn,
                "features_extractor": self.features_extractor,
            }
        )
        return data


class SteinSampler(BasePolicy):
    """
    Amortized SVGD sampler network ``a = tanh(f(s, xi))``, ``xi ~ N(0, I_{action_dim})`` (Haarnoja et al. 2017,
    Sec. 3.2): a state-conditioned stochastic network whose samples are trained to follow ``exp(Q(s, .) / alpha)``.
    The latent is concatenated to the state features, as in the authors' code.

    :param observation_space: Observation space
    :param action_space: Action space (``Box``)
    :param net_arch: Hidden layers
    :param features_extractor: Network to extract features
    :param features_dim: Number of features
    :param activation_fn: Activation function
    :param normalize_images: Whether to normalize images or not, dividing by 255.0 (True by default)
    """

    action_space: spaces.Box

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        net_arch: list[int],
        features_extractor: BaseFeaturesExtractor,
        features_dim: int,
        activation_fn: type[nn.Module] = nn.ReLU,
        normalize_images: bool = True,
    ) -> None:
        super().__init__(
            observation_space,
            action_space,
            features_extractor=features_extractor,
            normalize_images=normalize_images,
            squash_output=True,
        )
        self.net_arch = net_arch
        self.features_dim = features_dim
        self.activation_fn = activation_fn
        self.action_dim = get_action_dim(self.action_space)
        self.latent_dim = self.action_dim
        self.net = nn.Sequential(*create_mlp(features_dim + self.latent_dim, self.action_dim, net_arch, activation_fn))

    def forward(self, obs: PyTorchObs, n_samples: int | None = None, latents: th.Tensor | None = None) -> th.Tensor:
        """
        Draw actions in ``[-1, 1]``.

        :param obs: Observation, batch of ``batch_size``
        :param n_samples: ``None`` for one action per state (shape ``(batch_size, action_dim)``), or the number of
            particles per state (shape ``(batch_size, n_samples, action_dim)``)
        :param latents: the latents ``xi`` to use instead of fresh standard normal draws, shape
            ``(batch_size, latent_dim)`` or ``(batch_size, n, latent_dim)`` (broadcastable over the batch)
        :return: the squashed actions
        """
        return self.actions_from_features(self.extract_features(obs, self.features_extractor), n_samples, latents)

    def actions_from_features(
        self, features: th.Tensor, n_samples: int | None = None, latents: th.Tensor | None = None
    ) -> th.Tensor:
        """
        ``tanh(f(s, xi))`` from the output of the features extractor (see ``forward()`` for the arguments).

        :param features: features of the observations, shape ``(batch_size, features_dim)``
        :param n_samples: ``None`` for one action per state, or the number of particles per state
        :param latents: the latents ``xi`` to use instead of fresh standard normal draws
        :return: the squashed actions
        """
        batch_size = features.shape[0]
        if latents is None:
            shape = (batch_size, self.latent_dim) if n_samples is None else (batch_size, n_samples, self.latent_dim)
            latents = th.randn(shape, device=features.device, dtype=features.dtype)
        else:
            latents = latents.expand(batch_size, *latents.shape[1:])
        if latents.dim() == 3:
            features = features.unsqueeze(1).expand(-1, latents.shape[1], -1)
        return th.tanh(self.net(th.cat([features, latents], dim=-1)))

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        if deterministic:
            return self(observation, latents=th.zeros(1, self.latent_dim, device=self.device))
        return self(observation)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(
            {
                "net_arch": self.net_arch,
                "features_dim": self.features_dim,
                "activation_fn": self.activation_fn,
                "features_extractor": self.features_extractor,
            }
        )
        return data


class ContinuousSoftQLPolicy(BasePolicy):
    """
    Soft Q-Learning policy for continuous actions: soft Q-network, target Q-network and amortized SVGD sampler
    (Haarnoja et al. 2017). Defaults are those of the authors' code (2 x 128 ReLU for both networks).

    :param observation_space: Observation space
    :param action_space: Action space (``Box`` with finite bounds; actions are normalized to ``[-1, 1]``)
    :param lr_schedule: Learning rate schedule (could be constant), used for both optimizers
    :param net_arch: Hidden layers, a list for both networks or ``dict(qf=[...], pi=[...])``
        (``pi`` is the sampler), default ``[128, 128]``
    :param activation_fn: Activation function
    :param n_deterministic_candidates: ``predict(deterministic=True)`` returns the highest-Q action among the
        sampler's actions for this many fixed latents (the first one is ``xi = 0``; 1 means just ``tanh(f(s, 0))``)
    :param features_extractor_class: Features extractor to use
    :param features_extractor_kwargs: Keyword arguments to pass to the features extractor
    :param normalize_images: Whether to normalize images or not, dividing by 255.0 (True by default)
    :param optimizer_class: The optimizer to use, ``th.optim.Adam`` by default
    :param optimizer_kwargs: Additional keyword arguments, excluding the learning rate, to pass to the optimizer
    """

    action_space: spaces.Box
    q_net: ContinuousSoftQNetwork
    q_net_target: ContinuousSoftQNetwork
    sampler: SteinSampler
    deterministic_latents: th.Tensor

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        activation_fn: type[nn.Module] = nn.ReLU,
        n_deterministic_candidates: int = 16,
        features_extractor_class: type[BaseFeaturesExtractor] = FlattenExtractor,
        features_extractor_kwargs: dict[str, Any] | None = None,
        normalize_images: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(action_space, spaces.Box):
            raise ValueError(
                f"{type(self).__name__} needs a Box action space, got {action_space}; "
                "use DiscreteSoftQLPolicy (or the string alias, e.g. 'MlpPolicy') for Discrete actions"
            )
        if not isinstance(n_deterministic_candidates, int) or n_deterministic_candidates < 1:
            raise ValueError(f"`n_deterministic_candidates` must be an integer >= 1, got {n_deterministic_candidates}")
        super().__init__(
            observation_space,
            action_space,
            features_extractor_class,
            features_extractor_kwargs,
            optimizer_class=optimizer_class,
            optimizer_kwargs=optimizer_kwargs,
            squash_output=True,
            normalize_images=normalize_images,
        )
        if net_arch is None:
            net_arch = [] if issubclass(features_extractor_class, _IMAGE_EXTRACTORS) else [128, 128]
        sampler_arch, q_arch = get_actor_critic_arch(net_arch)
        self.net_arch = net_arch
        self.activation_fn = activation_fn
        self.n_deterministic_candidates = n_deterministic_candidates
        self.net_args = {
            "observation_space": self.observation_space,
            "action_space": self.action_space,
            "activation_fn": self.activation_fn,
            "normalize_images": normalize_images,
        }
        self.q_net_kwargs = {**self.net_args, "net_arch": q_arch}
        self.sampler_kwargs = {**self.net_args, "net_arch": sampler_arch}
        self._build(lr_schedule)

    def _build(self, lr_schedule: Schedule) -> None:
        self.q_net = self.make_q_net()
        self.q_net_target = self.make_q_net()
        self.q_net_target.load_state_dict(self.q_net.state_dict())
        self.q_net_target.set_training_mode(False)
        self.sampler = self.make_sampler()
        # Optimizer of the soft Q-function and of the sampler (same learning rate, as in the reference code)
        self.optimizer = self.optimizer_class(self.q_net.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)  # type: ignore[call-arg]
        self.sampler_optimizer = self.optimizer_class(
            self.sampler.parameters(),
            lr=lr_schedule(1),  # type: ignore[call-arg]
            **self.optimizer_kwargs,
        )
        # Fixed latents of predict(deterministic=True): xi = 0, then draws of a private generator (seed 0), so that
        # building a policy does not consume the global random stream
        generator = th.Generator().manual_seed(0)
        latents = th.randn(self.n_deterministic_candidates, get_action_dim(self.action_space), generator=generator)
        latents[0] = 0.0
        self.register_buffer("deterministic_latents", latents.unsqueeze(0).to(self.device), persistent=False)

    def make_q_net(self) -> ContinuousSoftQNetwork:
        # A separate features extractor for each network
        q_net_kwargs = self._update_features_extractor(self.q_net_kwargs, features_extractor=None)
        return ContinuousSoftQNetwork(**q_net_kwargs).to(self.device)

    def make_sampler(self) -> SteinSampler:
        sampler_kwargs = self._update_features_extractor(self.sampler_kwargs, features_extractor=None)
        return SteinSampler(**sampler_kwargs).to(self.device)

    def forward(self, obs: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self._predict(obs, deterministic=deterministic)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        if not deterministic:
            return self.sampler(observation)
        candidates = self.sampler(observation, latents=self.deterministic_latents)
        if self.n_deterministic_candidates == 1:
            return candidates[:, 0]
        best = self.q_net(observation, candidates).argmax(dim=1)
        return candidates[th.arange(candidates.shape[0], device=candidates.device), best]

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(
            {
                "net_arch": self.net_arch,
                "activation_fn": self.activation_fn,
                "n_deterministic_candidates": self.n_deterministic_candidates,
                "lr_schedule": self._dummy_schedule,  # dummy lr schedule, not needed for loading policy alone
                "optimizer_class": self.optimizer_class,
                "optimizer_kwargs": self.optimizer_kwargs,
                "features_extractor_class": self.features_extractor_class,
                "features_extractor_kwargs": self.features_extractor_kwargs,
            }
        )
        return data

    def set_training_mode(self, mode: bool) -> None:
        """
        Put the policy in either training or evaluation mode (affects batch norm / dropout).

        :param mode: if true, set to training mode, else set to evaluation mode
        """
        self.q_net.set_training_mode(mode)
        self.sampler.set_training_mode(mode)
        self.training = mode


class ContinuousCnnPolicy(ContinuousSoftQLPolicy):
    """
    Continuous Soft Q-Learning policy on images (NatureCNN features extractor by default).
    Same parameters as ``ContinuousSoftQLPolicy``.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        features_extractor_class: type[BaseFeaturesExtractor] = NatureCNN,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            observation_space, action_space, lr_schedule, features_extractor_class=features_extractor_class, **kwargs
        )


class ContinuousImpalaCnnPolicy(ContinuousSoftQLPolicy):
    """
    Continuous Soft Q-Learning policy on the IMPALA CNN. Same parameters as ``ContinuousSoftQLPolicy``.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        features_extractor_class: type[BaseFeaturesExtractor] = ImpalaCNN,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            observation_space, action_space, lr_schedule, features_extractor_class=features_extractor_class, **kwargs
        )


class ContinuousMultiInputPolicy(ContinuousSoftQLPolicy):
    """
    Continuous Soft Q-Learning policy for dict observations (``CombinedExtractor`` by default).
    Same parameters as ``ContinuousSoftQLPolicy``.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        features_extractor_class: type[BaseFeaturesExtractor] = CombinedExtractor,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            observation_space, action_space, lr_schedule, features_extractor_class=features_extractor_class, **kwargs
        )

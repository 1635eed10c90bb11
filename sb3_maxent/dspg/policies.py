"""Policies for DSPG: a Gaussian actor (paper: linear mean, sigmoid standard deviation) and one soft Q critic."""

import math
from typing import Any, cast

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.policies import BasePolicy, ContinuousCritic
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
from torch import nn
from torch.nn import functional as F

from sb3_maxent.common.sampled_q import sampled_q_values

# Floor added to the sigmoid standard deviation so that log pi stays finite (the authors' code adds 1e-4 too).
STD_MIN = 1e-4
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)


class DSPGActor(BasePolicy):
    """
    Gaussian actor for DSPG.

    The policy is a diagonal Gaussian over the *normalized* action u (the action space rescaled to [-1, 1]):
    mean = linear layer, standard deviation = sigmoid(linear layer) + ``STD_MIN`` (paper, appendix A).
    What is sent to the environment is ``clip(u, -1, 1)`` (``squash_output=False``, the paper's form) or
    ``tanh(u)`` (``squash_output=True``, the authors' public code). The soft policy gradient is a score
    function, so samples are never differentiated through: only ``log pi(u|s)`` carries gradients.

    :param observation_space: Observation space
    :param action_space: Action space (Box with finite bounds)
    :param net_arch: Network architecture (hidden layer sizes)
    :param features_extractor: Network to extract features
        (a CNN when using images, a nn.Flatten() layer otherwise)
    :param features_dim: Number of features
    :param activation_fn: Activation function
    :param squash_output: Squash the Gaussian sample with tanh (log-probabilities then include the
        change-of-variables term). If False, the sample is clipped to the action bounds.
    :param normalize_images: Whether to normalize images or not,
         dividing by 255.0 (True by default)
    """

    action_space: spaces.Box

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        net_arch: list[int],
        features_extractor: nn.Module,
        features_dim: int,
        activation_fn: type[nn.Module] = nn.ReLU,
        squash_output: bool = True,
        normalize_images: bool = True,
    ):
        super().__init__(
            observation_space,
            action_space,
            features_extractor=features_extractor,
            normalize_images=normalize_images,
            squash_output=squash_output,
        )
        self.net_arch = net_arch
        self.features_dim = features_dim
        self.activation_fn = activation_fn

        action_dim = get_action_dim(self.action_space)
        self.latent_pi = nn.Sequential(*create_mlp(features_dim, -1, net_arch, activation_fn))
        last_layer_dim = net_arch[-1] if len(net_arch) > 0 else features_dim
        # Output layer: identity for the mean, sigmoid for the standard deviation (paper, appendix A)
        self.mu = nn.Linear(last_layer_dim, action_dim)
        self.std = nn.Linear(last_layer_dim, action_dim)
        # Affine map from the normalized action [-1, 1] to the action bounds, for ``predict``
        low, high = th.as_tensor(self.action_space.low), th.as_tensor(self.action_space.high)
        self.register_buffer("action_center", ((high + low) / 2).float(), persistent=False)
        self.register_buffer("action_half_range", ((high - low) / 2).float(), persistent=False)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(
            {
                "net_arch": self.net_arch,
                "features_dim": self.features_dim,
                "activation_fn": self.activation_fn,
                "squash_output": self.squash_output,
                "features_extractor": self.features_extractor,
            }
        )
        return data

    def get_action_dist_params(self, obs: PyTorchObs) -> tuple[th.Tensor, th.Tensor, th.Tensor]:
        """
        Parameters of the Gaussian over the normalized (pre-squash) action.

        :param obs: Observations
        :return: mean, standard deviation and log standard deviation, each of shape (batch, action_dim)
        """
        features = self.extract_features(obs, self.features_extractor)
        latent_pi = self.latent_pi(features)
        std = th.sigmoid(self.std(latent_pi)) + STD_MIN
        return self.mu(latent_pi), std, th.log(std)

    @staticmethod
    def sample_gaussian(mean: th.Tensor, std: th.Tensor, n_samples: int) -> th.Tensor:
        """
        Draw ``n_samples`` pre-squash actions per state, detached from the graph (score-function estimator).

        :param mean: (batch, action_dim)
        :param std: (batch, action_dim)
        :param n_samples: samples per state
        :return: (batch, n_samples, action_dim)
        """
        mean, std = mean.detach().unsqueeze(1), std.detach().unsqueeze(1)
        noise = th.randn((mean.shape[0], n_samples, mean.shape[2]), dtype=mean.dtype, device=mean.device)
        return th.addcmul(mean, std, noise)

    def to_action(self, gaussian_actions: th.Tensor) -> th.Tensor:
        """
        Map pre-squash Gaussian samples to actions in [-1, 1] (tanh, or clipping).

        :param gaussian_actions: Gaussian samples, any shape
        :return: actions in the normalized action space, same shape
        """
        if self.squash_output:
            return th.tanh(gaussian_actions)
        return th.clamp(gaussian_actions, -1.0, 1.0)

    def from_action(self, actions: th.Tensor) -> th.Tensor:
        """
        The pre-squash sample of an action in [-1, 1] (replayed actions), the inverse of ``to_action``: ``atanh``,
        with the action kept ``eps`` inside the bounds (as SB3's ``TanhBijector.inverse``) so that the log-density
        stays finite. Without squashing it is the action itself (a clipped sample is read as the bound).

        :param actions: actions in the normalized action space, any shape
        :return: pre-squash samples, same shape
        """
        if not self.squash_output:
            return actions
        eps = th.finfo(actions.dtype).eps
        return th.atanh(actions.clamp(min=-1.0 + eps, max=1.0 - eps))

    def log_prob(self, gaussian_actions: th.Tensor, mean: th.Tensor, log_std: th.Tensor) -> th.Tensor:
        """
        Log-density of the action distribution, summed over action dimensions.

        With ``squash_output`` it is the density of tanh(u): log N(u) - sum log(1 - tanh(u)^2), the
        correction written in the overflow-free form 2 (log 2 - u - softplus(-2u)). Without squashing
        it is the Gaussian density of the (unclipped) sample u.

        :param gaussian_actions: pre-squash samples, (batch, n_samples, action_dim)
        :param mean: (batch, action_dim)
        :param log_std: (batch, action_dim)
        :return: (batch, n_samples)
        """
        mean, log_std = mean.unsqueeze(1), log_std.unsqueeze(1)
        z = (gaussian_actions - mean) * th.exp(-log_std)
        log_prob = (-0.5 * z.square() - log_std).sum(dim=-1) - _HALF_LOG_2PI * gaussian_actions.shape[-1]
        if self.squash_output:
            log_prob = log_prob - squash_log_abs_det_jacobian(gaussian_actions)
        return log_prob

    def forward(self, obs: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        """
        One action per state in the normalized action space [-1, 1].

        :param obs: Observations
        :param deterministic: Return the mode of the Gaussian (its mean), squashed or clipped
        :return: (batch, action_dim)
        """
        mean, std, _ = self.get_action_dist_params(obs)
        gaussian_actions = mean if deterministic else th.addcmul(mean, std, th.randn_like(mean))
        return self.to_action(gaussian_actions)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        actions = self(observation, deterministic)
        if self.squash_output:
            # BasePolicy.predict() rescales squashed actions from [-1, 1] to the bounds itself
            return actions
        # BasePolicy.predict() only clips unsquashed actions to the bounds: rescale here
        return self.action_center + self.action_half_range * actions


def squash_log_abs_det_jacobian(gaussian_actions: th.Tensor) -> th.Tensor:
    """
    sum_i log(1 - tanh(u_i)^2) = sum_i 2 (log 2 - u_i - softplus(-2 u_i)), exact and finite for any u.

    :param gaussian_actions: (..., action_dim)
    :return: (...)
    """
    return (2.0 * (_LOG_2 - gaussian_actions - F.softplus(-2.0 * gaussian_actions))).sum(dim=-1)


class DSPGCritic(ContinuousCritic):
    """
    The single soft Q-network of DSPG (no twin critics, no value network), SB3's ``ContinuousCritic``
    with ``n_critics=1`` plus a batched evaluation of M sampled actions per state.

    :param observation_space: Observation space
    :param action_space: Action space
    :param net_arch: Network architecture
    :param features_extractor: Network to extract features
        (a CNN when using images, a nn.Flatten() layer otherwise)
    :param features_dim: Number of features
    :param activation_fn: Activation function
    :param normalize_images: Whether to normalize images or not,
         dividing by 255.0 (True by default)
    :param share_features_extractor: Whether the features extractor is shared or not
        between the actor and the critic (this saves computation time)
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        net_arch: list[int],
        features_extractor: BaseFeaturesExtractor,
        features_dim: int,
        activation_fn: type[nn.Module] = nn.ReLU,
        normalize_images: bool = True,
        share_features_extractor: bool = True,
    ):
        super().__init__(
            observation_space,
            action_space,
            net_arch,
            features_extractor,
            features_dim,
            activation_fn=activation_fn,
            normalize_images=normalize_images,
            n_critics=1,
            share_features_extractor=share_features_extractor,
        )

    def sampled_q_values(self, obs: PyTorchObs, actions: th.Tensor) -> th.Tensor:
        """
        Q(s_i, a_ij) for M actions per state in one forward pass, the features extracted once per state
        (``sb3_maxent.common.sampled_q.sampled_q_values``: the state part of the first layer is computed once per
        state too, and without autograd ReLU/Tanh are applied in place).

        :param obs: Observations, batch of N states
        :param actions: (N, M, action_dim) actions in the normalized action space
        :return: (N, M)
        """
        features = self.extract_features(obs, self.features_extractor)
        return sampled_q_values(cast(nn.Sequential, self.q_networks[0]), features, actions)


class DSPGPolicy(BasePolicy):
    """
    Policy class (actor, critic and their target networks) for DSPG.

    :param observation_space: Observation space
    :param action_space: Action space
    :param lr_schedule: Learning rate schedule (could be constant), used for the critic; the algorithm
        sets the actor's learning rate from its own schedule
    :param net_arch: The specification of the policy and value networks
        (list of hidden sizes, or ``dict(pi=[...], qf=[...])``). Default: [512, 512] (paper).
    :param activation_fn: Activation function
    :param squash_output: tanh-squash the Gaussian samples (authors' code, default) instead of clipping them to
        the action bounds (paper). With clipping, a mean that leaves the action box gets no signal from the
        critic any more and can stay there (see docs/dspg.md); tanh's log-Jacobian in log pi prevents that.
    :param features_extractor_class: Features extractor to use.
    :param features_extractor_kwargs: Keyword arguments
        to pass to the features extractor.
    :param normalize_images: Whether to normalize images or not,
         dividing by 255.0 (True by default)
    :param optimizer_class: The optimizer to use,
        ``th.optim.Adam`` by default
    :param optimizer_kwargs: Additional keyword arguments,
        excluding the learning rate, to pass to the optimizer
    :param share_features_extractor: Whether to share or not the features extractor
        between the actor and the critic (this saves computation time)
    """

    actor: DSPGActor
    actor_target: DSPGActor
    critic: DSPGCritic
    critic_target: DSPGCritic

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        activation_fn: type[nn.Module] = nn.ReLU,
        squash_output: bool = True,
        features_extractor_class: type[BaseFeaturesExtractor] = FlattenExtractor,
        features_extractor_kwargs: dict[str, Any] | None = None,
        normalize_images: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
        share_features_extractor: bool = False,
    ):
        super().__init__(
            observation_space,
            action_space,
            features_extractor_class,
            features_extractor_kwargs,
            optimizer_class=optimizer_class,
            optimizer_kwargs=optimizer_kwargs,
            squash_output=squash_output,
            normalize_images=normalize_images,
        )
        if not isinstance(action_space, spaces.Box):
            raise ValueError(f"DSPG needs a Box action space, got {action_space}")
        if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
            raise ValueError(
                "DSPG needs an action space with finite bounds (the Gaussian lives in the action box rescaled "
                f"to [-1, 1]), got low={action_space.low}, high={action_space.high}"
            )

        if net_arch is None:
            net_arch = [512, 512]
        actor_arch, critic_arch = get_actor_critic_arch(net_arch)

        self.net_arch = net_arch
        self.activation_fn = activation_fn
        self.net_args = {
            "observation_space": self.observation_space,
            "action_space": self.action_space,
            "activation_fn": self.activation_fn,
            "normalize_images": normalize_images,
        }
        self.actor_kwargs = {**self.net_args, "net_arch": actor_arch, "squash_output": squash_output}
        self.critic_kwargs = {
            **self.net_args,
            "net_arch": critic_arch,
            "share_features_extractor": share_features_extractor,
        }
        self.share_features_extractor = share_features_extractor

        self._build(lr_schedule)

    def _build(self, lr_schedule: Schedule) -> None:
        self.actor = self.make_actor()
        self.actor.optimizer = self.optimizer_class(
            self.actor.parameters(),
            lr=lr_schedule(1),  # type: ignore[call-arg]
            **self.optimizer_kwargs,
        )
        # Target actor theta' (used for the critic target, eq. 15); it never shares a features extractor
        self.actor_target = self.make_actor(features_extractor=None)
        self.actor_target.load_state_dict(self.actor.state_dict())

        if self.share_features_extractor:
            self.critic = self.make_critic(features_extractor=self.actor.features_extractor)
            # The shared features extractor is trained by the actor loss only
            critic_parameters = [param for name, param in self.critic.named_parameters() if "features_extractor" not in name]
        else:
            self.critic = self.make_critic(features_extractor=None)
            critic_parameters = list(self.critic.parameters())

        self.critic_target = self.make_critic(features_extractor=None)
        self.critic_target.load_state_dict(self.critic.state_dict())

        self.critic.optimizer = self.optimizer_class(
            critic_parameters,
            lr=lr_schedule(1),  # type: ignore[call-arg]
            **self.optimizer_kwargs,
        )

        # Target networks are always in eval mode
        self.actor_target.set_training_mode(False)
        self.critic_target.set_training_mode(False)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(
            {
                "net_arch": self.net_arch,
                "activation_fn": self.net_args["activation_fn"],
                "squash_output": self.squash_output,
                "lr_schedule": self._dummy_schedule,  # dummy lr schedule, not needed for loading policy alone
                "optimizer_class": self.optimizer_class,
                "optimizer_kwargs": self.optimizer_kwargs,
                "features_extractor_class": self.features_extractor_class,
                "features_extractor_kwargs": self.features_extractor_kwargs,
                "share_features_extractor": self.share_features_extractor,
            }
        )
        return data

    def make_actor(self, features_extractor: BaseFeaturesExtractor | None = None) -> DSPGActor:
        actor_kwargs = self._update_features_extractor(self.actor_kwargs, features_extractor)
        return DSPGActor(**actor_kwargs).to(self.device)

    def make_critic(self, features_extractor: BaseFeaturesExtractor | None = None) -> DSPGCritic:
        critic_kwargs = self._update_features_extractor(self.critic_kwargs, features_extractor)
        return DSPGCritic(**critic_kwargs).to(self.device)

    def forward(self, obs: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self._predict(obs, deterministic=deterministic)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self.actor._predict(observation, deterministic)

    def set_training_mode(self, mode: bool) -> None:
        """
        Put the policy in either training or evaluation mode.

        This affects certain modules, such as batch normalisation and dropout.

        :param mode: if true, set to training mode, else set to evaluation mode
        """
        self.actor.set_training_mode(mode)
        self.critic.set_training_mode(mode)
        self.training = mode


MlpPolicy = DSPGPolicy


class CnnPolicy(DSPGPolicy):
    """
    Policy class (actor, critic and their target networks) for DSPG on image observations
    (``NatureCNN`` features). Parameters are those of :class:`DSPGPolicy`.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        activation_fn: type[nn.Module] = nn.ReLU,
        squash_output: bool = True,
        features_extractor_class: type[BaseFeaturesExtractor] = NatureCNN,
        features_extractor_kwargs: dict[str, Any] | None = None,
        normalize_images: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
        share_features_extractor: bool = False,
    ):
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch,
            activation_fn,
            squash_output,
            features_extractor_class,
            features_extractor_kwargs,
            normalize_images,
            optimizer_class,
            optimizer_kwargs,
            share_features_extractor,
        )


class MultiInputPolicy(DSPGPolicy):
    """
    Policy class (actor, critic and their target networks) for DSPG on Dict observations
    (``CombinedExtractor`` features). Parameters are those of :class:`DSPGPolicy`.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        activation_fn: type[nn.Module] = nn.ReLU,
        squash_output: bool = True,
        features_extractor_class: type[BaseFeaturesExtractor] = CombinedExtractor,
        features_extractor_kwargs: dict[str, Any] | None = None,
        normalize_images: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
        share_features_extractor: bool = False,
    ):
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch,
            activation_fn,
            squash_output,
            features_extractor_class,
            features_extractor_kwargs,
            normalize_images,
            optimizer_class,
            optimizer_kwargs,
            share_features_extractor,
        )

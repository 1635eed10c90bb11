import math
from typing import Any, ClassVar, TypeVar

import torch as th
from gymnasium import spaces
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.preprocessing import get_action_dim
from stable_baselines3.common.save_util import recursive_getattr
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, PyTorchObs, ReplayBufferSamples, Schedule
from stable_baselines3.common.utils import get_parameters_by_name, polyak_update
from torch.nn import functional as F

from sb3_maxent.common.buffers import (
    SoftNStepReplayBufferSamples,
    check_n_step_replay,
    check_train_schedule,
    n_step_setup,
    replay_buffer_class_for,
)
from sb3_maxent.common.loading import ExplainedLoad
from sb3_maxent.common.nonfinite import NONFINITE_HINT, check_finite, gradient_norm, host_values
from sb3_maxent.common.temperature import learned_temperature, parse_ent_coef, temperature_save_params
from sb3_maxent.common.validation import (
    check_float,
    check_learning_rate,
    check_net_arch,
    integer_argument,
    unsupported_action_space,
)
from sb3_maxent.softql.policies import (
    ContinuousCnnPolicy,
    ContinuousImpalaCnnPolicy,
    ContinuousMultiInputPolicy,
    ContinuousSoftQLPolicy,
    ContinuousSoftQNetwork,
    DiscreteCnnPolicy,
    DiscreteImpalaCnnPolicy,
    DiscreteMultiInputPolicy,
    DiscreteSoftQLPolicy,
    SteinSampler,
)
from sb3_maxent.softql.svgd import squash_log_jacobian, stein_direction

SelfSoftQL = TypeVar("SelfSoftQL", bound="SoftQL")

_SOFTQL_HINT = " Or raise ent_coef (Q / ent_coef overflows when the temperature is tiny compared with the Q-values)."


def soft_value(q_values: th.Tensor, ent_coef: th.Tensor | float, dim: int = -1) -> th.Tensor:
    """
    Exact soft value of discrete actions, ``V(s) = alpha * logsumexp_a(Q(s, a) / alpha)`` (the soft Bellman equation;
    Yang 2020, "Maximum Entropy Reinforcement Learning"); the torch counterpart of
    ``sb3_maxent.common.tabular.soft_value``.

    :param q_values: Q-values, actions along ``dim``
    :param ent_coef: temperature alpha > 0
    :param dim: dimension of the actions
    """
    return ent_coef * th.logsumexp(q_values / ent_coef, dim=dim)


def importance_sampled_soft_value(q_values: th.Tensor, ent_coef: th.Tensor | float, action_dim: int) -> th.Tensor:
    """
    Soft value of continuous actions estimated by importance sampling (Haarnoja et al. 2017, Eq. 10) with ``M``
    uniform proposals ``a_j ~ q = U([-1, 1]^action_dim)``:
    ``V(s) = alpha * [logsumexp_j(Q(s, a_j) / alpha) - log M - log q(a_j)]``, ``log q = -action_dim * log 2``.

    :param q_values: Q-values at the uniform samples, shape ``(batch_size, M)``
    :param ent_coef: temperature alpha > 0
    :param action_dim: dimension of the action space
    """
    n_samples = q_values.shape[-1]
    return ent_coef * (th.logsumexp(q_values / ent_coef, dim=-1) - math.log(n_samples) + action_dim * math.log(2.0))


class _DiscreteSoftQL:
    """
    SoftQL for ``Discrete`` actions: the exact soft value ``V(s) = alpha logsumexp_a(Q(s, a) / alpha)``, the Boltzmann
    policy ``softmax(Q / alpha)`` of ``DiscreteSoftQLPolicy`` (which carries the temperature), and a temperature that
    may be learned (``ent_coef="auto"``: the policy's exact entropy is known).

    One of SoftQL's two implementations (``SoftQL._implementation``, chosen from the action space): what it does
    differently for its actions. The loop of ``train()``, the soft Bellman targets, the target network, the
    non-finite check, logging and saving are SoftQL's. It holds no state: every method takes the model.
    """

    policy_base: ClassVar[type[BasePolicy]] = DiscreteSoftQLPolicy
    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MlpPolicy": DiscreteSoftQLPolicy,
        "CnnPolicy": DiscreteCnnPolicy,
        "MultiInputPolicy": DiscreteMultiInputPolicy,
        "ImpalaCnnPolicy": DiscreteImpalaCnnPolicy,
    }
    # The optimizers of the networks, as SB3 names the state dicts it saves (`_get_torch_save_params`)
    optimizer_names: ClassVar[tuple[str, ...]] = ("policy.optimizer",)

    def check_arguments(self, model: "SoftQL") -> None:
        """The arguments only this implementation reads: none (the particle counts are the Box implementation's)."""

    def target_entropy(self, model: "SoftQL") -> float:
        """The target entropy of a learned temperature: ``target_entropy`` checked, ``"auto"`` resolved."""
        n_actions = int(model.action_space.n)  # type: ignore[attr-defined]
        target_entropy = 0.5 * math.log(n_actions) if model.target_entropy == "auto" else model.target_entropy
        try:
            target_entropy = float(target_entropy)
        except (TypeError, ValueError) as error:
            raise ValueError(f"`target_entropy` must be a float or 'auto', got {target_entropy!r}") from error
        if not 0.0 < target_entropy < math.log(n_actions):
            raise ValueError(
                f"`target_entropy` must be in (0, log(n_actions) = {math.log(n_actions):.4g}) nats, got {target_entropy}"
            )
        return target_entropy

    def set_policy_temperature(self, model: "SoftQL", ent_coef: float) -> None:
        """The Boltzmann policy acts with the temperature: a buffer of the policy, saved with it."""
        with th.no_grad():
            model.policy.log_ent_coef.fill_(math.log(ent_coef))  # type: ignore[operator, union-attr]

    def soft_values(
        self,
        model: "SoftQL",
        observations: PyTorchObs,
        batch_size: int,
        ent_coef: th.Tensor,
        actions: th.Tensor | None = None,
    ) -> tuple[th.Tensor, th.Tensor | None]:
        """
        The exact soft value ``V_target(s) = alpha logsumexp(Q_target(s, .) / alpha)`` and ``Q_target(s, a)`` at the
        given actions, from one pass of the target network.

        :param model: The SoftQL model
        :param observations: A batch of observations
        :param batch_size: Its size
        :param ent_coef: The temperature alpha
        :param actions: Actions (one per state) to evaluate, or ``None``
        :return: ``V_target(s)`` and ``Q_target(s, a)`` (``None`` without actions), each of shape ``(batch_size, 1)``
        """
        q_values = model.q_net_target(observations)
        values = soft_value(q_values, ent_coef).reshape(-1, 1)
        return values, None if actions is None else th.gather(q_values, dim=1, index=actions.long())

    def gradient_step(self, model: "SoftQL", replay_data: ReplayBufferSamples) -> dict[str, th.Tensor]:
        """
        One update of the Q-network (and of a learned temperature) on a batch.

        :param model: The SoftQL model
        :param replay_data: A batch of the replay buffer
        :return: The values to log (0-d tensors, still on the device)
        """
        ent_coef = model._current_ent_coef()
        target_q_values = model._target_q_values(replay_data, ent_coef)

        all_q_values = model.q_net(replay_data.observations)
        current_q_values = th.gather(all_q_values, dim=1, index=replay_data.actions.long())
        # Squared soft Bellman residual (Haarnoja et al. 2017, Eq. 11)
        loss = 0.5 * F.mse_loss(current_q_values, target_q_values)

        # Exact entropy of the Boltzmann policy softmax(Q / alpha) at the replayed states
        with th.no_grad():
            log_probs = th.log_softmax(all_q_values.detach() / ent_coef, dim=1)
            entropy = -(log_probs.exp() * log_probs).sum(dim=1).mean()
        logs = {"critic_loss": loss.detach(), "ent_coef": ent_coef, "entropy": entropy}

        ent_coef_loss = None
        if model.ent_coef_optimizer is not None and model.log_ent_coef is not None:
            # Temperature (SAC-style dual step): d loss / d log(alpha) = H(pi) - target entropy, so alpha decreases
            # while the policy is more random than the target, and increases when it is less
            assert isinstance(model.target_entropy, float)
            ent_coef_loss = (model.log_ent_coef * (entropy - model.target_entropy)).sum()
            logs["ent_coef_loss"] = ent_coef_loss.detach()

        # The temperature's loss uses the Q-values before this step: both are checked, then stepped together
        model.policy.optimizer.zero_grad()
        loss.backward()
        checked = {"loss": loss, "Q-network gradient": model._gradient_norm(model.q_net)}
        if ent_coef_loss is not None:
            model.ent_coef_optimizer.zero_grad()  # type: ignore[union-attr]
            ent_coef_loss.backward()
            checked["ent_coef loss"] = ent_coef_loss
        model._check_update(checked)
        model.policy.optimizer.step()
        if ent_coef_loss is not None:
            model.ent_coef_optimizer.step()  # type: ignore[union-attr]
            with th.no_grad():
                model.policy.log_ent_coef.copy_(model.log_ent_coef.detach().squeeze())  # type: ignore[operator, union-attr]
        return logs


class _ContinuousSoftQL:
    """
    SoftQL for ``Box`` actions (Haarnoja et al. 2017, Algorithm 1): the soft value by importance sampling with
    ``n_value_particles`` uniform actions, and the amortized SVGD sampler ``a = tanh(f(s, xi))`` of
    ``ContinuousSoftQLPolicy``, trained with the Stein direction of ``n_kernel_particles`` particles per state. The
    temperature is fixed: the sampler has no tractable density, so its entropy is unknown.

    SoftQL's other implementation (see ``_DiscreteSoftQL``).
    """

    policy_base: ClassVar[type[BasePolicy]] = ContinuousSoftQLPolicy
    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MlpPolicy": ContinuousSoftQLPolicy,
        "CnnPolicy": ContinuousCnnPolicy,
        "MultiInputPolicy": ContinuousMultiInputPolicy,
        "ImpalaCnnPolicy": ContinuousImpalaCnnPolicy,
    }
    optimizer_names: ClassVar[tuple[str, ...]] = ("policy.optimizer", "policy.sampler_optimizer")

    def check_arguments(self, model: "SoftQL") -> None:
        """The arguments only this implementation reads: the split of the kernel particles."""
        if not 0.0 < model.kernel_update_ratio < 1.0:
            raise ValueError(f"`kernel_update_ratio` must be in (0, 1), got {model.kernel_update_ratio}")
        if model.n_updated_particles < 1 or model.n_fixed_particles < 2:
            raise ValueError(
                f"`n_kernel_particles={model.n_kernel_particles}` with `kernel_update_ratio={model.kernel_update_ratio}` "
                f"gives {model.n_fixed_particles} fixed and {model.n_updated_particles} updated particles; SVGD needs "
                "at least 2 fixed (the kernel bandwidth divides by log(n_fixed)) and 1 updated particle"
            )

    def target_entropy(self, model: "SoftQL") -> float:
        """A learned temperature needs the policy's entropy, which the SVGD sampler does not have."""
        raise ValueError(
            "ent_coef='auto' is not available for Box action spaces: learning the temperature needs the "
            "policy's entropy, and the SVGD sampler of continuous SoftQL is an implicit distribution without a "
            "tractable density. Pass a float instead (the reference code's reward scale r is ent_coef = 1 / r, "
            "e.g. 1/30 for Hopper and HalfCheetah, 1/10 for Walker2d, 1/300 for Ant)."
        )

    def set_policy_temperature(self, model: "SoftQL", ent_coef: float) -> None:
        """The sampler acts without the temperature (it is trained with it): nothing to set."""

    def soft_values(
        self,
        model: "SoftQL",
        observations: PyTorchObs,
        batch_size: int,
        ent_coef: th.Tensor,
        actions: th.Tensor | None = None,
    ) -> tuple[th.Tensor, th.Tensor | None]:
        """
        The importance-sampled soft value ``V_target(s)`` (``n_value_particles`` uniform actions on [-1, 1]^d per
        state, independent for each state; Eq. 10), and ``Q_target(s, a)`` at the given actions in the same pass.

        :param model: The SoftQL model
        :param observations: A batch of observations
        :param batch_size: Its size
        :param ent_coef: The temperature alpha
        :param actions: Actions (one per state, normalized to [-1, 1]) to evaluate, or ``None``
        :return: ``V_target(s)`` and ``Q_target(s, a)`` (``None`` without actions), each of shape ``(batch_size, 1)``
        """
        action_dim = get_action_dim(model.action_space)
        uniform_actions = th.rand(batch_size, model.n_value_particles, action_dim, device=model.device) * 2.0 - 1.0
        if actions is None:
            q_values = model.q_net_target(observations, uniform_actions)
            return importance_sampled_soft_value(q_values, ent_coef, action_dim).reshape(-1, 1), None
        q_values = model.q_net_target(
            observations, th.cat([actions.reshape(batch_size, 1, action_dim), uniform_actions], dim=1)
        )
        values = importance_sampled_soft_value(q_values[:, 1:], ent_coef, action_dim).reshape(-1, 1)
        return values, q_values[:, :1]

    def gradient_step(self, model: "SoftQL", replay_data: ReplayBufferSamples) -> dict[str, th.Tensor]:
        """
        One update of the Q-network and of the sampler on a batch.

        :param model: The SoftQL model
        :param replay_data: A batch of the replay buffer
        :return: The values to log (0-d tensors, still on the device)
        """
        q_net, sampler = model.q_net, model.sampler
        assert isinstance(q_net, ContinuousSoftQNetwork) and sampler is not None
        ent_coef = model._current_ent_coef()
        observations = replay_data.observations
        target_q_values = model._target_q_values(replay_data, ent_coef)

        q_features = q_net.extract_features(observations, q_net.features_extractor)
        current_q_values = q_net.q_values_from_features(q_features, replay_data.actions).reshape(-1, 1)
        # Squared soft Bellman residual (Eq. 11)
        loss = 0.5 * F.mse_loss(current_q_values, target_q_values)

        # Amortized SVGD (Eq. 13-14): K particles a = tanh(f(s, xi)) per state, split into fixed particles (the
        # empirical distribution, no gradient needed) and updated particles (moved along the Stein direction)
        sampler_features = sampler.extract_features(observations, sampler.features_extractor)
        with th.no_grad():
            fixed_particles = sampler.actions_from_features(sampler_features, n_samples=model.n_fixed_particles)
        updated_particles = sampler.actions_from_features(sampler_features, n_samples=model.n_updated_particles)

        # Target log-density of the particles: Q(s, a) / alpha + sum_k log(1 - a_k^2) (the tanh log-Jacobian term
        # of the reference code), and its gradient with respect to the fixed actions only (no parameter gradients)
        fixed_particles.requires_grad_(True)
        particle_q_values = q_net.q_values_from_features(q_features, fixed_particles)
        log_density = particle_q_values / ent_coef + squash_log_jacobian(fixed_particles)
        (grad_log_density,) = th.autograd.grad(log_density.sum(), fixed_particles)
        direction, bandwidth = stein_direction(fixed_particles.detach(), updated_particles.detach(), grad_log_density)
        # Chain the Stein direction into the sampler through the actions (Eq. 14):
        # grad_phi = -mean_{states, particles} (d a_i / d phi)^T Δa_i
        sampler_loss = -(updated_particles * direction).sum(dim=-1).mean()

        # One backward pass for both networks; both are checked before either steps
        q_optimizer, sampler_optimizer = _optimizers(model, self.optimizer_names)
        q_optimizer.zero_grad()
        sampler_optimizer.zero_grad()
        (loss + sampler_loss).backward()
        model._check_update(
            {
                "loss": loss,
                "Q-network gradient": model._gradient_norm(q_net),
                "sampler loss": sampler_loss,
                "sampler gradient": model._gradient_norm(sampler),
            }
        )
        q_optimizer.step()
        sampler_optimizer.step()
        return {
            "critic_loss": loss.detach(),
            "sampler_loss": sampler_loss.detach(),
            "ent_coef": ent_coef,
            "kernel_bandwidth": bandwidth.mean(),
        }


def _optimizers(model: "SoftQL", names: tuple[str, ...]) -> list[th.optim.Optimizer]:
    """The optimizers of the networks, from the names SB3 saves their state dicts under (``policy.optimizer``...)."""
    return [recursive_getattr(model, name) for name in names]


def _implementation_for(action_space: spaces.Space) -> _DiscreteSoftQL | _ContinuousSoftQL:
    """SoftQL's implementation for the action space; an ``AssertionError`` for another space, as SB3 raises."""
    if isinstance(action_space, spaces.Discrete):
        return _DiscreteSoftQL()
    if isinstance(action_space, spaces.Box):
        # any shape, as SB3's SAC: the networks and the replay buffer work on the flattened action, predict() gives it
        # the space's shape back (SB3 itself refuses infinite bounds)
        return _ContinuousSoftQL()
    raise unsupported_action_space("SoftQL", action_space)


class SoftQL(ExplainedLoad, OffPolicyAlgorithm):
    """
    Soft Q-Learning (SoftQL): Q-learning for the maximum-entropy objective ``sum_t gamma^t E[r_t + alpha H(pi(.|s_t))]``
    with the soft Bellman backup ``Q(s, a) = r + gamma E[V(s')]``, ``V(s) = alpha log ∫ exp(Q(s, a) / alpha) da`` and
    the Boltzmann policy ``pi(a|s) ∝ exp(Q(s, a) / alpha)``.

    - ``Discrete`` actions: ``V`` is exact (``alpha * logsumexp(Q_target(s', .) / alpha)``); the agent acts with
      ``softmax(Q / alpha)`` and ``predict(deterministic=True)`` is greedy.
    - ``Box`` actions: Haarnoja et al. 2017 (Algorithm 1): ``V(s')`` by importance sampling with
      ``n_value_particles`` uniform actions, and an amortized SVGD sampler ``a = tanh(f(s, xi))`` trained with the
      Stein direction of ``n_kernel_particles`` particles per state.

    One public class, two implementations behind it: ``_DiscreteSoftQL`` and ``_ContinuousSoftQL`` hold what differs
    (the soft value, the gradient step, the policies, the temperature, their own checks), chosen from the action
    space; this class holds what both share, as SB3's off-policy algorithms do (the ``train()`` loop, the soft
    Bellman targets, the target network, the non-finite check, logging, saving).

    Logged (``train/``): ``critic_loss`` (the Q-network's squared soft Bellman residual), ``ent_coef``,
    ``learning_rate`` and ``n_updates`` for both; ``Discrete``: ``entropy`` (the exact mean entropy of
    ``softmax(Q / alpha)`` on the batch) and, when the temperature is learned, ``ent_coef_loss``; ``Box``:
    ``sampler_loss`` (the SVGD surrogate, only its gradient is meaningful) and ``kernel_bandwidth`` (the mean
    bandwidth ``h`` of the RBF kernel).

    Paper: https://arxiv.org/abs/1702.08165 (Reinforcement Learning with Deep Energy-Based Policies).
    Reference code: https://github.com/haarnoja/softqlearning (its defaults are ours for ``Box`` actions: 2 x 128 ReLU,
    Adam 3e-4, batch 128, buffer 1e6, hard target copy every 1000 gradient steps, 16 value and 16 kernel particles).
    Its per-task ``reward_scale`` is ``1 / ent_coef`` here (Hopper 30, HalfCheetah 30, Walker2d 10, Ant 300).

    :param policy: The policy model to use: ``"MlpPolicy"``, ``"CnnPolicy"``, ``"MultiInputPolicy"`` or
        ``"ImpalaCnnPolicy"`` (resolved to the discrete or continuous policy from the action space), or a class
        (``DiscreteSoftQLPolicy`` or ``ContinuousSoftQLPolicy`` and their subclasses)
    :param env: The environment to learn from (if registered in Gym, can be str)
    :param learning_rate: learning rate of Adam, for the Q-network and the sampler, it can be a function
        of the current progress remaining (from 1 to 0)
    :param buffer_size: size of the replay buffer
    :param learning_starts: how many steps of the model to collect transitions for before learning starts
        (with uniformly random actions)
    :param batch_size: Minibatch size for each gradient update
    :param tau: the soft update coefficient ("Polyak update", between 0 and 1), 1 for a hard copy
    :param gamma: the discount factor
    :param train_freq: Update the model every ``train_freq`` steps. Alternatively pass a tuple of frequency and unit
        like ``(5, "step")`` or ``(2, "episode")``.
    :param gradient_steps: How many gradient steps to do after each rollout (see ``train_freq``)
        Set to ``-1`` means to do as many gradient steps as steps done in the environment during the rollout.
        0 collects transitions without training (as in SB3, with a warning); other negative values are refused, as is
        a ``train_freq`` below 1.
    :param replay_buffer_class: Replay buffer class to use (for instance ``HerReplayBuffer``).
        If ``None``, it will be automatically selected. ``Float32ReplayBuffer``, ``Float32DictReplayBuffer`` or
        ``Float32SoftNStepReplayBuffer`` (``sb3_maxent.common.buffers``) store float64 observations (MuJoCo's) as
        float32: half the memory, the same training (the networks see float32 anyway).
    :param replay_buffer_kwargs: Keyword arguments to pass to the replay buffer on creation.
    :param optimize_memory_usage: Enable a memory efficient variant of the replay buffer at a cost of more complexity.
    :param n_steps: When ``n_steps > 1``, the target is the soft n-step return
        ``sum_{k<m} gamma^k r_{t+k} + sum_{0<k<m} gamma^k (V'(s_{t+k}) - Q'(s_{t+k}, a_{t+k})) + gamma^m (1 - d) V'(s_{t+m})``
        (``m <= n``: the segment stops at a termination, no bootstrap, or a time-out, bootstrapped, as in SB3):
        ``V' - Q' = -alpha log pi`` is the entropy term of the Boltzmann policy of the target network at the replayed
        action, with ``V'`` the exact soft value (Discrete) or the importance-sampled one (Box) of the one-step
        target. The replay buffer is then ``SoftNStepReplayBuffer`` (SB3's ``NStepReplayBuffer``, which sums the
        rewards only, is refused: it would drop the entropy terms). Not supported for Dict observations (as in SB3).
    :param ent_coef: the temperature alpha > 0 (the inverse of the reward scale of the paper). For ``Discrete``
        actions it may be ``"auto"`` (or ``"auto_0.1"`` to start from 0.1) to learn it so that the mean exact entropy
        of ``softmax(Q / alpha)`` on replayed states matches ``target_entropy``. ``"auto"`` is refused for ``Box``
        actions: the SVGD sampler has no tractable density, so its entropy is unknown.
    :param target_entropy: target entropy (nats) when learning ``ent_coef``, a float in ``(0, log n_actions)``, or
        ``"auto"`` for ``0.5 * log(n_actions)``, half the entropy of the uniform policy
    :param target_update_interval: update the target network every ``target_update_interval`` gradient steps
    :param n_value_particles: number ``M`` of uniform action samples of the importance-sampled soft value (``Box``)
    :param n_kernel_particles: number of sampler particles per state of the SVGD update (``Box``)
    :param kernel_update_ratio: fraction of the kernel particles that are updated; the others (at least 2) are held
        fixed as the empirical distribution of the Stein direction (``Box``)
    :param max_grad_norm: clip the gradient norm of each network to this value (``None``: no clipping, the paper's
        setting)
    :param stats_window_size: Window size for the rollout logging, specifying the number of episodes to average
        the reported success rate, mean episode length, and mean reward over
    :param tensorboard_log: the log location for tensorboard (if None, no logging)
    :param policy_kwargs: additional arguments to be passed to the policy on creation
    :param verbose: Verbosity level: 0 for no output, 1 for info messages (such as device or wrappers used), 2 for
        debug messages
    :param seed: Seed for the pseudo random generators
    :param device: Device (cpu, cuda, ...) on which the code should be run.
        Setting it to auto, the code will be run on the GPU if possible.
    :param _init_setup_model: Whether or not to build the network at the creation of the instance
    """

    # SB3 reads a policy name from this table before it knows the action space; __init__ then takes the class of that
    # name from the table of the action space's implementation (the names are the same)
    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = _DiscreteSoftQL.policy_aliases
    policy: DiscreteSoftQLPolicy | ContinuousSoftQLPolicy
    q_net: th.nn.Module
    q_net_target: th.nn.Module
    sampler: SteinSampler | None

    def __init__(
        self,
        policy: str | type[DiscreteSoftQLPolicy] | type[ContinuousSoftQLPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 3e-4,
        buffer_size: int = 1_000_000,  # 1e6
        learning_starts: int = 100,
        batch_size: int = 128,
        tau: float = 1.0,
        gamma: float = 0.99,
        train_freq: int | tuple[int, str] = 1,
        gradient_steps: int = 1,
        replay_buffer_class: type[ReplayBuffer] | None = None,
        replay_buffer_kwargs: dict[str, Any] | None = None,
        optimize_memory_usage: bool = False,
        n_steps: int = 1,
        ent_coef: str | float = 1.0,
        target_entropy: str | float = "auto",
        target_update_interval: int = 1000,
        n_value_particles: int = 16,
        n_kernel_particles: int = 16,
        kernel_update_ratio: float = 0.5,
        max_grad_norm: float | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        # The arguments are checked here, at construction; those that depend on the action space once SB3 has made
        # the environment (below). The temperature is read in _setup_model (see _setup_ent_coef).
        check_n_step_replay("SoftQL", n_steps, replay_buffer_class, replay_buffer_kwargs)
        check_train_schedule("SoftQL", train_freq, gradient_steps)
        check_net_arch("SoftQL", policy_kwargs)
        buffer_size, batch_size, target_update_interval, n_value_particles, n_kernel_particles = (
            integer_argument(name, value)
            for name, value in (
                ("buffer_size", buffer_size),
                ("batch_size", batch_size),
                ("target_update_interval", target_update_interval),
                ("n_value_particles", n_value_particles),
                ("n_kernel_particles", n_kernel_particles),
            )
        )
        learning_starts = integer_argument("learning_starts", learning_starts, low=0)
        check_float("gamma", gamma, 0.0, 1.0)
        check_float("tau", tau, 0.0, 1.0, low_open=True)  # 1: a hard copy of the target network
        check_learning_rate("learning_rate", learning_rate)
        if max_grad_norm is not None:
            check_float("max_grad_norm", max_grad_norm, 0.0, low_open=True, allow_inf=True)
        super().__init__(
            policy,
            env,
            learning_rate,
            buffer_size,
            learning_starts,
            batch_size,
            tau,
            gamma,
            train_freq,
            gradient_steps,
            action_noise=None,  # exploration comes from the Boltzmann policy
            replay_buffer_class=replay_buffer_class,
            replay_buffer_kwargs=replay_buffer_kwargs,
            optimize_memory_usage=optimize_memory_usage,
            n_steps=n_steps,
            policy_kwargs=policy_kwargs,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            verbose=verbose,
            device=device,
            seed=seed,
            sde_support=False,
            supported_action_spaces=None,  # checked below with a clearer error
            support_multi_env=True,
        )
        self.ent_coef = ent_coef
        self.target_entropy = target_entropy
        self.target_update_interval = target_update_interval
        self.n_value_particles = n_value_particles
        self.n_kernel_particles = n_kernel_particles
        self.kernel_update_ratio = kernel_update_ratio
        self.max_grad_norm = max_grad_norm
        self.log_ent_coef: th.Tensor | None = None
        self.ent_coef_optimizer: th.optim.Adam | None = None

        if self.env is not None:  # (SB3's load() builds the model without one, from the file's checked arguments)
            implementation = _implementation_for(self.action_space)
            implementation.check_arguments(self)
            if isinstance(policy, str):
                self.policy_class = implementation.policy_aliases[policy]
            if not (isinstance(self.policy_class, type) and issubclass(self.policy_class, implementation.policy_base)):
                raise ValueError(
                    f"The policy {self.policy_class} does not fit the {type(self.action_space).__name__} action space: "
                    f"SoftQL needs a subclass of {implementation.policy_base.__name__} (or a string alias such as "
                    "'MlpPolicy')"
                )

        if _init_setup_model:
            self._setup_model()

    @classmethod
    def saved_policy_classes(cls) -> tuple[type, ...]:
        """The policy classes of SoftQL's files: those of both implementations (``ExplainedLoad``)."""
        return (_DiscreteSoftQL.policy_base, _ContinuousSoftQL.policy_base)

    @property
    def is_discrete(self) -> bool:
        """Whether the action space is ``Discrete`` (exact soft values) rather than ``Box`` (SVGD sampler)."""
        return isinstance(self.action_space, spaces.Discrete)

    @property
    def n_updated_particles(self) -> int:
        """Number of kernel particles moved by the Stein direction in each state."""
        return int(self.n_kernel_particles * self.kernel_update_ratio)

    @property
    def n_fixed_particles(self) -> int:
        """Number of kernel particles held fixed (the empirical distribution of the Stein direction)."""
        return self.n_kernel_particles - self.n_updated_particles

    def _setup_model(self) -> None:
        self._implementation = _implementation_for(self.action_space)
        self.replay_buffer_class = replay_buffer_class_for(self.observation_space, self.replay_buffer_class, self.n_steps)
        with n_step_setup(self.replay_buffer_class, self.replay_buffer_kwargs, self.n_steps, self.gamma):
            super()._setup_model()
        self._create_aliases()
        self._setup_ent_coef()
        # Running mean and running var
        self.batch_norm_stats = get_parameters_by_name(self.q_net, ["running_"])
        self.batch_norm_stats_target = get_parameters_by_name(self.q_net_target, ["running_"])

    def _setup_ent_coef(self) -> None:
        """
        Create the temperature: fixed, or learned (``"auto"``, discrete actions only).

        ``ent_coef`` (and ``target_entropy`` with it) is read here, once, as SB3's SAC reads it: here is where a loaded
        model's saved value, which replaces the constructor's before ``_setup_model`` runs, must be read anyway, and
        ``__init__`` runs ``_setup_model``, so a bad value is still refused at construction.
        """
        learned, init_value = parse_ent_coef(self.ent_coef, allow_zero=False)
        if learned:
            self.target_entropy = self._implementation.target_entropy(self)
            # As SAC, optimize log(alpha)
            self.log_ent_coef, self.ent_coef_optimizer = learned_temperature(init_value, self.device, self.lr_schedule(1))
        self._implementation.set_policy_temperature(self, init_value)
        # The temperature used in the losses when it is fixed
        self.ent_coef_tensor = th.tensor(init_value, device=self.device)

    def _create_aliases(self) -> None:
        self.q_net = self.policy.q_net
        self.q_net_target = self.policy.q_net_target
        self.sampler = getattr(self.policy, "sampler", None)  # (Box actions)

    def _current_ent_coef(self) -> th.Tensor:
        if self.log_ent_coef is not None:
            return self.log_ent_coef.detach().exp().squeeze()
        return self.ent_coef_tensor

    def train(self, gradient_steps: int, batch_size: int = 128) -> None:
        # Switch to train mode (this affects batch norm / dropout)
        self.policy.set_training_mode(True)
        optimizers = _optimizers(self, self._implementation.optimizer_names)
        if self.ent_coef_optimizer is not None:
            optimizers.append(self.ent_coef_optimizer)
        self._update_learning_rate(optimizers)

        # Host synchronizations (device-to-host reads): one per gradient step, where the non-finite check reads the
        # step's losses and gradient norms before the optimizers step (`_check_update`: 2 values, 3 with a learned
        # temperature, 4 for Box actions; one transfer on an accelerator, `.item()` reads on a CPU), and one per call,
        # for the logged values, kept on the device until the loop ends. (SB3's `replay_buffer.sample` also copies
        # each field of the batch to the device, a blocking host-to-device copy.)
        logs: dict[str, list[th.Tensor]] = {}
        for _ in range(gradient_steps):
            replay_data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)  # type: ignore[union-attr]
            for key, value in self._implementation.gradient_step(self, replay_data).items():
                logs.setdefault(key, []).append(value)

            self._n_updates += 1
            # Target network: hard copy (tau = 1) or Polyak averaging every `target_update_interval` gradient steps
            if self._n_updates % self.target_update_interval == 0:
                polyak_update(self.q_net.parameters(), self.q_net_target.parameters(), self.tau)
                # Copy running stats, see SB3 GH issue #996
                polyak_update(self.batch_norm_stats, self.batch_norm_stats_target, 1.0)

        if not logs:
            return
        means = dict(zip(logs.keys(), th.stack([th.stack(values).mean() for values in logs.values()]).tolist(), strict=True))
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        for key, value in means.items():
            self.logger.record(f"train/{key}", value)

    def _check_update(self, checked: dict[str, th.Tensor]) -> None:
        """
        Raise :class:`NonFiniteError` if a loss or gradient (norm) of the update is NaN or infinite, before any
        optimizer steps. The values are read on the host: one device-to-host transfer on an accelerator
        (``host_values``), plain reads on a CPU.
        """
        check_finite("SoftQL", host_values(checked), self.num_timesteps, NONFINITE_HINT + _SOFTQL_HINT)

    def _gradient_norm(self, network: th.nn.Module) -> th.Tensor:
        """
        The gradient's norm before clipping, clipped to ``max_grad_norm`` when it is set; without clipping, 0 or inf
        (whether the gradient is finite: all the check needs, cheaper than a norm).
        """
        if self.max_grad_norm is None:
            return gradient_norm(list(network.parameters()))
        return th.nn.utils.clip_grad_norm_(network.parameters(), self.max_grad_norm)

    def _target_q_values(
        self, replay_data: ReplayBufferSamples | SoftNStepReplayBufferSamples, ent_coef: th.Tensor
    ) -> th.Tensor:
        """
        The soft Bellman target, one-step or n-step (``SoftNStepReplayBuffer``), of the Q-network's loss:
        ``r + gamma (1 - d) V_target(s')`` with the implementation's soft value (Eq. 10-11).

        :param replay_data: A batch of the replay buffer
        :param ent_coef: The temperature alpha
        :return: The targets, shape ``(batch_size, 1)``
        """
        # For n-step replay, discount factor is gamma**n_steps (when no early termination)
        discounts = replay_data.discounts if replay_data.discounts is not None else self.gamma
        with th.no_grad():
            next_values, _ = self._implementation.soft_values(
                self, replay_data.next_observations, replay_data.rewards.shape[0], ent_coef
            )
            target_q_values = replay_data.rewards + (1 - replay_data.dones) * discounts * next_values
            if isinstance(replay_data, SoftNStepReplayBufferSamples) and replay_data.intermediate_actions.shape[1] > 0:
                target_q_values = target_q_values + self._intermediate_entropy_terms(replay_data, ent_coef)
        return target_q_values

    def _intermediate_entropy_terms(self, replay_data: SoftNStepReplayBufferSamples, ent_coef: th.Tensor) -> th.Tensor:
        """
        The entropy terms of the soft n-step return, ``sum_{k=1}^{m-1} gamma^k (-alpha log pi(a_{t+k}|s_{t+k}))``
        over the intermediate steps of each segment (``m <= n`` steps; SB3's ``NStepReplayBuffer`` has the rewards
        ``sum_{k<m} gamma^k r_{t+k}`` and the bootstrap ``gamma^m V(s_{t+m})`` only).

        The policy is the Boltzmann policy of the target network, ``pi(a|s) = exp((Q_target(s, a) - V_target(s)) /
        alpha)`` (Haarnoja et al. 2017, "Reinforcement Learning with Deep Energy-Based Policies", Eq. 4-5), so
        ``-alpha log pi(a|s) = V_target(s) - Q_target(s, a)`` at the replayed action, with the same soft value as the
        bootstrap: exact (``logsumexp``) for Discrete actions, importance-sampled (Eq. 10) for Box actions (the SVGD
        sampler only approximates this policy and has no density). The n-step target then telescopes into the
        one-step target plus the discounted soft TD errors of the target network along the replayed path, and at the
        soft-optimal Q it equals Q(s_t, a_t) for any replayed actions in a deterministic MDP: the multi-step soft
        consistency of Nachum et al. 2017, "Bridging the Gap Between Value and Policy Based Reinforcement Learning".

        :param replay_data: A batch of ``SoftNStepReplayBuffer``
        :param ent_coef: The temperature alpha
        :return: shape ``(batch_size, 1)``
        """
        observations, actions = replay_data.flat_intermediate_steps()
        values, replayed_q_values = self._implementation.soft_values(self, observations, len(actions), ent_coef, actions)
        assert replayed_q_values is not None
        return replay_data.discounted_sum(values - replayed_q_values)  # -alpha log pi at the replayed actions

    def learn(
        self: SelfSoftQL,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 4,
        tb_log_name: str = "SoftQL",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfSoftQL:
        return super().learn(
            total_timesteps=total_timesteps,
            callback=callback,
            log_interval=log_interval,
            tb_log_name=tb_log_name,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "q_net", "q_net_target", "sampler", "_implementation"]

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        temperature_state_dicts, temperature_variables = temperature_save_params(self.ent_coef_optimizer)
        return ["policy", *self._implementation.optimizer_names, *temperature_state_dicts], temperature_variables

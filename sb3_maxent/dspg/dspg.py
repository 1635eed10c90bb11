import math
from numbers import Real
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.noise import ActionNoise
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, ReplayBufferSamples, Schedule
from stable_baselines3.common.utils import FloatSchedule, get_parameters_by_name, polyak_update, update_learning_rate
from torch.nn import functional as F

from sb3_maxent.common.buffers import (
    SoftNStepReplayBufferSamples,
    check_n_step_replay,
    check_train_schedule,
    n_step_setup,
    replay_buffer_class_for,
)
from sb3_maxent.common.loading import ExplainedLoad
from sb3_maxent.common.nonfinite import (
    NONFINITE_HINT,
    NonFiniteError,
    UpdateSnapshot,
    check_finite,
    gradient_norm,
    host_values,
)
from sb3_maxent.common.temperature import learned_temperature, parse_ent_coef, temperature_save_params
from sb3_maxent.common.validation import (
    check_float,
    check_int,
    check_learning_rate,
    check_net_arch,
    integer_argument,
    unsupported_action_space,
)
from sb3_maxent.dspg.policies import CnnPolicy, DSPGActor, DSPGCritic, DSPGPolicy, MlpPolicy, MultiInputPolicy

SelfDSPG = TypeVar("SelfDSPG", bound="DSPG")


class DSPG(ExplainedLoad, OffPolicyAlgorithm):
    """
    Deep Soft Policy Gradient (DSPG).

    Off-policy maximum-entropy actor-critic: one soft Q critic trained with a soft Bellman target averaged
    over ``n_action_samples`` actions of a target actor (eq. 15-16), and a Gaussian actor trained with the
    score-function soft policy gradient over ``n_action_samples`` actions per state (eq. 13/17), whose norm
    is clipped (eq. 18). There is no reparameterization (unlike SAC), no twin critic and no value network.

    Paper: Shi, Song & Wu, "Soft Policy Gradient Method for Maximum Entropy Deep Reinforcement Learning",
    IJCAI 2019, https://arxiv.org/abs/1909.03198 (equation numbers below refer to it).
    The paper scales rewards by 5 with temperature 1; here the temperature is explicit (``ent_coef`` = 0.2
    is the same objective up to that factor, as in SB3's SAC).

    :param policy: The policy model to use (MlpPolicy, CnnPolicy, MultiInputPolicy)
    :param env: The environment to learn from (if registered in Gym, can be str)
    :param learning_rate: learning rate of the critic's optimizer (paper: 5e-4); it can be a function of
        the current progress remaining (from 1 to 0). The learned temperature (``ent_coef="auto"``) uses it too.
    :param actor_learning_rate: learning rate of the actor's optimizer (paper: 5e-5); float or schedule
    :param buffer_size: size of the replay buffer (paper: 3e6). SB3 allocates it with ``np.zeros``, which the
        operating system maps lazily: memory is used as transitions arrive, not at construction.
    :param learning_starts: how many steps of the model to collect transitions for before learning starts
    :param batch_size: Minibatch size (number of states N) for each gradient update (paper: 100)
    :param tau: the soft update coefficient of the target critic and target actor ("Polyak update", in (0, 1];
        paper: 0.01)
    :param gamma: the discount factor
    :param train_freq: Update the model every ``train_freq`` steps. Alternatively pass a tuple of frequency and unit
        like ``(5, "step")`` or ``(2, "episode")``.
    :param gradient_steps: How many gradient steps to do after each rollout (see ``train_freq``);
        paper: 4 per environment step. Set to ``-1`` means to do as many gradient steps as steps done in the
        environment during the rollout. 0 collects transitions without training (as in SB3, with a warning); other
        negative values are refused, as is a ``train_freq`` below 1.
    :param n_action_samples: number of actions M sampled per state, both for the critic target (from the target
        actor, eq. 15) and for the soft policy gradient (from the actor, eq. 17). Paper: 64.
    :param ent_coef: Entropy coefficient (temperature alpha). Paper: rewards scaled by 5, i.e. 0.2.
        Set it to 'auto' to learn it as SAC does (and 'auto_0.1' for using 0.1 as initial value).
    :param target_entropy: target entropy when learning ``ent_coef`` (``ent_coef = 'auto'``); "auto" is
        -dim(action space), as in SAC. Log-probabilities are those of the action rescaled to [-1, 1].
    :param max_grad_norm: global norm to which the actor's gradient is clipped (eq. 18). The gradient is that
        of the alpha-scaled objective, so the paper's values N (with reward scale 1/alpha = 5) correspond to
        ``alpha * N``: Hopper 0.2, HalfCheetah 0.6 (the default), Ant and Walker2d 1.0.
    :param per_state_baseline: subtract from each sample's weight (Q - alpha log pi - alpha) the mean weight of
        the M samples of the same state (leave-one-out form, so the gradient stays unbiased). Much lower variance
        (default); ``False`` is the paper's estimator.
    :param action_noise: the action noise type (None by default), this can help
        for hard exploration problem. Cf common.noise for the different action noise type.
    :param replay_buffer_class: Replay buffer class to use (for instance ``HerReplayBuffer``).
        If ``None``, it will be automatically selected. ``Float32ReplayBuffer``, ``Float32DictReplayBuffer`` or
        ``Float32SoftNStepReplayBuffer`` (``sb3_maxent.common.buffers``) store float64 observations (MuJoCo's) as
        float32: half the memory, the same training (the networks see float32 anyway).
    :param replay_buffer_kwargs: Keyword arguments to pass to the replay buffer on creation.
    :param optimize_memory_usage: Enable a memory efficient variant of the replay buffer
        at a cost of more complexity.
        See https://github.com/DLR-RM/stable-baselines3/issues/37#issuecomment-637501195
    :param n_steps: When ``n_steps > 1``, the critic's target is the soft n-step return
        ``sum_{k<m} gamma^k r_{t+k} - alpha sum_{0<k<m} gamma^k log pi'(a_{t+k}|s_{t+k}) + gamma^m (1 - d) V'(s_{t+m})``
        (``m <= n``: the segment stops at a termination, no bootstrap, or a time-out, bootstrapped, as in SB3), with
        the log-probabilities of the target actor at the replayed actions and ``V'`` the sampled soft value of eq. 15.
        The replay buffer is then ``SoftNStepReplayBuffer`` (SB3's ``NStepReplayBuffer``, which sums the rewards only,
        is refused: it would drop the entropy terms). Not supported for Dict observations (as in SB3).
    :param stats_window_size: Window size for the rollout logging, specifying the number of episodes to average
        the reported success rate, mean episode length, and mean reward over
    :param tensorboard_log: the log location for tensorboard (if None, no logging)
    :param policy_kwargs: additional arguments to be passed to the policy on creation, e.g. ``net_arch``
        (default and paper: [512, 512]) and ``squash_output`` (default True: tanh-squashed Gaussian as in the
        authors' code; False: the paper's Gaussian clipped to the action bounds).
    :param verbose: Verbosity level: 0 for no output, 1 for info messages (such as device or wrappers used), 2 for
        debug messages
    :param seed: Seed for the pseudo random generators
    :param device: Device (cpu, cuda, ...) on which the code should be run.
        Setting it to auto, the code will be run on the GPU if possible.
    :param _init_setup_model: Whether or not to build the network at the creation of the instance
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MlpPolicy": MlpPolicy,
        "CnnPolicy": CnnPolicy,
        "MultiInputPolicy": MultiInputPolicy,
    }
    policy: DSPGPolicy
    actor: DSPGActor
    actor_target: DSPGActor
    critic: DSPGCritic
    critic_target: DSPGCritic

    def __init__(
        self,
        policy: str | type[DSPGPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 5e-4,
        actor_learning_rate: float | Schedule = 5e-5,
        buffer_size: int = 3_000_000,
        learning_starts: int = 100,
        batch_size: int = 100,
        tau: float = 0.01,
        gamma: float = 0.99,
        train_freq: int | tuple[int, str] = 1,
        gradient_steps: int = 4,
        n_action_samples: int = 64,
        ent_coef: str | float = 0.2,
        target_entropy: str | float = "auto",
        max_grad_norm: float = 0.6,
        per_state_baseline: bool = True,
        action_noise: ActionNoise | None = None,
        replay_buffer_class: type[ReplayBuffer] | None = None,
        replay_buffer_kwargs: dict[str, Any] | None = None,
        optimize_memory_usage: bool = False,
        n_steps: int = 1,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ):
        # The arguments are checked here, at construction (the temperature in _setup_model, see there)
        check_n_step_replay("DSPG", n_steps, replay_buffer_class, replay_buffer_kwargs)
        check_train_schedule("DSPG", train_freq, gradient_steps)
        check_net_arch("DSPG", policy_kwargs)
        # (SB3 would turn 0 or less into a one-transition buffer; integral floats are read as integers)
        buffer_size = integer_argument("buffer_size", buffer_size)
        learning_starts = integer_argument("learning_starts", learning_starts, low=0)
        _check_hyperparameters(
            learning_rate=learning_rate,
            actor_learning_rate=actor_learning_rate,
            batch_size=batch_size,
            tau=tau,
            gamma=gamma,
            n_action_samples=n_action_samples,
            target_entropy=target_entropy,
            max_grad_norm=max_grad_norm,
            per_state_baseline=per_state_baseline,
        )
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
            action_noise,
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
            supported_action_spaces=None,  # checked below with an error that names the algorithms for the others
            support_multi_env=True,
        )

        self.actor_learning_rate = actor_learning_rate
        self.n_action_samples = n_action_samples
        self.max_grad_norm = max_grad_norm
        self.per_state_baseline = per_state_baseline
        self.target_entropy = target_entropy
        self.log_ent_coef: th.Tensor | None = None
        # Entropy coefficient / temperature alpha (the inverse of the paper's reward scale)
        self.ent_coef = ent_coef
        self.ent_coef_optimizer: th.optim.Adam | None = None
        # (SB3's load() builds the model without an env, from a file whose action space was checked when it was made)
        if self.env is not None and not isinstance(self.action_space, spaces.Box):
            raise unsupported_action_space("DSPG", self.action_space)

        if _init_setup_model:
            self._setup_model()

    def _setup_model(self) -> None:
        self.replay_buffer_class = replay_buffer_class_for(self.observation_space, self.replay_buffer_class, self.n_steps)
        with n_step_setup(self.replay_buffer_class, self.replay_buffer_kwargs, self.n_steps, self.gamma):
            super()._setup_model()
        self._create_aliases()
        self.actor_lr_schedule = FloatSchedule(self.actor_learning_rate)
        update_learning_rate(self.actor.optimizer, self.actor_lr_schedule(1))
        # Running mean and running var (batch norm layers, if any)
        self.batch_norm_stats = get_parameters_by_name(self.critic, ["running_"]) + get_parameters_by_name(
            self.actor, ["running_"]
        )
        self.batch_norm_stats_target = get_parameters_by_name(self.critic_target, ["running_"]) + get_parameters_by_name(
            self.actor_target, ["running_"]
        )
        if self.target_entropy == "auto":
            self.target_entropy = float(-np.prod(self.env.action_space.shape).astype(np.float32))  # type: ignore
        else:
            self.target_entropy = float(self.target_entropy)

        # `ent_coef` is read here, once, as SB3's SAC reads it: here is where a loaded model's saved value, which
        # replaces the constructor's before _setup_model runs, must be read anyway, and __init__ runs _setup_model, so a
        # bad value is still refused at construction
        learned, init_value = parse_ent_coef(self.ent_coef, allow_zero=True)
        if learned:
            # Learned temperature, as in SAC (https://arxiv.org/abs/1812.05905): optimize log(alpha)
            self.log_ent_coef, self.ent_coef_optimizer = learned_temperature(init_value, self.device, self.lr_schedule(1))
        else:
            self.ent_coef_tensor = th.tensor(init_value, device=self.device)

    def _create_aliases(self) -> None:
        self.actor = self.policy.actor
        self.actor_target = self.policy.actor_target
        self.critic = self.policy.critic
        self.critic_target = self.policy.critic_target

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        # Switch to train mode (this affects batch norm / dropout)
        self.policy.set_training_mode(True)
        # Learning rates: the critic (and temperature) follow `learning_rate`, the actor `actor_learning_rate`
        optimizers = [self.critic.optimizer]
        if self.ent_coef_optimizer is not None:
            optimizers.append(self.ent_coef_optimizer)
        self._update_learning_rate(optimizers)
        actor_learning_rate = self.actor_lr_schedule(self._current_progress_remaining)
        self.logger.record("train/actor_learning_rate", actor_learning_rate)
        update_learning_rate(self.actor.optimizer, actor_learning_rate)

        n_samples = self.n_action_samples
        actor_params = list(self.actor.parameters())
        target_params = list(self.critic_target.parameters()) + list(self.actor_target.parameters())
        critic_params = list(self.critic.parameters())
        online_params = critic_params + actor_params
        snapshot = getattr(self, "_critic_snapshot", None)
        if snapshot is None or snapshot.optimizer is not self.critic.optimizer:  # (buffers allocated once)
            snapshot = self._critic_snapshot = UpdateSnapshot(critic_params, self.critic.optimizer)
        # Host synchronizations (device-to-host reads): two per gradient step, where the non-finite checks read the
        # critic's loss and gradient norm before the critic steps, then the actor's loss, gradient norm and
        # temperature loss before they step (`host_values`: one transfer each on an accelerator, 2 + 3 `.item()` reads
        # on a CPU), and one per call, for the logged statistics, kept on the device until the loop ends. (SB3's
        # `replay_buffer.sample` also copies each field of the batch to the device, a blocking host-to-device copy.)
        step_stats: list[th.Tensor] = []

        for _ in range(gradient_steps):
            replay_data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)  # type: ignore[union-attr]

            if self.log_ent_coef is not None:
                # Detached: the temperature has its own loss (see below)
                ent_coef = th.exp(self.log_ent_coef.detach())
            else:
                ent_coef = self.ent_coef_tensor

            # --- Critic (eq. 15-16) ---
            target_q_values = self._target_q_values(replay_data, ent_coef)

            # Soft loss, eq. (16) (with SB3's 1/2 factor)
            current_q_values = self.critic(replay_data.observations, replay_data.actions)[0]
            critic_loss = 0.5 * F.mse_loss(current_q_values, target_q_values)

            self.critic.optimizer.zero_grad()
            critic_loss.backward()
            # A non-finite update never reaches the weights: the critic steps only if its loss and gradient are
            # finite, and is put back if the actor's or the temperature's part of this update is not
            critic_values = host_values({"critic loss": critic_loss, "critic gradient": gradient_norm(critic_params)})
            self._check_update(critic_values)
            critic_before_step = snapshot.capture()
            self.critic.optimizer.step()

            # --- Actor (eq. 13, 17, 18) ---
            # M actions a_ij ~ pi_theta(.|s_i) per state; the samples are constants (score-function estimator),
            # only log pi_theta(a_ij|s_i) is differentiated
            mean, std, log_std = self.actor.get_action_dist_params(replay_data.observations)
            gaussian_actions = self.actor.sample_gaussian(mean, std, n_samples)
            log_prob = self.actor.log_prob(gaussian_actions, mean, log_std)
            with th.no_grad():
                q_values = self.critic.sampled_q_values(replay_data.observations, self.actor.to_action(gaussian_actions))
                # Weights of the soft policy gradient, eq. (13)/(17): Q - alpha log pi - alpha
                weights = q_values - ent_coef * (log_prob.detach() + 1.0)
                if self.per_state_baseline:
                    # Leave-one-out baseline: w_ij - mean_{k != j} w_ik = M/(M-1) (w_ij - mean_k w_ik)
                    weights = (weights - weights.mean(dim=1, keepdim=True)) * (n_samples / (n_samples - 1))
            # Gradient of this loss is -1/(NM) sum_ij w_ij grad log pi(a_ij|s_i), i.e. minus eq. (17)
            actor_loss = -(weights * log_prob).mean()

            self.actor.optimizer.zero_grad()
            actor_loss.backward()
            # Clip_by_norm, eq. (18); returns the norm before clipping
            actor_grad_norm = th.nn.utils.clip_grad_norm_(actor_params, self.max_grad_norm)

            # --- Temperature (as in SAC), from the same samples ---
            if self.ent_coef_optimizer is not None and self.log_ent_coef is not None:
                ent_coef_loss = -(self.log_ent_coef * (log_prob.detach() + float(self.target_entropy))).mean()
                self.ent_coef_optimizer.zero_grad()
                ent_coef_loss.backward()
            else:
                ent_coef_loss = th.zeros((), device=self.device)
            actor_values = {"actor loss": actor_loss, "actor gradient norm": actor_grad_norm, "ent_coef loss": ent_coef_loss}
            try:
                self._check_update(host_values(actor_values))
            except NonFiniteError:
                critic_before_step.restore()
                raise
            self.actor.optimizer.step()
            if self.ent_coef_optimizer is not None:
                self.ent_coef_optimizer.step()

            # --- Target critic and target actor: Polyak averaging ---
            polyak_update(online_params, target_params, self.tau)
            # Copy running stats, see GH issue #996
            polyak_update(self.batch_norm_stats, self.batch_norm_stats_target, 1.0)

            step_stats.append(
                th.stack(
                    [
                        critic_loss.detach(),
                        actor_loss.detach(),
                        actor_grad_norm.detach(),
                        -log_prob.detach().mean(),
                        ent_coef.reshape(()),
                        ent_coef_loss.detach().reshape(()),
                    ]
                )
            )

        self._n_updates += gradient_steps
        if gradient_steps == 0:
            return
        # The logged statistics: one device-to-host transfer per call to train()
        stats = th.stack(step_stats).cpu().numpy()
        critic_loss_, actor_loss_, grad_norm_, entropy_, ent_coef_, ent_coef_loss_ = stats.mean(axis=0)

        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/ent_coef", float(ent_coef_))
        self.logger.record("train/actor_loss", float(actor_loss_))
        self.logger.record("train/critic_loss", float(critic_loss_))
        self.logger.record("train/actor_grad_norm", float(grad_norm_))
        self.logger.record("train/entropy", float(entropy_))
        if self.ent_coef_optimizer is not None:
            self.logger.record("train/ent_coef_loss", float(ent_coef_loss_))

    def _target_q_values(
        self, replay_data: ReplayBufferSamples | SoftNStepReplayBufferSamples, ent_coef: th.Tensor
    ) -> th.Tensor:
        """
        The critic's soft Bellman target, one-step (eq. 15) or n-step (``SoftNStepReplayBuffer``).

        :param replay_data: A batch of the replay buffer
        :param ent_coef: The temperature alpha
        :return: The targets, shape ``(batch_size, 1)``
        """
        # For n-step replay, discount factor is gamma**n_steps (when no early termination)
        discounts = replay_data.discounts if replay_data.discounts is not None else self.gamma
        with th.no_grad():
            # Sampled soft Bellman backup, eq. (15): M actions a'_j ~ pi_theta'(.|s') from the target actor,
            # y = r + gamma (1 - d) (1/M) sum_j [Q_omega'(s', a'_j) - alpha log pi_theta'(a'_j|s')]
            next_mean, next_std, next_log_std = self.actor_target.get_action_dist_params(replay_data.next_observations)
            next_gaussian_actions = self.actor_target.sample_gaussian(next_mean, next_std, self.n_action_samples)
            next_log_prob = self.actor_target.log_prob(next_gaussian_actions, next_mean, next_log_std)
            next_q_values = self.critic_target.sampled_q_values(
                replay_data.next_observations, self.actor_target.to_action(next_gaussian_actions)
            )
            next_soft_values = (next_q_values - ent_coef * next_log_prob).mean(dim=1, keepdim=True)
            target_q_values = replay_data.rewards + (1 - replay_data.dones) * discounts * next_soft_values
            if isinstance(replay_data, SoftNStepReplayBufferSamples) and replay_data.intermediate_actions.shape[1] > 0:
                target_q_values = target_q_values + self._intermediate_entropy_terms(replay_data, ent_coef)
        return target_q_values

    def _intermediate_entropy_terms(self, replay_data: SoftNStepReplayBufferSamples, ent_coef: th.Tensor) -> th.Tensor:
        """
        The entropy terms of the soft n-step return, ``sum_{k=1}^{m-1} gamma^k (-alpha log pi_theta'(a_{t+k}|s_{t+k}))``
        over the intermediate steps of each segment (``m <= n`` steps; SB3's ``NStepReplayBuffer`` has the rewards
        ``sum_{k<m} gamma^k r_{t+k}`` and the bootstrap ``gamma^m V(s_{t+m})`` only). The n-step unrolling of the
        soft Bellman equation, eq. (15) of Shi, Song and Wu 2019, "Soft Policy Gradient Method for Maximum Entropy
        Deep Reinforcement Learning": V(s) = E_a[Q(s, a) - alpha log pi(a|s)] with Q unrolled along the replayed
        actions, as in the multi-step soft consistency of Nachum et al. 2017, "Bridging the Gap Between Value and
        Policy Based Reinforcement Learning" (which holds for any replayed actions once pi is the Boltzmann policy of
        Q). The log-probabilities are those of the target actor, as in the one-step target, at the replayed actions
        (normalized to [-1, 1]; ``DSPGActor.from_action``).

        :param replay_data: A batch of ``SoftNStepReplayBuffer``
        :param ent_coef: The temperature alpha
        :return: shape ``(batch_size, 1)``
        """
        observations, actions = replay_data.flat_intermediate_steps()
        mean, _, log_std = self.actor_target.get_action_dist_params(observations)
        gaussian_actions = self.actor_target.from_action(actions.unsqueeze(1))
        log_prob = self.actor_target.log_prob(gaussian_actions, mean, log_std)
        return replay_data.discounted_sum(-ent_coef * log_prob)

    def _check_update(self, values: dict[str, float]) -> None:
        """Raise :class:`NonFiniteError` (before the optimizers step) if a loss or gradient norm is NaN or infinite."""
        check_finite(
            "DSPG",
            values,
            self.num_timesteps,
            NONFINITE_HINT + " Or lower `actor_learning_rate` / `max_grad_norm`.",
        )

    def learn(
        self: SelfDSPG,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 4,
        tb_log_name: str = "DSPG",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfDSPG:
        return super().learn(
            total_timesteps=total_timesteps,
            callback=callback,
            log_interval=log_interval,
            tb_log_name=tb_log_name,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "actor", "actor_target", "critic", "critic_target", "_critic_snapshot"]

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        temperature_state_dicts, temperature_variables = temperature_save_params(self.ent_coef_optimizer)
        return ["policy", "actor.optimizer", "critic.optimizer", *temperature_state_dicts], temperature_variables


def _check_hyperparameters(
    learning_rate: Any,
    actor_learning_rate: Any,
    batch_size: Any,
    tau: Any,
    gamma: Any,
    n_action_samples: Any,
    target_entropy: Any,
    max_grad_norm: Any,
    per_state_baseline: Any,
) -> None:
    """Reject bad hyperparameters at construction with a message naming the parameter (``ent_coef``: ``_setup_model``)."""
    check_learning_rate("learning_rate", learning_rate)
    check_learning_rate("actor_learning_rate", actor_learning_rate)
    check_int("batch_size", batch_size)
    check_float("tau", tau, 0.0, 1.0, low_open=True)  # Polyak coefficient of the target networks
    check_float("gamma", gamma, 0.0, 1.0)
    check_int("n_action_samples", n_action_samples)
    if per_state_baseline and n_action_samples < 2:
        raise ValueError(
            "`per_state_baseline=True` needs `n_action_samples` >= 2 (the baseline of a sample is the mean of the "
            f"other samples of the same state), got {n_action_samples}"
        )
    if isinstance(target_entropy, str):
        if target_entropy != "auto":
            raise ValueError(f"`target_entropy` must be a float or 'auto', got {target_entropy!r}")
    elif not isinstance(target_entropy, Real) or not math.isfinite(float(target_entropy)):
        raise ValueError(f"`target_entropy` must be a float or 'auto', got {target_entropy!r}")
    check_float("max_grad_norm", max_grad_norm, 0.0, low_open=True, allow_inf=True)  # eq. 18; inf: no clipping

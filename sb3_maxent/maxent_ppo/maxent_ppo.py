import math
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, RolloutBufferSamples, Schedule
from stable_baselines3.common.utils import FloatSchedule, explained_variance
from stable_baselines3.common.vec_env import VecEnv
from torch.nn import functional as F

from sb3_maxent.common.loading import ExplainedLoad, saved_data
from sb3_maxent.common.nonfinite import NONFINITE_HINT, NonFiniteError, check_finite, host_values
from sb3_maxent.common.validation import check_float, check_int, check_learning_rate, check_net_arch
from sb3_maxent.maxent_ppo.buffers import SoftReturnDictRolloutBuffer, SoftReturnRolloutBuffer
from sb3_maxent.maxent_ppo.policies import CnnPolicy, ImpalaCnnPolicy, MlpPolicy, MultiInputPolicy

SelfMaxEntPPO = TypeVar("SelfMaxEntPPO", bound="MaxEntPPO")

MAXENT_MODES = ("one_step", "soft_returns")
MAXENT_UNITS = ("reward", "advantage")
VALUE_CLIP_MODES = ("sb3", "ppo2")


class MaxEntPPO(ExplainedLoad, PPO):
    """
    Maximum-entropy Proximal Policy Optimization (PPO-clip with the max-ent objective).

    PPO optimizes the expected return and, optionally, adds an entropy *regularizer* to its loss
    (``ent_coef``). MaxEntPPO optimizes the maximum-entropy objective
    ``sum_t gamma^t E[r_t + beta * H(pi(.|s_t))]`` (``maxent_coef`` = beta), which also rewards
    *reaching* states where the policy can stay random. Both terms are independent, so the four agents
    of the paper are all expressible: no entropy (both 0), regularization only (``ent_coef``), max-ent
    only (``maxent_coef``, the paper's choice) and both. With ``maxent_coef=0`` it is exactly SB3's PPO.

    Paper: "On-Policy Maximum Entropy Deep Reinforcement Learning" (one-step approximation, its Sec. 4), which
    modified OpenAI Baselines' PPO2. The exact mode follows Schulman et al. 2017, "Equivalence Between
    Policy Gradients and Soft Q-Learning" (https://arxiv.org/abs/1704.06440).

    Modes (``maxent_mode``):

    - ``"one_step"`` (the paper's approximation, default):
      ``A_t(beta) = A_t^GAE + beta * H(pi_theta(.|s_t))`` with the entropy evaluated with the *current*
      parameters inside the clipped surrogate (its gradient flows through it), and the value target
      ``R_t(beta) = R_t + beta * H`` (entropy detached). ``maxent_units`` says what beta is measured in
      when advantages are normalized (see below).
    - ``"soft_returns"``: the exact max-ent return: every reward becomes
      ``r_t - beta * log pi_old(a_t|s_t)`` before GAE (see ``SoftReturnRolloutBuffer``); the critic
      learns soft values. beta is in reward units, whether or not advantages are normalized.

    Units of beta in ``one_step`` mode with ``normalize_advantage=True`` (``maxent_units``):

    - ``"reward"`` (default): the whole ``A_t(beta)`` is shifted and scaled by the minibatch statistics of the
      GAE part, ``(A_t^GAE - mean + beta * H) / std``, so beta is in (normalized) reward units, the units of the
      max-ent objective itself. The closed-form optima hold in these units.
    - ``"advantage"``: the paper's code, literally. PPO2 normalizes the advantages per minibatch before they
      enter the graph, so the paper's edit adds the entropy *after* normalization:
      ``(A_t^GAE - mean) / std + beta * H``, beta in standard deviations of the minibatch's advantages. The value
      target is ``R_t + beta * H`` in reward units, as in the paper's code. The paper's beta = 0.3 is in these
      units; one unit is ``train/advantage_std`` reward units (about 0.47 on FruitBot early on), so
      beta_reward = beta_advantage * ``train/advantage_std``. That effective temperature shrinks with the
      advantages as the policy converges: on a one-step bandit the policy collapses to a deterministic one
      instead of reaching the max-ent optimum.

    Without normalization both units are reward units; ``maxent_units="advantage"`` then raises an error.

    :param policy: The policy model to use (MlpPolicy, CnnPolicy, MultiInputPolicy, ImpalaCnnPolicy)
    :param env: The environment to learn from (if registered in Gym, can be str)
    :param learning_rate: The learning rate, it can be a function of the current progress remaining (from 1 to 0)
    :param n_steps: The number of steps to run for each environment per update
    :param batch_size: Minibatch size
    :param n_epochs: Number of epoch when optimizing the surrogate loss
    :param gamma: Discount factor
    :param gae_lambda: Factor for trade-off of bias vs variance for Generalized Advantage Estimator
    :param clip_range: Clipping parameter, it can be a function of the current progress remaining (from 1 to 0).
    :param clip_range_vf: Clipping parameter for the value function (None: no clipping)
    :param normalize_advantage: Whether to normalize or not the advantage (per minibatch)
    :param ent_coef: Entropy *regularization* coefficient of PPO's loss (unchanged meaning)
    :param maxent_coef: Temperature beta >= 0 of the maximum-entropy objective, a float or a schedule
        (callable of the progress remaining, from 1 to 0), e.g. ``ExponentialSchedule(0.3, 0.03)``.
        The paper's tuned value on FruitBot is 0.3 in advantage units (with ``ent_coef=0``).
    :param maxent_mode: ``"one_step"`` (the paper's approximation) or ``"soft_returns"`` (exact soft returns)
    :param maxent_units: ``"reward"`` (default) or ``"advantage"`` (the paper's code): what beta is measured
        in with ``one_step`` and ``normalize_advantage=True``, see above
    :param value_clip_mode: How ``clip_range_vf`` clips the value loss. ``"sb3"`` (default, SB3's PPO): the squared
        error of the clipped prediction, ``mean((R - V_clipped)^2)``, whose gradient is 0 wherever V has moved more
        than ``clip_range_vf`` from the old value. ``"ppo2"`` (OpenAI Baselines' PPO2, which the on-policy max-ent
        paper and the Procgen paper ran): the larger of the unclipped and the clipped squared errors,
        ``mean(max((R - V)^2, (R - V_clipped)^2))``, which keeps the unclipped gradient where V has moved away from
        the target. PPO2 weighs ``0.5 * mean(max(...))`` by its ``vf_coef``: its 0.5 is ``vf_coef=0.25`` here. Needs
        ``clip_range_vf``.
    :param vf_coef: Value function coefficient for the loss calculation
    :param micro_batch_size: ``None`` (default): each minibatch's loss and backward pass at once, as SB3's PPO. An
        integer that divides ``batch_size``: the minibatch in chunks of that many samples, each chunk's loss weighted
        by its share of the minibatch and the gradients accumulated before the one optimizer step, so the update is
        the minibatch's (advantages normalized over the whole minibatch; same clipping, same logged statistics) up to
        floating-point rounding, with the activations of one chunk in memory at a time. For large image minibatches
        on a CPU, whose activations do not stay in cache: 128-256 made a 2048-frame IMPALA CNN update about twice as
        fast on a 2-core CPU (``benchmarks/throughput.py``).
    :param max_grad_norm: The maximum value for the gradient clipping
    :param use_sde: Whether to use generalized State Dependent Exploration (gSDE)
    :param sde_sample_freq: Sample a new noise matrix every n steps when using gSDE
    :param rollout_buffer_class: Rollout buffer class to use. If ``None``, it will be automatically selected
        (with ``maxent_mode="soft_returns"`` it must be a ``SoftReturnRolloutBuffer`` subclass).
    :param rollout_buffer_kwargs: Keyword arguments to pass to the rollout buffer on creation
    :param target_kl: Limit the KL divergence between updates (None: no limit)
    :param stats_window_size: Window size for the rollout logging
    :param tensorboard_log: the log location for tensorboard (if None, no logging)
    :param policy_kwargs: additional arguments to be passed to the policy on creation
    :param verbose: Verbosity level: 0 for no output, 1 for info messages, 2 for debug messages
    :param seed: Seed for the pseudo random generators
    :param device: Device (cpu, cuda, ...) on which the code should be run.
    :param _init_setup_model: Whether or not to build the network at the creation of the instance
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MlpPolicy": MlpPolicy,
        "CnnPolicy": CnnPolicy,
        "MultiInputPolicy": MultiInputPolicy,
        "ImpalaCnnPolicy": ImpalaCnnPolicy,
    }
    maxent_coef: Schedule

    def __init__(
        self,
        policy: str | type[ActorCriticPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 3e-4,
        n_steps: int = 2048,
        batch_size: int = 64,
        n_epochs: int = 10,
        gamma: float = 0.99,
        gae_lambda: float = 0.95,
        clip_range: float | Schedule = 0.2,
        clip_range_vf: float | Schedule | None = None,
        normalize_advantage: bool = True,
        ent_coef: float = 0.0,
        maxent_coef: float | Schedule = 0.3,
        maxent_mode: str = "one_step",
        maxent_units: str = "reward",
        value_clip_mode: str = "sb3",
        vf_coef: float = 0.5,
        micro_batch_size: int | None = None,
        max_grad_norm: float = 0.5,
        use_sde: bool = False,
        sde_sample_freq: int = -1,
        rollout_buffer_class: type[RolloutBuffer] | None = None,
        rollout_buffer_kwargs: dict[str, Any] | None = None,
        target_kl: float | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ):
        if maxent_mode not in MAXENT_MODES:
            raise ValueError(f"Unknown maxent_mode {maxent_mode!r}: expected one of {MAXENT_MODES}")
        _check_maxent_coef(maxent_coef)
        _check_maxent_units(maxent_units, maxent_mode, normalize_advantage)
        _check_value_clip_mode(value_clip_mode, clip_range_vf)
        # (what SB3's PPO lets through and would only fail, or silently misbehave, later)
        check_learning_rate("learning_rate", learning_rate)
        check_float("gamma", gamma, 0.0, 1.0)
        check_float("gae_lambda", gae_lambda, 0.0, 1.0)
        check_float("ent_coef", ent_coef, 0.0)
        check_float("vf_coef", vf_coef, 0.0)
        check_float("max_grad_norm", max_grad_norm, 0.0, low_open=True, allow_inf=True)  # < 0 would ascend the loss
        check_net_arch("MaxEntPPO", policy_kwargs, actor_critic=True)
        check_int("n_epochs", n_epochs)  # (0 would make learn() collect rollouts and never train)
        if (
            maxent_mode == "soft_returns"
            and rollout_buffer_class is not None
            and not issubclass(rollout_buffer_class, SoftReturnRolloutBuffer)
        ):
            raise ValueError(
                f"maxent_mode='soft_returns' adds the entropy bonus to the rewards inside the rollout buffer, so "
                f"rollout_buffer_class must subclass SoftReturnRolloutBuffer (got {rollout_buffer_class.__name__})"
            )
        _check_micro_batch_size(micro_batch_size, batch_size)
        self.micro_batch_size = micro_batch_size
        self.maxent_coef = maxent_coef  # type: ignore[assignment]
        self.maxent_mode = maxent_mode
        self.maxent_units = maxent_units
        self.value_clip_mode = value_clip_mode
        super().__init__(
            policy,
            env,
            learning_rate=learning_rate,
            n_steps=n_steps,
            batch_size=batch_size,
            n_epochs=n_epochs,
            gamma=gamma,
            gae_lambda=gae_lambda,
            clip_range=clip_range,
            clip_range_vf=clip_range_vf,
            normalize_advantage=normalize_advantage,
            ent_coef=ent_coef,
            vf_coef=vf_coef,
            max_grad_norm=max_grad_norm,
            use_sde=use_sde,
            sde_sample_freq=sde_sample_freq,
            rollout_buffer_class=rollout_buffer_class,
            rollout_buffer_kwargs=rollout_buffer_kwargs,
            target_kl=target_kl,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            seed=seed,
            device=device,
            _init_setup_model=False,
        )
        if _init_setup_model:
            self._setup_model()

    def _setup_model(self) -> None:
        if self.maxent_mode == "soft_returns" and self.rollout_buffer_class is None:
            if isinstance(self.observation_space, spaces.Dict):
                self.rollout_buffer_class = SoftReturnDictRolloutBuffer
            else:
                self.rollout_buffer_class = SoftReturnRolloutBuffer
        super()._setup_model()
        self.maxent_coef = FloatSchedule(self.maxent_coef)

    def _current_maxent_coef(self) -> float:
        maxent_coef = self.maxent_coef(self._current_progress_remaining)
        if not maxent_coef >= 0.0:  # also catches NaN
            raise ValueError(f"The maxent_coef schedule returned {maxent_coef} at progress {self._current_progress_remaining}")
        return maxent_coef

    def collect_rollouts(
        self,
        env: VecEnv,
        callback: BaseCallback,
        rollout_buffer: RolloutBuffer,
        n_rollout_steps: int,
    ) -> bool:
        if isinstance(rollout_buffer, SoftReturnRolloutBuffer):
            # beta for the soft rewards of this rollout (applied when the buffer computes GAE)
            rollout_buffer.maxent_coef = self._current_maxent_coef() if self.maxent_mode == "soft_returns" else 0.0
        try:
            return super().collect_rollouts(env, callback, rollout_buffer, n_rollout_steps)
        except (ValueError, RuntimeError) as error:
            # A NaN observation makes the policy's distribution refuse its parameters deep inside torch (ValueError),
            # or its sampling fail (RuntimeError, where argument validation is off, e.g. after importing th.compile)
            if not isinstance(error, NonFiniteError) and not _all_finite(self._last_obs):
                raise NonFiniteError(
                    f"MaxEntPPO: an observation contains NaN or inf at timestep {self.num_timesteps}, and the policy "
                    f"cannot act on it ({error}). Check the environment with "
                    "stable_baselines3.common.vec_env.VecCheckNan."
                ) from error
            raise

    def train(self) -> None:
        """
        Update policy using the currently gathered rollout buffer.

        Forked from stable-baselines3 2.9.2 ``PPO.train``; the changes, each marked ``sb3-maxent``: the advantages
        and value targets of the one-step max-ent objective (:meth:`_maxent_advantages`), each minibatch's loss in
        micro-batches (``micro_batch_size``; one chunk by default), the non-finite check before the optimizer steps,
        and the max-ent logs. With ``maxent_coef=0`` (and ``micro_batch_size=None``) it is PPO's update, to the bit.
        """
        # Switch to train mode (this affects batch norm / dropout)
        self.policy.set_training_mode(True)
        # Update optimizer learning rate
        self._update_learning_rate(self.policy.optimizer)
        # Compute current clip range
        clip_range = self.clip_range(self._current_progress_remaining)  # type: ignore[operator]
        # Optional: clip range for the value function
        if self.clip_range_vf is not None:
            clip_range_vf = self.clip_range_vf(self._current_progress_remaining)  # type: ignore[operator]
        maxent_coef = self._current_maxent_coef()  # sb3-maxent

        entropy_losses = []
        pg_losses, value_losses = [], []
        clip_fractions = []

        continue_training = True
        # train for n_epochs epochs
        for epoch in range(self.n_epochs):
            approx_kl_divs = []
            # Do a complete pass on the rollout buffer
            for minibatch_data in self.rollout_buffer.get(self.batch_size):
                # sb3-maxent: the minibatch in micro-batches (losses weighted by their share, gradients accumulated,
                # advantages normalized over the whole minibatch); micro_batch_size=None: one chunk, SB3's computation
                advantage_stats = self._advantage_stats(minibatch_data.advantages)
                self.policy.optimizer.zero_grad()
                totals: dict[str, th.Tensor] = {}  # the chunks' weighted losses and statistics, read once per minibatch
                for rollout_data, share in self._micro_batches(minibatch_data):
                    actions = rollout_data.actions
                    if isinstance(self.action_space, spaces.Discrete):
                        # Convert discrete action from float to long
                        actions = rollout_data.actions.long().flatten()

                    values, log_prob, entropy = self.policy.evaluate_actions(rollout_data.observations, actions)
                    values = values.flatten()
                    # Normalize advantage (sb3-maxent: and add the max-ent bonus)
                    advantages, returns = self._maxent_advantages(
                        rollout_data, -log_prob if entropy is None else entropy, maxent_coef, advantage_stats
                    )

                    # ratio between old and new policy, should be one at the first iteration
                    ratio = th.exp(log_prob - rollout_data.old_log_prob)

                    # clipped surrogate loss
                    policy_loss_1 = advantages * ratio
                    policy_loss_2 = advantages * th.clamp(ratio, 1 - clip_range, 1 + clip_range)
                    policy_loss = -th.min(policy_loss_1, policy_loss_2).mean()

                    clip_fraction = th.mean((th.abs(ratio - 1) > clip_range).float())

                    if self.clip_range_vf is None:
                        # No clipping
                        values_pred = values
                    else:
                        # Clip the difference between old and new value
                        # NOTE: this depends on the reward scaling
                        values_pred = rollout_data.old_values + th.clamp(
                            values - rollout_data.old_values, -clip_range_vf, clip_range_vf
                        )
                    # Value loss using the TD(gae_lambda) target
                    value_loss = self._value_loss(returns, values, values_pred)  # sb3-maxent: R_t + beta H, PPO2's form

                    # Entropy loss favor exploration
                    if entropy is None:
                        # Approximate entropy when no analytical form
                        entropy_loss = -th.mean(-log_prob)
                    else:
                        entropy_loss = -th.mean(entropy)

                    loss = policy_loss + self.ent_coef * entropy_loss + self.vf_coef * value_loss

                    # Calculate approximate form of reverse KL Divergence for early stopping
                    # see issue #417: https://github.com/DLR-RM/stable-baselines3/issues/417
                    # and discussion in PR #419: https://github.com/DLR-RM/stable-baselines3/pull/419
                    # and Schulman blog: http://joschu.net/blog/kl-approx.html
                    with th.no_grad():
                        log_ratio = log_prob - rollout_data.old_log_prob
                        approx_kl_div = th.mean((th.exp(log_ratio) - 1) - log_ratio)

                    (loss if share == 1.0 else loss * share).backward()
                    _add_chunk(totals, share, (loss, policy_loss, value_loss, entropy_loss, clip_fraction, approx_kl_div))
                minibatch = host_values(totals)
                # Logging
                pg_losses.append(minibatch["policy"])
                clip_fractions.append(minibatch["clip_fraction"])
                value_losses.append(minibatch["value"])
                entropy_losses.append(minibatch["entropy"])
                approx_kl_divs.append(minibatch["approx_kl"])

                if self.target_kl is not None and minibatch["approx_kl"] > 1.5 * self.target_kl:
                    continue_training = False
                    if self.verbose >= 1:
                        print(f"Early stopping at step {epoch} due to reaching max kl: {minibatch['approx_kl']:.2f}")
                    break

                # Optimization step (the gradient is in the parameters' .grad since the backward passes above)
                # Clip grad norm
                grad_norm = th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self._check_update(minibatch, grad_norm)  # sb3-maxent
                self.policy.optimizer.step()

            self._n_updates += 1
            if not continue_training:
                break

        explained_var = explained_variance(self.rollout_buffer.values.flatten(), self.rollout_buffer.returns.flatten())

        # Logs
        self.logger.record("train/entropy_loss", np.mean(entropy_losses))
        self._record_maxent(maxent_coef, -float(np.mean(entropy_losses)))  # sb3-maxent
        self.logger.record("train/policy_gradient_loss", np.mean(pg_losses))
        self.logger.record("train/value_loss", np.mean(value_losses))
        self.logger.record("train/approx_kl", np.mean(approx_kl_divs))
        self.logger.record("train/clip_fraction", np.mean(clip_fractions))
        self.logger.record("train/loss", minibatch["loss"])
        self.logger.record("train/explained_variance", explained_var)
        if hasattr(self.policy, "log_std"):
            self.logger.record("train/std", th.exp(self.policy.log_std).mean().item())

        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/clip_range", clip_range)
        if self.clip_range_vf is not None:
            self.logger.record("train/clip_range_vf", clip_range_vf)

    def _advantage_stats(self, advantages: th.Tensor) -> tuple[th.Tensor, th.Tensor] | None:
        """
        The mean and standard deviation that normalize a minibatch's advantages, or ``None`` without normalization.

        :param advantages: The whole minibatch's GAE advantages (also when it is processed in micro-batches)
        """
        # Normalization does not make sense if mini batchsize == 1, see GH issue #325
        if not self.normalize_advantage or len(advantages) <= 1:
            return None
        return advantages.mean(), advantages.std()

    def _micro_batches(self, rollout_data: RolloutBufferSamples) -> Iterator[tuple[RolloutBufferSamples, float]]:
        """
        The minibatch in consecutive chunks of ``micro_batch_size`` samples, each with its share of the minibatch
        (the whole minibatch with share 1.0 when ``micro_batch_size`` is ``None`` or not smaller than it).
        """
        n_samples = len(rollout_data.advantages)
        size = self.micro_batch_size
        if size is None or size >= n_samples:
            yield rollout_data, 1.0
            return
        for start in range(0, n_samples, size):
            stop = min(start + size, n_samples)
            chunk = [
                {key: value[start:stop] for key, value in field.items()} if isinstance(field, dict) else field[start:stop]
                for field in rollout_data
            ]
            yield type(rollout_data)(*chunk), (stop - start) / n_samples

    def _maxent_advantages(
        self,
        rollout_data: RolloutBufferSamples,
        entropy: th.Tensor,
        maxent_coef: float,
        advantage_stats: tuple[th.Tensor, th.Tensor] | None,
    ) -> tuple[th.Tensor, th.Tensor]:
        """
        The advantages (normalized as SB3's PPO does) and value targets of a minibatch or of a chunk of it, with the
        one-step max-ent objective of the paper (Sec. 4): A_t(beta) = [r_t + beta H(pi_theta(.|s_t)) + gamma V(s_t+1)
        - V(s_t)] + gamma lambda A_t+1(0) = A_t^GAE + beta H(pi_theta(.|s_t)), H with the current theta so that its
        gradient flows through the clipped surrogate, and R_t(beta) = A_t(beta) + V_old(s_t) = R_t + beta H (H
        detached, in reward units whatever ``maxent_units``).

        :param rollout_data: The minibatch, or a chunk of it
        :param entropy: H(pi_theta(.|s_t)) per sample (``-log_prob`` where the distribution has no closed form)
        :param maxent_coef: beta
        :param advantage_stats: The whole minibatch's advantage mean and standard deviation
            (:meth:`_advantage_stats`), ``None``: no normalization
        :return: The advantages and the value targets
        """
        advantages, returns = rollout_data.advantages, rollout_data.returns
        if advantage_stats is not None:
            mean, std = advantage_stats
        if self.maxent_mode != "one_step" or maxent_coef == 0.0:  # SB3's PPO (soft_returns: the bonus is in the rewards)
            if advantage_stats is not None:
                advantages = (advantages - mean) / (std + 1e-8)
            return advantages, returns
        if advantage_stats is not None and self.maxent_units == "advantage":
            # the paper's PPO2 edit: ADV_normalized + beta H
            advantages = th.add((advantages - mean) / (std + 1e-8), entropy, alpha=maxent_coef)
        elif advantage_stats is not None:
            # maxent_units="reward": the whole A_t(beta) is shifted and scaled by the statistics of the GAE part, so
            # beta stays in reward units
            advantages = (advantages - mean).add_(entropy, alpha=maxent_coef) / (std + 1e-8)
        else:
            advantages = advantages + maxent_coef * entropy
        return advantages, th.add(returns, entropy.detach(), alpha=maxent_coef)

    def _value_loss(self, returns: th.Tensor, values: th.Tensor, values_pred: th.Tensor) -> th.Tensor:
        """
        The value loss of ``value_clip_mode``: SB3's ``mse(R, V_clipped)``, or PPO2's ``mean(max((R - V)^2,
        (R - V_clipped)^2))`` (``values_pred`` is V_clipped where ``clip_range_vf`` is set, else V).
        """
        if self.value_clip_mode == "ppo2":
            return th.maximum((returns - values) ** 2, (returns - values_pred) ** 2).mean()
        return F.mse_loss(returns, values_pred)

    def _check_update(self, minibatch: dict[str, float], grad_norm: th.Tensor) -> None:
        """
        Raise :class:`NonFiniteError` (before the optimizer steps) if the loss or the gradient is NaN or infinite.

        :param minibatch: The minibatch's losses as logged (``loss``, ``policy``, ``value``, ``entropy``)
        :param grad_norm: The gradient's norm (``clip_grad_norm_``'s result)
        """
        loss, policy_loss, value_loss, entropy_loss = (minibatch[key] for key in ("loss", "policy", "value", "entropy"))
        values = {"loss": loss, "gradient norm": grad_norm.item()}  # (SB3 reads five values per minibatch)
        if all(math.isfinite(value) for value in values.values()):
            return
        check_finite(
            "MaxEntPPO",
            values,
            self.num_timesteps,
            f"Policy loss {policy_loss}, value loss {value_loss}, mean entropy {-entropy_loss}. "
            "A finite loss with a non-finite gradient comes from an infinite observation. "
            + NONFINITE_HINT
            + " Or lower maxent_coef.",
        )

    def _record_maxent(self, maxent_coef: float, mean_entropy: float) -> None:
        """Log the mean entropy (``train/entropy``), beta (``train/maxent_coef``) and the bonus's share of the signal."""
        self.logger.record("train/entropy", mean_entropy)
        self.logger.record("train/maxent_coef", maxent_coef)
        self._record_maxent_share(maxent_coef, mean_entropy)

    def _record_maxent_share(self, maxent_coef: float, mean_entropy: float) -> None:
        """
        Log the mean entropy bonus per step (``train/maxent_bonus``) and its share of the training signal
        (``train/maxent_share`` = |bonus| / (|bonus| + |task part|), 0 without max-ent term, 1 when
        the entropy term is all the agent optimizes). The task part is the mean absolute reward of the
        rollout in ``soft_returns`` mode (where the bonus is added to the rewards), and the mean
        absolute advantage in ``one_step`` mode (where the bonus is added to the advantages); with
        advantage normalization, both parts are divided by the advantages' standard deviation, as in the loss.
        ``train/advantage_std`` is the standard deviation of the rollout's GAE advantages, in reward units:
        with ``maxent_units="reward"``, ``maxent_coef`` divided by it is the weight of the entropy in the
        normalized loss (the same beta in ``maxent_units="advantage"``).
        """
        advantage_std = float(np.std(self.rollout_buffer.advantages))
        if self.maxent_mode == "soft_returns" and isinstance(self.rollout_buffer, SoftReturnRolloutBuffer):
            bonus = float(np.mean(self.rollout_buffer.entropy_bonuses))
            share_bonus = abs(bonus)
            task = float(np.mean(np.abs(self.rollout_buffer.rewards - self.rollout_buffer.entropy_bonuses)))
        else:
            bonus = maxent_coef * mean_entropy
            # (with the statistics of the whole rollout instead of each minibatch's)
            advantages = self.rollout_buffer.advantages
            if self.normalize_advantage:
                scale = advantage_std + 1e-8
                advantages = advantages - advantages.mean()
            else:
                scale = 1.0
            # with maxent_units="advantage" the bonus is added after normalization: it is not scaled
            share_bonus = abs(bonus) if self.maxent_units == "advantage" else abs(bonus) / scale
            task = float(np.mean(np.abs(advantages))) / scale
        self.logger.record("train/advantage_std", advantage_std)
        self.logger.record("train/maxent_bonus", bonus)
        self.logger.record("train/maxent_share", share_bonus / (share_bonus + task) if bonus != 0.0 else 0.0)

    @classmethod
    def load(cls, path: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """
        SB3's ``load``. A file saved by SB3's ``PPO`` (PPO's attributes, no ``maxent_coef``) loads as the PPO that was
        saved: with ``maxent_coef=0``, where MaxEntPPO is exactly PPO, and a warning that says so; pass
        ``maxent_coef=...`` to ``load`` to train it on with the max-ent objective. A file of another on-policy
        algorithm (A2C: no ``clip_range``) is refused, as are other algorithms' policies (``ExplainedLoad``).
        """
        data = saved_data(path) or {}
        policy_class = data.get("policy_class")
        if (
            isinstance(policy_class, type)
            and issubclass(policy_class, cls.saved_policy_classes())
            and "maxent_coef" not in data
        ):
            if "clip_range" not in data:
                raise ValueError(
                    f"{path} was saved by neither MaxEntPPO nor PPO (it has no clip_range: an A2C file?): MaxEntPPO "
                    "can load only those (load it with the algorithm that saved it)"
                )
            if "maxent_coef" not in kwargs:
                warnings.warn(
                    f"{path} was saved by SB3's PPO: loaded with maxent_coef=0.0, where MaxEntPPO is exactly that PPO. "
                    "Pass maxent_coef=... to MaxEntPPO.load to train it on with the max-ent objective."
                )
                kwargs["maxent_coef"] = 0.0
        return super().load(path, *args, **kwargs)

    def learn(
        self: SelfMaxEntPPO,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "MaxEntPPO",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfMaxEntPPO:
        return super().learn(
            total_timesteps=total_timesteps,
            callback=callback,
            log_interval=log_interval,
            tb_log_name=tb_log_name,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )


def _check_maxent_coef(maxent_coef: float | Schedule) -> None:
    """Raise a clear error at construction for a negative (or non-numeric) temperature or schedule."""
    if callable(maxent_coef):
        # Check the schedule where SB3 will evaluate it: over the whole progress range
        probes = {p: maxent_coef(p) for p in np.linspace(1.0, 0.0, 11)}
        bad = {p: v for p, v in probes.items() if not (isinstance(v, (int, float, np.floating)) and 0 <= v < np.inf)}
        if bad:
            progress, value = next(iter(bad.items()))
            raise ValueError(
                f"maxent_coef schedule must return a finite number >= 0 for every progress in [0, 1], "
                f"got {value!r} at progress_remaining={progress:.1f}"
            )
    elif not isinstance(maxent_coef, (int, float, np.floating)) or not 0 <= maxent_coef < np.inf:
        raise ValueError(
            f"maxent_coef (the max-ent temperature beta) must be a finite float >= 0 or a schedule, got {maxent_coef!r}"
        )


# What train() logs of each minibatch, in the order _add_chunk takes it
MINIBATCH_STATISTICS = ("loss", "policy", "value", "entropy", "clip_fraction", "approx_kl")


def _add_chunk(totals: dict[str, th.Tensor], share: float, values: tuple[th.Tensor, ...]) -> None:
    """
    Add a chunk's losses and statistics (:data:`MINIBATCH_STATISTICS`), weighted by its share of the minibatch, to
    the minibatch's totals, on the device (read once per minibatch). A share of 1 adds nothing but the values.
    """
    for key, value in zip(MINIBATCH_STATISTICS, values, strict=True):
        value = value.detach() if share == 1.0 else share * value.detach()
        totals[key] = totals[key] + value if key in totals else value


def _check_micro_batch_size(micro_batch_size: int | None, batch_size: int) -> None:
    """Raise a clear error at construction for a micro-batch size that is not a positive divisor of ``batch_size``."""
    if micro_batch_size is None:
        return
    if isinstance(micro_batch_size, (bool, np.bool_)) or not isinstance(micro_batch_size, (int, np.integer)):
        raise ValueError(f"micro_batch_size must be None or a positive integer, got {micro_batch_size!r}")
    if micro_batch_size <= 0 or batch_size % micro_batch_size != 0:
        raise ValueError(
            f"micro_batch_size must be None or a positive divisor of batch_size={batch_size} (the minibatch is split "
            f"into equal chunks), got {micro_batch_size}"
        )


def _check_value_clip_mode(value_clip_mode: str, clip_range_vf: Any) -> None:
    """Raise a clear error at construction for an unknown value clipping, or PPO2's without a clip range."""
    if value_clip_mode not in VALUE_CLIP_MODES:
        raise ValueError(f"Unknown value_clip_mode {value_clip_mode!r}: expected one of {VALUE_CLIP_MODES}")
    if value_clip_mode == "ppo2" and clip_range_vf is None:
        raise ValueError(
            "value_clip_mode='ppo2' chooses how clip_range_vf clips the value loss: set clip_range_vf (PPO2's FruitBot "
            "setting is the policy's clip range, 0.2), or it would change nothing"
        )


def _check_maxent_units(maxent_units: str, maxent_mode: str, normalize_advantage: bool) -> None:
    """Raise a clear error at construction for a unit of beta that does not exist or means nothing here."""
    if maxent_units not in MAXENT_UNITS:
        raise ValueError(f"Unknown maxent_units {maxent_units!r}: expected one of {MAXENT_UNITS}")
    if maxent_units == "advantage" and maxent_mode != "one_step":
        raise ValueError(
            "maxent_units='advantage' (beta in standard deviations of the normalized advantages, the paper's code) "
            f"applies to maxent_mode='one_step' only; maxent_mode={maxent_mode!r} adds beta to the rewards, in reward units"
        )
    if maxent_units == "advantage" and not normalize_advantage:
        raise ValueError(
            "maxent_units='advantage' measures beta in standard deviations of the normalized advantages: it needs "
            "normalize_advantage=True (without normalization, beta is in reward units: use maxent_units='reward')"
        )


def _all_finite(observation: Any) -> bool:
    """Whether an observation (array or dict of arrays) has no NaN or inf."""
    if isinstance(observation, dict):
        return all(_all_finite(value) for value in observation.values())
    array = np.asarray(observation)
    return not np.issubdtype(array.dtype, np.floating) or bool(np.isfinite(array).all())

"""Rollout buffers that turn rewards into max-ent ("soft") rewards before GAE."""

import numpy as np
import torch as th
from stable_baselines3.common.buffers import DictRolloutBuffer, RolloutBuffer


class SoftReturnRolloutBuffer(RolloutBuffer):
    """
    SB3's ``RolloutBuffer`` for ``MaxEntPPO(maxent_mode="soft_returns")``.

    Before GAE, every reward receives the sampled entropy bonus of the action that was taken,

        r'_t = r_t - beta * log pi_old(a_t | s_t)          (maxent_mode="soft_returns")

    so that returns, advantages and value targets are those of the maximum-entropy objective
    sum_t gamma^t (r_t + beta * H(pi(.|s_t))) (in expectation over a_t). ``log pi_old`` is the
    log-probability stored at collection time, so the bonus is a constant for the PPO epochs.

    ``maxent_coef`` (beta) is set by ``MaxEntPPO`` before each rollout. After
    ``compute_returns_and_advantage``, ``rewards`` holds the soft rewards and ``entropy_bonuses``
    the bonus alone (both shape (n_steps, n_envs)).
    """

    maxent_coef: float = 0.0
    entropy_bonuses: np.ndarray

    def reset(self) -> None:
        super().reset()
        self.entropy_bonuses = np.zeros((self.buffer_size, self.n_envs), dtype=np.float32)

    def compute_returns_and_advantage(self, last_values: th.Tensor, dones: np.ndarray) -> None:
        if self.maxent_coef != 0.0:
            self.entropy_bonuses = -self.maxent_coef * self.log_probs
            self.rewards += self.entropy_bonuses
        super().compute_returns_and_advantage(last_values, dones)


class SoftReturnDictRolloutBuffer(SoftReturnRolloutBuffer, DictRolloutBuffer):
    """``SoftReturnRolloutBuffer`` for dict observations (SB3's ``DictRolloutBuffer`` with soft rewards)."""

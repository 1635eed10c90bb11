"""
Exact maximum-entropy solutions of small tabular MDPs (soft Q-iteration; Guo-Yu Yang, "Maximum Entropy
Reinforcement Learning", lecture slides, 2020).

These are the ground truth the algorithms are tested against, and a tool for users who want the exact
Boltzmann-optimal policy of a toy problem:

    Q(s, a) = R(s, a) + gamma * sum_s' P(s' | s, a) V(s')          (soft Bellman backup)
    V(s)    = alpha * log sum_a exp(Q(s, a) / alpha)               (soft maximum; hard max when alpha = 0)
    pi(a|s) = exp((Q(s, a) - V(s)) / alpha)                        (Boltzmann policy)

Terminal states have V = 0 and are never left. ``TabularMDPEnv`` turns the same arrays into a Gymnasium
environment, so that an agent can be trained on exactly the MDP that ``soft_value_iteration`` solves.
"""

from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class SoftValueSolution(NamedTuple):
    """
    The exact soft-optimal quantities of a tabular MDP.

    :param q_values: soft Q-function, shape (n_states, n_actions)
    :param values: soft state values, shape (n_states,)
    :param policy: Boltzmann policy ``pi(a|s)``, shape (n_states, n_actions), rows sum to 1
        (uniform over the maximizing actions when ``ent_coef == 0``)
    :param n_iterations: number of backups performed
    """

    q_values: np.ndarray
    values: np.ndarray
    policy: np.ndarray
    n_iterations: int


def soft_value(q_values: np.ndarray, ent_coef: float, axis: int = -1) -> np.ndarray:
    """
    Soft maximum ``alpha * log sum exp(Q / alpha)`` along ``axis`` (numerically stable); the hard max for ``alpha = 0``.

    :param q_values: array of Q-values
    :param ent_coef: temperature alpha >= 0
    :param axis: axis of the actions
    """
    q_max = np.max(q_values, axis=axis, keepdims=True)
    if ent_coef == 0:
        return np.squeeze(q_max, axis=axis)
    summed = np.sum(np.exp((q_values - q_max) / ent_coef), axis=axis, keepdims=True)
    return np.squeeze(q_max + ent_coef * np.log(summed), axis=axis)


def boltzmann_policy(q_values: np.ndarray, ent_coef: float) -> np.ndarray:
    """
    The max-ent policy ``pi(a|s) ∝ exp(Q(s, a) / alpha)`` over the last axis (greedy, ties split evenly, for alpha = 0).

    :param q_values: array of Q-values, actions on the last axis
    :param ent_coef: temperature alpha >= 0
    """
    if ent_coef == 0:
        greedy = np.isclose(q_values, q_values.max(axis=-1, keepdims=True), rtol=0.0, atol=1e-12).astype(np.float64)
        return greedy / greedy.sum(axis=-1, keepdims=True)
    logits = (q_values - q_values.max(axis=-1, keepdims=True)) / ent_coef
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def soft_value_iteration(
    transitions: np.ndarray,
    rewards: np.ndarray,
    gamma: float,
    ent_coef: float,
    terminal_states: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iterations: int | None = None,
) -> SoftValueSolution:
    """
    Soft Q-iteration (Yang 2020, "Maximum Entropy Reinforcement Learning"): iterate the soft Bellman backup to its
    fixed point.

    :param transitions: ``P[s, a, s']``, shape (n_states, n_actions, n_states); rows must sum to 1
        (rows of terminal states are ignored)
    :param rewards: ``R[s, a]`` of shape (n_states, n_actions), or ``R[s, a, s']`` of shape
        (n_states, n_actions, n_states) (its expectation under ``P`` is used)
    :param gamma: discount factor in [0, 1]; with ``gamma = 1`` every policy must reach a terminal state
    :param ent_coef: temperature alpha >= 0 (0 gives ordinary value iteration)
    :param terminal_states: boolean mask (n_states,) of absorbing states with value 0, or None
    :param tol: stop when the largest change of V is below ``tol * max(1, max |V|)`` (relative to the values' scale,
        which grows as 1 / (1 - gamma)); V is then within ``gamma / (1 - gamma)`` times that change of the fixed point
    :param max_iterations: raise if the backup has not converged after this many iterations (default: enough for
        the contraction by gamma per iteration to reach ``tol``, ``60 / (1 - gamma)``, at least 100,000)
    :return: the soft Q-function, values and Boltzmann policy
    """
    transitions = np.asarray(transitions, dtype=np.float64)
    rewards = np.asarray(rewards, dtype=np.float64)
    if transitions.ndim != 3 or transitions.shape[0] != transitions.shape[2]:
        raise ValueError(f"`transitions` must have shape (n_states, n_actions, n_states), got {transitions.shape}")
    n_states, n_actions, _ = transitions.shape
    if rewards.shape == (n_states, n_actions, n_states):
        rewards = np.sum(transitions * rewards, axis=2)
    if rewards.shape != (n_states, n_actions):
        raise ValueError(f"`rewards` must have shape {(n_states, n_actions)} or {transitions.shape}, got {rewards.shape}")
    if ent_coef < 0:
        raise ValueError(f"`ent_coef` must be >= 0, got {ent_coef}")
    if not 0 <= gamma <= 1:
        raise ValueError(f"`gamma` must be in [0, 1], got {gamma}")
    terminal = np.zeros(n_states, dtype=bool) if terminal_states is None else np.asarray(terminal_states, dtype=bool)
    if terminal.shape != (n_states,):
        raise ValueError(f"`terminal_states` must be a boolean mask of shape ({n_states},), got {terminal.shape}")
    row_sums = transitions[~terminal].sum(axis=-1)
    if not np.allclose(row_sums, 1.0, atol=1e-8):
        raise ValueError("Each transitions[s, a, :] of a non-terminal state must sum to 1")

    if max_iterations is None:
        max_iterations = 100_000 if gamma == 1 else max(100_000, int(60 / (1 - gamma)))
    values = np.zeros(n_states)
    n_iterations, delta = 0, np.inf
    while delta >= tol * max(1.0, float(np.max(np.abs(values)))):
        if n_iterations == max_iterations:
            reason = (
                "with gamma = 1 every policy must reach a terminal state"
                if gamma == 1
                else f"the backup contracts by gamma = {gamma} per iteration: raise max_iterations or tol"
            )
            raise RuntimeError(
                f"Soft value iteration did not converge in {max_iterations} iterations (last change {delta:.3g}); {reason}"
            )
        q_values = rewards + gamma * transitions @ values
        new_values = np.where(terminal, 0.0, soft_value(q_values, ent_coef))
        delta = np.max(np.abs(new_values - values))
        values = new_values
        n_iterations += 1
    q_values = rewards + gamma * transitions @ values
    q_values[terminal] = 0.0
    return SoftValueSolution(q_values, values, boltzmann_policy(q_values, ent_coef), n_iterations)


class TabularMDPEnv(gym.Env):
    """
    A small MDP given as arrays, as a Gymnasium environment with one-hot observations.

    The same arrays given to ``soft_value_iteration`` give its exact soft-optimal policy, which makes
    this the ground-truth environment of the tests (a one-step bandit is the MDP with one state whose
    actions all lead to a terminal state).

    :param transitions: ``P[s, a, s']``, shape (n_states, n_actions, n_states)
    :param rewards: ``R[s, a]``, shape (n_states, n_actions) (the reward of taking ``a`` in ``s``)
    :param terminal_states: boolean mask (n_states,): reaching one of these ends the episode (``terminated``)
    :param initial_state_distribution: probabilities of the start state (default: always state 0)
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        transitions: np.ndarray,
        rewards: np.ndarray,
        terminal_states: np.ndarray | None = None,
        initial_state_distribution: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.transitions = np.asarray(transitions, dtype=np.float64)
        self.rewards = np.asarray(rewards, dtype=np.float64)
        n_states, n_actions, _ = self.transitions.shape
        if self.rewards.shape != (n_states, n_actions):
            raise ValueError(f"`rewards` must have shape {(n_states, n_actions)}, got {self.rewards.shape}")
        self.terminal_states = (
            np.zeros(n_states, dtype=bool) if terminal_states is None else np.asarray(terminal_states, dtype=bool)
        )
        if initial_state_distribution is None:
            initial_state_distribution = np.eye(n_states)[0]
        self.initial_state_distribution = np.asarray(initial_state_distribution, dtype=np.float64)
        if self.initial_state_distribution.shape != (n_states,) or not np.isclose(self.initial_state_distribution.sum(), 1):
            raise ValueError("`initial_state_distribution` must be a probability vector over the states")
        if np.any(self.initial_state_distribution[self.terminal_states] > 0):
            raise ValueError("The episode cannot start in a terminal state")
        self.observation_space = spaces.Box(0.0, 1.0, shape=(n_states,), dtype=np.float32)
        self.action_space = spaces.Discrete(n_actions)
        self._eye = np.eye(n_states, dtype=np.float32)
        self.state = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.state = int(self.np_random.choice(len(self.initial_state_distribution), p=self.initial_state_distribution))
        return self._eye[self.state].copy(), {"state": self.state}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        reward = float(self.rewards[self.state, action])
        self.state = int(self.np_random.choice(len(self.terminal_states), p=self.transitions[self.state, action]))
        return self._eye[self.state].copy(), reward, bool(self.terminal_states[self.state]), False, {"state": self.state}

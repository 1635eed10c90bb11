"""
Multi-modal tasks of ``benchmarks/learning.py``, in the spirit of the two-passage example of Haarnoja and Tang (2017),
"Learning Diverse Skills via Maximum Entropy Deep Reinforcement Learning": tasks with two equally good ways to succeed,
where the maximum-entropy optimum keeps both and a deterministic optimum picks one.

- :class:`TwoGoalBandit`: a one-step continuous bandit with actions in ``[-1, 1]^2`` and two equally good goals.
  The max-ent optimum ``pi*(a) ∝ exp(r(a) / alpha)`` is a mixture of two equal Gaussians, one per goal.
- :func:`make_two_passage_maze`: a small grid maze whose start and goal are joined by two passages of equal
  length (an upper and a lower one), as a :class:`~sb3_maxent.TabularMDPEnv`, so that
  :func:`~sb3_maxent.soft_value_iteration` gives its exact soft-optimal policy.

Both come with a function that measures which mode each episode used.
"""

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.wrappers import TimeLimit
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_maxent import TabularMDPEnv, soft_value_iteration

# ---------------------------------------------------------------------------------------------------------------------
# Continuous: two goals
# ---------------------------------------------------------------------------------------------------------------------

BANDIT_GOALS = np.array([[0.5, 0.5], [-0.5, -0.5]])
BANDIT_CURVATURE = 2.0
# An action counts for a goal when it is within this distance of it (the optimum's per-goal std is
# sqrt(alpha / (2 c)) per coordinate: 0.16 at alpha = 0.1, so 0.5 holds 99% of each Gaussian bump)
BANDIT_MODE_RADIUS = 0.5


class TwoGoalBandit(gym.Env):
    """
    One-step continuous bandit: ``r(a) = -c * min_i ||a - g_i||^2`` with goals ``g_1 = (0.5, 0.5)`` and
    ``g_2 = (-0.5, -0.5)``, ``c = 2``, actions in ``[-1, 1]^2``; every episode is one step. The observation is a
    constant 0.

    Both goals give the best reward 0. The max-ent optimum at temperature ``alpha`` is (inside the box, up to the
    negligible overlap of the two bumps) the equal mixture of ``N(g_i, alpha / (2 c) I)``: half of its actions go to
    each goal. A Gaussian policy (SAC, DSPG) can only cover one of them well; SoftQL's sampler can cover both.
    """

    observation_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        reward = float(bandit_reward(np.asarray(action, dtype=np.float64)[None])[0])
        return np.zeros(1, dtype=np.float32), reward, True, False, {}


def bandit_reward(actions: np.ndarray) -> np.ndarray:
    """Rewards of a batch of actions, shape (n, 2) -> (n,)."""
    squared_distances = ((actions[:, None, :] - BANDIT_GOALS[None]) ** 2).sum(-1)
    return -BANDIT_CURVATURE * squared_distances.min(axis=1)


def bandit_modes(actions: np.ndarray) -> dict[str, float]:
    """
    Share of the actions near each goal (within :data:`BANDIT_MODE_RADIUS`) and the balance between the goals.

    ``minority_share`` is ``min(n_1, n_2) / (n_1 + n_2)``: 0.5 when both goals are used equally (the max-ent
    optimum), 0 when the policy uses only one.
    """
    distances = np.sqrt(((actions[:, None, :] - BANDIT_GOALS[None]) ** 2).sum(-1))
    near = distances < BANDIT_MODE_RADIUS
    goal_1, goal_2 = float(near[:, 0].mean()), float(near[:, 1].mean())
    used = goal_1 + goal_2
    return {
        "mode_1_share": goal_1,
        "mode_2_share": goal_2,
        "minority_share": min(goal_1, goal_2) / used if used > 0 else 0.0,
        "mean_reward": float(bandit_reward(actions).mean()),
    }


def evaluate_bandit(model: Any, n_samples: int = 1000) -> tuple[dict[str, float], np.ndarray]:
    """Sample ``n_samples`` actions of the stochastic policy (one batched ``predict``); return mode statistics and actions."""
    observations = np.zeros((n_samples, 1), dtype=np.float32)
    actions, _ = model.predict(observations, deterministic=False)
    actions = np.asarray(actions, dtype=np.float64).reshape(n_samples, 2)
    return bandit_modes(actions), actions


def bandit_optimum_samples(ent_coef: float, n_samples: int, seed: int = 0) -> np.ndarray:
    """Samples of the exact max-ent optimum ``pi*(a) ∝ exp(r(a) / alpha)`` on ``[-1, 1]^2`` (rejection from a fine grid)."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(-1, 1, 401)
    points = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1).reshape(-1, 2)
    weights = np.exp(bandit_reward(points) / ent_coef)
    choice = rng.choice(len(points), size=n_samples, p=weights / weights.sum())
    return points[choice] + rng.uniform(-0.0025, 0.0025, size=(n_samples, 2))


# ---------------------------------------------------------------------------------------------------------------------
# Discrete: a maze with two passages
# ---------------------------------------------------------------------------------------------------------------------

# S: start, G: goal, #: wall. The upper passage (row 1) and the lower passage (row 5) both take 10 steps from S to G.
# Entering the goal gives +1 and ends the episode; every other step gives -0.1. The step cost matters for a max-ent
# agent: without it, wandering forever collects beta * log(4) per step of entropy, which beats reaching the goal
# (soft value iteration then gives the uniform policy).
MAZE_LAYOUT = (
    "#########",
    "#.......#",
    "#.#####.#",
    "#S#####G#",
    "#.#####.#",
    "#.......#",
    "#########",
)
MAZE_MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))  # up, down, left, right; moving into a wall stays in place
MAZE_MAX_STEPS = 100
MAZE_GOAL_REWARD, MAZE_STEP_REWARD = 1.0, -0.1


class MazeSpec:
    """The two-passage maze as arrays: free cells are states, the goal is terminal."""

    def __init__(self, layout: tuple[str, ...] = MAZE_LAYOUT) -> None:
        self.layout = layout
        self.cells = [(row, col) for row, line in enumerate(layout) for col, char in enumerate(line) if char != "#"]
        self.index = {cell: i for i, cell in enumerate(self.cells)}
        n_states, n_actions = len(self.cells), len(MAZE_MOVES)
        self.start = next(self.index[cell] for cell in self.cells if layout[cell[0]][cell[1]] == "S")
        self.goal = next(self.index[cell] for cell in self.cells if layout[cell[0]][cell[1]] == "G")
        middle_col = len(layout[0]) // 2
        # Which passage an episode used: the row in which it last crossed the middle column
        self.upper = {self.index[cell] for cell in self.cells if cell[1] == middle_col and cell[0] < len(layout) // 2}
        self.lower = {self.index[cell] for cell in self.cells if cell[1] == middle_col and cell[0] > len(layout) // 2}
        self.transitions = np.zeros((n_states, n_actions, n_states))
        self.rewards = np.zeros((n_states, n_actions))
        for state, (row, col) in enumerate(self.cells):
            for action, (d_row, d_col) in enumerate(MAZE_MOVES):
                target = (row + d_row, col + d_col)
                next_state = self.index.get(target, state)
                self.transitions[state, action, next_state] = 1.0
                self.rewards[state, action] = MAZE_GOAL_REWARD if next_state == self.goal else MAZE_STEP_REWARD
        self.rewards[self.goal] = 0.0
        self.terminal = np.zeros(n_states, dtype=bool)
        self.terminal[self.goal] = True

    def make_env(self) -> gym.Env:
        initial = np.eye(len(self.cells))[self.start]
        return TimeLimit(TabularMDPEnv(self.transitions, self.rewards, self.terminal, initial), MAZE_MAX_STEPS)

    def exact_policy(self, gamma: float, ent_coef: float) -> np.ndarray:
        """The soft-optimal (Boltzmann) policy ``pi(a|s)`` by soft value iteration (hard-optimal when ``ent_coef = 0``)."""
        return soft_value_iteration(self.transitions, self.rewards, gamma, ent_coef, self.terminal).policy

    def exact_episode_length(self, policy: np.ndarray) -> float:
        """
        Mean episode length of a policy ``pi(a|s)`` from the start, with the time limit: E[min(T, limit)] =
        sum over t < limit of P(T > t), the state distribution propagated step by step (the goal absorbs).
        """
        chain = np.einsum("sa,sat->st", policy, self.transitions)
        chain[self.goal] = 0.0
        chain[self.goal, self.goal] = 1.0
        distribution = np.eye(len(self.cells))[self.start]
        length = 0.0
        for _ in range(MAZE_MAX_STEPS):
            length += 1.0 - distribution[self.goal]
            distribution = distribution @ chain
        return float(length)


def make_two_passage_maze() -> gym.Env:
    """The two-passage maze as a Gymnasium env (one-hot observations, at most 100 steps)."""
    return MazeSpec().make_env()


class TabularPolicyAgent:
    """A table ``pi(a|s)`` with ``predict`` like an SB3 model (one-hot observations): the exact reference agent."""

    def __init__(self, policy: np.ndarray, seed: int = 0) -> None:
        self.policy = policy
        self.rng = np.random.default_rng(seed)

    def predict(self, observations: np.ndarray, deterministic: bool = False) -> tuple[np.ndarray, None]:
        states = np.argmax(observations, axis=-1)
        probabilities = self.policy[states]
        if deterministic:
            return probabilities.argmax(-1), None
        cumulative = probabilities.cumsum(-1)
        draws = self.rng.random((len(states), 1))
        return np.minimum((draws > cumulative).sum(-1), probabilities.shape[1] - 1), None


def evaluate_maze(
    model: BaseAlgorithm | TabularPolicyAgent, n_episodes: int = 100, n_envs: int = 20, seed: int = 0
) -> dict[str, float]:
    """
    Run ``n_episodes`` episodes of the stochastic policy in the maze (``n_envs`` at a time) and measure:
    ``success`` (share of episodes that reach the goal within the time limit), ``upper_share`` (among those,
    the share through the upper passage), ``minority_share`` (``min(upper, lower) / (upper + lower)``: 0.5 when
    both passages are used equally, 0 when only one is), ``episode_length`` and ``return`` (undiscounted).
    """
    spec = MazeSpec()
    vec_env = DummyVecEnv([spec.make_env for _ in range(n_envs)])
    vec_env.seed(seed)
    observations = vec_env.reset()
    last_passage = np.full(n_envs, "", dtype=object)
    lengths = np.zeros(n_envs, dtype=np.int64)
    returns = np.zeros(n_envs)
    passages: list[str] = []
    episode_lengths: list[int] = []
    episode_returns: list[float] = []
    successes: list[bool] = []
    while len(successes) < n_episodes:
        actions, _ = model.predict(observations, deterministic=False)
        observations, rewards, dones, infos = vec_env.step(actions)
        lengths += 1
        returns += rewards
        for i, info in enumerate(infos):
            state = info["state"]
            if state in spec.upper:
                last_passage[i] = "upper"
            elif state in spec.lower:
                last_passage[i] = "lower"
            if dones[i]:
                if len(successes) < n_episodes:
                    success = state == spec.goal
                    successes.append(success)
                    episode_lengths.append(int(lengths[i]))
                    episode_returns.append(float(returns[i]))
                    if success:
                        passages.append(last_passage[i])
                last_passage[i] = ""
                lengths[i], returns[i] = 0, 0.0
    vec_env.close()
    upper = sum(passage == "upper" for passage in passages)
    lower = sum(passage == "lower" for passage in passages)
    return {
        "success": float(np.mean(successes)),
        "upper_share": upper / (upper + lower) if upper + lower else float("nan"),
        "minority_share": min(upper, lower) / (upper + lower) if upper + lower else 0.0,
        "episode_length": float(np.mean(episode_lengths)),
        "return": float(np.mean(episode_returns)),
    }

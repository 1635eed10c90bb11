"""
The three algorithms as the by-concern tests (test_run, test_save_load, test_cnn, test_dict_env, test_deterministic,
test_failures, test_compiled_policy) run them: one table of tiny settings, the environments, and the checks that
every concern shares (a model trained, two models equal).
"""

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.envs import (
    BitFlippingEnv,
    FakeImageEnv,
    IdentityEnv,
    IdentityEnvBox,
    IdentityEnvMultiBinary,
    IdentityEnvMultiDiscrete,
    SimpleMultiObsEnv,
)
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

from sb3_maxent import DSPG, MaxEntPPO, SoftQL


@dataclass(frozen=True)
class Algorithm:
    """An algorithm (in one of its forms) with tiny settings: a short run on ``env_id`` trains a few times."""

    name: str
    algorithm: type
    env_id: str
    kwargs: dict[str, Any]
    n_timesteps: int
    discrete: bool
    # the action spaces it learns on (those of SB3's identity environments; test_run.py also checks the refused ones)
    action_spaces: tuple[str, ...] = ()

    @property
    def off_policy(self) -> bool:
        return issubclass(self.algorithm, OffPolicyAlgorithm)

    @property
    def aliases(self) -> set[str]:
        """The policy names it accepts."""
        return {*self.algorithm.policy_aliases, *getattr(self.algorithm, "continuous_policy_aliases", {})}

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """The tiny settings with ``overrides`` (``policy_kwargs`` merged), a new dict each time."""
        settings = copy.deepcopy(self.kwargs)
        policy_kwargs = {**settings.get("policy_kwargs", {}), **overrides.pop("policy_kwargs", {})}
        return {**settings, **overrides, "policy_kwargs": policy_kwargs}

    def make(self, env: Any = None, policy: Any = "MlpPolicy", **overrides: Any):
        """The model on ``env`` (its ``env_id`` by default)."""
        return self.algorithm(policy, self.env_id if env is None else env, **self.settings(**overrides))


OFF_POLICY_SMALL = dict(learning_starts=20, batch_size=16, buffer_size=500, policy_kwargs=dict(net_arch=[16]))

MAXENT_PPO = Algorithm(
    "MaxEntPPO",
    MaxEntPPO,
    "CartPole-v1",
    dict(n_steps=32, batch_size=16, n_epochs=2, policy_kwargs=dict(net_arch=[16])),
    n_timesteps=96,
    discrete=True,
    action_spaces=("Discrete", "MultiDiscrete", "MultiBinary", "Box"),
)

ALGORITHMS = {
    algorithm.name: algorithm
    for algorithm in [
        # maxent_mode="one_step" (the default) and "soft_returns" differ in their rollout buffer
        MAXENT_PPO,
        dataclasses.replace(
            MAXENT_PPO, name="MaxEntPPO-soft_returns", kwargs=dict(MAXENT_PPO.kwargs, maxent_mode="soft_returns")
        ),
        Algorithm(
            "DSPG",
            DSPG,
            "Pendulum-v1",
            dict(OFF_POLICY_SMALL, n_action_samples=4, gradient_steps=1),
            n_timesteps=60,
            discrete=False,
            action_spaces=("Box",),
        ),
        # SoftQL is two algorithms in one class: soft Q-learning with a Boltzmann policy (Discrete actions), and
        # with an amortized SVGD sampler (Box actions)
        Algorithm(
            "SoftQL-discrete",
            SoftQL,
            "CartPole-v1",
            dict(OFF_POLICY_SMALL, target_update_interval=10),
            n_timesteps=60,
            discrete=True,
            action_spaces=("Discrete",),
        ),
        Algorithm(
            "SoftQL-continuous",
            SoftQL,
            "Pendulum-v1",
            dict(OFF_POLICY_SMALL, target_update_interval=10, n_value_particles=8, n_kernel_particles=4),
            n_timesteps=60,
            discrete=False,
            action_spaces=("Box",),
        ),
    ]
}
# One form of each (MaxEntPPO's default mode): for the concerns where MaxEntPPO's modes do not differ
ONE_EACH = ["MaxEntPPO", "DSPG", "SoftQL-discrete", "SoftQL-continuous"]
OFF_POLICY = [name for name, algorithm in ALGORITHMS.items() if algorithm.off_policy]


# ---------------------------------------------------------------------------------------------
# Environments
# ---------------------------------------------------------------------------------------------
def identity_env(action_space: str) -> gym.Env:
    """SB3's identity environment with that action space (the action is rewarded for matching the state)."""
    return {
        "Discrete": lambda: IdentityEnv(dim=3),
        "MultiDiscrete": lambda: IdentityEnvMultiDiscrete(dim=2),
        "MultiBinary": lambda: IdentityEnvMultiBinary(dim=2),
        "Box": lambda: IdentityEnvBox(-1.0, 1.0, ep_length=10),
    }[action_space]()


class MatrixActionEnv(gym.Env):
    """A (2, 2) Box action (as SB3's test_spaces has): the reward is minus the squared distance to a fixed matrix."""

    observation_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = spaces.Box(-1.0, 1.0, (2, 2), np.float32)
    target = np.array([[0.5, -0.5], [0.25, 0.0]], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._steps = 0
        return np.zeros(1, np.float32), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        assert action.shape == (2, 2), action.shape
        self._steps += 1
        reward = -float(np.square(action - self.target).sum())
        return np.zeros(1, np.float32), reward, False, self._steps >= 10, {}


def image_env(discrete: bool, n_channels: int = 3) -> gym.Env:
    """Random images (36x36, the smallest NatureCNN takes) with Discrete or Box actions."""
    return FakeImageEnv(screen_height=36, screen_width=36, n_channels=n_channels, discrete=discrete)


class VectorImageDictEnv(gym.Env):
    """Dict observations (a vector and a small image) with Discrete or Box actions; reward -|a - x|^2 (Box)."""

    def __init__(self, discrete: bool = False) -> None:
        self.observation_space = spaces.Dict(
            {"vec": spaces.Box(-1, 1, (3,), np.float32), "img": spaces.Box(0, 255, (36, 36, 1), np.uint8)}
        )
        self.action_space = spaces.Discrete(3) if discrete else spaces.Box(-1, 1, (3,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.observation_space.seed(seed)
        self.obs = self.observation_space.sample()
        self.steps = 0
        return self.obs, {}

    def step(self, action):
        if isinstance(self.action_space, spaces.Discrete):
            reward = float(self.obs["vec"][int(action)])
        else:
            reward = -float(np.sum((action - self.obs["vec"]) ** 2))
        self.obs = self.observation_space.sample()
        self.steps += 1
        return self.obs, reward, False, self.steps >= 10, {}


def dict_env(kind: str, discrete: bool) -> gym.Env:
    """A dict-observation environment: SB3's (a grid with vector and image parts; goal bits) or the vector + image one."""
    if kind == "sb3":
        return SimpleMultiObsEnv(random_start=False) if discrete else BitFlippingEnv(n_bits=4, continuous=True, max_steps=8)
    return VectorImageDictEnv(discrete=discrete)


# The one-step continuous bandit of the closed-form tests (DSPG, SoftQL)
class QuadraticBandit(gym.Env):
    """
    One-step continuous bandit r(a) = -c (a - a*)^2 (``continuing=False``), or the same reward in a single
    state that never terminates (``continuing=True``, truncated by a TimeLimit), for soft policy evaluation.
    """

    def __init__(self, a_star: float = 0.5, c: float = 1.0, bound: float = 2.0, continuing: bool = False):
        self.observation_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.action_space = spaces.Box(-bound, bound, (1,), np.float32)
        self.a_star, self.c, self.continuing = a_star, c, continuing

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        reward = -self.c * float((action[0] - self.a_star) ** 2)
        return np.zeros(1, np.float32), reward, not self.continuing, False, {}


# ---------------------------------------------------------------------------------------------
# What a trained model logs, its networks and optimizers
# ---------------------------------------------------------------------------------------------
LOGGED = {
    MaxEntPPO: ["train/loss", "train/entropy", "train/maxent_coef", "train/maxent_share"],
    DSPG: ["train/critic_loss", "train/actor_loss", "train/entropy", "train/ent_coef"],
}
SOFTQL_LOGGED = {
    True: ["train/critic_loss", "train/entropy", "train/ent_coef"],
    False: ["train/critic_loss", "train/sampler_loss", "train/ent_coef", "train/kernel_bandwidth"],
}


def assert_trained(model) -> None:
    """The model was updated and logged finite values of its losses; MaxEntPPO its max-ent terms too."""
    assert model._n_updates > 0
    logged = model.logger.name_to_value
    keys = SOFTQL_LOGGED[model.is_discrete] if isinstance(model, SoftQL) else LOGGED[type(model)]
    for key in keys:
        assert np.isfinite(logged[key]), key
    if isinstance(model, MaxEntPPO):
        assert logged["train/entropy"] != 0.0
        assert logged["train/maxent_coef"] == pytest.approx(model.maxent_coef(model._current_progress_remaining))
        assert 0.0 < logged["train/maxent_share"] <= 1.0


def optimizers(model) -> dict[str, th.optim.Optimizer]:
    """Every optimizer of the model (policy or actor and critic, SVGD sampler, temperature)."""
    found = {"policy": model.policy.optimizer} if hasattr(model.policy, "optimizer") else {}
    for name in ("actor", "critic"):
        if hasattr(model, name) and hasattr(getattr(model, name), "optimizer"):
            found[name] = getattr(model, name).optimizer
    if getattr(model.policy, "sampler_optimizer", None) is not None:
        found["sampler"] = model.policy.sampler_optimizer
    if getattr(model, "ent_coef_optimizer", None) is not None:
        found["ent_coef"] = model.ent_coef_optimizer
    return found


def online_networks(model) -> dict[str, th.nn.Module]:
    """The networks that gradient steps train (each with its features extractor)."""
    if isinstance(model, DSPG):
        return {"actor": model.actor, "critic": model.critic}
    if isinstance(model, SoftQL):
        return {"q_net": model.q_net} | ({} if model.is_discrete else {"sampler": model.sampler})
    return {"policy": model.policy}


def target_networks(model) -> list[tuple[th.nn.Module, th.nn.Module]]:
    """(online, target) pairs."""
    if isinstance(model, DSPG):
        return [(model.actor, model.actor_target), (model.critic, model.critic_target)]
    if isinstance(model, SoftQL):
        return [(model.q_net, model.q_net_target)]
    return []


def collected_actions(model) -> np.ndarray:
    """The actions of the model's buffer (the last rollout, or the replay buffer)."""
    if isinstance(model, OffPolicyAlgorithm):
        return model.replay_buffer.actions[: model.replay_buffer.size()]
    return model.rollout_buffer.actions


def params_equal(model_a, model_b) -> bool:
    """The policies (target networks included) hold the same tensors."""
    state_a, state_b = model_a.policy.state_dict(), model_b.policy.state_dict()
    return state_a.keys() == state_b.keys() and all(th.equal(state_a[k], state_b[k]) for k in state_a)


def assert_same(before: Any, after: Any, path: str = "") -> None:
    """Nested dicts, lists and tensors (state dicts) are equal, tensors exactly."""
    if isinstance(before, dict):
        assert before.keys() == after.keys(), path
        for key in before:
            assert_same(before[key], after[key], f"{path}/{key}")
    elif isinstance(before, (list, tuple)):
        assert len(before) == len(after), path
        for index, (a, b) in enumerate(zip(before, after, strict=True)):
            assert_same(a, b, f"{path}[{index}]")
    elif isinstance(before, th.Tensor):
        assert th.equal(before, after), path
    else:
        assert before == after, path

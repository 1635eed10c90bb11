"""SoftQL: SVGD math, policy aliases, Box rescaling, Atari and Procgen images, targets, its own errors, logging.

What SoftQL shares with MaxEntPPO and DSPG (spaces, CNN and dict observations, save/load, seeding, NaN) is tested by
concern in test_run.py, test_cnn.py, test_dict_env.py, test_save_load.py, test_deterministic.py and test_failures.py.
"""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from algorithms import ALGORITHMS, dict_env, image_env
from stable_baselines3.common.envs import (
    IdentityEnv,
    IdentityEnvBox,
    IdentityEnvMultiDiscrete,
    SimpleMultiObsEnv,
)
from stable_baselines3.common.logger import configure
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_maxent import SoftQL
from sb3_maxent.common.torch_layers import ImpalaCNN
from sb3_maxent.softql import (
    ContinuousCnnPolicy,
    ContinuousImpalaCnnPolicy,
    ContinuousMultiInputPolicy,
    ContinuousSoftQLPolicy,
    DiscreteCnnPolicy,
    DiscreteImpalaCnnPolicy,
    DiscreteMultiInputPolicy,
    DiscreteSoftQLPolicy,
)
from sb3_maxent.softql.softql import importance_sampled_soft_value, soft_value
from sb3_maxent.softql.svgd import rbf_kernel, squash_log_jacobian, stein_direction

# the tiny settings of the shared table (without its small network)
SMALL = {key: value for key, value in ALGORITHMS["SoftQL-discrete"].kwargs.items() if key != "policy_kwargs"}


# ---------------------------------------------------------------------------------------------
# The math pieces, against direct computations
# ---------------------------------------------------------------------------------------------
def test_rbf_kernel_matches_direct_computation():
    generator = th.Generator().manual_seed(0)
    fixed, updated = th.randn(4, 6, 3, generator=generator), th.randn(4, 5, 3, generator=generator)
    kernel, kernel_grad, bandwidth = rbf_kernel(fixed, updated)
    for b in range(4):
        distances = th.cdist(fixed[b], updated[b]) ** 2
        # lower median of the 30 cross distances, divided by log(n_fixed), as in the reference code
        expected_h = distances.flatten().sort().values[14] / math.log(6)
        assert th.allclose(bandwidth[b], expected_h)
        assert th.allclose(kernel[b], th.exp(-distances / expected_h))
        # gradient with respect to the first (fixed) argument, by autograd
        x = fixed[b].clone().requires_grad_(True)
        (grad,) = th.autograd.grad(th.exp(-(th.cdist(x, updated[b]) ** 2) / expected_h).sum(), x)
        assert th.allclose(kernel_grad[b].sum(dim=1), grad, atol=1e-5)
    # bandwidth floor
    _, _, bandwidth = rbf_kernel(th.zeros(2, 4, 1), th.zeros(2, 4, 1), min_bandwidth=1e-3)
    assert th.all(bandwidth == 1e-3)


def test_svgd_particles_reach_a_gaussian_target():
    # Plain (non-amortized) SVGD with our Stein direction moves particles to N(mu, sigma^2) in 2-D
    mu, sigma = th.tensor([0.3, -0.2]), th.tensor([0.2, 0.1])
    particles = th.randn(1, 100, 2, generator=th.Generator().manual_seed(1)) * 0.05
    for _ in range(1000):
        grad_log_p = -(particles - mu) / sigma**2
        direction, _ = stein_direction(particles, particles, grad_log_p)
        particles = particles + 3e-3 * direction
    assert th.allclose(particles[0].mean(dim=0), mu, atol=0.01)
    assert th.allclose(particles[0].std(dim=0), sigma, rtol=0.1)


def test_soft_values():
    q_values = th.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    for alpha in (0.1, 1.0, 5.0):
        expected = alpha * th.log(th.exp(q_values / alpha).sum(dim=1))
        assert th.allclose(soft_value(q_values, alpha), expected)
    # Importance sampling with uniform proposals is exact for a constant Q: V = alpha * log(volume) + Q
    constant = th.full((5, 16), 0.7)
    assert th.allclose(importance_sampled_soft_value(constant, 0.5, action_dim=3), th.full((5,), 0.7 + 0.5 * 3 * math.log(2)))
    # squash log-Jacobian
    actions = th.tensor([[0.5, -0.3]])
    assert th.allclose(squash_log_jacobian(actions), th.log(1 - actions**2 + 1e-6).sum(dim=-1))


# ---------------------------------------------------------------------------------------------
# Policy aliases, Box actions, Atari and Procgen images
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("discrete", [True, False], ids=["Discrete", "Box"])
@pytest.mark.parametrize("alias", ["MlpPolicy", "CnnPolicy", "ImpalaCnnPolicy", "MultiInputPolicy"])
def test_aliases_resolve_from_the_action_space(alias, discrete):
    """One set of names, two policy families: the action space picks the Boltzmann or the SVGD-sampler policy."""
    env = {
        "MlpPolicy": lambda: IdentityEnv(4) if discrete else IdentityEnvBox(-1, 1),
        "CnnPolicy": lambda: image_env(discrete),
        "ImpalaCnnPolicy": lambda: image_env(discrete),
        "MultiInputPolicy": lambda: dict_env("sb3" if discrete else "vector+image", discrete),
    }[alias]()
    expected = {
        "MlpPolicy": (DiscreteSoftQLPolicy, ContinuousSoftQLPolicy),
        "CnnPolicy": (DiscreteCnnPolicy, ContinuousCnnPolicy),
        "ImpalaCnnPolicy": (DiscreteImpalaCnnPolicy, ContinuousImpalaCnnPolicy),
        "MultiInputPolicy": (DiscreteMultiInputPolicy, ContinuousMultiInputPolicy),
    }[alias][0 if discrete else 1]
    model = SoftQL(alias, env, **SMALL)
    assert type(model.policy) is expected


def test_box_actions_are_rescaled():
    env = IdentityEnvBox(low=-3.0, high=5.0)
    model = SoftQL("MlpPolicy", env, **SMALL).learn(60)
    # the replay buffer holds actions normalized to [-1, 1]; the env gets them in [low, high]
    assert np.all(np.abs(model.replay_buffer.actions[: model.replay_buffer.size()]) <= 1.0)
    actions = np.stack([model.predict(model.env.reset())[0] for _ in range(20)])
    assert np.all((actions >= -3.0) & (actions <= 5.0))


@pytest.mark.parametrize("policy", ["CnnPolicy", "ImpalaCnnPolicy"])
def test_atari_style_images(policy):
    ale_py = pytest.importorskip("ale_py")
    from stable_baselines3.common.atari_wrappers import AtariWrapper
    from stable_baselines3.common.vec_env import VecFrameStack

    gym.register_envs(ale_py)
    env = VecFrameStack(DummyVecEnv([lambda: AtariWrapper(gym.make("ALE/Pong-v5", frameskip=1))]), n_stack=4)
    model = SoftQL(policy, env, **{**SMALL, "learning_starts": 30, "batch_size": 4}, seed=0).learn(50)
    assert model.observation_space.shape == (4, 84, 84)  # channels first after SB3's VecTransposeImage
    assert model.policy.q_net(th.zeros(1, 4, 84, 84)).shape == (1, 6)
    assert model._n_updates == 20 and np.isfinite(model.logger.name_to_value["train/critic_loss"])
    if policy == "ImpalaCnnPolicy":
        assert isinstance(model.q_net.features_extractor, ImpalaCNN)
    env.close()


def test_fruitbot_with_impala_cnn():
    pytest.importorskip("procgen")  # (the ids are registered on import sb3_maxent, with or without procgen)
    env = gym.make("procgen/fruitbot-v0", num_levels=10, start_level=0, distribution_mode="easy")
    model = SoftQL("ImpalaCnnPolicy", env, **{**SMALL, "learning_starts": 30, "batch_size": 4}, seed=0).learn(50)
    assert model.observation_space.shape == (3, 64, 64)  # channels first after SB3's VecTransposeImage
    assert model.replay_buffer.size() == 50 and model._n_updates == 20
    assert np.isfinite(model.logger.name_to_value["train/critic_loss"])
    env.close()


# ---------------------------------------------------------------------------------------------
# Target network, Boltzmann policy
# ---------------------------------------------------------------------------------------------
def test_target_network_update_schedule():
    # Hard copy every `target_update_interval` gradient steps
    model = SoftQL("MlpPolicy", "CartPole-v1", learning_starts=0, batch_size=8, target_update_interval=5).learn(10)
    model.train(gradient_steps=5 - model._n_updates % 5 - 1, batch_size=8)
    assert not all(th.equal(p, q) for p, q in zip(model.q_net.parameters(), model.q_net_target.parameters(), strict=True))
    model.train(gradient_steps=1, batch_size=8)
    assert all(th.equal(p, q) for p, q in zip(model.q_net.parameters(), model.q_net_target.parameters(), strict=True))
    # Polyak averaging with tau < 1 on every gradient step
    model = SoftQL("MlpPolicy", "CartPole-v1", learning_starts=0, batch_size=8, tau=0.1, target_update_interval=1).learn(10)
    target_before = [q.clone() for q in model.q_net_target.parameters()]
    model.train(gradient_steps=1, batch_size=8)
    for p, q, q_before in zip(model.q_net.parameters(), model.q_net_target.parameters(), target_before, strict=True):
        assert th.allclose(q, 0.9 * q_before + 0.1 * p)


def test_boltzmann_behaviour_policy():
    model = SoftQL("MlpPolicy", IdentityEnv(3), ent_coef=0.7, **SMALL)
    with th.no_grad():
        for param in model.q_net.parameters():  # make the Q-values of state 1 clearly different
            param.copy_(th.randn_like(param))
        obs_tensor, _ = model.policy.obs_to_tensor(np.array([1]))
        probabilities = model.policy.action_probabilities(obs_tensor)[0].numpy()
        expected = th.softmax(model.q_net(obs_tensor)[0] / 0.7, dim=0).numpy()
    assert np.allclose(probabilities, expected)
    assert probabilities.max() - probabilities.min() > 0.1
    actions, _ = model.predict(np.full(4000, 1), deterministic=False)
    frequencies = np.bincount(actions, minlength=3) / len(actions)
    assert np.allclose(frequencies, probabilities, atol=0.03)
    greedy, _ = model.predict(np.full(10, 1), deterministic=True)
    assert np.all(greedy == np.argmax(expected))


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "env_id, policy, kwargs, error, message",
    [
        ("CartPole-v1", "MlpPolicy", {"gamma": 1.5}, ValueError, "gamma"),
        ("CartPole-v1", "MlpPolicy", {"tau": 0.0}, ValueError, "tau"),
        ("CartPole-v1", "MlpPolicy", {"max_grad_norm": 0.0}, ValueError, "max_grad_norm"),
        ("Pendulum-v1", "MlpPolicy", {"kernel_update_ratio": 1.0}, ValueError, "kernel_update_ratio"),
        ("Pendulum-v1", DiscreteSoftQLPolicy, {}, ValueError, "ContinuousSoftQLPolicy"),
        ("CartPole-v1", ContinuousSoftQLPolicy, {}, ValueError, "DiscreteSoftQLPolicy"),
        (IdentityEnvMultiDiscrete(dim=2), "MlpPolicy", {}, AssertionError, "Discrete and Box"),
    ],
)
def test_arguments_are_checked_in_init(env_id, policy, kwargs, error, message):
    """Checked by __init__ itself, not by _setup_model (as SB3 builds a model it loads)."""
    with pytest.raises(error, match=message):
        SoftQL(policy, env_id, _init_setup_model=False, **kwargs)
    # (the kernel particles are read for Box actions only)
    SoftQL("MlpPolicy", "CartPole-v1", kernel_update_ratio=1.0, _init_setup_model=False)


def test_policy_that_does_not_fit_the_action_space():
    with pytest.raises(ValueError, match="ContinuousSoftQLPolicy"):
        SoftQL(DiscreteSoftQLPolicy, "Pendulum-v1")
    with pytest.raises(ValueError, match="DiscreteSoftQLPolicy"):
        SoftQL(ContinuousSoftQLPolicy, "CartPole-v1")
    with pytest.raises(ValueError, match="MultiInputPolicy"):
        SoftQL("MlpPolicy", SimpleMultiObsEnv())


# ---------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------
# The same key for the same quantity in both forms (critic_loss: the Q-network's soft Bellman loss), and the keys
# of each form's own quantities
COMMON_KEYS = ["train/critic_loss", "train/ent_coef", "train/learning_rate", "train/n_updates"]


@pytest.mark.parametrize(
    "env_id, ent_coef, keys",
    [
        ("CartPole-v1", 0.5, ["train/entropy"]),
        ("CartPole-v1", "auto", ["train/entropy", "train/ent_coef_loss"]),
        ("Pendulum-v1", 0.5, ["train/sampler_loss", "train/kernel_bandwidth"]),
    ],
)
def test_logged_values(env_id, ent_coef, keys, tmp_path):
    model = SoftQL("MlpPolicy", env_id, ent_coef=ent_coef, **SMALL)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(60, log_interval=1)
    model.train(gradient_steps=2, batch_size=8)
    values = model.logger.name_to_value
    assert set(values) == {*COMMON_KEYS, *keys}
    for key in [*COMMON_KEYS, *keys]:
        assert np.isfinite(values[key])
    if ent_coef == 0.5:
        assert values["train/ent_coef"] == pytest.approx(0.5)
    if env_id == "CartPole-v1":
        assert 0.0 <= values["train/entropy"] <= math.log(2) + 1e-6

"""DSPG: closed-form max-ent optima, soft policy evaluation, its actor and targets, its own options and errors.

What DSPG shares with MaxEntPPO and SoftQL (spaces, CNN and dict observations, save/load, seeding, NaN) is tested by
concern in test_run.py, test_cnn.py, test_dict_env.py, test_save_load.py, test_deterministic.py and test_failures.py.
"""

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from algorithms import QuadraticBandit, assert_trained
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import FakeImageEnv
from stable_baselines3.common.torch_layers import create_mlp
from stable_baselines3.common.utils import LinearSchedule

from sb3_maxent import DSPG, SoftQL
from sb3_maxent.common.sampled_q import sampled_q_values

HALF_LOG_2PI_E = 0.5 * np.log(2 * np.pi * np.e)
TINY = dict(buffer_size=100, learning_starts=20, batch_size=8, n_action_samples=4, policy_kwargs=dict(net_arch=[16]), seed=0)


def sampled_action_moments(model, n_samples: int = 4000) -> tuple[float, float]:
    """Mean and standard deviation of the actions the model sends to the environment (bandit, one state)."""
    actions, _ = model.predict(np.zeros((n_samples, 1), np.float32), deterministic=False)
    return float(actions.mean()), float(actions.std())


def bandit_model(squash_output: bool, **kwargs) -> DSPG:
    params = dict(
        learning_rate=1e-2,
        actor_learning_rate=3e-3,
        batch_size=64,
        n_action_samples=32,
        gradient_steps=1,
        learning_starts=200,
        buffer_size=5_000,
        policy_kwargs=dict(net_arch=[64, 64], squash_output=squash_output),
        seed=0,
    )
    params.update(kwargs)
    return DSPG("MlpPolicy", QuadraticBandit(), **params)


# ---------------------------------------------------------------------------------------------
# Closed-form max-ent optimum: r(a) = -c (a - a*)^2  =>  pi*(a) = N(a*, alpha / (2c))
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "squash_output, per_state_baseline",
    [(False, False), (True, True)],  # the paper's estimator on the paper's Gaussian; the variance-reduced one squashed
)
def test_bandit_reaches_max_ent_optimum(squash_output, per_state_baseline):
    ent_coef, c, a_star = 0.1, 1.0, 0.5
    model = bandit_model(squash_output, ent_coef=ent_coef, per_state_baseline=per_state_baseline).learn(1000)
    mean, std = sampled_action_moments(model)
    optimal_std = np.sqrt(ent_coef / (2 * c))  # 0.224; the initial policy has std ~1 (sigmoid(0) in [-2, 2] units)
    assert abs(mean - a_star) < 0.25 * optimal_std
    assert std == pytest.approx(optimal_std, rel=0.1)


@pytest.mark.parametrize("squash_output", [False, True])
def test_bandit_learned_temperature_matches_target_entropy(squash_output):
    # With ent_coef="auto", alpha converges to the temperature whose optimum N(a*, alpha/(2c)) has the target entropy.
    # log pi is measured on the action rescaled to [-1, 1] (scale 1/2 here), as in SAC:
    # H = 0.5 log(2 pi e) + log(sigma_a / 2)  =>  sigma_a = 2 exp(H - 0.5 log(2 pi e)),  alpha = 2 c sigma_a^2
    target_entropy, c = -1.5, 1.0
    model = bandit_model(squash_output, ent_coef="auto_0.1", target_entropy=target_entropy, per_state_baseline=True)
    model.learn(1000)
    optimal_std = 2 * np.exp(target_entropy - HALF_LOG_2PI_E)  # 0.108
    optimal_alpha = 2 * c * optimal_std**2  # 0.0233
    mean, std = sampled_action_moments(model)
    assert abs(mean - 0.5) < 0.25 * optimal_std
    assert std == pytest.approx(optimal_std, rel=0.1)
    assert float(th.exp(model.log_ent_coef.detach())) == pytest.approx(optimal_alpha, rel=0.15)


# ---------------------------------------------------------------------------------------------
# Soft policy evaluation (eq. 15-16): fixed policy, one state, discounted, never terminates
# Q(a) = r(a) + gamma V,  V = (E_pi[r] + alpha H(pi)) / (1 - gamma)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("squash_output", [False, True])
def test_critic_learns_soft_q_of_fixed_policy(squash_output):
    gamma, ent_coef, c, a_star = 0.5, 0.5, 1.0, 0.5
    env = gym.wrappers.TimeLimit(QuadraticBandit(a_star=a_star, c=c, continuing=True), max_episode_steps=50)
    model = DSPG(
        "MlpPolicy",
        env,
        learning_rate=1e-2,
        actor_learning_rate=0.0,  # the actor stays the initial policy (Adam with lr 0 leaves it unchanged)
        gamma=gamma,
        ent_coef=ent_coef,
        tau=0.1,
        batch_size=64,
        n_action_samples=32,
        gradient_steps=1,
        learning_starts=200,
        buffer_size=5_000,
        policy_kwargs=dict(net_arch=[64, 64], squash_output=squash_output),
        seed=1,
    )
    obs = th.zeros((1, 1))
    with th.no_grad():
        mean, std, _ = (x.item() for x in model.actor.get_action_dist_params(obs))
    model.learn(800)
    with th.no_grad():
        assert model.actor.get_action_dist_params(obs)[0].item() == mean  # the policy did not move

    # Expectations over the Gaussian pre-squash sample u by quadrature; the action sent is 2 tanh(u) or 2 clip(u)
    u, du = np.linspace(mean - 10 * std, mean + 10 * std, 200_001, retstep=True)
    density = np.exp(-0.5 * ((u - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
    squashed = np.tanh(u) if squash_output else np.clip(u, -1, 1)
    expected_reward = np.sum(density * -c * (2 * squashed - a_star) ** 2) * du
    # Entropy of the action distribution on [-1, 1]: Gaussian entropy, minus E[log(1 - tanh(u)^2)] when squashed
    entropy = HALF_LOG_2PI_E + np.log(std)
    if squash_output:
        entropy += np.sum(density * np.log(1 - np.tanh(u) ** 2 + 1e-300)) * du
    soft_value = (expected_reward + ent_coef * entropy) / (1 - gamma)

    actions = np.array([-1.0, 0.0, 0.5, 1.0])  # in the environment's units
    with th.no_grad():
        q_values = model.critic(obs.expand(len(actions), 1), th.as_tensor(actions[:, None] / 2, dtype=th.float32))[0]
    expected_q = -c * (actions - a_star) ** 2 + gamma * soft_value
    # the entropy part of the bootstrap, gamma alpha H / (1 - gamma), is 0.23 to 0.38 here: the tolerance is well below
    np.testing.assert_allclose(q_values.numpy().ravel(), expected_q, atol=0.08)


# ---------------------------------------------------------------------------------------------
# Actor, predict, targets
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("squash_output", [False, True])
def test_predict_deterministic_returns_mean_action(squash_output):
    env = make_vec_env("Pendulum-v1", n_envs=1, seed=0)
    model = DSPG("MlpPolicy", env, policy_kwargs=dict(net_arch=[32], squash_output=squash_output), seed=0).learn(150)
    obs = np.stack([env.observation_space.sample() for _ in range(8)])
    with th.no_grad():
        mean = model.actor.get_action_dist_params(th.as_tensor(obs))[0].numpy()
    # Pendulum's action bounds are [-2, 2]: the mean (squashed, or clipped to the bounds) rescaled by 2
    expected = 2 * (np.tanh(mean) if squash_output else np.clip(mean, -1, 1))
    action, _ = model.predict(obs, deterministic=True)
    np.testing.assert_allclose(action, expected, rtol=1e-5, atol=1e-6)
    stochastic, _ = model.predict(obs, deterministic=False)
    assert stochastic.shape == (8, 1) and np.all(np.abs(stochastic) <= 2) and not np.allclose(stochastic, action)


def test_targets_are_polyak_averages():
    tau = 0.3
    model = DSPG("MlpPolicy", "Pendulum-v1", tau=tau, policy_kwargs=dict(net_arch=[16]), learning_starts=50, seed=0)
    model.learn(60)
    pairs = [(model.critic, model.critic_target), (model.actor, model.actor_target)]
    before = [[p.detach().clone() for p in target.parameters()] for _, target in pairs]
    model.train(gradient_steps=1, batch_size=32)
    for (online, target), old in zip(pairs, before, strict=True):
        for p_online, p_target, p_old in zip(online.parameters(), target.parameters(), old, strict=True):
            th.testing.assert_close(p_target, (1 - tau) * p_old + tau * p_online)


def test_learning_rates_follow_their_schedules():
    model = DSPG(
        "MlpPolicy",
        "Pendulum-v1",
        learning_rate=LinearSchedule(1e-3, 1e-4, 1.0),
        actor_learning_rate=LinearSchedule(2e-4, 5e-5, 0.5),
        ent_coef="auto",
        policy_kwargs=dict(net_arch=[16]),
        learning_starts=50,
        gradient_steps=1,
        seed=0,
    )
    assert model.actor.optimizer.param_groups[0]["lr"] == pytest.approx(2e-4)
    assert model.critic.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)
    model.learn(200)  # the last update happens at progress_remaining = 0: both schedules are at their end values
    assert model.critic.optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert model.ent_coef_optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert model.actor.optimizer.param_groups[0]["lr"] == pytest.approx(5e-5)
    logged = model.logger.name_to_value
    assert logged["train/actor_learning_rate"] == pytest.approx(5e-5)
    assert logged["train/learning_rate"] == pytest.approx(1e-4)
    for key in ["train/critic_loss", "train/actor_loss", "train/actor_grad_norm", "train/entropy", "train/ent_coef_loss"]:
        assert np.isfinite(logged[key])


# ---------------------------------------------------------------------------------------------
# A CNN shared by the actor and the critic, MuJoCo
# ---------------------------------------------------------------------------------------------
def test_cnn_policy_can_share_the_features_extractor():
    """share_features_extractor=True: the critic uses the actor's CNN, which the soft policy gradient trains."""
    env = FakeImageEnv(screen_height=40, screen_width=40, n_channels=1, discrete=False)
    model = DSPG(
        "CnnPolicy",
        env,
        buffer_size=200,
        batch_size=8,
        n_action_samples=4,
        learning_starts=20,
        gradient_steps=1,
        policy_kwargs=dict(net_arch=[16], features_extractor_kwargs=dict(features_dim=32), share_features_extractor=True),
        seed=0,
    )
    extractor = model.actor.features_extractor
    before = [p.detach().clone() for p in extractor.parameters()]
    model.learn(40)
    assert_trained(model)
    assert any(not th.equal(p, q) for p, q in zip(extractor.parameters(), before, strict=True))
    assert model.critic.features_extractor is extractor
    action, _ = model.predict(env.observation_space.sample(), deterministic=True)
    assert action.shape == env.action_space.shape


def test_hopper_smoke():
    pytest.importorskip("mujoco")
    model = DSPG(
        "MlpPolicy",
        "Hopper-v5",
        buffer_size=1000,
        learning_starts=100,
        batch_size=32,
        n_action_samples=8,
        gradient_steps=1,
        policy_kwargs=dict(net_arch=[32, 32]),
        seed=0,
    )
    before = [p.detach().clone() for p in model.actor.parameters()]
    model.learn(300)
    assert_trained(model)
    assert model._n_updates == 200
    assert all(th.isfinite(p).all() for p in model.policy.parameters())
    assert any(not th.equal(p, q) for p, q in zip(model.actor.parameters(), before, strict=True))
    action, _ = model.predict(model.env.observation_space.sample(), deterministic=True)
    assert action.shape == (3,) and np.all(np.abs(action) <= 1)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
def test_gradient_steps_minus_one_is_one_per_environment_step():
    model = DSPG("MlpPolicy", "Pendulum-v1", gradient_steps=-1, train_freq=2, **TINY).learn(40)
    assert model._n_updates == 40 - TINY["learning_starts"]


def test_ent_coef_is_read_once_in_setup_model():
    """SAC's place: a loaded model's saved value is read there; __init__ runs it, so a bad value fails at construction."""
    with pytest.raises(ValueError, match="ent_coef"):
        DSPG("MlpPolicy", "Pendulum-v1", ent_coef="automatic")
    model = DSPG("MlpPolicy", "Pendulum-v1", ent_coef="automatic", _init_setup_model=False)
    with pytest.raises(ValueError, match="ent_coef"):
        model._setup_model()


# ---------------------------------------------------------------------------------------------
# Q over M sampled actions: one helper for DSPG's critic and continuous SoftQL's Q-network
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation_fn", [th.nn.ReLU, th.nn.Tanh])
@pytest.mark.parametrize("net_arch", [[], [32, 16]])
def test_sampled_q_values_is_the_concatenated_network(net_arch, activation_fn):
    """Equal to the network on [features; action] for each action (up to rounding), the same bits with autograd."""
    generator = th.Generator().manual_seed(0)
    q_net = th.nn.Sequential(*create_mlp(5 + 2, 1, net_arch, activation_fn))
    features, actions = th.randn(6, 5, generator=generator), th.rand(6, 9, 2, generator=generator) * 2 - 1
    expanded = th.cat([features.unsqueeze(1).expand(-1, 9, -1), actions], dim=-1)
    with th.no_grad():
        in_place = sampled_q_values(q_net, features, actions)
        th.testing.assert_close(in_place, q_net(expanded).squeeze(-1), rtol=1e-6, atol=1e-6)
    assert th.equal(sampled_q_values(q_net, features, actions).detach(), in_place)

    # DSPG's critic and continuous SoftQL's Q-network both go through it
    model = DSPG("MlpPolicy", "Pendulum-v1", **TINY)
    obs, actions = th.randn(4, 3, generator=generator), th.rand(4, 7, 1, generator=generator)
    with th.no_grad():
        critic_features = model.critic.extract_features(obs, model.critic.features_extractor)
        expected = sampled_q_values(model.critic.q_networks[0], critic_features, actions)
        assert th.equal(model.critic.sampled_q_values(obs, actions), expected)
        q_net = SoftQL("MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[16]), seed=0).q_net
        expected = sampled_q_values(q_net.q_net, q_net.extract_features(obs, q_net.features_extractor), actions)
        assert th.equal(q_net(obs, actions), expected)


# ---------------------------------------------------------------------------------------------
# Learning (slow)
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_pendulum_learns():
    # Defaults (squashed Gaussian, per-state baseline, alpha 0.2) with small networks, M = 32, one gradient step
    # per environment step and larger learning rates than the paper's 3M-step MuJoCo settings
    from stable_baselines3.common.evaluation import evaluate_policy

    model = DSPG(
        "MlpPolicy",
        "Pendulum-v1",
        learning_rate=1e-3,
        actor_learning_rate=1e-3,
        n_action_samples=32,
        gradient_steps=1,
        policy_kwargs={"net_arch": [64, 64]},
        seed=0,
    )
    model.learn(8_000)
    mean_return, _ = evaluate_policy(model, make_vec_env("Pendulum-v1", seed=1), n_eval_episodes=10)
    assert mean_return > -400

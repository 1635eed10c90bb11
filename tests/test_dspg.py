"""DSPG: closed-form max-ent optima, soft policy evaluation, exact save/load, determinism, spaces, errors."""

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import BitFlippingEnv, FakeImageEnv, IdentityEnv
from stable_baselines3.common.logger import configure
from stable_baselines3.common.utils import LinearSchedule

from sb3_maxent import DSPG
from sb3_maxent.dspg.policies import DSPGPolicy

HALF_LOG_2PI_E = 0.5 * np.log(2 * np.pi * np.e)


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


def params_equal(model_a, model_b) -> bool:
    state_a, state_b = model_a.policy.state_dict(), model_b.policy.state_dict()
    return state_a.keys() == state_b.keys() and all(th.equal(state_a[k], state_b[k]) for k in state_a)


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


def test_seeded_runs_are_deterministic():
    kwargs = dict(policy_kwargs=dict(net_arch=[32, 32]), n_action_samples=8, learning_starts=100, gradient_steps=1, seed=5)
    model_a = DSPG("MlpPolicy", "Pendulum-v1", **kwargs).learn(200)
    model_b = DSPG("MlpPolicy", "Pendulum-v1", **kwargs).learn(200)
    assert params_equal(model_a, model_b)
    model_c = DSPG("MlpPolicy", "Pendulum-v1", **{**kwargs, "seed": 6}).learn(200)
    assert not params_equal(model_a, model_c)


# ---------------------------------------------------------------------------------------------
# Save / load
# ---------------------------------------------------------------------------------------------
def optimizer_states_equal(opt_a: th.optim.Optimizer, opt_b: th.optim.Optimizer) -> bool:
    state_a, state_b = opt_a.state_dict(), opt_b.state_dict()
    if state_a["param_groups"] != state_b["param_groups"] or state_a["state"].keys() != state_b["state"].keys():
        return False
    return all(
        all(
            th.equal(th.as_tensor(state_a["state"][k][name]), th.as_tensor(state_b["state"][k][name]))
            for name in state_a["state"][k]
        )
        for k in state_a["state"]
    )


@pytest.mark.parametrize("ent_coef", ["auto", 0.3])
def test_save_load_round_trip_is_exact(tmp_path, ent_coef):
    kwargs = dict(ent_coef=ent_coef, n_action_samples=8, learning_starts=50, gradient_steps=2, buffer_size=1000)
    model = DSPG("MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[32, 32]), seed=0, **kwargs).learn(150)
    model.save(tmp_path / "dspg")
    model.save_replay_buffer(tmp_path / "buffer")
    loaded = DSPG.load(tmp_path / "dspg", env=make_vec_env("Pendulum-v1"))
    loaded.load_replay_buffer(tmp_path / "buffer")

    assert params_equal(model, loaded)  # actor, critic, target actor, target critic
    assert optimizer_states_equal(model.actor.optimizer, loaded.actor.optimizer)
    assert optimizer_states_equal(model.critic.optimizer, loaded.critic.optimizer)
    if ent_coef == "auto":
        assert th.equal(model.log_ent_coef, loaded.log_ent_coef)
        assert optimizer_states_equal(model.ent_coef_optimizer, loaded.ent_coef_optimizer)
    else:
        assert loaded.ent_coef_tensor.item() == pytest.approx(0.3)
    for name in ["n_action_samples", "max_grad_norm", "per_state_baseline", "tau", "target_entropy"]:
        assert getattr(loaded, name) == getattr(model, name)
    assert loaded.actor.squash_output == model.actor.squash_output
    np.testing.assert_array_equal(loaded.replay_buffer.observations, model.replay_buffer.observations)
    assert loaded.replay_buffer.pos == model.replay_buffer.pos

    obs = np.stack([model.observation_space.sample() for _ in range(5)])
    np.testing.assert_array_equal(model.predict(obs, deterministic=True)[0], loaded.predict(obs, deterministic=True)[0])

    # Everything the update depends on was restored: the next gradient steps are identical
    for algo in (model, loaded):
        algo.set_logger(configure(None, []))  # as in SB3, a loaded model has a logger only once learn() starts
        algo.set_random_seed(123)
        algo.train(gradient_steps=3, batch_size=32)
    assert params_equal(model, loaded)
    if ent_coef == "auto":
        assert th.equal(model.log_ent_coef, loaded.log_ent_coef)


def test_policy_save_load(tmp_path):
    model = DSPG("MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[16], squash_output=True), seed=0)
    model.policy.save(tmp_path / "policy.pth")
    policy = DSPGPolicy.load(tmp_path / "policy.pth")
    assert policy.squash_output and policy.actor.squash_output
    obs = np.stack([model.observation_space.sample() for _ in range(5)])
    np.testing.assert_array_equal(model.predict(obs, deterministic=True)[0], policy.predict(obs, deterministic=True)[0])


# ---------------------------------------------------------------------------------------------
# Policies and spaces
# ---------------------------------------------------------------------------------------------
def assert_trained(model: DSPG) -> None:
    assert model._n_updates > 0
    for key in ["train/critic_loss", "train/actor_loss", "train/entropy"]:
        assert np.isfinite(model.logger.name_to_value[key])


@pytest.mark.parametrize("share_features_extractor", [False, True])
def test_cnn_policy(share_features_extractor):
    env = FakeImageEnv(screen_height=40, screen_width=40, n_channels=1, discrete=False)
    model = DSPG(
        "CnnPolicy",
        env,
        buffer_size=200,
        batch_size=8,
        n_action_samples=4,
        learning_starts=20,
        gradient_steps=1,
        policy_kwargs=dict(
            net_arch=[16], features_extractor_kwargs=dict(features_dim=32), share_features_extractor=share_features_extractor
        ),
        seed=0,
    )
    extractor = model.actor.features_extractor
    before = [p.detach().clone() for p in extractor.parameters()]
    model.learn(40)
    assert_trained(model)
    # the actor's CNN is trained by the soft policy gradient (shared or not)
    assert any(not th.equal(p, q) for p, q in zip(extractor.parameters(), before, strict=True))
    assert (model.critic.features_extractor is extractor) == share_features_extractor
    action, _ = model.predict(env.observation_space.sample(), deterministic=True)
    assert action.shape == env.action_space.shape


def test_multi_input_policy():
    env = BitFlippingEnv(n_bits=4, continuous=True, max_steps=8)
    model = DSPG(
        "MultiInputPolicy",
        env,
        buffer_size=500,
        batch_size=16,
        n_action_samples=4,
        learning_starts=30,
        gradient_steps=1,
        policy_kwargs=dict(net_arch=[16]),
        seed=0,
    )
    model.learn(80)
    assert_trained(model)
    action, _ = model.predict(env.observation_space.sample(), deterministic=True)
    assert action.shape == (4,)


def test_multiple_envs():
    env = make_vec_env("Pendulum-v1", n_envs=2, seed=0)
    model = DSPG("MlpPolicy", env, policy_kwargs=dict(net_arch=[16]), n_action_samples=4, learning_starts=40, seed=0)
    model.learn(120)
    assert_trained(model)


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
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_action_samples=0), "n_action_samples"),
        (dict(n_action_samples=2.5), "n_action_samples"),
        (dict(per_state_baseline=True, n_action_samples=1), "per_state_baseline"),
        (dict(tau=0.0), "tau"),
        (dict(tau=1.5), "tau"),
        (dict(gamma=1.2), "gamma"),
        (dict(ent_coef=-0.1), "ent_coef"),
        (dict(ent_coef="automatic"), "ent_coef"),
        (dict(ent_coef="auto_-1"), "ent_coef"),
        (dict(target_entropy="high"), "target_entropy"),
        (dict(max_grad_norm=0.0), "max_grad_norm"),
        (dict(learning_rate=-1e-3), "learning_rate"),
        (dict(actor_learning_rate=-1e-3), "actor_learning_rate"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_bad_hyperparameters_raise_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DSPG("MlpPolicy", "Pendulum-v1", **kwargs)


def test_unsupported_action_spaces_raise_at_construction():
    with pytest.raises(AssertionError, match="only supports"):
        DSPG("MlpPolicy", IdentityEnv(dim=3))

    class UnboundedEnv(QuadraticBandit):
        def __init__(self):
            super().__init__()
            self.action_space = spaces.Box(-np.inf, np.inf, (1,), np.float32)

    with pytest.raises((AssertionError, ValueError), match="finite"):  # SB3 checks it before DSPG does
        DSPG("MlpPolicy", UnboundedEnv())


def test_nan_is_reported():
    class NanRewardBandit(QuadraticBandit):
        def step(self, action):
            obs, _, terminated, truncated, info = super().step(action)
            return obs, float("nan"), terminated, truncated, info

    model = DSPG("MlpPolicy", NanRewardBandit(), learning_starts=20, batch_size=8, policy_kwargs=dict(net_arch=[8]))
    with pytest.raises(RuntimeError, match="critic loss is nan"):
        model.learn(40)


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

"""SoftQL: SVGD math, spaces and policies, save/load, determinism, errors, NaN detection, logging."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import (
    FakeImageEnv,
    IdentityEnv,
    IdentityEnvBox,
    IdentityEnvMultiBinary,
    IdentityEnvMultiDiscrete,
    SimpleMultiObsEnv,
)
from stable_baselines3.common.logger import configure
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_maxent import DSPG, SoftQL
from sb3_maxent.common.torch_layers import ImpalaCNN
from sb3_maxent.softql import (
    ContinuousCnnPolicy,
    ContinuousMultiInputPolicy,
    ContinuousSoftQLPolicy,
    DiscreteCnnPolicy,
    DiscreteImpalaCnnPolicy,
    DiscreteMultiInputPolicy,
    DiscreteSoftQLPolicy,
)
from sb3_maxent.softql.softql import importance_sampled_soft_value, soft_value
from sb3_maxent.softql.svgd import rbf_kernel, squash_log_jacobian, stein_direction

SMALL = {"learning_starts": 20, "batch_size": 16, "buffer_size": 500, "target_update_interval": 10}


def params_equal(model_a, model_b) -> bool:
    state_a, state_b = model_a.policy.state_dict(), model_b.policy.state_dict()
    return state_a.keys() == state_b.keys() and all(th.equal(state_a[k], state_b[k]) for k in state_a)


def optimizer_states_equal(optimizer_a: th.optim.Optimizer, optimizer_b: th.optim.Optimizer) -> bool:
    state_a, state_b = optimizer_a.state_dict()["state"], optimizer_b.state_dict()["state"]
    if state_a.keys() != state_b.keys() or optimizer_a.param_groups[0]["lr"] != optimizer_b.param_groups[0]["lr"]:
        return False
    return all(th.equal(state_a[i][key], state_b[i][key]) for i in state_a for key in state_a[i])


class ContinuousDictEnv(gym.Env):
    """Dict observations (vector + small image) with Box actions: the reward is -|a - x|^2."""

    def __init__(self) -> None:
        self.observation_space = spaces.Dict(
            {"vec": spaces.Box(-1, 1, (3,), np.float32), "img": spaces.Box(0, 255, (36, 36, 1), np.uint8)}
        )
        self.action_space = spaces.Box(-1, 1, (3,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.obs = self.observation_space.sample()
        self.steps = 0
        return self.obs, {}

    def step(self, action):
        reward = -float(np.sum((action - self.obs["vec"]) ** 2))
        self.obs = self.observation_space.sample()
        self.steps += 1
        return self.obs, reward, False, self.steps >= 10, {}


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
# Spaces and policies
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "env, policy_class",
    [
        (IdentityEnv(4), DiscreteSoftQLPolicy),
        (IdentityEnvBox(-1, 1), ContinuousSoftQLPolicy),
        (FakeImageEnv(screen_height=36, screen_width=36, discrete=True), DiscreteCnnPolicy),
        (FakeImageEnv(screen_height=36, screen_width=36, discrete=False), ContinuousCnnPolicy),
    ],
)
def test_aliases_resolve_from_the_action_space(env, policy_class):
    alias = "CnnPolicy" if policy_class in (DiscreteCnnPolicy, ContinuousCnnPolicy) else "MlpPolicy"
    model = SoftQL(alias, env, **SMALL).learn(60)
    assert type(model.policy) is policy_class
    obs = model.env.reset()
    action, _ = model.predict(obs, deterministic=True)
    assert model.action_space.contains(action[0])
    # deterministic predictions are deterministic
    assert np.array_equal(action, model.predict(obs, deterministic=True)[0])


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_multiple_envs(env_id):
    env = make_vec_env(env_id, n_envs=2, seed=0)
    model = SoftQL("MlpPolicy", env, **{**SMALL, "buffer_size": 1e3}).learn(80)
    assert model.buffer_size == 1000 and model.replay_buffer.n_envs == 2
    assert model._n_updates > 0 and np.isfinite(model.logger.name_to_value["train/ent_coef"])


def test_box_actions_are_rescaled():
    env = IdentityEnvBox(low=-3.0, high=5.0)
    model = SoftQL("MlpPolicy", env, **SMALL).learn(60)
    # the replay buffer holds actions normalized to [-1, 1]; the env gets them in [low, high]
    assert np.all(np.abs(model.replay_buffer.actions[: model.replay_buffer.size()]) <= 1.0)
    actions = np.stack([model.predict(model.env.reset())[0] for _ in range(20)])
    assert np.all((actions >= -3.0) & (actions <= 5.0))


@pytest.mark.parametrize("discrete", [True, False])
def test_impala_cnn_via_policy_kwargs(discrete):
    env = FakeImageEnv(screen_height=36, screen_width=36, n_channels=3, discrete=discrete)
    kwargs = {**SMALL, "batch_size": 4}
    model = SoftQL("CnnPolicy", env, policy_kwargs={"features_extractor_class": ImpalaCNN}, **kwargs).learn(30)
    assert isinstance(model.q_net.features_extractor, ImpalaCNN)
    assert model.q_net.features_extractor is not model.q_net_target.features_extractor
    if discrete:
        alias_model = SoftQL("ImpalaCnnPolicy", env, **kwargs)
        assert type(alias_model.policy) is DiscreteImpalaCnnPolicy


def test_multi_input_policies():
    model = SoftQL("MultiInputPolicy", SimpleMultiObsEnv(random_start=False), **SMALL).learn(60)
    assert type(model.policy) is DiscreteMultiInputPolicy
    model = SoftQL("MultiInputPolicy", ContinuousDictEnv(), **SMALL).learn(60)
    assert type(model.policy) is ContinuousMultiInputPolicy


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
    assert model._n_updates == 20 and np.isfinite(model.logger.name_to_value["train/loss"])
    if policy == "ImpalaCnnPolicy":
        assert isinstance(model.q_net.features_extractor, ImpalaCNN)
    env.close()


@pytest.mark.skipif("procgen/fruitbot-v0" not in gym.registry, reason="Procgen adapter not registered")
def test_fruitbot_with_impala_cnn():
    env = gym.make("procgen/fruitbot-v0", num_levels=10, start_level=0, distribution_mode="easy")
    model = SoftQL("ImpalaCnnPolicy", env, **{**SMALL, "learning_starts": 30, "batch_size": 4}, seed=0).learn(50)
    assert model.observation_space.shape == (3, 64, 64)  # channels first after SB3's VecTransposeImage
    assert model.replay_buffer.size() == 50 and model._n_updates == 20
    assert np.isfinite(model.logger.name_to_value["train/loss"])
    env.close()


# ---------------------------------------------------------------------------------------------
# Save / load, determinism
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "env_id, ent_coef",
    [("CartPole-v1", 0.5), ("CartPole-v1", "auto_0.3"), ("Pendulum-v1", 0.2)],
)
def test_save_load_round_trip(env_id, ent_coef, tmp_path):
    model = SoftQL("MlpPolicy", env_id, ent_coef=ent_coef, seed=1, **SMALL).learn(80)
    model.save(tmp_path / "model.zip")
    model.save_replay_buffer(tmp_path / "buffer.pkl")
    loaded = SoftQL.load(tmp_path / "model.zip", env=gym.make(env_id))
    loaded.load_replay_buffer(tmp_path / "buffer.pkl")

    assert params_equal(model, loaded)
    assert type(loaded.policy) is type(model.policy)
    assert optimizer_states_equal(model.policy.optimizer, loaded.policy.optimizer)
    if env_id == "Pendulum-v1":
        assert optimizer_states_equal(model.policy.sampler_optimizer, loaded.policy.sampler_optimizer)
    if isinstance(ent_coef, str):
        assert th.equal(model.log_ent_coef, loaded.log_ent_coef)
        assert loaded.log_ent_coef.requires_grad
        assert optimizer_states_equal(model.ent_coef_optimizer, loaded.ent_coef_optimizer)
        assert not math.isclose(float(model.policy.ent_coef), 0.3)  # it was learned, and saved with the policy
    if env_id == "CartPole-v1":
        assert th.equal(loaded.policy.log_ent_coef, model.policy.log_ent_coef)
    for name in ("observations", "actions", "rewards", "next_observations", "dones", "timeouts"):
        assert np.array_equal(getattr(model.replay_buffer, name), getattr(loaded.replay_buffer, name))
    assert loaded._n_updates == model._n_updates

    obs = model.env.reset()
    assert np.array_equal(model.predict(obs, deterministic=True)[0], loaded.predict(obs, deterministic=True)[0])
    # Training both from here, with the same random streams, gives the same parameters: the optimizer moments,
    # target network, temperature and update counter (target copy schedule) all came back
    loaded.set_logger(model.logger)
    for algo in (model, loaded):
        np.random.seed(0)
        th.manual_seed(0)
        algo.train(gradient_steps=15, batch_size=algo.batch_size)
    assert params_equal(model, loaded)
    if isinstance(ent_coef, str):
        assert th.equal(model.log_ent_coef, loaded.log_ent_coef)


def test_policy_save_load(tmp_path):
    for env_id in ("CartPole-v1", "Pendulum-v1"):
        model = SoftQL("MlpPolicy", env_id, ent_coef=0.25, **SMALL).learn(40)
        model.policy.save(tmp_path / "policy.pt")
        policy = type(model.policy).load(tmp_path / "policy.pt")
        obs = model.env.reset()
        assert np.array_equal(model.predict(obs, deterministic=True)[0], policy.predict(obs, deterministic=True)[0])
        if env_id == "CartPole-v1":
            assert math.isclose(float(policy.ent_coef), 0.25, rel_tol=1e-6)


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_seeded_runs_are_deterministic(env_id):
    model_a = SoftQL("MlpPolicy", env_id, seed=3, **SMALL).learn(100)
    model_b = SoftQL("MlpPolicy", env_id, seed=3, **SMALL).learn(100)
    assert params_equal(model_a, model_b)
    assert np.array_equal(model_a.replay_buffer.actions, model_b.replay_buffer.actions)
    model_c = SoftQL("MlpPolicy", env_id, seed=4, **SMALL).learn(100)
    assert not params_equal(model_a, model_c)


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
    "env_id, kwargs, message",
    [
        ("CartPole-v1", {"ent_coef": 0.0}, "ent_coef"),
        ("CartPole-v1", {"ent_coef": -1.0}, "ent_coef"),
        ("CartPole-v1", {"ent_coef": "automatic_tuning"}, "ent_coef"),
        ("CartPole-v1", {"ent_coef": "auto_-1"}, "initial value"),
        ("CartPole-v1", {"ent_coef": "auto", "target_entropy": 5.0}, "target_entropy"),
        ("CartPole-v1", {"ent_coef": "auto", "target_entropy": "high"}, "target_entropy"),
        ("Pendulum-v1", {"ent_coef": "auto"}, "implicit"),
        ("CartPole-v1", {"gamma": 1.5}, "gamma"),
        ("CartPole-v1", {"tau": 0.0}, "tau"),
        ("CartPole-v1", {"target_update_interval": 0}, "target_update_interval"),
        ("CartPole-v1", {"batch_size": 0}, "batch_size"),
        ("CartPole-v1", {"learning_rate": -1e-3}, "learning_rate"),
        ("CartPole-v1", {"max_grad_norm": 0.0}, "max_grad_norm"),
        ("Pendulum-v1", {"n_value_particles": 0}, "n_value_particles"),
        ("Pendulum-v1", {"n_kernel_particles": 2}, "at least 2 fixed"),
        ("Pendulum-v1", {"kernel_update_ratio": 1.0}, "kernel_update_ratio"),
        ("Pendulum-v1", {"policy_kwargs": {"n_deterministic_candidates": 0}}, "n_deterministic_candidates"),
    ],
)
def test_bad_hyperparameters_raise_at_construction(env_id, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SoftQL("MlpPolicy", env_id, **kwargs)


@pytest.mark.parametrize(
    "env, message",
    [
        (IdentityEnvMultiDiscrete(2), "Discrete and Box"),
        (IdentityEnvMultiBinary(2), "Discrete and Box"),
        (IdentityEnvBox(), None),  # supported: the reference
    ],
)
def test_unsupported_action_spaces_are_named_with_sb3s_exception(env, message):
    """SB3's algorithms (DSPG included) raise AssertionError for an unsupported action space: SoftQL too."""
    if message is None:
        SoftQL("MlpPolicy", env)
        return
    with pytest.raises(AssertionError, match=message):
        SoftQL("MlpPolicy", env)
    with pytest.raises(AssertionError):  # what SB3's own algorithms raise, for comparison
        DSPG("MlpPolicy", env)


def test_unsupported_box_shapes_are_named():
    flat = gym.make("Pendulum-v1")
    for space, message in (
        (spaces.Box(-1, 1, (2, 2)), "flat"),
        (spaces.Box(-np.inf, np.inf, (2,)), "finite"),  # (SB3 asserts it first)
    ):
        env = gym.wrappers.TransformAction(flat, lambda action: action[:1].reshape(1), space)
        with pytest.raises(AssertionError, match=message):
            SoftQL("MlpPolicy", env)


def test_policy_that_does_not_fit_the_action_space():
    with pytest.raises(ValueError, match="ContinuousSoftQLPolicy"):
        SoftQL(DiscreteSoftQLPolicy, "Pendulum-v1")
    with pytest.raises(ValueError, match="DiscreteSoftQLPolicy"):
        SoftQL(ContinuousSoftQLPolicy, "CartPole-v1")
    with pytest.raises(ValueError, match="MultiInputPolicy"):
        SoftQL("MlpPolicy", SimpleMultiObsEnv())


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_nan_is_caught_with_a_message(env_id):
    class NanReward(gym.Wrapper):
        def step(self, action):
            obs, _reward, terminated, truncated, info = self.env.step(action)
            return obs, float("nan"), terminated, truncated, info

    model = SoftQL("MlpPolicy", NanReward(gym.make(env_id)), **SMALL)
    with pytest.raises(ValueError, match="VecCheckNan"):
        model.learn(60)


# ---------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "env_id, ent_coef, keys",
    [
        ("CartPole-v1", 0.5, ["train/loss", "train/entropy", "train/ent_coef"]),
        ("CartPole-v1", "auto", ["train/loss", "train/entropy", "train/ent_coef", "train/ent_coef_loss"]),
        ("Pendulum-v1", 0.5, ["train/critic_loss", "train/sampler_loss", "train/ent_coef", "train/kernel_bandwidth"]),
    ],
)
def test_logged_values(env_id, ent_coef, keys, tmp_path):
    model = SoftQL("MlpPolicy", env_id, ent_coef=ent_coef, **SMALL)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(60, log_interval=1)
    model.train(gradient_steps=2, batch_size=8)
    values = model.logger.name_to_value
    for key in keys:
        assert key in values and np.isfinite(values[key])
    if ent_coef == 0.5:
        assert values["train/ent_coef"] == pytest.approx(0.5)
    if env_id == "CartPole-v1":
        assert 0.0 <= values["train/entropy"] <= math.log(2) + 1e-6

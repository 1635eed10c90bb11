"""
The CNN fast path: ``MaxEntPPO(micro_batch_size=...)`` gives the whole minibatch's update, ``ImpalaCNN(precision=...)``
runs its trunk in reduced precision with float32 everywhere else, both save and load, bad values are refused, and
``ImpalaCnnPolicy`` has the Procgen paper's linear heads and, on request, Baselines' initialization of the trunk.
"""

import warnings

import numpy as np
import pytest
import torch as th
from stable_baselines3 import A2C, PPO
from stable_baselines3.common.env_util import make_vec_env

from sb3_maxent import MaxEntPPO, SoftQL
from sb3_maxent.common import torch_layers
from sb3_maxent.common.policies import ImpalaCnnPolicy
from sb3_maxent.common.torch_layers import ImpalaCNN
from sb3_maxent.envs import make_procgen_vec_env


def fruitbot_env(**kwargs):
    """FruitBot (easy) as a native VecEnv: the real frames the fast path is for (skipped without procgen)."""
    pytest.importorskip("procgen")
    return make_procgen_vec_env("fruitbot", num_threads=1, **{"distribution_mode": "easy"} | kwargs)


def trained_parameters(model: MaxEntPPO, n_timesteps: int) -> list[th.Tensor]:
    model.learn(n_timesteps)
    return [p.detach().clone() for p in model.policy.parameters()]


def relative_difference(ours: list[th.Tensor], reference: list[th.Tensor], start: list[th.Tensor]) -> float:
    """Largest difference between two trained parameter sets, relative to the size of the reference's step."""
    diff = max((a - b).abs().max().item() for a, b in zip(ours, reference, strict=True))
    step = max((b - s).abs().max().item() for b, s in zip(reference, start, strict=True))
    return diff / step


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(maxent_coef=0.0, ent_coef=0.01, clip_range_vf=0.2),
        dict(maxent_coef=0.3, maxent_units="advantage", clip_range_vf=0.2),
        dict(maxent_coef=0.3, maxent_units="reward"),
        dict(maxent_coef=0.3, normalize_advantage=False),
        dict(maxent_coef=0.3, maxent_mode="soft_returns"),
    ],
    ids=["ppo", "advantage-units", "reward-units", "unnormalized", "soft-returns"],
)
def test_micro_batches_give_the_whole_minibatchs_update(kwargs):
    """float32 micro-batches: the same parameters after training as the whole minibatch at once (float rounding)."""
    common = dict(n_steps=64, batch_size=64, n_epochs=2, seed=0, max_grad_norm=0.5) | kwargs
    results, logs = {}, {}
    for micro_batch_size in (None, 16):
        model = MaxEntPPO(
            "MlpPolicy", make_vec_env("CartPole-v1", n_envs=2, seed=0), micro_batch_size=micro_batch_size, **common
        )
        start = [p.detach().clone() for p in model.policy.parameters()]
        results[micro_batch_size] = trained_parameters(model, 256)
        logs[micro_batch_size] = dict(model.logger.name_to_value)
    assert relative_difference(results[16], results[None], start) < 1e-4
    # the logged statistics are the whole minibatch's
    for key in ("train/policy_gradient_loss", "train/value_loss", "train/entropy_loss", "train/clip_fraction"):
        np.testing.assert_allclose(logs[16][key], logs[None][key], rtol=1e-4, atol=1e-6, err_msg=key)


def test_micro_batches_are_exact_on_the_impala_cnn():
    """The same on image observations through the IMPALA CNN (channels_last trunk), one update of 2 x 32 frames."""
    results = {}
    for micro_batch_size in (None, 8):
        env = fruitbot_env(n_envs=2, num_levels=10, seed=0)
        model = MaxEntPPO(
            "ImpalaCnnPolicy",
            env,
            maxent_coef=0.0,
            n_steps=32,
            batch_size=64,
            n_epochs=1,
            micro_batch_size=micro_batch_size,
            seed=0,
        )
        start = [p.detach().clone() for p in model.policy.parameters()]
        results[micro_batch_size] = trained_parameters(model, 64)
        env.close()
    assert relative_difference(results[8], results[None], start) < 1e-3


def fruitbot_gradient(precision: str) -> th.Tensor:
    """The flattened gradient of a PPO loss-like objective of one FruitBot minibatch through the IMPALA CNN."""
    env = fruitbot_env(n_envs=8, num_levels=10, seed=1)
    observations = [env.reset()]
    rng = np.random.default_rng(0)
    for _ in range(15):
        observations.append(env.step(rng.integers(15, size=8))[0])
    env.close()
    images = th.as_tensor(np.concatenate(observations)).permute(0, 3, 1, 2).float() / 255.0
    th.manual_seed(0)
    model = MaxEntPPO("ImpalaCnnPolicy", fruitbot_env(n_envs=1, num_levels=1), seed=0)
    extractor = model.policy.features_extractor
    extractor._autocast_dtype = torch_layers.CNN_PRECISIONS[precision]
    features = extractor(images)
    assert features.dtype == th.float32
    targets = th.linspace(-1.0, 1.0, features.shape[1])
    loss = ((features - targets) ** 2).mean() + model.policy.action_net(features).logsumexp(dim=1).mean()
    model.policy.zero_grad()
    loss.backward()
    return th.cat([p.grad.flatten() for p in extractor.parameters()])


def test_bfloat16_gradient_is_close_to_float32():
    """bfloat16 trunk: the gradient of the trunk's weights has a cosine similarity >= 0.99 with float32's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a CPU without avx512_bf16 is only slower)
        reduced = fruitbot_gradient("bfloat16")
    reference = fruitbot_gradient("float32")
    cosine = th.nn.functional.cosine_similarity(reduced, reference, dim=0).item()
    assert cosine >= 0.99, cosine


@pytest.mark.parametrize("algo", [PPO, A2C, MaxEntPPO])
def test_precision_is_saved_and_loaded(algo, tmp_path):
    env = fruitbot_env(n_envs=2, num_levels=1, seed=0)
    kwargs = dict(micro_batch_size=8) if algo is MaxEntPPO else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = algo(
            ImpalaCnnPolicy,
            env,
            n_steps=8,
            policy_kwargs=dict(features_extractor_kwargs=dict(precision="bfloat16")),
            seed=0,
            **({"batch_size": 16} if algo is not A2C else {}),
            **kwargs,
        ).learn(16)
        model.save(tmp_path / "model")
        loaded = algo.load(tmp_path / "model", env=env)
    assert loaded.policy.features_extractor.precision == "bfloat16"
    assert loaded.policy.features_extractor.cnn[0].conv.weight.dtype == th.float32
    if algo is MaxEntPPO:
        assert loaded.micro_batch_size == 8
    observations = env.reset()
    np.testing.assert_array_equal(
        model.predict(observations, deterministic=True)[0], loaded.predict(observations, deterministic=True)[0]
    )
    for p, q in zip(model.policy.parameters(), loaded.policy.parameters(), strict=True):
        assert th.equal(p, q)
    env.close()


def test_precision_in_discrete_softql():
    env = fruitbot_env(n_envs=1, num_levels=1, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SoftQL(
            "ImpalaCnnPolicy",
            env,
            learning_starts=8,
            batch_size=4,
            buffer_size=64,
            policy_kwargs=dict(features_extractor_kwargs=dict(precision="bfloat16")),
            seed=0,
        ).learn(16)
    assert model.q_net.features_extractor.precision == "bfloat16"
    env.close()


def test_bad_values_are_refused():
    # (micro_batch_size's bad values: tests/test_failures.py)
    image_env = fruitbot_env(n_envs=1, num_levels=1)
    with pytest.raises(ValueError, match="Unknown precision 'float64'"):
        MaxEntPPO("ImpalaCnnPolicy", image_env, policy_kwargs=dict(features_extractor_kwargs=dict(precision="float64")))
    image_env.close()


def test_slow_precision_is_warned_about(monkeypatch):
    """A CPU without native instructions for the dtype: a warning that says it runs slowly (flags as reported)."""
    monkeypatch.setattr(torch_layers, "_cpu_flags", lambda: frozenset({"avx2"}))
    with pytest.warns(UserWarning, match="without native bfloat16"):
        torch_layers.check_autocast_dtype(th.bfloat16, th.device("cpu"))
    monkeypatch.setattr(torch_layers, "_cpu_flags", lambda: frozenset({"avx512_bf16"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch_layers.check_autocast_dtype(th.bfloat16, th.device("cpu"))
    with pytest.warns(UserWarning, match="without native float16"):
        torch_layers.check_autocast_dtype(th.float16, th.device("cpu"))


def test_impala_policy_has_linear_heads_on_the_shared_features():
    """As Baselines' PPO2 on build_impala_cnn: action and value heads are single linear layers on the 256 features."""
    env = fruitbot_env(n_envs=1, num_levels=1)
    policy = PPO(ImpalaCnnPolicy, env).policy
    assert policy.net_arch == []
    assert policy.action_net.in_features == 256 and policy.value_net.in_features == 256
    assert not list(policy.mlp_extractor.parameters())
    assert isinstance(policy.features_extractor, ImpalaCNN)
    # a net_arch given explicitly is kept
    assert PPO(ImpalaCnnPolicy, env, policy_kwargs=dict(net_arch=[64])).policy.action_net.in_features == 64
    env.close()


def trunk_layers(policy: ImpalaCnnPolicy) -> list[th.nn.Module]:
    return [m for m in policy.features_extractor.modules() if isinstance(m, (th.nn.Conv2d, th.nn.Linear))]


def test_trunk_init_glorot_uniform_is_tensorflows_default_and_keeps_the_heads():
    """trunk_init="glorot_uniform": each trunk layer's weights uniform in +-sqrt(6 / (fan_in + fan_out)) with that
    law's variance and zero biases (TF's default, Baselines' build_impala_cnn); the heads stay orthogonal (0.01, 1)."""
    env = fruitbot_env(n_envs=1, num_levels=1)
    policy = PPO(ImpalaCnnPolicy, env, policy_kwargs=dict(trunk_init="glorot_uniform"), seed=0).policy
    layers = trunk_layers(policy)
    assert len(layers) == 3 * (1 + 4) + 1  # per stage a convolution and two residual blocks of two; the 256-unit layer
    for layer in layers:
        weight = layer.weight.detach().flatten(1)  # (fan_out, fan_in * ...)
        receptive = weight.shape[1] // layer.weight.shape[1]
        fan_in, fan_out = layer.weight.shape[1] * receptive, layer.weight.shape[0] * receptive
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        assert weight.abs().max().item() <= limit
        if weight.numel() >= 4000:  # the variance of U(-limit, limit), within sampling error
            assert weight.var().item() == pytest.approx(limit**2 / 3, rel=0.1)
        assert th.count_nonzero(layer.bias) == 0
    for head, gain in ((policy.action_net, 0.01), (policy.value_net, 1.0)):
        w = head.weight.detach()
        th.testing.assert_close(w @ w.T, gain**2 * th.eye(w.shape[0]), atol=1e-6 * gain**2 + 1e-9, rtol=1e-4)
    env.close()


def test_trunk_init_orthogonal_is_sb3s_and_round_trips(tmp_path):
    """The default is SB3's ortho_init (orthogonal rows, gain sqrt(2)); trunk_init is saved and loaded with the model;
    a bad value is refused."""
    env = fruitbot_env(n_envs=1, num_levels=1)
    policy = PPO(ImpalaCnnPolicy, env, seed=0).policy
    first_conv = trunk_layers(policy)[0].weight.detach().flatten(1)  # 16 x 27: orthonormal rows times sqrt(2)
    th.testing.assert_close(first_conv @ first_conv.T, 2.0 * th.eye(16), atol=1e-5, rtol=1e-5)
    model = MaxEntPPO("ImpalaCnnPolicy", env, policy_kwargs=dict(trunk_init="glorot_uniform"), n_steps=8, batch_size=8, seed=0)
    model.save(tmp_path / "model")
    loaded = MaxEntPPO.load(tmp_path / "model", env=env)
    assert loaded.policy.trunk_init == "glorot_uniform"
    for ours, theirs in zip(model.policy.parameters(), loaded.policy.parameters(), strict=True):
        assert th.equal(ours, theirs)
    with pytest.raises(ValueError, match="Unknown trunk_init 'xavier'"):
        PPO(ImpalaCnnPolicy, env, policy_kwargs=dict(trunk_init="xavier"))
    env.close()


def test_trunk_init_is_deterministic_under_a_seed():
    """Two models with the same seed and trunk_init="glorot_uniform" start from the same parameters."""
    env = fruitbot_env(n_envs=1, num_levels=1)
    first, second = (
        PPO(ImpalaCnnPolicy, env, policy_kwargs=dict(trunk_init="glorot_uniform"), seed=3).policy for _ in range(2)
    )
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert th.equal(a, b)
    env.close()

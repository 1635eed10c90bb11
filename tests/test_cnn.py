"""
Image observations: NatureCNN and the IMPALA CNN train in every network of every algorithm, target networks keep
their own extractor, and the model saves, loads and predicts the same actions.
"""

import numpy as np
import pytest
import torch as th
from algorithms import ALGORITHMS, assert_trained, image_env, online_networks, target_networks
from stable_baselines3 import PPO
from stable_baselines3.common.envs import FakeImageEnv
from stable_baselines3.common.torch_layers import NatureCNN

from sb3_maxent import DSPG
from sb3_maxent.common.policies import ImpalaCnnPolicy
from sb3_maxent.common.torch_layers import ImpalaCNN

EXTRACTORS = {"NatureCNN": NatureCNN, "ImpalaCNN": ImpalaCNN}


@pytest.mark.parametrize("extractor", list(EXTRACTORS))
@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_cnn(name, extractor, tmp_path):
    algorithm = ALGORITHMS[name]
    env = image_env(algorithm.discrete, n_channels=1)
    policy_kwargs = dict(features_extractor_class=EXTRACTORS[extractor], features_extractor_kwargs=dict(features_dim=32))
    # CNNs are slow: ten updates of small batches (two rollouts for MaxEntPPO)
    short = dict(learning_starts=10, batch_size=4) if algorithm.off_policy else dict(n_steps=16, batch_size=16)
    model = algorithm.make(env, "CnnPolicy", seed=0, policy_kwargs=policy_kwargs, **short)
    networks = online_networks(model)
    before = {key: [p.detach().clone() for p in network.features_extractor.parameters()] for key, network in networks.items()}
    model.learn(20 if algorithm.off_policy else 32)
    assert_trained(model)
    for network_name, network in networks.items():
        assert isinstance(network.features_extractor, EXTRACTORS[extractor]), network_name
        # every network's CNN is trained (by its own loss, or through the one it shares)
        parameters = zip(network.features_extractor.parameters(), before[network_name], strict=True)
        assert any(not th.equal(p, q) for p, q in parameters), network_name
    if isinstance(model, DSPG):  # the critic has its own CNN unless share_features_extractor=True (test_dspg.py)
        assert model.critic.features_extractor is not model.actor.features_extractor
    # target networks have their own extractor
    for online, target in target_networks(model):
        assert target.features_extractor is not online.features_extractor
        assert not any(p is q for p in target.parameters() for q in online.parameters())

    observations = np.stack([env.observation_space.sample() for _ in range(4)])
    actions, _ = model.predict(observations, deterministic=True)
    assert all(env.action_space.contains(action) for action in actions)
    model.save(tmp_path / "model.zip")
    loaded = algorithm.algorithm.load(tmp_path / "model.zip")
    np.testing.assert_array_equal(loaded.predict(observations, deterministic=True)[0], actions)


@pytest.mark.parametrize("name", [name for name, algorithm in ALGORITHMS.items() if "ImpalaCnnPolicy" in algorithm.aliases])
def test_impala_cnn_policy_alias(name):
    algorithm = ALGORITHMS[name]
    model = algorithm.make(image_env(algorithm.discrete), "ImpalaCnnPolicy", seed=0)
    for network_name, network in online_networks(model).items():
        assert isinstance(network.features_extractor, ImpalaCNN), network_name
        assert network.features_extractor.features_dim == 256, network_name


def test_impala_policy_works_with_sb3_ppo():
    env = FakeImageEnv(screen_height=64, screen_width=64, n_channels=3)
    model = PPO(ImpalaCnnPolicy, env, n_steps=16, batch_size=16, n_epochs=1, seed=0).learn(16)
    # depths 16/32/32 of the IMPALA paper: 64x64 -> 32 -> 16 -> 8, times 32 channels, then 256 units
    assert model.policy.features_extractor.linear[0].in_features == 8 * 8 * 32
    assert model.policy.features_extractor.linear[0].out_features == 256

"""Dict observations: every algorithm learns with its MultiInputPolicy, on SB3's dict environments and on a vector +
image one, with the dict variant of its buffer."""

import pytest
from algorithms import ALGORITHMS, assert_trained, dict_env
from stable_baselines3.common.buffers import DictReplayBuffer, DictRolloutBuffer

from sb3_maxent import MaxEntPPO
from sb3_maxent.maxent_ppo.buffers import SoftReturnDictRolloutBuffer, SoftReturnRolloutBuffer


@pytest.mark.parametrize("kind", ["sb3", "vector+image"])
@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_dict_observations(name, kind):
    algorithm = ALGORITHMS[name]
    env = dict_env(kind, algorithm.discrete)
    # a few small updates (the image part goes through a CNN)
    short = dict(learning_starts=10, batch_size=8) if algorithm.off_policy else dict(n_steps=16, batch_size=16)
    model = algorithm.make(env, "MultiInputPolicy", seed=0, **short).learn(30 if algorithm.off_policy else 32)
    assert_trained(model)
    if algorithm.off_policy:
        assert isinstance(model.replay_buffer, DictReplayBuffer)
    else:
        assert isinstance(model.rollout_buffer, DictRolloutBuffer)
    if isinstance(model, MaxEntPPO) and model.maxent_mode == "soft_returns":
        assert isinstance(model.rollout_buffer, SoftReturnRolloutBuffer)
        assert type(model.rollout_buffer) is SoftReturnDictRolloutBuffer
    observation = env.observation_space.sample()
    action, _ = model.predict(observation, deterministic=True)
    assert env.action_space.contains(action)

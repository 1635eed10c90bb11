"""
SB3's documented way to compile a policy, ``model.policy = th.compile(model.policy)``, works for the three
algorithms: they learn (every network, the SVGD sampler of continuous SoftQL included, is stepped), save, load and
predict the same actions. The wrapper is not a subclass of the policy's class: the algorithms must decide on their
own state (the action space), not on the policy's class.
"""

import numpy as np
import pytest
import torch as th
from algorithms import ALGORITHMS, ONE_EACH

from sb3_maxent import SoftQL
from sb3_maxent.softql import compose_soft_q


@pytest.fixture(autouse=True)
def _keep_distribution_validation():
    """Importing torch.compile's machinery turns off torch.distributions' argument checks for the whole process."""
    validate_args = th.distributions.Distribution._validate_args
    yield
    th.distributions.Distribution.set_default_validate_args(validate_args)


def _parameters(module: th.nn.Module) -> dict[str, th.Tensor]:
    return {name: value.detach().clone() for name, value in module.named_parameters()}


@pytest.mark.parametrize("name", ONE_EACH)
def test_compiled_policy_learns_saves_and_loads(name, tmp_path):
    algorithm = ALGORITHMS[name]
    model = algorithm.make(seed=0)
    model.policy = th.compile(model.policy)
    assert not isinstance(model.policy, type(model.policy._orig_mod))
    before = _parameters(model.policy._orig_mod)
    model.learn(128)
    after = _parameters(model.policy._orig_mod)
    frozen = sorted(name for name in before if th.equal(before[name], after[name]))
    assert not frozen, f"not trained: {frozen}"  # the SVGD sampler too
    for optimizer in ("optimizer", "sampler_optimizer"):
        if hasattr(model.policy._orig_mod, optimizer):
            assert getattr(model.policy._orig_mod, optimizer).state, f"{optimizer} never stepped"

    observations = np.stack([model.env.observation_space.sample() for _ in range(8)])
    actions, _ = model.predict(observations, deterministic=True)
    model.save(tmp_path / "model.zip")
    loaded = algorithm.algorithm.load(tmp_path / "model.zip", env=model.get_env())
    assert np.array_equal(loaded.predict(observations, deterministic=True)[0], actions)
    for name, value in _parameters(loaded.policy).items():
        assert th.equal(value, after[name]), name
    loaded.learn(64)  # training continues after a load


def test_compose_soft_q_accepts_compiled_policies():
    model = SoftQL("MlpPolicy", "CartPole-v1", policy_kwargs=dict(net_arch=[16]), seed=0)
    model.policy = th.compile(model.policy)
    composed = compose_soft_q([model, model])
    observation = model.env.observation_space.sample()
    assert composed.predict(observation)[0] in (0, 1)

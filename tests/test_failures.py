"""
Failures, as all three algorithms share them.

A non-finite update never reaches the weights: the error is the package's (both a RuntimeError and a ValueError),
raised before any optimizer of the update steps, and the model (every parameter, target network, optimizer state,
temperature) is exactly as it was before the update; it saves, loads and predicts. Settings that the soft targets
cannot honour (SB3's reward-only n-step buffer), and bad values of the arguments the algorithms share, are refused at
construction (each algorithm's own arguments are checked in its test file).
"""

import copy

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from algorithms import ALGORITHMS, OFF_POLICY, ONE_EACH, assert_same, optimizers
from stable_baselines3.common.buffers import NStepReplayBuffer, RolloutBuffer

from sb3_maxent import DSPG, MaxEntPPO
from sb3_maxent.common.nonfinite import NonFiniteError


class Corrupting(gym.Wrapper):
    """From step ``after`` on, the reward (or an observation entry) is ``value``."""

    def __init__(self, env: gym.Env, after: int, value: float, where: str = "reward") -> None:
        super().__init__(env)
        self.after, self.value, self.where, self.n_steps = after, value, where, 0

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.n_steps += 1
        if self.n_steps >= self.after:
            if self.where == "reward":
                reward = self.value
            else:
                obs = obs.copy()
                obs[0] = self.value
        return obs, reward, terminated, truncated, info


def snapshot(model) -> dict:
    """Everything an update may change: the policy's tensors (targets included), optimizer states, temperature."""
    state = {"policy": copy.deepcopy(model.policy.state_dict())}
    state |= {f"optimizer {name}": copy.deepcopy(optimizer.state_dict()) for name, optimizer in optimizers(model).items()}
    if getattr(model, "log_ent_coef", None) is not None:
        state["log_ent_coef"] = model.log_ent_coef.detach().clone()
    return state


def train_until_error(model, timesteps: int) -> dict:
    """Learn until the NonFiniteError, keeping the model's state at the start of the failing update's train()."""
    states = []
    original_train = model.train

    def train(*args, **kwargs):
        states.append(snapshot(model))
        return original_train(*args, **kwargs)

    model.train = train
    with pytest.raises(NonFiniteError) as error:
        model.learn(timesteps)
    assert isinstance(error.value, RuntimeError) and isinstance(error.value, ValueError)
    assert "the update was not applied" in str(error.value)
    model.train = original_train
    return {"state": states[-1], "message": str(error.value)}


def assert_model_intact_and_usable(model, before: dict, tmp_path) -> None:
    assert_same(before, snapshot(model))
    model.save(tmp_path / "model.zip")
    loaded = type(model).load(tmp_path / "model.zip")
    obs = model.observation_space.sample()
    for candidate in (model, loaded):
        for param in candidate.policy.parameters():
            assert th.isfinite(param).all()
        action, _ = candidate.predict(obs, deterministic=True)
        assert np.all(np.isfinite(action))


# what each algorithm's message says (SoftQL's with the hint common to all: wrap the env in VecCheckNan)
NAN_MESSAGES = {
    "MaxEntPPO": "MaxEntPPO: the loss is nan",
    "DSPG": "DSPG: the critic loss is nan",
    "SoftQL-discrete": "SoftQL: the loss is nan",
    "SoftQL-continuous": "SoftQL: the loss is nan",
}


@pytest.mark.parametrize("name", ONE_EACH)
def test_nan_reward_leaves_the_model_as_before_the_update(name, tmp_path):
    algorithm = ALGORITHMS[name]
    learned_temperature = dict(ent_coef="auto") if name in ("DSPG", "SoftQL-discrete") else {}
    model = algorithm.make(Corrupting(gym.make(algorithm.env_id), after=60, value=float("nan")), seed=0, **learned_temperature)
    result = train_until_error(model, 400)
    assert "is nan" in result["message"] and NAN_MESSAGES[name] in result["message"]
    assert "VecCheckNan" in result["message"]
    assert_model_intact_and_usable(model, result["state"], tmp_path)


@pytest.mark.parametrize("failing_call", [1, 3], ids=["first update (no optimizer state yet)", "third update"])
def test_dspg_actor_failure_puts_the_critic_back(tmp_path, monkeypatch, failing_call):
    """The critic steps before the actor's loss exists: a non-finite actor update undoes the critic's step."""
    model = DSPG(
        "MlpPolicy",
        "Pendulum-v1",
        learning_starts=32,
        batch_size=16,
        gradient_steps=1,
        policy_kwargs=dict(net_arch=[16]),
        seed=0,
    )
    model.learn(30)  # (not trained yet: the first update starts the optimizers' state)
    calls = {"n": 0}
    log_prob = model.actor.log_prob

    def failing_log_prob(*args, **kwargs):
        calls["n"] += 1
        result = log_prob(*args, **kwargs)
        return result * float("nan") if calls["n"] >= failing_call else result

    monkeypatch.setattr(model.actor, "log_prob", failing_log_prob)
    result = train_until_error(model, 100)
    assert "actor loss is nan" in result["message"]
    monkeypatch.undo()
    assert_model_intact_and_usable(model, result["state"], tmp_path)


def test_maxent_ppo_infinite_observation_is_named(tmp_path):
    """tanh(inf) keeps the loss finite but the gradient is NaN: caught before the step, with what to look for."""
    env = Corrupting(gym.make("Pendulum-v1"), after=40, value=float("inf"), where="observation")
    model = MaxEntPPO(
        "MlpPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, policy_kwargs=dict(activation_fn=th.nn.Tanh)
    )
    result = train_until_error(model, 256)
    assert "gradient norm is nan" in result["message"] and "infinite observation" in result["message"]
    assert_model_intact_and_usable(model, result["state"], tmp_path)


@pytest.mark.parametrize("validate_args", [True, False], ids=["torch validates", "validation off (as after th.compile)"])
def test_maxent_ppo_nan_observation_is_named(validate_args):
    env = Corrupting(gym.make("CartPole-v1"), after=10, value=float("nan"), where="observation")
    model = MaxEntPPO("MlpPolicy", env, n_steps=32, batch_size=16, seed=0)
    default = th.distributions.Distribution._validate_args
    th.distributions.Distribution.set_default_validate_args(validate_args)
    try:
        with pytest.raises(NonFiniteError, match="an observation contains NaN or inf at timestep"):
            model.learn(64)
    finally:
        th.distributions.Distribution.set_default_validate_args(default)


def test_the_error_is_both_kinds():
    assert issubclass(NonFiniteError, RuntimeError) and issubclass(NonFiniteError, ValueError)


@pytest.mark.parametrize("name", OFF_POLICY)
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(replay_buffer_class=NStepReplayBuffer), "sums the n rewards only"),
        (dict(n_steps=3, replay_buffer_class=NStepReplayBuffer), "sums the n rewards only"),
        (dict(replay_buffer_kwargs=dict(n_steps=3)), "without a replay_buffer_class"),
        (dict(n_steps=0), "`n_steps` must be an integer >= 1"),
    ],
)
def test_reward_only_n_step_buffer_is_refused(name, kwargs, message):
    """
    SB3's n-step buffer sums rewards only: a soft target on it would lose the intermediate entropy terms (``n_steps``
    > 1 uses SoftNStepReplayBuffer instead, tests/test_n_step.py).
    """
    algorithm = ALGORITHMS[name]
    with pytest.raises(ValueError, match=message):
        algorithm.algorithm("MlpPolicy", algorithm.env_id, **kwargs)


ALL, OFF = ONE_EACH, [name for name in ONE_EACH if name in OFF_POLICY]
# Bad arguments of every algorithm, refused at construction: those several share (refused by each), then each one's own
BAD_ARGUMENTS = [
    (dict(gamma=1.5), "gamma", ALL),
    (dict(learning_rate=-1e-3), "learning_rate", ALL),
    (dict(max_grad_norm=0.0), "max_grad_norm", ALL),
    (dict(max_grad_norm=-0.5), "max_grad_norm", ALL),
    (dict(ent_coef=-0.1), "ent_coef", ALL),
    (dict(ent_coef=float("nan")), "ent_coef", ALL),
    (dict(ent_coef="automatic"), "ent_coef", OFF),
    (dict(ent_coef="auto_-1"), "initial value of `ent_coef", OFF),
    (dict(ent_coef="auto", target_entropy="high"), "target_entropy", ["DSPG", "SoftQL-discrete"]),
    (dict(tau=0.0), "tau", OFF),
    (dict(tau=1.5), "tau", OFF),
    (dict(batch_size=0), "batch_size", OFF),
    (dict(buffer_size=0), "buffer_size", OFF),
    (dict(policy_kwargs=dict(net_arch=[0])), "net_arch", ALL),
    (dict(policy_kwargs=dict(net_arch=[-3])), "net_arch", ALL),
    (dict(policy_kwargs=dict(net_arch=["a"])), "net_arch", ALL),
    (dict(policy_kwargs=dict(net_arch=dict(pi=[64], vf="64"))), "net_arch", ALL),
    # with which learn() would not train (SB3 itself refuses a train_freq of 0 only once learn() collects;
    # gradient_steps=0, collecting without training, is SB3's and accepted: test_zero_gradient_steps_collects_only)
    (dict(gradient_steps=-3), "or -1", OFF),
    (dict(gradient_steps=1.5), "`gradient_steps` must be an integer", ["SoftQL-discrete"]),
    (dict(train_freq=0), "train_freq", OFF),
    (dict(train_freq=(-1, "step")), "train_freq", ["DSPG"]),
    (dict(train_freq=(0, "episode")), "train_freq", ["SoftQL-continuous"]),
    # MaxEntPPO's own
    (dict(maxent_coef=-0.1), "maxent_coef", ["MaxEntPPO"]),
    (dict(maxent_coef=float("nan")), "maxent_coef", ["MaxEntPPO"]),
    (dict(maxent_coef=float("inf")), "maxent_coef", ["MaxEntPPO"]),
    (dict(maxent_coef="0.3"), "maxent_coef", ["MaxEntPPO"]),
    (dict(maxent_coef=lambda progress: progress - 0.5), "progress_remaining=0.4", ["MaxEntPPO"]),
    (dict(maxent_mode="exact"), "Unknown maxent_mode 'exact'", ["MaxEntPPO"]),
    (dict(maxent_units="nats"), "Unknown maxent_units 'nats'", ["MaxEntPPO"]),
    (dict(maxent_units="advantage", maxent_mode="soft_returns"), "'one_step' only", ["MaxEntPPO"]),
    (dict(maxent_units="advantage", normalize_advantage=False), "needs normalize_advantage=True", ["MaxEntPPO"]),
    (dict(value_clip_mode="max"), "Unknown value_clip_mode 'max'", ["MaxEntPPO"]),
    (dict(value_clip_mode="ppo2"), "set clip_range_vf", ["MaxEntPPO"]),
    (dict(n_epochs=0), "n_epochs", ["MaxEntPPO"]),
    (dict(n_epochs=-1), "n_epochs", ["MaxEntPPO"]),
    (dict(policy_kwargs=dict(net_arch=[dict(pi=[0], vf=[8])])), "net_arch", ["MaxEntPPO"]),
    (dict(maxent_mode="soft_returns", rollout_buffer_class=RolloutBuffer), "SoftReturn", ["MaxEntPPO"]),
    *[
        (dict(n_steps=16, batch_size=32, micro_batch_size=bad), "micro_batch_size", ["MaxEntPPO"])
        for bad in (0, -8, 3, 1.5, True)
    ],
    # DSPG's own
    (dict(n_action_samples=0), "n_action_samples", ["DSPG"]),
    (dict(n_action_samples=2.5), "n_action_samples", ["DSPG"]),
    (dict(per_state_baseline=True, n_action_samples=1), "per_state_baseline", ["DSPG"]),
    (dict(actor_learning_rate=-1e-3), "actor_learning_rate", ["DSPG"]),
    # SoftQL's own
    (dict(ent_coef=0.0), "ent_coef", ["SoftQL-discrete"]),
    (dict(ent_coef="auto", target_entropy=5.0), "target_entropy", ["SoftQL-discrete"]),
    (dict(ent_coef="auto"), "implicit", ["SoftQL-continuous"]),
    (dict(target_update_interval=0), "target_update_interval", ["SoftQL-discrete"]),
    (dict(n_value_particles=0), "n_value_particles", ["SoftQL-continuous"]),
    (dict(n_kernel_particles=2), "at least 2 fixed", ["SoftQL-continuous"]),
    (dict(kernel_update_ratio=1.0), "kernel_update_ratio", ["SoftQL-continuous"]),
    (dict(policy_kwargs={"n_deterministic_candidates": 0}), "n_deterministic_candidates", ["SoftQL-continuous"]),
]


@pytest.mark.parametrize(
    "name, kwargs, message",
    [pytest.param(name, kwargs, message, id=f"{name}-{kwargs}") for kwargs, message, names in BAD_ARGUMENTS for name in names],
)
def test_bad_arguments_are_refused_at_construction(name, kwargs, message):
    algorithm = ALGORITHMS[name]
    with pytest.raises(ValueError, match=message):
        algorithm.algorithm("MlpPolicy", algorithm.env_id, **kwargs)


@pytest.mark.parametrize("name", OFF)
def test_zero_gradient_steps_collects_only(name):
    """As in SB3, gradient_steps=0 collects transitions and never trains (SB3's test_offpolicy_collect_rollout_batch_norm)."""
    algorithm = ALGORITHMS[name]
    with pytest.warns(UserWarning, match="never train"):
        model = algorithm.make(gradient_steps=0, learning_starts=10)
    parameters = copy.deepcopy(model.policy.state_dict())
    model.learn(50)
    assert model.replay_buffer.size() == 50 and model._n_updates == 0
    assert_same(parameters, model.policy.state_dict())


def test_infinite_gradient_clipping_is_allowed():
    MaxEntPPO("MlpPolicy", "CartPole-v1", max_grad_norm=float("inf"), n_steps=32, batch_size=32).learn(32)


def test_procgen_vec_env_names_its_misuse():
    pytest.importorskip("procgen")
    from sb3_maxent.envs import ProcgenVecEnv, make_procgen_vec_env

    for make in (lambda: ProcgenVecEnv("fruitbot", n_envs=2, seed=-1), lambda: make_procgen_vec_env("fruitbot", 2, seed=-1)):
        with pytest.raises(ValueError, match="`seed` must be None or an integer >= 0, got -1"):
            make()
    env = ProcgenVecEnv("fruitbot", n_envs=2, seed=0)
    with pytest.raises(ValueError, match="`seed` must be None or an integer >= 0, got -1"):
        env.seed(-1)
    env.reset()
    with pytest.raises(ValueError, match="Procgen actions are integers"):
        env.step(np.array([1.7, 2.0]))  # procgen would have played action 1
    env.step(np.array([1.0, 2.0]))  # integral floats are fine
    env.close()
    with pytest.raises(RuntimeError, match="was closed"):
        env.step(np.array([1, 2]))

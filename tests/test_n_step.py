"""
Soft n-step returns of DSPG and SoftQL (``n_steps > 1``, ``SoftNStepReplayBuffer``), against answers that do not
come from their code:

- the buffer gives SB3's ``NStepReplayBuffer`` samples (SB3's own n-step tests, and field for field on random
  data) plus the segment's intermediate steps;
- discrete SoftQL at the exact soft Q-function of a deterministic chain (soft value iteration): the n-step target is
  Q*(s_t, a_t) for any replayed actions (the multi-step soft consistency of Nachum et al. 2017, "Bridging the Gap
  Between Value and Policy Based Reinforcement Learning"), through terminations and time-outs inside the segments;
- discrete SoftQL, continuous SoftQL and DSPG with other networks: the target equals the soft n-step return walked by
  hand along the stored trajectory (numpy / torch.distributions, SB3's rules for terminations and time-outs);
- SB3's ``test_n_step_replay.py::test_run`` for the three forms, and ``n_steps=1`` unchanged.
"""

import math
import warnings
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from stable_baselines3.common.buffers import NStepReplayBuffer, ReplayBuffer
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import SimpleMultiObsEnv
from torch.distributions import Independent, Normal, TanhTransform, TransformedDistribution

from sb3_maxent import DSPG, SoftQL, TabularMDPEnv, soft_value_iteration
from sb3_maxent.common.buffers import (
    Float32SoftNStepReplayBuffer,
    SoftNStepReplayBuffer,
    SoftNStepReplayBufferSamples,
    replay_buffer_class_for,
)
from sb3_maxent.common.tabular import soft_value

# (observation, action, reward, next observation, terminated, truncated)
Transition = tuple[np.ndarray, np.ndarray, float, np.ndarray, bool, bool]


def add_transitions(buffer: ReplayBuffer, transitions: list[Transition]) -> None:
    """Store the transitions as an SB3 VecEnv reports them (a time-out is done=True with TimeLimit.truncated)."""
    for obs, action, reward, next_obs, terminated, truncated in transitions:
        buffer.add(
            obs[None], next_obs[None], action[None], np.array([reward]), np.array([terminated or truncated]),
            [{"TimeLimit.truncated": truncated}],
        )  # fmt: skip


def walked_targets(
    transitions: list[Transition],
    n_steps: int,
    gamma: float,
    value: Callable[[np.ndarray], float],
    entropy_term: Callable[[np.ndarray, np.ndarray], float],
) -> np.ndarray:
    """
    The soft n-step target of each stored transition, walking the trajectory:
    ``sum_{k<m} gamma^k r_{t+k} + sum_{0<k<m} gamma^k entropy_term(s_{t+k}, a_{t+k}) + gamma^m V(s_{t+m})``, where the
    segment stops after ``n_steps``, at a termination (no bootstrap) or a time-out (bootstrap from the true next
    state), and at the newest transition (bootstrapped, as SB3 does not read into the oldest ones).
    """
    targets = []
    for start in range(len(transitions)):
        target = 0.0
        for k in range(n_steps):
            obs, action, reward, next_obs, terminated, truncated = transitions[start + k]
            target += gamma**k * reward + (gamma**k * entropy_term(obs, action) if k > 0 else 0.0)
            if terminated:
                break
            if truncated or start + k == len(transitions) - 1 or k == n_steps - 1:
                target += gamma ** (k + 1) * value(next_obs)
                break
        targets.append(target)
    return np.array(targets)


def random_trajectory(rng: np.random.Generator, obs_dim: int, action_dim: int) -> list[Transition]:
    """Three episodes of random Box observations and actions: a time-out, a termination, and an unfinished one."""
    transitions = []
    for length, ending in [(5, "truncated"), (4, "terminated"), (3, None)]:
        obs = rng.uniform(-1, 1, obs_dim).astype(np.float32)
        for step in range(length):
            next_obs = rng.uniform(-1, 1, obs_dim).astype(np.float32)
            action = rng.uniform(-0.95, 0.95, action_dim).astype(np.float32)
            last = step == length - 1
            transitions.append(
                (obs, action, float(rng.normal()), next_obs, last and ending == "terminated", last and ending == "truncated")
            )
            obs = next_obs
    return transitions


# ---------------------------------------------------------------------------------------------
# The buffer: SB3's n-step tests (tests/test_n_step_replay.py of SB3 2.9) on SoftNStepReplayBuffer
# ---------------------------------------------------------------------------------------------
def create_buffer(buffer_size=10, n_steps=3, gamma=0.99, n_envs=1, buffer_class=SoftNStepReplayBuffer):
    obs_space = gym.spaces.Box(low=0, high=1, shape=(4,), dtype=np.float32)
    act_space = gym.spaces.Box(low=0, high=1, shape=(2,), dtype=np.float32)
    return buffer_class(buffer_size, obs_space, act_space, device="cpu", n_envs=n_envs, n_steps=n_steps, gamma=gamma)


def fill_buffer(buffer, length, done_at=None, truncated_at=None):
    """Reward 1, observation = index, an optional termination at ``done_at`` and time-out at ``truncated_at``."""
    for i in range(length):
        obs = np.full((1, 4), i, dtype=np.float32)
        next_obs = np.full((1, 4), i + 1, dtype=np.float32)
        action = np.full((1, 2), i, dtype=np.float32)
        done = np.array([1.0 if i in (done_at, truncated_at) else 0.0])
        buffer.add(obs, next_obs, action, np.array([1.0]), done, [{"TimeLimit.truncated": i == truncated_at}])


def compute_expected_nstep_reward(gamma, n_steps, stop_idx=None):
    returns, last_sum = np.zeros(n_steps), 0.0
    for step in reversed(range(n_steps)):
        last_sum = 1.0 + gamma * (step != stop_idx) * last_sum
        returns[step] = last_sum
    return returns[0]


def check_segment(batch, base_idx, n_steps, gamma, stop_idx=None):
    """The intermediate steps k = 1 .. n - 1: observations and actions of index base + k, discount gamma^k inside."""
    ks = np.arange(1, n_steps)
    inside = ks <= (n_steps - 1 if stop_idx is None else stop_idx)
    np.testing.assert_array_equal(batch.intermediate_observations[0, :, 0].numpy(), (base_idx + ks) % 10)
    np.testing.assert_array_equal(batch.intermediate_actions[0, :, 0].numpy(), (base_idx + ks) % 10)
    np.testing.assert_allclose(batch.intermediate_discounts[0].numpy(), np.where(inside, gamma**ks, 0.0), rtol=1e-6)


@pytest.mark.parametrize("done_at", [1, 2])
@pytest.mark.parametrize("n_steps", [3, 5])
@pytest.mark.parametrize("base_idx", [0, 2])
def test_nstep_early_termination(done_at, n_steps, base_idx):
    gamma = 0.98
    buffer = create_buffer(n_steps=n_steps, gamma=gamma)
    fill_buffer(buffer, length=10, done_at=done_at)
    batch = buffer._get_samples(np.array([base_idx]))
    expected = compute_expected_nstep_reward(gamma=gamma, n_steps=n_steps, stop_idx=done_at - base_idx)
    np.testing.assert_allclose(batch.rewards.item(), expected, rtol=1e-6)
    assert batch.dones.item() == float(base_idx <= done_at)
    check_segment(batch, base_idx, n_steps, gamma, stop_idx=done_at - base_idx if base_idx <= done_at else None)


@pytest.mark.parametrize("truncated_at", [1, 2])
@pytest.mark.parametrize("n_steps", [2, 5])
@pytest.mark.parametrize("base_idx", [0, 1])
def test_nstep_early_truncation(truncated_at, n_steps, base_idx):
    buffer = create_buffer(n_steps=n_steps)
    fill_buffer(buffer, length=10, truncated_at=truncated_at)
    batch = buffer._get_samples(np.array([base_idx]))
    expected = compute_expected_nstep_reward(gamma=0.99, n_steps=n_steps, stop_idx=truncated_at - base_idx)
    np.testing.assert_allclose(batch.rewards.item(), expected, rtol=1e-6)
    assert batch.dones.item() == 0.0
    # A time-out bootstraps from the true next state, gamma^m after the m steps of the segment
    stop = truncated_at - base_idx
    np.testing.assert_allclose(batch.discounts.item(), 0.99 ** min(stop + 1, n_steps), rtol=1e-6)
    np.testing.assert_array_equal(batch.next_observations[0].numpy(), base_idx + min(stop + 1, n_steps))
    check_segment(batch, base_idx, n_steps, 0.99, stop_idx=stop)


@pytest.mark.parametrize("n_steps", [3, 5])
def test_nstep_no_terminations(n_steps):
    buffer = create_buffer(n_steps=n_steps)
    fill_buffer(buffer, length=10)
    gamma = 0.99
    batch = buffer._get_samples(np.array([3]))
    np.testing.assert_allclose(batch.discounts.item(), gamma**n_steps)
    np.testing.assert_allclose(batch.rewards.item(), compute_expected_nstep_reward(gamma, n_steps), rtol=1e-6)
    assert batch.dones.item() == 0.0
    check_segment(batch, 3, n_steps, gamma)

    # Full buffer: the newest transition (pos - 1) is a temporary time-out, no segment runs into the oldest ones
    fill_buffer(buffer, length=2)
    batch = buffer._get_samples(np.array([0]))
    expected = compute_expected_nstep_reward(gamma=0.99, n_steps=n_steps, stop_idx=buffer.pos - 1)
    np.testing.assert_allclose(batch.rewards.item(), expected, rtol=1e-6)
    assert batch.dones.item() == 0.0
    np.testing.assert_allclose(batch.discounts.item(), gamma**2)
    np.testing.assert_allclose(batch.intermediate_discounts[0].numpy(), [gamma] + [0.0] * (n_steps - 2), rtol=1e-6)

    buffer.dones[buffer.pos - 1, :] = True
    batch = buffer._get_samples(np.array([0]))
    np.testing.assert_allclose(batch.rewards.item(), expected, rtol=1e-6)
    assert batch.dones.item() == 1.0


def test_match_normal_buffer():
    buffer = create_buffer(n_steps=1)
    reference = ReplayBuffer(10, buffer.observation_space, buffer.action_space, device="cpu")
    fill_buffer(buffer, length=10)
    fill_buffer(reference, length=10)
    batch, reference_batch = buffer._get_samples(np.array([3])), reference._get_samples(np.array([3]))
    for field in ("observations", "actions", "next_observations", "dones", "rewards"):
        assert th.equal(getattr(batch, field), getattr(reference_batch, field)), field
    assert batch.intermediate_observations.shape == (1, 0, 4)


@pytest.mark.parametrize("n_steps", [1, 2, 4])
def test_same_samples_as_sb3(n_steps):
    """Field for field SB3's NStepReplayBuffer's samples (same random env indices), on 2 envs and a wrapped buffer."""
    rng = np.random.default_rng(0)
    buffers = [
        create_buffer(16, n_steps, 0.95, n_envs=2, buffer_class=cls) for cls in (NStepReplayBuffer, SoftNStepReplayBuffer)
    ]
    for t in range(27):
        # Observation 10 t + env: the intermediate steps must be those of the same env, one index apart
        obs = np.array([[10 * t + env] * 4 for env in range(2)], dtype=np.float32)
        done = rng.random(2) < 0.2
        infos = [{"TimeLimit.truncated": bool(d and rng.random() < 0.5)} for d in done]
        reward, action = rng.normal(size=2), rng.uniform(size=(2, 2)).astype(np.float32)
        for buffer in buffers:
            buffer.add(obs, obs + 10, action, reward, done, infos)
    batch_inds = np.tile(np.arange(buffers[0].buffer_size), 4)  # (the buffer holds 16 // n_envs steps)
    np.random.seed(1)
    reference = buffers[0]._get_samples(batch_inds)
    np.random.seed(1)
    batch = buffers[1]._get_samples(batch_inds)
    for field in reference._fields:
        assert th.equal(getattr(batch, field), getattr(reference, field)), field
    steps = np.arange(1, n_steps)
    expected_obs = (batch.observations[:, :1].numpy() + 10 * steps).reshape(len(batch_inds), n_steps - 1)
    inside = batch.intermediate_discounts.numpy() > 0
    np.testing.assert_array_equal(batch.intermediate_observations[..., 0].numpy()[inside], expected_obs[inside])
    # The segment's length m is where the intermediate discounts stop: the bootstrap's discount is gamma^m
    np.testing.assert_allclose(batch.discounts[:, 0].numpy(), 0.95 ** (1 + inside.sum(axis=1)), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Discrete SoftQL on a deterministic chain: closed form
# ---------------------------------------------------------------------------------------------
# States 0..3 and the terminal state 4; actions: 0 right, 1 stay, 2 back
CHAIN_STATES, CHAIN_ACTIONS = 5, 3
CHAIN_TRANSITIONS = np.zeros((CHAIN_STATES, CHAIN_ACTIONS, CHAIN_STATES))
for _state in range(CHAIN_STATES - 1):
    for _action, _next in enumerate([_state + 1, _state, max(_state - 1, 0)]):
        CHAIN_TRANSITIONS[_state, _action, _next] = 1.0
CHAIN_TRANSITIONS[-1, :, -1] = 1.0
CHAIN_REWARDS = np.array([[0.1, -0.2, 0.4], [0.5, 0.0, -0.3], [-0.4, 0.3, 0.2], [1.0, -0.1, 0.6], [0.0, 0.0, 0.0]])
CHAIN_TERMINAL = np.arange(CHAIN_STATES) == CHAIN_STATES - 1
CHAIN_GAMMA, CHAIN_ALPHA = 0.9, 0.5
# Three episodes (start, actions): a time-out after 6 steps, a termination, and an unfinished one
# (the first one times out in state 2, the second starts in state 3: the bootstrap must be from the true next state)
CHAIN_EPISODES = [(0, [1, 0, 2, 0, 1, 0], "truncated"), (3, [2, 0, 0], "terminated"), (0, [0, 1, 0], None)]


def chain_trajectory() -> list[Transition]:
    eye = np.eye(CHAIN_STATES, dtype=np.float32)
    transitions = []
    for start, actions, ending in CHAIN_EPISODES:
        state = start
        for step, action in enumerate(actions):
            next_state = int(CHAIN_TRANSITIONS[state, action].argmax())
            terminated = bool(CHAIN_TERMINAL[next_state])
            assert terminated == (ending == "terminated" and step == len(actions) - 1)
            truncated = ending == "truncated" and step == len(actions) - 1
            transitions.append(
                (eye[state], np.array([action]), CHAIN_REWARDS[state, action], eye[next_state], terminated, truncated)
            )
            state = next_state
    return transitions


def chain_softql(n_steps: int, buffer_size: int, q_table: np.ndarray) -> SoftQL:
    """SoftQL whose target network (linear, on one-hot states) is the table ``q_table`` (the online one is 0)."""
    env = TabularMDPEnv(CHAIN_TRANSITIONS, CHAIN_REWARDS, CHAIN_TERMINAL)
    model = SoftQL(
        "MlpPolicy", env, policy_kwargs=dict(net_arch=[]), n_steps=n_steps, gamma=CHAIN_GAMMA, ent_coef=CHAIN_ALPHA,
        buffer_size=buffer_size, seed=0,
    )  # fmt: skip
    with th.no_grad():
        model.q_net_target.q_net[0].weight.copy_(th.as_tensor(q_table.T, dtype=th.float32))
        model.q_net_target.q_net[0].bias.zero_()
        for parameter in model.q_net.parameters():
            parameter.zero_()
    return model


def algorithm_targets(model: DSPG | SoftQL, transitions: list[Transition]) -> tuple[np.ndarray, SoftNStepReplayBufferSamples]:
    """The target the training code computes for each stored transition (all of them in one batch)."""
    add_transitions(model.replay_buffer, transitions)
    samples = model.replay_buffer._get_samples(np.arange(model.replay_buffer.size()))
    ent_coef = model._current_ent_coef() if isinstance(model, SoftQL) else model.ent_coef_tensor
    return model._target_q_values(samples, ent_coef).numpy()[:, 0], samples


@pytest.mark.parametrize("n_steps", [2, 3, 5])
@pytest.mark.parametrize("buffer_size", [32, 10], ids=["buffer", "wrapped buffer"])
def test_discrete_target_at_the_soft_optimum_is_q_star(n_steps, buffer_size):
    """
    At Q* the soft n-step target with -alpha log pi = V*(s) - Q*(s, a) is Q*(s_t, a_t) for any replayed actions of a
    deterministic MDP (multi-step soft consistency), with terminations and time-outs inside the segments.
    """
    exact = soft_value_iteration(CHAIN_TRANSITIONS, CHAIN_REWARDS, CHAIN_GAMMA, CHAIN_ALPHA, CHAIN_TERMINAL)
    model = chain_softql(n_steps, buffer_size, exact.q_values)
    assert type(model.replay_buffer) is SoftNStepReplayBuffer and model.replay_buffer.n_steps == n_steps
    targets, samples = algorithm_targets(model, chain_trajectory())
    states, actions = samples.observations.numpy().argmax(axis=1), samples.actions.numpy()[:, 0]
    np.testing.assert_allclose(targets, exact.q_values[states, actions], atol=2e-5)
    # Without the entropy terms (SB3's NStepReplayBuffer alone, as SAC uses it) the target is far from Q*
    next_values = soft_value(exact.q_values[samples.next_observations.numpy().argmax(axis=1)], CHAIN_ALPHA)
    reward_only = (
        samples.rewards.numpy()[:, 0] + (1 - samples.dones.numpy()[:, 0]) * samples.discounts.numpy()[:, 0] * next_values
    )
    assert np.abs(reward_only - exact.q_values[states, actions]).max() > 0.3


@pytest.mark.parametrize("n_steps", [2, 3, 5])
def test_discrete_target_walked_by_hand(n_steps):
    """Any Q-network: the target is the soft n-step return of its Boltzmann policy, walked along the trajectory."""
    q_table = np.random.default_rng(1).normal(size=(CHAIN_STATES, CHAIN_ACTIONS))
    model = chain_softql(n_steps, 32, q_table)
    transitions = chain_trajectory()
    targets, _ = algorithm_targets(model, transitions)

    def value(obs):
        return soft_value(q_table[obs.argmax()], CHAIN_ALPHA)

    def entropy_term(obs, action):
        # -alpha log pi(a|s) of pi = softmax(Q(s, .) / alpha)
        logits = q_table[obs.argmax()] / CHAIN_ALPHA
        return -CHAIN_ALPHA * (logits[action[0]] - np.log(np.exp(logits).sum()))

    expected = walked_targets(transitions, n_steps, CHAIN_GAMMA, value, entropy_term)
    np.testing.assert_allclose(targets, expected, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Continuous SoftQL: the importance-sampled soft value of a linear Q-function
# ---------------------------------------------------------------------------------------------
def linear_continuous_softql(n_steps: int, weights: np.ndarray, n_value_particles: int, ent_coef: float) -> SoftQL:
    """SoftQL on Pendulum (3 observations, 1 action) whose target network is Q(s, a) = w_s . s + w_a a + b."""
    model = SoftQL(
        "MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[]), n_steps=n_steps, gamma=0.95, ent_coef=ent_coef,
        n_value_particles=n_value_particles, buffer_size=32, seed=0,
    )  # fmt: skip
    with th.no_grad():
        model.q_net_target.q_net[0].weight.copy_(th.as_tensor(weights[None, :4], dtype=th.float32))
        model.q_net_target.q_net[0].bias.fill_(float(weights[4]))
    return model


@pytest.mark.parametrize("n_steps", [2, 4])
def test_continuous_target_of_an_action_independent_q(n_steps):
    """
    Q(s, a) = q(s): the Boltzmann policy is uniform on [-1, 1]^d, so V = q(s) + alpha d log 2 and -alpha log pi =
    alpha d log 2 exactly (whatever the uniform proposals of the importance sampling).
    """
    weights, alpha = np.array([0.5, -1.0, 0.3, 0.0, 0.2]), 0.4
    model = linear_continuous_softql(n_steps, weights, n_value_particles=8, ent_coef=alpha)
    transitions = random_trajectory(np.random.default_rng(2), obs_dim=3, action_dim=1)
    targets, _ = algorithm_targets(model, transitions)
    expected = walked_targets(
        transitions,
        n_steps,
        0.95,
        lambda obs: weights[:3] @ obs + weights[4] + alpha * math.log(2),
        lambda obs, a: alpha * math.log(2),
    )
    np.testing.assert_allclose(targets, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n_steps", [2, 4])
def test_continuous_target_of_a_linear_q(n_steps):
    """
    Q(s, a) = q(s) + c a: V(s) = q(s) + alpha log(2 sinh(c / alpha) / (c / alpha)) (the integral over [-1, 1]), and
    -alpha log pi(a|s) = V(s) - Q(s, a) at the replayed action; importance sampling with many particles gets close.
    """
    weights, alpha = np.array([0.5, -1.0, 0.3, 1.0, 0.2]), 0.5
    model = linear_continuous_softql(n_steps, weights, n_value_particles=20_000, ent_coef=alpha)
    kappa = weights[3] / alpha
    log_partition = alpha * math.log(2 * math.sinh(kappa) / kappa)

    def q_value(obs, action):
        return weights[:3] @ obs + weights[3] * action[0] + weights[4]

    transitions = random_trajectory(np.random.default_rng(3), obs_dim=3, action_dim=1)
    th.manual_seed(0)
    targets, _ = algorithm_targets(model, transitions)
    value = lambda obs: weights[:3] @ obs + weights[4] + log_partition  # noqa: E731
    expected = walked_targets(transitions, n_steps, 0.95, value, lambda obs, a: value(obs) - q_value(obs, a))
    np.testing.assert_allclose(targets, expected, atol=0.02)
    # The replayed action matters: with the entropy of the uniform proposals instead, it is off
    uniform = walked_targets(transitions, n_steps, 0.95, value, lambda obs, a: alpha * math.log(2))
    assert np.abs(uniform - targets).max() > 0.1


# ---------------------------------------------------------------------------------------------
# DSPG: the target actor's log-density at the replayed actions
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("squash_output", [True, False])
@pytest.mark.parametrize("n_steps", [2, 3, 5])
def test_dspg_target_walked_by_hand(squash_output, n_steps, monkeypatch):
    model = DSPG(
        "MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[16], squash_output=squash_output), n_steps=n_steps,
        gamma=0.95, ent_coef=0.3, n_action_samples=4, buffer_size=32, seed=0,
    )  # fmt: skip
    actor, critic = model.actor_target, model.critic_target
    with th.no_grad():  # (the target networks made different from the online ones)
        for parameter in [*actor.parameters(), *critic.parameters()]:
            parameter.add_(0.2 * th.randn_like(parameter))
    # The soft value's M samples made deterministic (all at the mean), so that it can be computed by hand
    monkeypatch.setattr(actor, "sample_gaussian", lambda mean, std, n: mean.detach().unsqueeze(1).expand(-1, n, -1))

    def distribution(obs: np.ndarray) -> th.distributions.Distribution:
        mean, std, _ = actor.get_action_dist_params(th.as_tensor(obs[None]))
        gaussian = Independent(Normal(mean[0], std[0]), 1)
        return TransformedDistribution(gaussian, [TanhTransform()]) if squash_output else gaussian

    @th.no_grad()
    def value(obs: np.ndarray) -> float:
        mean = actor.get_action_dist_params(th.as_tensor(obs[None]))[0][0]
        action = th.tanh(mean) if squash_output else th.clamp(mean, -1.0, 1.0)
        log_prob = distribution(obs).log_prob(action if squash_output else mean)
        return float(critic(th.as_tensor(obs[None]), action[None])[0] - 0.3 * log_prob)

    @th.no_grad()
    def entropy_term(obs: np.ndarray, action: np.ndarray) -> float:
        return float(-0.3 * distribution(obs).log_prob(th.as_tensor(action)))

    transitions = random_trajectory(np.random.default_rng(4), obs_dim=3, action_dim=1)
    with th.no_grad():
        targets, _ = algorithm_targets(model, transitions)
    expected = walked_targets(transitions, n_steps, 0.95, value, entropy_term)
    np.testing.assert_allclose(targets, expected, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------------
# SB3's test_n_step_replay.py::test_run, the choice of the buffer, and n_steps=1
# ---------------------------------------------------------------------------------------------
FORMS = {
    "DSPG": (DSPG, "Pendulum-v1", dict(n_action_samples=8)),
    "SoftQL-discrete": (SoftQL, "CartPole-v1", {}),
    "SoftQL-continuous": (SoftQL, "Pendulum-v1", dict(n_value_particles=8, n_kernel_particles=4)),
}


def critic_parameters(model) -> list[th.Tensor]:
    network = model.critic if isinstance(model, DSPG) else model.q_net
    return [parameter.detach().clone() for parameter in network.parameters()]


@pytest.mark.parametrize("name", FORMS)
def test_run(name):
    algorithm, env_id, kwargs = FORMS[name]
    env = make_vec_env(env_id, n_envs=2)
    gamma = 0.989
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no "n_steps is ignored" warning: this buffer uses it)
        model = algorithm(
            "MlpPolicy", env, train_freq=4, n_steps=3, policy_kwargs=dict(net_arch=[64]), learning_starts=100,
            buffer_size=int(2e4), gamma=gamma, **kwargs,
        )  # fmt: skip
    assert isinstance(model.replay_buffer, SoftNStepReplayBuffer) and isinstance(model.replay_buffer, NStepReplayBuffer)
    assert model.replay_buffer.n_steps == 3
    assert model.replay_buffer.gamma == gamma
    before = critic_parameters(model)
    model.learn(total_timesteps=150)
    assert model._n_updates > 0
    assert any(not th.equal(old, new) for old, new in zip(before, critic_parameters(model), strict=True))


def test_choice_of_the_buffer_and_refusals(tmp_path):
    assert type(DSPG("MlpPolicy", "Pendulum-v1", buffer_size=10).replay_buffer) is ReplayBuffer
    # SB3's buffer, which sums the rewards only, is refused (it would drop the entropy terms)
    for kwargs in (dict(replay_buffer_class=NStepReplayBuffer), dict(n_steps=3, replay_buffer_class=NStepReplayBuffer)):
        with pytest.raises(ValueError, match="sums the n rewards only"):
            SoftQL("MlpPolicy", "CartPole-v1", **kwargs)
    with pytest.raises(ValueError, match="without a replay_buffer_class"):
        DSPG("MlpPolicy", "Pendulum-v1", replay_buffer_kwargs=dict(n_steps=3))
    with pytest.raises(ValueError, match="`n_steps` must be an integer >= 1"):
        SoftQL("MlpPolicy", "CartPole-v1", n_steps=0)
    with pytest.raises(ValueError, match="not supported for Dict observation spaces"):
        SoftQL("MultiInputPolicy", SimpleMultiObsEnv(), n_steps=3)
    # Given explicitly, the soft buffer gets the algorithm's n_steps and gamma unless its kwargs give them
    model = SoftQL("MlpPolicy", "CartPole-v1", n_steps=4, gamma=0.9, replay_buffer_class=SoftNStepReplayBuffer)
    assert (model.replay_buffer.n_steps, model.replay_buffer.gamma) == (4, 0.9)
    model = SoftQL(
        "MlpPolicy", "CartPole-v1", gamma=0.9, replay_buffer_class=SoftNStepReplayBuffer, replay_buffer_kwargs=dict(n_steps=2)
    )
    assert (model.replay_buffer.n_steps, model.replay_buffer.gamma) == (2, 0.9)
    # The float32 variant, given as replay_buffer_class (the automatic choice is the float64 one)
    box64 = gym.spaces.Box(-1, 1, (3,), np.float64)
    assert replay_buffer_class_for(box64, None, n_steps=3) is SoftNStepReplayBuffer
    assert replay_buffer_class_for(box64, Float32SoftNStepReplayBuffer, n_steps=3) is Float32SoftNStepReplayBuffer
    assert Float32SoftNStepReplayBuffer(10, box64, gym.spaces.Discrete(2), n_steps=3).observations.dtype == np.float32
    # Saved and loaded: the same buffer, without SB3's warning that n_steps would be ignored
    DSPG("MlpPolicy", "Pendulum-v1", n_steps=3, buffer_size=10).save(tmp_path / "model")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = DSPG.load(tmp_path / "model", env=gym.make("Pendulum-v1"))
    assert type(loaded.replay_buffer) is SoftNStepReplayBuffer and loaded.replay_buffer.n_steps == 3


@pytest.mark.parametrize("name", FORMS)
def test_one_step_soft_buffer_is_the_one_step_code(name):
    """n_steps=1 keeps SB3's ReplayBuffer; the soft buffer with n_steps=1 trains to the same bits."""
    algorithm, env_id, kwargs = FORMS[name]
    settings = dict(learning_starts=30, batch_size=16, buffer_size=200, policy_kwargs=dict(net_arch=[16]), seed=1, **kwargs)
    # (each model built and trained in turn: the seed is set when a model is built)
    one_step = algorithm("MlpPolicy", env_id, **settings).learn(80)
    assert type(one_step.replay_buffer) is ReplayBuffer
    soft_kwargs = dict(replay_buffer_class=SoftNStepReplayBuffer, replay_buffer_kwargs=dict(n_steps=1))
    soft = algorithm("MlpPolicy", env_id, **soft_kwargs, **settings).learn(80)
    assert type(soft.replay_buffer) is SoftNStepReplayBuffer and soft.replay_buffer.n_steps == 1
    for (key, old), new in zip(one_step.policy.state_dict().items(), soft.policy.state_dict().values(), strict=True):
        assert th.equal(old, new), key

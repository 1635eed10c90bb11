"""MaxEntPPO: exact reduction to PPO, closed-form max-ent optima, the paper's PPO2 edit, its own errors, logging.

What MaxEntPPO shares with DSPG and SoftQL (spaces, CNN and dict observations, save/load, seeding, NaN) is tested by
concern in test_run.py, test_cnn.py, test_dict_env.py, test_save_load.py, test_deterministic.py and test_failures.py.
"""

import numpy as np
import pytest
import torch as th
from algorithms import params_equal
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure
from stable_baselines3.common.utils import LinearSchedule

from sb3_maxent import ExponentialSchedule, MaxEntPPO, TabularMDPEnv, soft_value_iteration
from sb3_maxent.common.tabular import boltzmann_policy

MODES = ["one_step", "soft_returns"]


# ---------------------------------------------------------------------------------------------
# maxent_coef = 0 (and ent_coef = 0) is exactly SB3's PPO
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
@pytest.mark.parametrize("ent_coef", [0.0, 0.01])
def test_zero_temperature_is_exactly_ppo(mode, env_id, ent_coef):
    kwargs = dict(n_steps=64, batch_size=32, n_epochs=2, ent_coef=ent_coef, seed=3, policy_kwargs=dict(net_arch=[16]))
    ppo = PPO("MlpPolicy", env_id, **kwargs).learn(256)
    maxent = MaxEntPPO("MlpPolicy", env_id, maxent_coef=0.0, maxent_mode=mode, **kwargs).learn(256)
    assert params_equal(ppo, maxent)
    # and the optimizer went through exactly the same steps
    assert ppo.policy.optimizer.state_dict()["state"][0]["step"] == maxent.policy.optimizer.state_dict()["state"][0]["step"]


# ---------------------------------------------------------------------------------------------
# Closed-form max-ent optima
# ---------------------------------------------------------------------------------------------
def train_tabular(transitions, rewards, terminal, n_timesteps, **kwargs) -> MaxEntPPO:
    """Train on a tabular MDP with a linear (= tabular on one-hot inputs) actor and critic.

    The learning rate anneals to 0 so the final policy settles at the fixed point of the update.
    """
    env = make_vec_env(
        TabularMDPEnv, n_envs=16, seed=0, env_kwargs=dict(transitions=transitions, rewards=rewards, terminal_states=terminal)
    )
    kwargs = {
        "n_steps": 16,
        "batch_size": 128,
        "n_epochs": 4,
        "gamma": 1.0,
        "learning_rate": LinearSchedule(2e-2, 0.0, 1.0),
        "policy_kwargs": dict(net_arch=[]),
        "seed": 0,
        **kwargs,
    }
    return MaxEntPPO("MlpPolicy", env, **kwargs).learn(n_timesteps)


def action_probabilities(model: MaxEntPPO, n_states: int) -> np.ndarray:
    """pi(.|s) of the first ``n_states`` states (one-hot observations)."""
    observations = th.eye(model.observation_space.shape[0])[:n_states]
    with th.no_grad():
        return model.policy.get_distribution(observations).distribution.probs.numpy()


BANDIT_REWARDS = np.array([1.0, 0.5, 0.0, -0.5])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("normalize_advantage", [False, True])
def test_bandit_reaches_boltzmann_policy(mode, normalize_advantage):
    """One-step bandit: the max-ent optimum is pi(a) ∝ exp(r(a) / beta), beta in reward units."""
    beta = 0.5
    transitions = np.zeros((2, 4, 2))
    transitions[:, :, 1] = 1.0
    rewards = np.stack([BANDIT_REWARDS, np.zeros(4)])
    model = train_tabular(
        transitions,
        rewards,
        [False, True],
        30_000,
        maxent_coef=beta,
        maxent_mode=mode,
        normalize_advantage=normalize_advantage,
    )
    expected = np.exp(BANDIT_REWARDS / beta) / np.exp(BANDIT_REWARDS / beta).sum()
    np.testing.assert_allclose(action_probabilities(model, 2)[0], expected, atol=0.025)


def test_advantage_units_lose_the_max_ent_optimum_on_the_bandit():
    """With beta in advantage units (the paper's code), the effective temperature beta * std(A) shrinks with the
    advantages: the bandit's policy moves past the Boltzmann optimum towards the best arm (docs/maxent_ppo.md)."""
    beta = 0.5
    transitions = np.zeros((2, 4, 2))
    transitions[:, :, 1] = 1.0
    rewards = np.stack([BANDIT_REWARDS, np.zeros(4)])
    model = train_tabular(transitions, rewards, [False, True], 30_000, maxent_coef=beta, maxent_units="advantage")
    boltzmann = np.exp(BANDIT_REWARDS / beta) / np.exp(BANDIT_REWARDS / beta).sum()
    assert action_probabilities(model, 2)[0][0] > boltzmann[0] + 0.2


# Two-branch MDP: from the start state, actions 0-1 lead to state A where only action 0 is safe
# (the others cost BAD_REWARD), actions 2-3 lead to state B where every action is as good.
# Both branches have the same best (hard) return 0; only the max-ent objective prefers B.
BAD_REWARD = -6.0
BRANCH_TRANSITIONS = np.zeros((4, 4, 4))
BRANCH_TRANSITIONS[0, :2, 1] = 1.0
BRANCH_TRANSITIONS[0, 2:, 2] = 1.0
BRANCH_TRANSITIONS[1:, :, 3] = 1.0
BRANCH_REWARDS = np.zeros((4, 4))
BRANCH_REWARDS[1, 1:] = BAD_REWARD
BRANCH_TERMINAL = np.array([False, False, False, True])
TEMPERATURE = 1.0


def branch_b_probability(first_step_q: np.ndarray, temperature: float) -> float:
    return float(boltzmann_policy(first_step_q, temperature)[2:].sum())


@pytest.fixture(scope="module")
def exact_branch_solution():
    return soft_value_iteration(BRANCH_TRANSITIONS, BRANCH_REWARDS, 1.0, TEMPERATURE, BRANCH_TERMINAL)


@pytest.mark.parametrize(
    "mode, gae_lambda",
    [("soft_returns", 0.95), ("one_step", 0.0)],
)
def test_maxent_prefers_the_high_entropy_branch(exact_branch_solution, mode, gae_lambda):
    """The exact max-ent agents reach soft value iteration's policy in every state."""
    model = train_tabular(
        BRANCH_TRANSITIONS,
        BRANCH_REWARDS,
        BRANCH_TERMINAL,
        50_000,
        maxent_coef=TEMPERATURE,
        maxent_mode=mode,
        normalize_advantage=False,
        gae_lambda=gae_lambda,
    )
    probs = action_probabilities(model, 3)
    exact = exact_branch_solution.policy[:3]
    assert exact[0, 2:].sum() == pytest.approx(0.7988, abs=1e-3)  # 4 / (4 + 1 + 3 exp(-6)), hand-computed
    assert probs[0, 2:].sum() == pytest.approx(exact[0, 2:].sum(), abs=0.03)
    np.testing.assert_allclose(probs, exact, atol=0.03)


def test_one_step_mode_propagates_entropy_with_weight_one_minus_lambda(exact_branch_solution):
    """What the paper's one-step approximation optimizes on the branch MDP.

    Its critic learns R_t + beta H(s_t), so the start state's advantage sees the soft value of the next
    state only through the bootstrapped part of GAE: Q_eff = (1 - lambda) V_soft(s') + lambda E[r(s')].
    lambda = 0 gives the exact max-ent answer (previous test), lambda = 1 the regularized one.
    """
    gae_lambda = 0.95
    exact = exact_branch_solution
    expected_branch_reward = (exact.policy[1:3] * BRANCH_REWARDS[1:3]).sum(axis=1)  # E_pi*[r] in A and B
    q_eff = np.repeat((1 - gae_lambda) * exact.values[1:3] + gae_lambda * expected_branch_reward, 2)
    expected = branch_b_probability(q_eff, TEMPERATURE)
    model = train_tabular(
        BRANCH_TRANSITIONS,
        BRANCH_REWARDS,
        BRANCH_TERMINAL,
        50_000,
        maxent_coef=TEMPERATURE,
        maxent_mode="one_step",
        normalize_advantage=False,
        gae_lambda=gae_lambda,
    )
    assert action_probabilities(model, 3)[0, 2:].sum() == pytest.approx(expected, abs=0.03)
    assert expected < exact.policy[0, 2:].sum() - 0.2


def test_entropy_regularization_does_not_prefer_the_high_entropy_branch(exact_branch_solution):
    """PPO's entropy regularizer only acts at visited states: its fixed point uses hard values.

    In A the regularized policy is Boltzmann over the rewards (as the max-ent one), but the start state
    compares the branches by their expected reward only: pi(.|s0) ∝ exp(E[r(s')] / ent_coef).
    """
    exact = exact_branch_solution
    expected_branch_reward = (exact.policy[1:3] * BRANCH_REWARDS[1:3]).sum(axis=1)
    expected = branch_b_probability(np.repeat(expected_branch_reward, 2), TEMPERATURE)
    model = train_tabular(
        BRANCH_TRANSITIONS,
        BRANCH_REWARDS,
        BRANCH_TERMINAL,
        50_000,
        maxent_coef=0.0,
        ent_coef=TEMPERATURE,
        normalize_advantage=False,
    )
    probs = action_probabilities(model, 3)
    assert probs[0, 2:].sum() == pytest.approx(expected, abs=0.03)
    assert probs[0, 2:].sum() < exact.policy[0, 2:].sum() - 0.2
    np.testing.assert_allclose(probs[1], exact.policy[1], atol=0.03)


# ---------------------------------------------------------------------------------------------
# maxent_units="advantage" is the paper's code: its edit of OpenAI Baselines' PPO2
# ---------------------------------------------------------------------------------------------
PPO2_CLIP_RANGE, PPO2_VF_COEF, BETA = 0.2, 0.5, 0.3


def first_minibatch_gradient(
    maxent_units: str, value_shift: float = 0.0, **overrides
) -> tuple[dict[str, th.Tensor], dict[str, np.ndarray], MaxEntPPO]:
    """The gradient of MaxEntPPO's first minibatch (the whole rollout), its rollout, and a model with the same initial
    weights, with PPO2's FruitBot settings in SB3's terms (clip_range_vf = clip range, vf_coef = 0.5 * PPO2's)."""
    kwargs = (
        dict(
            n_steps=64,
            batch_size=128,
            n_epochs=1,
            clip_range=PPO2_CLIP_RANGE,
            clip_range_vf=PPO2_CLIP_RANGE,
            vf_coef=0.5 * PPO2_VF_COEF,
            ent_coef=0.0,
            maxent_coef=BETA,
            maxent_units=maxent_units,
            max_grad_norm=1e9,  # the gradient as computed, not clipped
            seed=3,
        )
        | overrides
    )
    model = MaxEntPPO("MlpPolicy", make_vec_env("CartPole-v1", n_envs=2, seed=3), **kwargs)
    twin = MaxEntPPO("MlpPolicy", make_vec_env("CartPole-v1", n_envs=2, seed=3), **kwargs)
    gradient: dict[str, th.Tensor] = {}
    rollout: dict[str, np.ndarray] = {}
    original_train = model.train

    def train() -> None:
        buffer = model.rollout_buffer
        for key in ("observations", "actions", "values", "log_probs", "advantages", "returns"):
            rollout[key] = getattr(buffer, key).reshape(128, -1).copy()
        with th.no_grad():  # (the value head moved since the rollout: value clipping acts)
            model.policy.value_net.bias += value_shift
        original_train()

    def capture_gradient() -> None:
        if not gradient:
            gradient.update({name: param.grad.clone() for name, param in model.policy.named_parameters()})

    model.train = train  # type: ignore[method-assign]
    model.policy.optimizer.step = capture_gradient  # type: ignore[method-assign]
    model.learn(128)
    return gradient, rollout, twin


def ppo2_edit_gradient(policy, rollout: dict[str, np.ndarray]) -> dict[str, th.Tensor]:
    """
    The paper's edit of Baselines' PPO2 (``ppo2/model.py`` at the commit train-procgen pins), written out literally:
    numpy normalizes the advantages before the graph, the graph adds ``beta * H(pi_theta(.|s))`` to them and (detached)
    to the returns, the value loss is ``0.5 * mean(max(unclipped, clipped))`` weighed by vf_coef.

    One deliberate difference: the advantages are normalized with the sample standard deviation (SB3's, ``ddof=1``)
    where PPO2's numpy takes the population one (``ddof=0``), a factor sqrt(n / (n - 1)) (1.001 at FruitBot's 512)
    that is SB3's, in PPO as in MaxEntPPO, not the max-ent edit's.
    """
    advantages = rollout["returns"][:, 0] - rollout["values"][:, 0]  # PPO2: advs = returns - values
    advantages = (advantages - advantages.mean()) / (advantages.std(ddof=1) + 1e-8)
    obs = th.as_tensor(rollout["observations"])
    actions = th.as_tensor(rollout["actions"][:, 0]).long()
    values, log_prob, entropy = policy.evaluate_actions(obs, actions)
    vpred, old_vpred = values.flatten(), th.as_tensor(rollout["values"][:, 0])
    adv = th.as_tensor(advantages) + BETA * entropy  # the edit: ADV + beta * H, gradient through H
    returns = th.as_tensor(rollout["returns"][:, 0]) + BETA * entropy.detach()  # R + beta * H, no gradient
    vpred_clipped = old_vpred + th.clamp(vpred - old_vpred, -PPO2_CLIP_RANGE, PPO2_CLIP_RANGE)
    vf_loss = 0.5 * th.mean(th.maximum((vpred - returns) ** 2, (vpred_clipped - returns) ** 2))
    ratio = th.exp(log_prob - th.as_tensor(rollout["log_probs"][:, 0]))
    pg_loss = th.mean(th.maximum(-adv * ratio, -adv * th.clamp(ratio, 1 - PPO2_CLIP_RANGE, 1 + PPO2_CLIP_RANGE)))
    loss = pg_loss - entropy.mean() * 0.0 + vf_loss * PPO2_VF_COEF  # ent_coef = 0 for the max-ent agent
    policy.optimizer.zero_grad()
    loss.backward()
    return {name: param.grad.clone() for name, param in policy.named_parameters()}


def test_advantage_units_are_the_papers_ppo2_edit():
    """One minibatch's gradient equals that of the paper's PPO2 edit, written out literally.

    On a rollout's first minibatch the new values equal the old ones, so SB3's clipped value loss and PPO2's
    max(unclipped, clipped) have the same value and gradient: the comparison covers the whole loss.
    """
    gradient, rollout, twin = first_minibatch_gradient("advantage")
    literal = ppo2_edit_gradient(twin.policy, rollout)
    assert gradient.keys() == literal.keys()
    for name in gradient:
        th.testing.assert_close(gradient[name], literal[name], rtol=1e-4, atol=1e-6, msg=name)
    # ... and reward units are not that edit (beta is divided by the advantages' std there)
    reward_gradient, _, _ = first_minibatch_gradient("reward")
    differences = [(reward_gradient[name] - literal[name]).norm() / literal[name].norm() for name in literal]
    assert max(differences) > 0.01


@pytest.mark.parametrize("value_shift", [0.5, -0.5])
def test_ppo2_value_clipping_is_ppo2s_value_loss(value_shift):
    """
    ``value_clip_mode="ppo2"``: with the value head moved past the clip range since the rollout (V - V_old = +-0.5,
    clip 0.2), one minibatch's gradient equals the literal PPO2 loss's, max(unclipped, clipped) included. CartPole's
    returns lie far above the untrained values: +0.5 moved V towards them (both forms: no value gradient), -0.5 away
    from them (PPO2 keeps the unclipped gradient, SB3's clipped loss has none).
    """
    gradient, rollout, twin = first_minibatch_gradient("advantage", value_shift, value_clip_mode="ppo2")
    with th.no_grad():
        twin.policy.value_net.bias += value_shift
    literal = ppo2_edit_gradient(twin.policy, rollout)
    for name in gradient:
        th.testing.assert_close(gradient[name], literal[name], rtol=1e-4, atol=1e-6, msg=name)
    assert (literal["value_net.bias"].abs().item() > 1e-3) == (value_shift < 0)
    sb3_gradient, _, _ = first_minibatch_gradient("advantage", value_shift)
    assert sb3_gradient["value_net.bias"].abs().item() == 0.0


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------
def test_old_net_arch_form_is_accepted_as_sb3_accepts_it():
    """SB3's ActorCriticPolicy still takes ``[dict(pi=..., vf=...)]``, with its deprecation warning: so do we."""
    with pytest.warns(UserWarning, match="net_arch"):
        model = MaxEntPPO("MlpPolicy", "CartPole-v1", policy_kwargs=dict(net_arch=[dict(vf=[8], pi=[4])]))
    assert model.policy.mlp_extractor.latent_dim_pi == 4 and model.policy.mlp_extractor.latent_dim_vf == 8


def test_unsupported_observation_space_is_named():
    with pytest.raises(ValueError, match="ImpalaCNN needs an image observation space"):
        MaxEntPPO("ImpalaCnnPolicy", "CartPole-v1")


# ---------------------------------------------------------------------------------------------
# Schedules, logging, the fork of SB3's update
# ---------------------------------------------------------------------------------------------
def test_exponential_schedule():
    schedule = ExponentialSchedule(0.3, 0.003)
    assert schedule(1.0) == pytest.approx(0.3)
    assert schedule(0.5) == pytest.approx(0.03)
    assert schedule(0.0) == pytest.approx(0.003)
    assert ExponentialSchedule(1.0, 0.1, end_fraction=0.5)(0.25) == pytest.approx(0.1)
    assert ExponentialSchedule.from_rate(1.0, np.log(2))(0.0) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        ExponentialSchedule(0.0, 0.1)
    with pytest.raises(ValueError):
        ExponentialSchedule(1.0, 0.1, end_fraction=0.0)


@pytest.mark.parametrize("mode", MODES)
def test_logged_temperature_follows_the_schedule(mode, tmp_path):
    model = MaxEntPPO(
        "MlpPolicy",
        "CartPole-v1",
        maxent_coef=ExponentialSchedule(1.0, 0.01),
        maxent_mode=mode,
        n_steps=64,
        batch_size=64,
        n_epochs=1,
    )
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(256)
    import pandas as pd

    log = pd.read_csv(tmp_path / "progress.csv")
    # SB3 dumps a row after each rollout, before training on it: row k holds the train values of rollout k - 1
    trained_timesteps = log["time/total_timesteps"].to_numpy()[:-1]
    np.testing.assert_allclose(log["train/maxent_coef"].to_numpy()[1:], 0.01 ** (trained_timesteps / 256), rtol=1e-6)
    assert {"train/entropy", "train/maxent_bonus", "train/maxent_share", "train/advantage_std"} <= set(log.columns)
    assert np.all(log["train/entropy"].to_numpy()[1:] > 0)


def test_train_is_a_small_fork_of_sb3s_ppo_train():
    """
    MaxEntPPO.train is SB3's PPO.train plus the marked max-ent lines: when SB3 changes its update, this fails and the
    fork is taken again from the new version (the docstring says which version it was taken from). Lines are compared
    without their indentation (the micro-batch loop indents SB3's loss computation by one level).
    """
    import difflib
    import inspect

    from stable_baselines3 import PPO

    ours, sb3 = ([line.strip() for line in inspect.getsource(f).splitlines()] for f in (MaxEntPPO.train, PPO.train))
    changed = [
        line
        for line in difflib.unified_diff(sb3, ours, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) <= 62, "\n".join(changed)

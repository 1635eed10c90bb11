"""SoftQL learning runs (slow: run with ``python -m pytest -m slow tests/test_softql_learning.py``)."""

import pytest
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

from sb3_maxent import SoftQL


@pytest.mark.slow
def test_cartpole_discrete_learns():
    # RL Zoo's DQN settings for CartPole, with the Boltzmann policy of temperature 0.3 instead of epsilon-greedy
    model = SoftQL(
        "MlpPolicy",
        "CartPole-v1",
        ent_coef=0.3,
        learning_rate=2.3e-3,
        batch_size=64,
        buffer_size=100_000,
        learning_starts=1000,
        target_update_interval=10,
        train_freq=256,
        gradient_steps=128,
        policy_kwargs={"net_arch": [256, 256]},
        seed=0,
    ).learn(50_000)
    mean_return, _ = evaluate_policy(model, make_vec_env("CartPole-v1", seed=100), n_eval_episodes=10, deterministic=True)
    assert mean_return >= 450  # 500 is the maximum
    mean_return, _ = evaluate_policy(model, make_vec_env("CartPole-v1", seed=100), n_eval_episodes=10, deterministic=False)
    assert mean_return >= 400  # the max-ent (stochastic) policy balances the pole too


@pytest.mark.slow
def test_pendulum_continuous_learns():
    # Reference network sizes and particles; Polyak averaging for a short run, temperature 0.1
    model = SoftQL(
        "MlpPolicy",
        "Pendulum-v1",
        ent_coef=0.1,
        learning_rate=1e-3,
        learning_starts=1000,
        tau=0.005,
        target_update_interval=1,
        seed=0,
    ).learn(15_000)
    mean_return, _ = evaluate_policy(model, make_vec_env("Pendulum-v1", seed=100), n_eval_episodes=10, deterministic=True)
    assert mean_return >= -300  # a random policy gets about -1200

"""soft_value_iteration against closed forms, up to discounts close to 1."""

import numpy as np
import pytest

from sb3_maxent import soft_value_iteration


@pytest.mark.parametrize("gamma", [0.9, 0.999, 0.9999])
def test_self_loop_matches_the_closed_form(gamma):
    """One state, three actions that all come back: V = alpha log sum_a exp(r_a / alpha) / (1 - gamma)."""
    rewards = np.array([[1.0, 0.5, -2.0]])
    alpha = 0.3
    solution = soft_value_iteration(np.ones((1, 3, 1)), rewards, gamma, alpha)
    expected = alpha * np.log(np.exp(rewards / alpha).sum()) / (1 - gamma)
    assert solution.values[0] == pytest.approx(expected, rel=1e-8)
    np.testing.assert_allclose(solution.policy[0], np.exp(rewards[0] / alpha) / np.exp(rewards[0] / alpha).sum())


def test_what_stops_it_is_named():
    with pytest.raises(RuntimeError, match=r"contracts by gamma = 0\.9999 per iteration: raise max_iterations or tol"):
        soft_value_iteration(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), 0.9999, 0.1, max_iterations=1000)
    # gamma = 1 without a terminal state never converges: the message says why
    with pytest.raises(RuntimeError, match="with gamma = 1 every policy must reach a terminal state"):
        soft_value_iteration(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), 1.0, 0.1, max_iterations=1000)

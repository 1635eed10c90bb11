"""
Optuna samplers for RL Zoo's ``-optimize`` (registered in ``rl_zoo3.hyperparams_opt.HYPERPARAMS_SAMPLER``).

Each sampler draws only the knobs that are specific to its algorithm, the maximum-entropy ones; everything else
comes from the hyperparameter file (e.g. the paper's FruitBot settings), as the temperature search of the MaxEntPPO
paper does. The names of the Optuna parameters are the names of the algorithm's arguments, so a trial's parameters
are its hyperparameters (:func:`convert_params` is the identity, used by ``--trial-id``).

To evaluate a grid of temperatures first (the paper's search), enqueue the grid in the study before the workers
start, see docs/zoo.md.
"""

from typing import Any

import optuna


def convert_params(sampled_params: dict[str, Any]) -> dict[str, Any]:
    """
    Hyperparameters from a trial's parameters (``--storage ... --study-name ... --trial-id``): the same dict,
    since the samplers name their parameters after the algorithm's arguments.

    :param sampled_params: ``trial.params``
    :return: A copy of it
    """
    return dict(sampled_params)


def sample_maxent_ppo_params(trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict) -> dict[str, Any]:
    """
    MaxEntPPO: the max-ent temperature beta (``maxent_coef``, log-uniform in [1e-3, 1]; the paper's FruitBot value is
    0.3) and the objective (``maxent_mode``: the paper's ``one_step`` approximation or exact ``soft_returns``).

    :param trial: The Optuna trial
    :param n_actions: Dimension of a Box action space (0 otherwise)
    :param n_envs: Number of environments
    :param additional_args: RL Zoo's extra arguments (unused)
    :return: Hyperparameters for ``MaxEntPPO``
    """
    return {
        "maxent_coef": trial.suggest_float("maxent_coef", 1e-3, 1.0, log=True),
        "maxent_mode": trial.suggest_categorical("maxent_mode", ["one_step", "soft_returns"]),
    }


def sample_dspg_params(trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict) -> dict[str, Any]:
    """
    DSPG: the temperature alpha (``ent_coef``, log-uniform in [0.01, 1]; paper 0.2), the number of sampled actions
    per state M (``n_action_samples``), the actor's gradient clipping norm (``max_grad_norm``, log-uniform in
    [0.05, 5], in the units of the alpha-scaled objective, see DSPG's docstring) and the per-state baseline.

    :param trial: The Optuna trial
    :param n_actions: Dimension of the Box action space
    :param n_envs: Number of environments
    :param additional_args: RL Zoo's extra arguments (unused)
    :return: Hyperparameters for ``DSPG``
    """
    return {
        "ent_coef": trial.suggest_float("ent_coef", 0.01, 1.0, log=True),
        "n_action_samples": trial.suggest_categorical("n_action_samples", [8, 16, 32, 64, 128]),
        "max_grad_norm": trial.suggest_float("max_grad_norm", 0.05, 5.0, log=True),
        "per_state_baseline": trial.suggest_categorical("per_state_baseline", [False, True]),
    }


def sample_softql_params(trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict) -> dict[str, Any]:
    """
    SoftQL: the temperature alpha (``ent_coef``, log-uniform in [1e-3, 1]; the reference code's reward scales 10-300
    are alpha = 0.1-0.0033) and, for Box actions (``n_actions > 0``), the particles: ``n_value_particles`` (uniform
    actions of the importance-sampled soft value), ``n_kernel_particles`` and ``kernel_update_ratio`` (SVGD).

    :param trial: The Optuna trial
    :param n_actions: Dimension of a Box action space (0 for Discrete actions, which have no particles)
    :param n_envs: Number of environments
    :param additional_args: RL Zoo's extra arguments (unused)
    :return: Hyperparameters for ``SoftQL``
    """
    params: dict[str, Any] = {"ent_coef": trial.suggest_float("ent_coef", 1e-3, 1.0, log=True)}
    if n_actions > 0:
        params["n_value_particles"] = trial.suggest_categorical("n_value_particles", [8, 16, 32, 64])
        params["n_kernel_particles"] = trial.suggest_categorical("n_kernel_particles", [8, 16, 32])
        params["kernel_update_ratio"] = trial.suggest_categorical("kernel_update_ratio", [0.25, 0.5, 0.75])
    return params

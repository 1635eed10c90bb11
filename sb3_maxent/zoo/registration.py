"""
Registration of sb3-maxent with RL Zoo: the algorithms, the default hyperparameter files, the Optuna samplers and
the additions to ``ExperimentManager``, and the fixes of :mod:`sb3_maxent.zoo.patches`.

RL Zoo (rl_zoo3 2.9) has no plugin mechanism; everything here is done at run time, in place, on the zoo's own
tables (``rl_zoo3.utils.ALGOS``, ``rl_zoo3.hyperparams_opt.HYPERPARAMS_SAMPLER`` / ``HYPERPARAMS_CONVERTER``) and
five methods of ``rl_zoo3.exp_manager.ExperimentManager``, each only when the zoo module concerned is imported
(``_sb3_maxent_post_import``). The installed zoo files are never modified.
"""

import functools
import importlib
import inspect
import warnings
from typing import Any

import yaml

from _sb3_maxent_post_import import when_imported
from sb3_maxent.zoo import patches
from sb3_maxent.zoo.algorithms import hyperparams_path, normalize_kwargs, zoo_aliases


def _env_ids_in(config: str) -> list[str] | None:
    if not str(config).endswith((".yml", ".yaml")):
        return None
    try:
        with open(config) as file:
            return [str(key) for key in yaml.safe_load(file) or {}]
    except (OSError, yaml.YAMLError):
        return None


def _patch_experiment_manager(exp_manager_module: Any) -> None:
    """
    Four additions to ``ExperimentManager``, which change nothing for an entry or command that does not use them:

    - ``config=None`` (no ``-conf``) for one of our aliases: use our shipped YAML instead of
      ``rl_zoo3/hyperparams/<algo>.yml``, which does not exist for them;
    - an ``eval_env_kwargs`` entry in a YAML (a key the zoo does not know, and would pass to the algorithm) sets the
      kwargs of the evaluation env unless ``--eval-env-kwargs`` is given (the Procgen test levels 500-999);
    - a ``gamma`` written in a YAML's ``normalize`` kwargs is the discount of ``VecNormalize``'s return estimate, as
      written (the zoo overwrites it with the algorithm's ``gamma``, so that an entry could not reproduce code whose
      reward normalization and algorithm discount differently, such as train-procgen's 0.99 and 0.999). Without
      one, the zoo's rule holds: the algorithm's ``gamma``.

    A YAML without the requested env gets an error message that lists the envs it has; ``-optimize`` whose every trial
    was pruned says so (:func:`_patch_all_pruned_message`).
    """
    cls = exp_manager_module.ExperimentManager
    if getattr(cls, "_sb3_maxent_patched", False):
        return
    original_init = cls.__init__
    original_read = cls.read_hyperparameters
    original_normalization = cls._preprocess_normalization
    init_signature = inspect.signature(original_init)

    @functools.wraps(original_init)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = init_signature.bind(self, *args, **kwargs)
        algo = bound.arguments.get("algo")
        aliases = zoo_aliases()
        if bound.arguments.get("config") is None and algo in aliases:
            bound.arguments["config"] = str(hyperparams_path(algo))
        original_init(*bound.args, **bound.kwargs)

    @functools.wraps(original_read)
    def read_hyperparameters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            hyperparams, saved_hyperparams = original_read(self)
        except ValueError as error:
            env_ids = _env_ids_in(self.config)
            if "Hyperparameters not found" not in str(error) or env_ids is None:
                raise
            raise ValueError(
                f"No hyperparameters for --algo {self.algo} --env {self.env_name.gym_id} in {self.config}: "
                f"it has entries for {', '.join(env_ids) or 'no env'}. Add an entry for the env to a copy of the file "
                "and pass it with -conf/--conf-file (--hyperparams overrides single values)."
            ) from error
        eval_env_kwargs = hyperparams.pop("eval_env_kwargs", None)
        if eval_env_kwargs is not None and getattr(self, "_eval_env_kwargs_args", None) is None:
            if not isinstance(eval_env_kwargs, dict):
                raise ValueError(f"eval_env_kwargs in {self.config} must be a mapping, got {eval_env_kwargs!r}")
            self.eval_env_kwargs = dict(eval_env_kwargs)
        return hyperparams, saved_hyperparams

    @functools.wraps(original_normalization)
    def _preprocess_normalization(self, hyperparams: dict[str, Any]) -> dict[str, Any]:
        vec_normalize_kwargs = normalize_kwargs(hyperparams)
        hyperparams = original_normalization(self, hyperparams)
        if vec_normalize_kwargs is not None:
            self.normalize_kwargs = vec_normalize_kwargs
        return hyperparams

    cls.__init__ = __init__
    cls.read_hyperparameters = read_hyperparameters
    cls._preprocess_normalization = _preprocess_normalization
    _patch_all_pruned_message(cls)
    cls._sb3_maxent_patched = True


def _patch_all_pruned_message(cls: Any) -> None:
    """
    ``-optimize`` whose every trial was pruned ends with a message that says so and why (the last trial's error, e.g.
    a non-finite update, also kept in each pruned trial's ``pruned_because`` user attribute in the storage) and exit
    status 1, instead of Optuna's bare ``ValueError`` from ``study.best_trial`` ("Record does not exist").

    :param cls: RL Zoo's ``ExperimentManager``
    """
    import optuna  # (the zoo's experiment manager imports it)

    original_objective = cls.objective
    original_optimization = cls.hyperparameters_optimization

    @functools.wraps(original_objective)
    def objective(self, trial: Any) -> float:
        try:
            value = original_objective(self, trial)
        except optuna.exceptions.TrialPruned as pruned:
            self._sb3_maxent_pruned_reasons = [*getattr(self, "_sb3_maxent_pruned_reasons", []), _pruned_because(pruned)]
            trial.set_user_attr("pruned_because", self._sb3_maxent_pruned_reasons[-1][:1000])
            raise
        self._sb3_maxent_completed = getattr(self, "_sb3_maxent_completed", 0) + 1
        return value

    @functools.wraps(original_optimization)
    def hyperparameters_optimization(self) -> None:
        try:
            original_optimization(self)
        except ValueError as error:
            reasons = getattr(self, "_sb3_maxent_pruned_reasons", [])
            if getattr(self, "_sb3_maxent_completed", 0) > 0 or not reasons:
                raise
            hint = (
                " A non-finite update usually comes from NaN/inf observations or rewards, or too high a learning rate."
                if "NonFiniteError" in reasons[-1]
                else ""
            )
            raise SystemExit(
                f"-optimize: all {len(reasons)} trial(s) of this run were pruned, so the study has no completed trial and "
                f"no best one (Optuna: {error}). The last trial was pruned because: {reasons[-1]}\nThe trials are kept "
                f"in the study (storage), each with its reason in the user attribute 'pruned_because'.{hint}"
            ) from error

    cls.objective = objective
    cls.hyperparameters_optimization = hyperparameters_optimization


def _pruned_because(pruned: BaseException) -> str:
    """Why RL Zoo pruned a trial: the error it pruned on (a ``ValueError``, e.g. a non-finite update), or its pruner."""
    cause = pruned.__cause__
    if cause is None:
        return "the pruner stopped it (its evaluations were not promising)"
    return f"{type(cause).__name__}: {cause}"


def _add_samplers(hyperparams_opt_module: Any) -> None:
    from sb3_maxent.zoo import hyperparams_opt  # (imports optuna: only once the zoo's own sampler module is imported)

    for alias, algorithm in zoo_aliases().items():
        hyperparams_opt_module.HYPERPARAMS_SAMPLER.setdefault(alias, getattr(hyperparams_opt, algorithm.sampler))
        hyperparams_opt_module.HYPERPARAMS_CONVERTER.setdefault(alias, getattr(hyperparams_opt, algorithm.converter))


_registered: dict[str, type] = {}


def register(eager: bool = False) -> dict[str, type]:
    """
    Register sb3-maxent's algorithms with RL Zoo (idempotent): ``rl_zoo3.utils.ALGOS`` gets ``maxent_ppo``,
    ``dspg``, ``softql`` (and the Hub alias ``maxentppo``), and, as soon as the zoo modules concerned are
    imported, the Optuna samplers, the default hyperparameter files and the fixes of :mod:`sb3_maxent.zoo.patches`.

    The ``.pth`` hook calls this when ``rl_zoo3`` is imported; ``python -m sb3_maxent.train`` calls it explicitly.

    :param eager: Import the zoo modules concerned now instead of waiting for them to be imported
    :return: The registered aliases and their classes
    """
    try:
        from rl_zoo3.utils import ALGOS
    except ImportError as error:
        raise ImportError(
            'RL Zoo is not installed: run `pip install "sb3-maxent[zoo]"` (in a clone of the repository: '
            '`pip install ".[zoo]"`)'
        ) from error

    for alias, algorithm in zoo_aliases().items():
        if alias in ALGOS and ALGOS[alias] is _registered.get(alias):
            continue
        try:
            algorithm_class = algorithm.load_class()
        except (ImportError, AttributeError) as error:
            warnings.warn(f"sb3-maxent: {algorithm.class_path} is unavailable for RL Zoo ({error})", RuntimeWarning)
            continue
        if alias in ALGOS and ALGOS[alias] is not algorithm_class:
            warnings.warn(f"sb3-maxent: RL Zoo already has an algorithm {alias!r} ({ALGOS[alias]}), kept", RuntimeWarning)
            continue
        ALGOS[alias] = algorithm_class
        _registered[alias] = algorithm_class

    when_imported("rl_zoo3.hyperparams_opt", _add_samplers)
    when_imported("rl_zoo3.exp_manager", _patch_experiment_manager)
    patches.install()
    if eager:
        for name in ("rl_zoo3.hyperparams_opt", "rl_zoo3.exp_manager"):
            importlib.import_module(name)
    return dict(_registered)

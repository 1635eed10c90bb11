"""
Registration of sb3-maxent with RL Zoo: algorithms, default hyperparameter files, Optuna samplers, Hub fixes.

RL Zoo (rl_zoo3 2.9) has no plugin mechanism; everything here is done at run time, in place, on the zoo's own
tables (``rl_zoo3.utils.ALGOS``, ``rl_zoo3.hyperparams_opt.HYPERPARAMS_SAMPLER`` / ``HYPERPARAMS_CONVERTER``) and
two methods of ``rl_zoo3.exp_manager.ExperimentManager``, each only when the zoo module concerned is imported.
The installed zoo files are never modified.
"""

import functools
import importlib
import inspect
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HYPERPARAMS_DIR = Path(__file__).resolve().parent.parent / "hyperparams"


@dataclass(frozen=True)
class ZooAlgorithm:
    """
    One algorithm of sb3-maxent as RL Zoo knows it. Adding an algorithm to the zoo is one entry of
    :data:`ZOO_ALGORITHMS` (plus its ``hyperparams/<alias>.yml`` and its sampler).

    :param alias: The zoo's name, ``--algo <alias>`` (also the name of the YAML file and of the log folder)
    :param class_path: ``"module:ClassName"`` of the algorithm, imported when the zoo is
    :param sampler: Name of the Optuna sampler in :mod:`sb3_maxent.zoo.hyperparams_opt`
    :param converter: Name of the function of :mod:`sb3_maxent.zoo.hyperparams_opt` that turns a trial's
        parameters into hyperparameters (``--trial-id``)
    """

    alias: str
    class_path: str
    sampler: str
    converter: str = "convert_params"

    def load_class(self) -> type:
        """Import the algorithm class."""
        module_name, class_name = self.class_path.split(":")
        return getattr(importlib.import_module(module_name), class_name)

    @property
    def class_name(self) -> str:
        return self.class_path.split(":")[1]

    @property
    def hub_alias(self) -> str:
        """
        The alias the zoo reads back from a Hub model card, ``model-index[0].name.lower()``
        (the card is named after the class: ``MaxEntPPO`` -> ``maxentppo``).
        """
        return self.class_name.lower()


ZOO_ALGORITHMS: tuple[ZooAlgorithm, ...] = (
    ZooAlgorithm("maxent_ppo", "sb3_maxent.maxent_ppo:MaxEntPPO", "sample_maxent_ppo_params"),
    ZooAlgorithm("dspg", "sb3_maxent.dspg:DSPG", "sample_dspg_params"),
    ZooAlgorithm("softql", "sb3_maxent.softql:SoftQL", "sample_softql_params"),
)


def zoo_aliases() -> dict[str, ZooAlgorithm]:
    """Every zoo alias of sb3-maxent (``--algo`` names and the Hub aliases) -> its algorithm."""
    aliases: dict[str, ZooAlgorithm] = {}
    for algorithm in ZOO_ALGORITHMS:
        aliases[algorithm.alias] = algorithm
        aliases.setdefault(algorithm.hub_alias, algorithm)
    return aliases


def shipped_hyperparams() -> dict[str, Path]:
    """Names (``maxent_ppo``, ``ppo``, ...) and paths of the hyperparameter files shipped with sb3-maxent."""
    return {path.stem: path for path in sorted(HYPERPARAMS_DIR.glob("*.yml"))}


def hyperparams_path(algo: str) -> Path:
    """
    Path of a hyperparameter file shipped with sb3-maxent, for RL Zoo's ``-conf`` / ``--conf-file``.

    Our algorithms (``maxent_ppo``, ``dspg``, ``softql``, and the Hub alias ``maxentppo``) find theirs without
    ``-conf``; the baselines (``ppo`` for FruitBot, ``sac`` for the MuJoCo v5 tasks) need it, e.g.
    ``python -m rl_zoo3.train --algo ppo --env procgen/fruitbot-v0 -conf "$(python -c 'from sb3_maxent.zoo import
    hyperparams_path; print(hyperparams_path("ppo"))')"``.

    :param algo: The zoo alias of the algorithm
    :return: The path of ``<algo>.yml``
    """
    files = shipped_hyperparams()
    aliases = zoo_aliases()
    name = aliases[algo].alias if algo in aliases else algo
    if name not in files:
        raise ValueError(f"sb3-maxent ships no hyperparameters for {algo!r}: it has {', '.join(files)} (in {HYPERPARAMS_DIR})")
    return files[name]


# Keys of RL Zoo's files that are not arguments of the algorithm
ZOO_ONLY_KEYS = frozenset(
    {
        "n_timesteps",
        "n_envs",
        "policy",
        "normalize",
        "env_kwargs",
        "eval_env_kwargs",
        "vec_env_wrapper",
        "env_wrapper",
        "frame_stack",
        "callback",
        "monitor_kwargs",
        "normalize_kwargs",
    }
)


def read_entry(path: str | Path, env_id: str) -> dict[str, Any]:
    """
    One entry of an RL Zoo hyperparameter file, as written (``lin_0.001`` and ``policy_kwargs`` strings kept).

    :param path: The YAML file, e.g. ``hyperparams_path("maxent_ppo")``
    :param env_id: The entry
    :return: A copy of the entry
    """
    with open(path) as file:
        entries = yaml.safe_load(file) or {}
    if env_id not in entries:
        raise KeyError(f"{path} has no entry for {env_id}: it has {', '.join(map(str, entries)) or 'none'}")
    return dict(entries[env_id])


def algorithm_kwargs(hyperparams: dict[str, Any]) -> dict[str, Any]:
    """
    The keyword arguments of the algorithm in an RL Zoo entry, as the zoo builds them: the zoo's own keys
    (:data:`ZOO_ONLY_KEYS`) and private ``_``-keys left out, ``lin_<x>`` strings turned into linear schedules from x
    to 0, a ``policy_kwargs`` string evaluated (with ``nn`` = ``torch.nn``).

    :param hyperparams: One entry (see :func:`read_entry`)
    :return: The algorithm's keyword arguments
    """
    import torch as th
    from stable_baselines3.common.utils import LinearSchedule

    kwargs = {}
    for key, value in hyperparams.items():
        if key in ZOO_ONLY_KEYS or key.startswith("_"):
            continue
        if isinstance(value, str) and value.startswith("lin_"):
            value = LinearSchedule(float(value[4:]), 0.0, 1.0)
        elif key == "policy_kwargs" and isinstance(value, str):
            value = eval(value, {"nn": th.nn, "dict": dict})  # as RL Zoo does
        kwargs[key] = value
    return kwargs


def normalize_kwargs(hyperparams: dict[str, Any]) -> dict[str, Any] | None:
    """
    The ``VecNormalize`` keyword arguments of an RL Zoo entry, as sb3-maxent's zoo builds them: the entry's
    ``normalize`` (``true``, a mapping, or a string such as ``"dict(norm_obs=False, gamma=0.99)"``, evaluated as the zoo
    does), with the discount of the return estimate set to the algorithm's ``gamma`` unless ``normalize`` gives one.

    :param hyperparams: One entry of a hyperparameter file (as read from the YAML)
    :return: The keyword arguments, or ``None`` when the entry does not normalize
    """
    normalize = hyperparams.get("normalize", False)
    if isinstance(normalize, str):
        normalize = eval(normalize, {"dict": dict})  # as RL Zoo does with this key
    if normalize is False:
        return None
    if normalize is not True and not isinstance(normalize, dict):
        raise ValueError(f"normalize must be true, false, a mapping or a dict(...) string, got {normalize!r}")
    kwargs = dict(normalize) if isinstance(normalize, dict) else {}
    if "gamma" in hyperparams:
        kwargs.setdefault("gamma", hyperparams["gamma"])
    return kwargs


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
    Three additions to ``ExperimentManager``, which change nothing for an entry or command that does not use them:

    - ``config=None`` (no ``-conf``) for one of our aliases: use our shipped YAML instead of
      ``rl_zoo3/hyperparams/<algo>.yml``, which does not exist for them;
    - an ``eval_env_kwargs`` entry in a YAML (a key the zoo does not know, and would pass to the algorithm) sets the
      kwargs of the evaluation env unless ``--eval-env-kwargs`` is given (the Procgen test levels 500-999);
    - a ``gamma`` written in a YAML's ``normalize`` kwargs is the discount of ``VecNormalize``'s return estimate, as
      written (the zoo overwrites it with the algorithm's ``gamma``, so that an entry could not reproduce code whose
      reward normalization and algorithm discount differently, such as train-procgen's 0.99 and 0.999). Without
      one, the zoo's rule holds: the algorithm's ``gamma``.

    A YAML without the requested env gets an error message that lists the envs it has.
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
    cls._sb3_maxent_patched = True


def _add_samplers(hyperparams_opt_module: Any) -> None:
    from sb3_maxent.zoo import hyperparams_opt

    for alias, algorithm in zoo_aliases().items():
        hyperparams_opt_module.HYPERPARAMS_SAMPLER.setdefault(alias, getattr(hyperparams_opt, algorithm.sampler))
        hyperparams_opt_module.HYPERPARAMS_CONVERTER.setdefault(alias, getattr(hyperparams_opt, algorithm.converter))


def _when_imported(fullname: str, callback: Any) -> None:
    try:
        from _sb3_maxent_zoo_hook import when_imported
    except ImportError:  # pragma: no cover (the module is installed with the package)
        callback(importlib.import_module(fullname))
    else:
        when_imported(fullname, callback)


_registered: dict[str, type] = {}


def register(eager: bool = False) -> dict[str, type]:
    """
    Register sb3-maxent's algorithms with RL Zoo (idempotent): ``rl_zoo3.utils.ALGOS`` gets ``maxent_ppo``,
    ``dspg``, ``softql`` (and the Hub alias ``maxentppo``), and, as soon as the zoo modules concerned are
    imported, the Optuna samplers, the default hyperparameter files and the Hub fixes of :mod:`sb3_maxent.zoo.hub`.

    The ``.pth`` hook calls this when ``rl_zoo3`` is imported; ``python -m sb3_maxent.train`` calls it explicitly.

    :param eager: Import the zoo modules concerned now instead of waiting for them to be imported
    :return: The registered aliases and their classes
    """
    try:
        from rl_zoo3.utils import ALGOS
    except ImportError as error:
        raise ImportError('RL Zoo is not installed: run `pip install "sb3-maxent[zoo]"`') from error

    from sb3_maxent.zoo import hub

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

    _when_imported("rl_zoo3.hyperparams_opt", _add_samplers)
    _when_imported("rl_zoo3.exp_manager", _patch_experiment_manager)
    hub.install_fixes()
    if eager:
        for name in ("rl_zoo3.hyperparams_opt", "rl_zoo3.exp_manager"):
            importlib.import_module(name)
    return dict(_registered)

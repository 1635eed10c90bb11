"""
sb3-maxent's algorithms as RL Zoo knows them, and the hyperparameter files shipped with the package: the table of
algorithms (:data:`ZOO_ALGORITHMS`), where each file is, and how an entry of a file becomes the algorithm's
arguments. Nothing here touches RL Zoo (see :mod:`sb3_maxent.zoo.registration`).
"""

import importlib
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

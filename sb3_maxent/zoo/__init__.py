"""
RL Zoo and Hugging Face Hub integration of sb3-maxent.

With ``sb3-maxent[zoo]`` installed, ``python -m rl_zoo3.train --algo maxent_ppo --env procgen/fruitbot-v0`` (and
``--algo dspg``, ``--algo softql``, ``rl_zoo3.enjoy``, ``-optimize``, the Hub commands) works with RL Zoo
unmodified: a ``.pth`` post-import hook calls :func:`register` when ``rl_zoo3`` is imported
(``SB3_MAXENT_NO_ZOO_HOOK=1`` turns it off; ``python -m sb3_maxent.train`` / ``python -m sb3_maxent.enjoy`` do the same
explicitly). See docs/zoo.md and docs/hub.md.

Importing this module does not import RL Zoo.
"""

from sb3_maxent.zoo.algorithms import (
    HYPERPARAMS_DIR,
    ZOO_ALGORITHMS,
    ZOO_ONLY_KEYS,
    ZooAlgorithm,
    algorithm_kwargs,
    hyperparams_path,
    normalize_kwargs,
    read_entry,
    shipped_hyperparams,
    zoo_aliases,
)
from sb3_maxent.zoo.registration import register

__all__ = [
    "HYPERPARAMS_DIR",
    "ZOO_ALGORITHMS",
    "ZOO_ONLY_KEYS",
    "ZooAlgorithm",
    "algorithm_kwargs",
    "hyperparams_path",
    "normalize_kwargs",
    "read_entry",
    "register",
    "shipped_hyperparams",
    "zoo_aliases",
]

"""
Environment adapters: Procgen for Gymnasium (``procgen/<game>-v0``) and SB3 (:class:`ProcgenVecEnv`).

``import sb3_maxent`` only registers the ids: the classes load on first use, and ``procgen`` itself when a game
is created (a missing install then raises an ``ImportError`` saying ``pip install "sb3-maxent[procgen]"``).
"""

import importlib
from typing import TYPE_CHECKING, Any

from sb3_maxent.envs.registration import PROCGEN_GAMES, register_envs

if TYPE_CHECKING:
    from sb3_maxent.envs.procgen import PROCGEN_DISTRIBUTION_MODES, LevelSplit, ProcgenEnv, procgen_level_split
    from sb3_maxent.envs.procgen_vec_env import ProcgenVecEnv, make_procgen_vec_env

# Public name -> module that defines it, imported on first access (PEP 562)
_LAZY_NAMES = {
    "PROCGEN_DISTRIBUTION_MODES": "sb3_maxent.envs.procgen",
    "LevelSplit": "sb3_maxent.envs.procgen",
    "ProcgenEnv": "sb3_maxent.envs.procgen",
    "procgen_level_split": "sb3_maxent.envs.procgen",
    "ProcgenVecEnv": "sb3_maxent.envs.procgen_vec_env",
    "make_procgen_vec_env": "sb3_maxent.envs.procgen_vec_env",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_NAMES))


__all__ = [
    "PROCGEN_DISTRIBUTION_MODES",
    "PROCGEN_GAMES",
    "LevelSplit",
    "ProcgenEnv",
    "ProcgenVecEnv",
    "make_procgen_vec_env",
    "procgen_level_split",
    "register_envs",
]

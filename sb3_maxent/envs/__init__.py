"""
Environment adapters: Procgen for Gymnasium (``procgen/<game>-v0``) and SB3 (:class:`ProcgenVecEnv`).

``import sb3_maxent`` registers the ids; ``procgen`` itself is imported when a game is created (a missing install then
raises an ``ImportError`` saying ``pip install "sb3-maxent[procgen]"``). The adapters' modules are imported with the
package: 4 ms of its 1.5-2 s (``python -X importtime -c "import sb3_maxent"``), so nothing is deferred.
"""

from sb3_maxent.envs.procgen import PROCGEN_DISTRIBUTION_MODES, LevelSplit, ProcgenEnv, procgen_level_split
from sb3_maxent.envs.procgen_vec_env import ProcgenVecEnv, make_procgen_vec_env
from sb3_maxent.envs.registration import PROCGEN_GAMES, register_envs

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

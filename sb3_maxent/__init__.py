"""sb3-maxent: maximum-entropy reinforcement learning algorithms for Stable-Baselines3."""

import os

from sb3_maxent.common.schedules import ExponentialSchedule
from sb3_maxent.common.tabular import SoftValueSolution, TabularMDPEnv, soft_value_iteration
from sb3_maxent.dspg import DSPG
from sb3_maxent.envs import register_envs
from sb3_maxent.maxent_ppo import MaxEntPPO
from sb3_maxent.softql import SoftQL, compose_soft_q

# Read version from file
version_file = os.path.join(os.path.dirname(__file__), "version.txt")
with open(version_file) as file_handler:
    __version__ = file_handler.read().strip()

# Gymnasium ids (e.g. ``procgen/fruitbot-v0``) are registered on import; this is cheap
# (entry points are strings, procgen itself is only imported when an env is made).
register_envs()

__all__ = [
    "DSPG",
    "ExponentialSchedule",
    "MaxEntPPO",
    "SoftQL",
    "SoftValueSolution",
    "TabularMDPEnv",
    "__version__",
    "compose_soft_q",
    "soft_value_iteration",
]

"""
``python -m sb3_maxent.enjoy``: RL Zoo's ``python -m rl_zoo3.enjoy`` with sb3-maxent's algorithms registered explicitly,
for installs where the ``.pth`` hook is off (``SB3_MAXENT_NO_ZOO_HOOK=1``). Same arguments, see docs/zoo.md.
"""

from sb3_maxent.zoo._cli import run_zoo_command

if __name__ == "__main__":
    run_zoo_command("rl_zoo3.enjoy")

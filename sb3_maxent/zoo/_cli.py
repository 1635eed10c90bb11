"""Run one of RL Zoo's commands with sb3-maxent registered explicitly (no need for the ``.pth`` hook)."""

import runpy
import sys


def run_zoo_command(module: str) -> None:
    """
    Register sb3-maxent with RL Zoo, then run ``python -m <module>`` with this process's arguments.

    :param module: The zoo's command module, e.g. ``"rl_zoo3.train"``
    """
    from sb3_maxent.zoo import register

    register(eager=True)
    sys.argv[0] = module
    runpy.run_module(module, run_name="__main__", alter_sys=True)

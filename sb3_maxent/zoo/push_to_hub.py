"""
``python -m sb3_maxent.zoo.push_to_hub``: ``python -m rl_zoo3.push_to_hub`` (same arguments) with sb3-maxent
registered explicitly, Hub fixes included (for installs where the ``.pth`` hook is off).
"""

from sb3_maxent.zoo._cli import run_zoo_command

if __name__ == "__main__":
    run_zoo_command("rl_zoo3.push_to_hub")

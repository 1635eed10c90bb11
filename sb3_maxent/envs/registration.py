"""Gymnasium ids of the Procgen games. Cheap on purpose: ``import sb3_maxent`` runs this."""

import gymnasium as gym

# procgen.env.ENV_NAMES (copied so that listing and registering the games does not import procgen)
PROCGEN_GAMES: tuple[str, ...] = (
    "bigfish",
    "bossfight",
    "caveflyer",
    "chaser",
    "climber",
    "coinrun",
    "dodgeball",
    "fruitbot",
    "heist",
    "jumper",
    "leaper",
    "maze",
    "miner",
    "ninja",
    "plunder",
    "starpilot",
)


def register_envs() -> None:
    """
    Register ``procgen/<game>-v0`` for the 16 Procgen games in Gymnasium's registry (idempotent and cheap:
    the entry point is a string, so neither the env class nor procgen is loaded until ``gym.make``).
    The env kwargs are :class:`~sb3_maxent.envs.ProcgenEnv`'s (Procgen's options, ``render_mode``, ``render_hires``).
    """
    for game in PROCGEN_GAMES:
        env_id = f"procgen/{game}-v0"
        if env_id not in gym.registry:
            # Procgen ends its episodes itself (each game has its own step limit): no TimeLimit wrapper
            gym.register(id=env_id, entry_point="sb3_maxent.envs.procgen:ProcgenEnv", kwargs={"game": game})

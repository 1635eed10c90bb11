from sb3_maxent.maxent_ppo.maxent_ppo import MaxEntPPO

__all__ = ["MaxEntPPO"]

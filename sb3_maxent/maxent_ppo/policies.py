from stable_baselines3.common.policies import ActorCriticCnnPolicy, ActorCriticPolicy, MultiInputActorCriticPolicy

from sb3_maxent.common.policies import ImpalaCnnPolicy

# MaxEntPPO changes the objective, not the networks: it uses SB3's actor-critic policies.
MlpPolicy = ActorCriticPolicy
CnnPolicy = ActorCriticCnnPolicy
MultiInputPolicy = MultiInputActorCriticPolicy

__all__ = ["CnnPolicy", "ImpalaCnnPolicy", "MlpPolicy", "MultiInputPolicy"]

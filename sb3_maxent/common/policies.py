"""Policy classes shared by the on-policy algorithms."""

from typing import Any

from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticCnnPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.type_aliases import Schedule

from sb3_maxent.common.torch_layers import ImpalaCNN


class ImpalaCnnPolicy(ActorCriticCnnPolicy):
    """
    Actor-critic policy on the IMPALA CNN (shared features for actor and critic, as in the Procgen
    paper and the on-policy max-ent paper, "On-Policy Maximum Entropy Deep Reinforcement Learning"). It is SB3's
    ``ActorCriticCnnPolicy`` with ``features_extractor_class=ImpalaCNN``, so it works with SB3's ``PPO``/``A2C`` as
    well as with ``MaxEntPPO``::

        PPO(ImpalaCnnPolicy, env)            # SB3 PPO
        MaxEntPPO("ImpalaCnnPolicy", env)    # alias

    All arguments are those of ``ActorCriticCnnPolicy``; two defaults differ: the features extractor, and
    ``net_arch=[]``: the action and value heads are linear layers on the 256 shared features, as in the Procgen
    paper's network (Baselines' ``build_impala_cnn`` with PPO2's linear policy and value heads). SB3 gives that default
    to ``NatureCNN`` only; any other extractor gets two separate 64-unit tanh layers for each head
    (``dict(pi=[64, 64], vf=[64, 64])``), which is what ``ActorCriticCnnPolicy`` with
    ``features_extractor_class=ImpalaCNN`` still builds.

    The trunk's arithmetic precision: ``features_extractor_kwargs=dict(precision="bfloat16")`` (see :class:`ImpalaCNN`).
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        features_extractor_class: type[BaseFeaturesExtractor] = ImpalaCNN,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch=[] if net_arch is None else net_arch,
            features_extractor_class=features_extractor_class,
            **kwargs,
        )

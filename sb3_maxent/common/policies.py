"""Policy classes shared by the on-policy algorithms."""

from typing import Any

import torch as th
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticCnnPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.type_aliases import Schedule

from sb3_maxent.common.torch_layers import ImpalaCNN

# ``trunk_init`` of ImpalaCnnPolicy: how the features extractor's convolutions and linear layers are initialized
TRUNK_INITS = ("orthogonal", "glorot_uniform")


def glorot_uniform_init(module: th.nn.Module) -> None:
    """
    TensorFlow's default initialization of a convolution or dense layer (``kernel_initializer=None``): Glorot-uniform
    weights (fan-in and fan-out counted over the receptive field) and zero biases. Other modules are left as they are.

    :param module: A module, e.g. as visited by ``nn.Module.apply``
    """
    if isinstance(module, (th.nn.Linear, th.nn.Conv2d)):
        th.nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            th.nn.init.zeros_(module.bias)


class ImpalaCnnPolicy(ActorCriticCnnPolicy):
    """
    Actor-critic policy on the IMPALA CNN (shared features for actor and critic, as in the Procgen
    paper and the on-policy max-ent paper, "On-Policy Maximum Entropy Deep Reinforcement Learning"). It is SB3's
    ``ActorCriticCnnPolicy`` with ``features_extractor_class=ImpalaCNN``, so it works with SB3's ``PPO``/``A2C`` as
    well as with ``MaxEntPPO``::

        PPO(ImpalaCnnPolicy, env)            # SB3 PPO
        MaxEntPPO("ImpalaCnnPolicy", env)    # alias

    The arguments are those of ``ActorCriticCnnPolicy`` and ``trunk_init``; two defaults differ: the features extractor, and
    ``net_arch=[]``: the action and value heads are linear layers on the 256 shared features, as in the Procgen
    paper's network (Baselines' ``build_impala_cnn`` with PPO2's linear policy and value heads). SB3 gives that default
    to ``NatureCNN`` only; any other extractor gets two separate 64-unit tanh layers for each head
    (``dict(pi=[64, 64], vf=[64, 64])``), which is what ``ActorCriticCnnPolicy`` with
    ``features_extractor_class=ImpalaCNN`` still builds.

    The trunk's arithmetic precision: ``features_extractor_kwargs=dict(precision="bfloat16")`` (see :class:`ImpalaCNN`).

    :param trunk_init: How the features extractor's layers are initialized. ``"orthogonal"`` (default): SB3's
        ``ortho_init``, orthogonal weights with gain sqrt(2) and zero biases (nothing changes with ``ortho_init=False``:
        PyTorch's defaults stay). ``"glorot_uniform"``: Baselines' ``build_impala_cnn``, which has TensorFlow's default
        initialization, Glorot-uniform weights and zero biases, for its convolutions and its 256-unit layer (as in
        the code of the Procgen paper and of the on-policy max-ent paper). The action and value heads keep SB3's
        orthogonal initialization (gains 0.01 and 1, as PPO2's heads) either way.
    :param kwargs: The other arguments of ``ActorCriticCnnPolicy``
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        features_extractor_class: type[BaseFeaturesExtractor] = ImpalaCNN,
        trunk_init: str = "orthogonal",
        **kwargs: Any,
    ) -> None:
        if trunk_init not in TRUNK_INITS:
            raise ValueError(f"Unknown trunk_init {trunk_init!r} for ImpalaCnnPolicy: expected one of {TRUNK_INITS}")
        self.trunk_init = trunk_init
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch=[] if net_arch is None else net_arch,
            features_extractor_class=features_extractor_class,
            **kwargs,
        )
        if trunk_init == "glorot_uniform":
            # in place, after SB3's orthogonal initialization: the optimizer already holds these parameters
            with th.no_grad():
                self.pi_features_extractor.apply(glorot_uniform_init)
                if self.vf_features_extractor is not self.pi_features_extractor:  # share_features_extractor=False
                    self.vf_features_extractor.apply(glorot_uniform_init)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return super()._get_constructor_parameters() | dict(trunk_init=self.trunk_init)

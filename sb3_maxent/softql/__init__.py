from sb3_maxent.softql.composition import ComposedSoftQPolicy, compose_soft_q
from sb3_maxent.softql.policies import (
    ContinuousCnnPolicy,
    ContinuousImpalaCnnPolicy,
    ContinuousMultiInputPolicy,
    ContinuousSoftQLPolicy,
    DiscreteCnnPolicy,
    DiscreteImpalaCnnPolicy,
    DiscreteMultiInputPolicy,
    DiscreteSoftQLPolicy,
)
from sb3_maxent.softql.softql import SoftQL

__all__ = [
    "ComposedSoftQPolicy",
    "ContinuousCnnPolicy",
    "ContinuousImpalaCnnPolicy",
    "ContinuousMultiInputPolicy",
    "ContinuousSoftQLPolicy",
    "DiscreteCnnPolicy",
    "DiscreteImpalaCnnPolicy",
    "DiscreteMultiInputPolicy",
    "DiscreteSoftQLPolicy",
    "SoftQL",
    "compose_soft_q",
]

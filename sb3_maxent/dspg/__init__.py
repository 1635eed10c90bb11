from sb3_maxent.dspg.dspg import DSPG
from sb3_maxent.dspg.policies import CnnPolicy, MlpPolicy, MultiInputPolicy

__all__ = ["DSPG", "CnnPolicy", "MlpPolicy", "MultiInputPolicy"]

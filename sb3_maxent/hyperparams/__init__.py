"""RL Zoo hyperparameter files of sb3-maxent (data only: see ``sb3_maxent.zoo.hyperparams_path``)."""

"""
Maintenance scripts of the source repository (the Hub agents); not part of the installed package. Run each from the
repository's root as a module, e.g. ``python -m scripts.train_hub_agents``.
"""

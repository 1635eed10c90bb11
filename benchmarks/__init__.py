"""
sb3-maxent's benchmarks: speed against SB3 and the plain-PyTorch floor, and the learning comparisons of
docs/results.md. Not part of the installed package; run each from the repository's root as a module, e.g.
``python -m benchmarks.throughput --quick`` or ``python -m benchmarks.learning --help``.
"""

import torch as th

# The test networks are tiny: one thread is faster than two and keeps parallel runs from oversubscribing the cores.
th.set_num_threads(1)

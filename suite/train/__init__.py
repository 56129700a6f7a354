"""Training: the stacked engine, its compiled step and CUDA-graph replay, checkpoints, seeds,
and the run cache of finished results.

- ``engine``: members, stacks, forward and evaluation; ``steps``: the optimizer step (eager or
  compiled); ``replay``: fixed-buffer epochs and CUDA graphs; ``training``: ``train``.
- ``seeds``: seed sets and each seed's training subset; ``checkpoints``: resumable state.
- ``frames``: ``ExperimentResult``, what an experiment returns; ``cache``: the run cache.

May import: ``suite.data``, ``suite.profiles``.
"""

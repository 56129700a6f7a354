"""Training: the stacked engine, its compiled step and CUDA-graph replay, checkpoints, seeds,
and the run cache of finished results.

- ``engine``: members, stacks, forward and evaluation; ``steps``: the optimizer step (eager or
  compiled); ``replay``: fixed-buffer epochs and CUDA graphs; ``training``: ``train``.
- ``models``: the model seam (``Model``: the built-in ``MLP``, any ``nn.Module`` as a
  ``FuncModel``, ``register_model`` / ``model_named``); ``generic``: the short training loop of
  a model other than the MLP.
- ``seeds``: seed sets and each seed's training subset; ``checkpoints``: resumable state.
- ``frames``: ``ExperimentResult``, what an experiment returns; ``cache``: the run cache.

May import: ``suite.data``, ``suite.profiles``.
"""

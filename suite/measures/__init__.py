"""What is measured on a trained network beyond loss and accuracy: sensitivity (the input-output
Jacobian's norm), epsilon-sharpness (Keskar et al. 2017), and ``registry``, where these and any
user's measure are registered once for every generalization run.

May import: ``suite.train`` (the stacked forward, the code digest) and ``suite.stats`` (the
frames' column names no measure may take).
"""

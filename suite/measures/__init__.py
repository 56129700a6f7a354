"""What is measured on a trained network beyond loss and accuracy: sensitivity (the input-output
Jacobian's norm) and epsilon-sharpness (Keskar et al. 2017).

May import: ``suite.train`` (the stacked forward).
"""

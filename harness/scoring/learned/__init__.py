"""Learned verdicts: small models trained by `training/`, shipped as JSON, run in pure Python.

`model.py` runs a gradient-boosted tree ensemble (or a logistic model) over named features
and maps its raw probability through a calibration fitted on data the model never saw, so
that `probability` is a calibrated probability of the positive class. `decide.py` turns
such a probability into an outcome and a `confidence` (the calibrated probability that the
outcome is right) and, under `decide: confident`, leaves unsure rows `unscored`.
"""

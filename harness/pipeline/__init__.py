"""Every way outputs become a scored, stored run.

- `runner`: call the models of a suite, score, store (`harness run`);
- `rescore`: score a stored run's outputs again under (possibly) new checks;
- `offline`: score outputs you already have (`harness score`);
- `production`: score production traffic and store it as a monitoring run.
"""

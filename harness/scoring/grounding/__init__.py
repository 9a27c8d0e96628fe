"""The `grounding` check family: is every claim of an answer supported by its context?

    from harness.scoring.grounding import Grounding, GroundingParams

`check` is the scorer (registered as check type `grounding`); the modules beside it are its
parts: `claims` (splitting an answer into claims), `evidence` and `polar` (finding support
and contradiction in the passages), `offline` / `learned` / `semantic` / `features` (the
offline verdict and its learned, calibrated model), `llm` (the judge-model verdict), `abstain`
(answers that decline), `modes` and `verdicts` (how claim verdicts become one score).
"""

from harness.scoring.grounding.check import Grounding, GroundingParams

__all__ = ["Grounding", "GroundingParams"]

"""The `judge` check family: a model grades an output against a rubric.

    from harness.scoring.judge import Judge, JudgeParams, Criterion

`check` is the scorer (check type `judge`); `prompts` builds the grading prompt; `ask` is
the one judge client every model-graded verdict uses (the rubric judge and grounding's
`method: llm`): ask for JSON, validate it, retry once with a correction, else `unscored`.
"""

from harness.scoring.judge.check import Criterion, Judge, JudgeParams

__all__ = ["Criterion", "Judge", "JudgeParams"]

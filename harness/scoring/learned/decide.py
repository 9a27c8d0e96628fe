"""From a calibrated probability to an outcome, a confidence, and (when asked) abstention.

`confidence` is the calibrated probability that the outcome is right: p when the positive
class (fail) is predicted, 1 - p otherwise. With `decide: confident` a check leaves a row
whose confidence is below `min_confidence` `unscored`, saying why, so that it goes to the
judge when one is configured, else to human review, instead of being guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from harness.scoring.base import CheckParams

Decide = Literal["always", "confident"]


class DecideParams(CheckParams):
    """Options every learned check shares."""

    decide: Decide = Field(
        default="always",
        description="`always` decides every row; `confident` leaves rows whose calibrated "
        "confidence is below `min_confidence` unscored (to the judge or to review).",
    )
    min_confidence: float = Field(
        default=0.8, ge=0.5, le=1.0,
        description="With `decide: confident`: the calibrated probability of being right "
        "a verdict needs to be given.",
    )


@dataclass(frozen=True, slots=True)
class Decision:
    positive: bool  # the check's failure class was predicted
    probability: float  # calibrated P(positive)
    confidence: float  # calibrated P(this decision is right)
    abstained: bool


def decide(p_positive: float, params: DecideParams, threshold: float = 0.5) -> Decision:
    p = min(1.0, max(0.0, p_positive))
    positive = p >= threshold
    confidence = p if positive else 1.0 - p
    abstained = params.decide == "confident" and confidence < params.min_confidence
    return Decision(positive, p, round(confidence, 4), abstained)


def abstain_reason(d: Decision, what: str) -> str:
    return (f"undecided: calibrated P({what}) = {d.probability:.2f}, confidence "
            f"{d.confidence:.2f} below min_confidence (decide: confident)")

"""One claim's verdict, and how a set of verdicts becomes a score, outcome and confidence.

`support` is on a 0..1 scale where 0.5 is the decision boundary, whatever produced it
(lexical rule, embeddings, a judge), so the confidence of every decision is read the same
way: how far its support is from the boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from harness.scoring.grounding.claims import Claim

EVIDENCE_CHARS = 300


@dataclass(frozen=True)
class Signal:
    """A reason that fired for a claim, with the output span it points at, if any."""

    name: str
    text: str = ""
    span: tuple[int, int] | None = None  # offsets into the output

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.text:
            out["text"] = self.text
        if self.span is not None:
            out["span"] = list(self.span)
        return out


@dataclass(frozen=True)
class ClaimVerdict:
    claim: Claim
    support: float  # 0..1; supported when >= 0.5
    passage: int | None = None  # 0-based index into the case's context
    passage_span: tuple[int, int] | None = None  # offsets into that passage
    evidence_text: str = ""
    signals: tuple[Signal, ...] = ()
    missing: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def supported(self) -> bool:
        return self.support >= 0.5

    @property
    def confidence(self) -> float:
        return round(min(1.0, abs(self.support - 0.5) * 2), 3)

    def as_dict(self) -> dict[str, Any]:
        c = self.claim
        out: dict[str, Any] = {
            "index": c.index,
            "text": c.text,
            "span": [c.start, c.end],
            "verdict": "supported" if self.supported else "unsupported",
            "support": round(self.support, 3),
            "confidence": self.confidence,
            "passage": self.passage,
            "passage_span": list(self.passage_span) if self.passage_span else None,
            "evidence": self.evidence_text[:EVIDENCE_CHARS],
            "signals": [s.as_dict() for s in self.signals],
        }
        if c.citations:
            out["citations"] = list(c.citations)
        if self.missing:
            out["missing"] = list(self.missing)
        if self.details:
            out.update(self.details)
        return out


@dataclass(frozen=True)
class Tally:
    """Claims counted against the pass threshold, and how sure the outcome is."""

    supported: int
    total: int
    threshold: float
    confidence: float

    @property
    def share(self) -> float:
        return self.supported / self.total

    @property
    def passed(self) -> bool:
        return self.share >= self.threshold - 1e-9


def tally(verdicts: list[ClaimVerdict], threshold: float) -> Tally:
    """Supported share and the confidence of the resulting outcome.

    A pass holds only if every supported claim holds, so its confidence is that of the
    weakest supported decision. A fail needs k unsupported claims (the fewest that put
    the share below the threshold), so its confidence is that of the k-th surest one.
    """
    total = len(verdicts)
    good = [v.confidence for v in verdicts if v.supported]
    bad = sorted((v.confidence for v in verdicts if not v.supported), reverse=True)
    result = Tally(len(good), total, threshold, 1.0)
    if result.passed:
        return Tally(len(good), total, threshold, min(good, default=1.0))
    allowed_bad = math.floor(total * (1 - threshold) + 1e-9)
    needed = min(len(bad), allowed_bad + 1)
    return Tally(len(good), total, threshold, bad[needed - 1])

"""Helpers shared by the review tests (imported as a plain module)."""

from __future__ import annotations

from typing import Any

from harness.models import Score

MODEL = "openai:m"


def score(check: str = "contains", outcome: str = "pass", *, type: str | None = None,
          value: float | None = None, confidence: float = 1.0, reason: str = "r",
          evidence: dict[str, Any] | None = None) -> Score:
    return Score(check=check, type=type or check, scorer_version="1", outcome=outcome,
                 score=value if value is not None else (1.0 if outcome == "pass" else 0.0),
                 confidence=confidence, reason=reason, evidence=evidence or {})

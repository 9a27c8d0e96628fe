"""Why a result deserves a person's eyes: signals read from its stored scores and case.

Each detector looks at one result (a row of `RunStore.iter_results`, scores included) and
returns `Signal`s with a short, specific reason, so the queue can say *why* an item is there.
A signal marked `critical` (policy flags, a regression of a case tagged `critical`) sends the
result to review even on a low-risk suite.

- low confidence: a check that could not decide (`unscored`), a confidence under the
  policy's `confidence_below`, a score within `NEAR` of the threshold its evidence names,
  or model-based scorers (judge, grounding) that disagree on the same output;
- missing evidence: unsupported claims, or a grounded case with no context;
- policy: a failing PII, secrets, injection, policy, canary or refusal check;
- novelty and regression are computed across runs by `harness.review.routing`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

NEAR = 0.1  # a score closer than this to its threshold could flip with a small change
POLICY_TYPES = frozenset(
    {"pii", "secrets", "secret", "injection", "prompt_injection", "policy", "canary", "refusal"}
)
MODEL_BASED_TYPES = frozenset({"judge", "grounding"})
KINDS = ("policy", "regression", "missing_evidence", "low_confidence", "novelty", "sample")
WEIGHTS = {
    "policy": 30.0,
    "regression": 20.0,
    "missing_evidence": 10.0,
    "low_confidence": 5.0,
    "novelty": 3.0,
    "sample": 0.0,
}


@dataclass(frozen=True)
class Signal:
    kind: str  # one of KINDS
    detail: str
    check: str | None = None
    critical: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _decided(scores: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in scores if s["outcome"] in ("pass", "fail")]


# --------------------------------------------------------------------------- low confidence


def low_confidence(scores: list[dict[str, Any]], confidence_below: float) -> list[Signal]:
    out = []
    for s in scores:
        name = s["check_name"]
        if s["outcome"] == "unscored":
            out.append(Signal("low_confidence", f"could not decide: {_short(s['reason'])}", name))
        elif s["outcome"] in ("pass", "fail"):
            out += _unsure(s, name, confidence_below)
    return out + _disagreement(scores)


def _unsure(s: dict[str, Any], name: str, confidence_below: float) -> list[Signal]:
    conf = s.get("confidence")
    if conf is not None and conf < confidence_below:
        return [Signal("low_confidence", f"confidence {conf:.2f} < {confidence_below:g}", name)]
    threshold = (s.get("evidence") or {}).get("threshold")
    score = s.get("score")
    if _number(threshold) and _number(score) and round(abs(score - threshold), 6) < NEAR:
        return [Signal("low_confidence", f"score {score:.2f} near threshold {threshold:g}", name)]
    return []


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _disagreement(scores: list[dict[str, Any]]) -> list[Signal]:
    """Model-based scorers that reach opposite verdicts on the same output."""
    judged = [s for s in _decided(scores) if s["check_type"] in MODEL_BASED_TYPES]
    outcomes = {s["outcome"] for s in judged}
    if len(outcomes) < 2:
        return []
    said = ", ".join(f"{s['check_name']} {s['outcome']}" for s in judged)
    return [Signal("low_confidence", f"scorers disagree: {said}")]


# --------------------------------------------------------------------------- evidence


def missing_evidence(scores: list[dict[str, Any]], case: dict[str, Any]) -> list[Signal]:
    out = []
    grounded = [s for s in scores if s["check_type"] == "grounding"]
    for s in grounded:
        bad = _unsupported_claims(s.get("evidence") or {})
        if bad:
            first = _short(bad[0].get("text", ""), 70)
            out.append(Signal("missing_evidence", f"{len(bad)} unsupported claim(s), e.g. "
                              f"“{first}”", s["check_name"]))
    if _empty_context(case, bool(grounded)):
        out.append(Signal("missing_evidence", "the case has no context passages to ground on"))
    return out


def _unsupported_claims(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    claims = evidence.get("claims") or []
    return [c for c in claims if isinstance(c, dict) and c.get("verdict") == "unsupported"]


def _empty_context(case: dict[str, Any], grounded: bool) -> bool:
    context = case.get("context")
    if context is None:
        return grounded
    return not any(str(p).strip() for p in context)


# --------------------------------------------------------------------------- policy


def policy_flags(scores: list[dict[str, Any]]) -> list[Signal]:
    return [
        Signal("policy", _short(s["reason"]) or "failed", s["check_name"], critical=True)
        for s in scores
        if s["check_type"] in POLICY_TYPES and s["outcome"] == "fail"
    ]


def result_signals(
    row: dict[str, Any], case: dict[str, Any], confidence_below: float
) -> list[Signal]:
    """Every within-run signal of one stored result (cross-run ones come from routing)."""
    scores = row["scores"]
    return (
        policy_flags(scores)
        + missing_evidence(scores, case)
        + low_confidence(scores, confidence_below)
    )


def priority(signals: list[Signal], tags: Iterable[str]) -> float:
    """Queue order: critical first, then by the weight of what was found."""
    base = sum(WEIGHTS.get(s.kind, 1.0) for s in signals)
    critical = 100.0 if any(s.critical for s in signals) else 0.0
    tagged = 10.0 if "critical" in set(tags) else 0.0
    return critical + base + tagged

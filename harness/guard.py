"""`harness.guard`: the safety scorers as one library call for production traffic.

    from harness.guard import Guard, GuardConfig

    guard = Guard(GuardConfig(policy={"phrases": ["guaranteed returns"]}))
    decision = guard.check_input(user_text)            # injection, PII
    decision = guard.check_context(passages)           # injection hidden in retrieved text
    decision = guard.check_output(answer, input=user_text, context=passages)  # PII, secrets, policy
    decision = await guard.acheck_output(answer, input=user_text, context=passages)  # + grounding
    decision.action     # "allow" | "redact" | "block" | "escalate"
    decision.reasons    # why, each with the check, the type, the span and a severity
    decision.text       # the text with PII (and, if so configured, secrets) redacted

The same detection engines as the `pii`, `secrets`, `injection` and `policy` checks, so a
guard and an evaluation agree on the same text. The pattern-based guards are synchronous and
fast, linear in the text (bench/guard_latency.py measures p95 against a 5 ms per KB bound, on
1 KB of chat text and on 100 KB and 1 MB of the densest PII); grounding runs the registered
`grounding` scorer and is therefore async.

Many PII findings in one call (a pasted contact list, a log dump) meet `pii_max_findings`
(default `MAX_FINDINGS`, 1000), and `Decision.capped` says so. The cap is never a reason to
let anything through; what it changes is stricter or shorter, not laxer:
- reasons: the first `pii_max_findings` findings by position are reasons of their own, the
  rest are summed up in one `PII_FINDINGS_CAPPED` reason whose span covers them, whose
  action is the strictest of theirs and whose detail counts them by type. Every finding is
  still redacted from `Decision.text` and still counts towards the action, so a long enough
  list of e-mail addresses cannot smuggle a card number past `pii_block_severity`, nor any
  value out unredacted;
- phone numbers: `phonenumbers` validates at most that many distinct candidates per call;
  past them a candidate with a phone's layout is redacted on its layout alone (detector
  `shape-only`, "layout only" in its reason), which may redact a number that is not a
  phone but never spares one that validation would have caught.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.errors import UsageError
from harness.scoring._patterns import PatternTimeout
from harness.scoring.safety import (
    MAX_FINDINGS,
    PATTERN_TYPES,
    SEVERITY_RANK,
    SHAPE_ONLY,
    Finding,
    PolicyParams,
    Severity,
    at_least,
    detect_secrets,
    find_violations,
    scan,
    split_leaks,
    supplied_keys,
)
from harness.scoring.safety import injection_probability as predict

Action = Literal["allow", "redact", "block", "escalate"]
RANK: dict[str, int] = {"allow": 0, "redact": 1, "escalate": 2, "block": 3}
CAPPED = "PII_FINDINGS_CAPPED"


class GuardConfig(BaseModel):
    """What the guard checks and how findings map to actions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pii: bool = True
    pii_min_severity: Severity = Field(default="low", description="Ignore lesser PII.")
    pii_block_severity: Severity | None = Field(
        default=None, description="Block (instead of redact) PII leaks this severe; None: never.")
    pii_allow_context: bool = Field(
        default=True, description="PII that a context passage contains is not a leak (the "
        "application's own documents, e.g. a support line).")
    pii_max_findings: int = Field(
        default=MAX_FINDINGS, ge=1, description="PII findings listed one reason each (the rest "
        f"are summed up in one {CAPPED} reason, still redacted and still deciding the action), "
        "and distinct phone candidates validated per call (past them: redacted on layout).")
    secrets: bool = True
    secrets_action: Literal["block", "redact"] = "block"
    injection: bool = True
    injection_escalate: float = Field(default=0.5, ge=0, le=1)
    injection_block: float = Field(default=0.8, ge=0, le=1)
    policy: PolicyParams | None = None
    grounding: dict[str, Any] | None = Field(
        default=None, description="Parameters of the `grounding` check; None: no grounding.")

    @field_validator("policy", mode="before")
    @classmethod
    def _policy_check(cls, value: Any) -> Any:
        """Accept the policy check's parameters as written in a rubric, without `type`."""
        return {"type": "policy", **value} if isinstance(value, dict) else value


@dataclass(frozen=True, slots=True)
class Reason:
    check: str
    kind: str
    action: Action
    detail: str
    span: tuple[int, int] | None = None
    severity: str | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """`capped`: `pii_max_findings` was reached: the reasons end with a `PII_FINDINGS_CAPPED`
    summary, or some phone numbers were taken on their layout alone (see the module
    docstring); either way every finding is redacted in `text` and counted in `action`."""

    action: Action
    reasons: list[Reason] = field(default_factory=list)
    text: str = ""
    capped: bool = False

    @property
    def allowed(self) -> bool:
        return self.action == "allow"


class Guard:
    """Checks text on the way in and on the way out; cheap to call, safe to share."""

    def __init__(self, config: GuardConfig | None = None, **options: Any) -> None:
        if config is not None and options:
            raise UsageError("pass either a GuardConfig or keyword options, not both")
        self.config = config or GuardConfig(**options)

    def check_input(self, text: str) -> Decision:
        """A user's message: injection attempts escalate or block; PII is redacted."""
        reasons = self._injection(text, "input")
        pii = self._pii(text, supplied=None) if self.config.pii else []
        reasons += self._pii_reasons(pii, lambda f: "redact")
        return _decide(text, reasons, pii, capped=self._capped(pii))

    def check_context(self, passages: Sequence[str]) -> list[Decision]:
        """Retrieved passages: instructions hidden in a document are indirect injection."""
        return [_decide(p, self._injection(p, "context"), []) for p in passages]

    def check_output(self, text: str, *, input: str | Sequence[str] = (),
                     context: Sequence[str] = ()) -> Decision:
        """A model's answer: PII the user did not supply, secrets, policy violations."""
        supplied = [input] if isinstance(input, str) else list(input)
        supplied += list(context) if self.config.pii_allow_context else []
        leaks = self._pii(text, supplied=supplied) if self.config.pii else []
        reasons = self._pii_reasons(leaks, self._pii_action)
        secrets = detect_secrets(text) if self.config.secrets else []
        reasons += [_secret_reason(f, self.config.secrets_action) for f in secrets]
        if self.config.policy is not None:
            reasons += _policy_reasons(self.config.policy, text)
        redactable = leaks + (secrets if self.config.secrets_action == "redact" else [])
        return _decide(text, reasons, redactable, capped=self._capped(leaks))

    async def acheck_output(self, text: str, *, input: str | Sequence[str] = (),
                            context: Sequence[str] = ()) -> Decision:
        """`check_output`, plus grounding against `context` when configured (escalates)."""
        decision = self.check_output(text, input=input, context=context)
        if self.config.grounding is None:
            return decision
        reason = await _grounding(self.config.grounding, text, input, context)
        if reason is None:
            return decision
        action = max(decision.action, reason.action, key=RANK.__getitem__)
        return replace(decision, action=action, reasons=[*decision.reasons, reason])

    # ------------------------------------------------------------------ detectors

    def _injection(self, text: str, where: str) -> list[Reason]:
        if not self.config.injection or not text.strip():
            return []
        verdict = predict(text, document=where == "context")
        p = verdict.probability
        if p < self.config.injection_escalate:
            return []
        action: Action = "block" if p >= self.config.injection_block else "escalate"
        rules = sorted({name for name, _, _ in verdict.hits.spans})
        first = verdict.hits.spans[0][1:] if verdict.hits.spans else verdict.window
        detail = f"prompt injection in {where} (p={p:.2f}; rules: {', '.join(rules) or 'none'})"
        return [Reason("injection", "PROMPT_INJECTION", action, detail, first, "high", p)]

    def _pii(self, text: str, *, supplied: list[str] | None) -> list[Finding]:
        found = scan(text, PATTERN_TYPES, None,
                     max_validations=self.config.pii_max_findings).findings
        found = [f for f in found if at_least(f.severity, self.config.pii_min_severity)]
        if supplied is None:
            return found
        keys = supplied_keys(supplied, PATTERN_TYPES)
        return split_leaks(found, keys, "\n".join(supplied),
                           max_searches=self.config.pii_max_findings)[0]

    def _pii_reasons(self, findings: list[Finding], action_of: Callable[[Finding], Action]
                     ) -> list[Reason]:
        """One reason per finding up to the cap, then one for all the rest (see the module
        docstring): its action is the strictest of theirs, so the cap never relaxes it."""
        cap = self.config.pii_max_findings
        reasons = [_pii_reason(f, action_of(f)) for f in findings[:cap]]
        rest = findings[cap:]
        if rest:
            actions = [action_of(f) for f in rest]
            action = max(actions, key=RANK.__getitem__)
            severity = max((f.severity for f in rest), key=SEVERITY_RANK.__getitem__)
            kinds = ", ".join(f"{n} × {kind}" for kind, n in
                              sorted(Counter(f.type for f in rest).items()))
            shape_only = sum(f.detector == SHAPE_ONLY for f in rest)
            detail = (f"{len(rest)} more PII findings past the cap of {cap} ({kinds}), "
                      f"redacted but not listed; {len(findings)} in all")
            if shape_only:
                detail += f"; {shape_only} phone number(s) by layout only"
            span = (rest[0].start, max(f.end for f in rest))
            reasons.append(Reason("pii", CAPPED, action, detail, span, severity,
                                  max(f.score for f in rest)))
        return reasons

    def _capped(self, findings: list[Finding]) -> bool:
        return len(findings) > self.config.pii_max_findings or \
            any(f.detector == SHAPE_ONLY for f in findings)

    def _pii_action(self, finding: Finding) -> Action:
        block = self.config.pii_block_severity
        return "block" if block is not None and at_least(finding.severity, block) else "redact"


def redact(text: str, findings: Sequence[Finding]) -> str:
    """Replace each finding's span with `<TYPE>`, in one pass (linear in the text).

    Overlapping spans (a PII finding inside a redacted secret) are replaced together, by the
    tag of the one that starts first, so no character of either survives.
    """
    pieces: list[str] = []
    last = 0
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if f.start < last:  # overlaps the span just replaced: widen it
            last = max(last, f.end)
            continue
        pieces += (text[last:f.start], f"<{f.type}>")
        last = f.end
    pieces.append(text[last:])
    return "".join(pieces)


def _decide(text: str, reasons: list[Reason], redactable: list[Finding], *,
            capped: bool = False) -> Decision:
    """The strongest action wins; the text is redacted whatever the action, so a message held
    for review (escalate) or logged after a block carries no PII either."""
    action: Action = max((r.action for r in reasons), key=RANK.__getitem__, default="allow")
    return Decision(action, reasons, redact(text, redactable) if redactable else text, capped)


def _pii_reason(f: Finding, action: Action) -> Reason:
    detail = f"{f.type} at {f.start}-{f.end}"
    if f.detector == SHAPE_ONLY:
        detail += " (layout only: past the validation cap)"
    return Reason("pii", f.type, action, detail, (f.start, f.end), f.severity, f.score)


def _secret_reason(f: Finding, action: Action) -> Reason:
    detail = f"{f.type} {f.evidence(masked=True)['text']}"
    return Reason("secrets", f.type, action, detail, (f.start, f.end), f.severity, f.score)


def _policy_reasons(policy: PolicyParams, text: str) -> list[Reason]:
    """Policy violations; a pattern that runs out of time cannot say the text is clean, so
    it escalates to a person (the guard never allows what it could not check)."""
    try:
        return [_policy_reason(f) for f in find_violations(policy, text)]
    except PatternTimeout as exc:
        return [Reason("policy", "TIMEOUT", "escalate", str(exc), None, policy.severity, None)]


def _policy_reason(f: Finding) -> Reason:
    detail = f"forbidden {f.type.lower()} {f.detector!r}: {f.text!r}"
    return Reason("policy", f.type, "block", detail, (f.start, f.end), f.severity, 1.0)


async def _grounding(params: dict[str, Any], text: str, input: str | Sequence[str],
                     context: Sequence[str]) -> Reason | None:
    """Run the registered `grounding` scorer; a fail or an unscored verdict escalates."""
    from harness.models import Case, CheckSpec, Completion
    from harness.scoring.base import ScoreContext, score_safely
    from harness.scoring.registry import get_scorer, scorers, validate_check

    if "grounding" not in scorers():
        raise UsageError("grounding guard asked for, but no `grounding` check type is installed")
    user = input if isinstance(input, str) else "\n".join(input)
    case = Case(id="guard", input=user or None, context=list(context) or None)
    check = validate_check(CheckSpec(type="grounding", **params))
    ctx = ScoreContext(case=case, check=check, completion=Completion(text=text))
    score = await score_safely(get_scorer("grounding"), ctx)
    if score.outcome in ("pass", "not_applicable"):
        return None
    return Reason("grounding", score.outcome.upper(), "escalate", score.reason, None, "medium",
                  score.score)


__all__ = ["Action", "Decision", "Guard", "GuardConfig", "Reason", "redact"]

"""`type: grounding`: is every claim of the answer supported by the case's passages?

The answer is split into claims (sentences); each is checked against the case's
`context` passages and judged supported or unsupported. Score = supported share; the
check passes when that share reaches `threshold`. The evidence lists every claim with
its verdict, best passage, spans (into the output and into the passage) and the signals
that fired, so a reviewer can check each decision.

- Modes: `offline` (default; a learned model over the lexical evidence decides, pure
  Python, nothing downloaded), `embedding` (the learned model with MiniLM meaning-level
  features; the `[ml]` extra), `llm` (a judge model decides each claim; used by default
  when the check names a `model` and no mode), `rules` (the hand-written lexical rule of
  scorer version 3, kept for comparison).
- Learned modes give every claim a calibrated P(unsupported) and the answer a calibrated
  P(not grounded); the outcome is `fail` when that reaches 0.5 (or, when `threshold` is
  set, when the share of supported claims falls below it), and `confidence` is the
  calibrated probability that the outcome is right. `decide: confident` leaves answers
  below `min_confidence` unscored, or asks the check's judge `model` about them.
- Citations: a claim citing [2] must be supported by passage 2; citing a passage that
  does not exist fails the claim.
- Abstention: with `answerable: false`, declining to answer is the right answer and a
  confident answer fails; when answerable, an answer that only abstains fails.
- No claims at all is `not_applicable`, never a silent pass; no passages is `unscored`.
- Attribution: `claims` (default) checks what the answer asserts; `all` holds the whole
  turn to the passages, as knowledge-grounded dialogue is annotated (AIS, "attributable to
  identified sources", and the BEGIN benchmark built on it): a question, or a statement
  about the speaker or the listener, conveys nothing the passages state, so it counts as
  unattributable. Short reactions ("That's true!") are left out in both.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, ClassVar, Literal

from pydantic import Field

from harness.models import ModelSpec, Score
from harness.providers.base import Provider
from harness.scoring.base import CheckParams, ScoreContext, make_score
from harness.scoring.grounding import learned, modes
from harness.scoring.grounding.abstain import abstains, first_abstention
from harness.scoring.grounding.claims import Claim, split_claims
from harness.scoring.grounding.evidence import index_context
from harness.scoring.grounding.polar import check_polar
from harness.scoring.grounding.verdicts import ClaimVerdict, Signal, tally
from harness.scoring.learned.decide import DecideParams, abstain_reason, decide
from harness.scoring.registry import register

ABSTAIN_CONFIDENCE = 0.8  # abstention is read by patterns; sure, not certain
QUESTION_SUPPORT = 0.2  # under `attribution: all`: a fail, by definition rather than evidence


class GroundingParams(DecideParams):
    threshold: float = Field(
        default=0.9, ge=0, le=1, description="Share of claims that must be supported to pass "
        "(modes rules and llm; learned modes use it only when it is set, and otherwise decide "
        "on the answer's calibrated probability of being grounded).",
    )
    mode: Literal["offline", "embedding", "llm", "rules"] | None = Field(
        default=None,
        description="How claims are checked: offline (learned, lexical evidence), embedding "
        "(learned with MiniLM; [ml] extra), llm (a judge model) or rules (the hand-written "
        "rule of version 3). Default: llm when `model` is set, else offline.",
    )
    model: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.\-]+:.+$",
        description="Judge model for mode llm, as provider:model (e.g. openai:gpt-4o-mini).",
    )

    attribution: Literal["claims", "all"] = Field(
        default="claims",
        description="What must be supported: `claims` (the statements of the answer; "
        "questions and short reactions are not checked) or `all` (the whole turn, as in "
        "knowledge-grounded dialogue: a question, or a statement about the speaker or the "
        "listener, counts as unattributable).",
    )

    @property
    def effective_mode(self) -> str:
        return self.mode or ("llm" if self.model else "offline")


@register
class Grounding:
    type: ClassVar[str] = "grounding"
    version: ClassVar[str] = "5"  # 5: a word whose negative the evidence uses is a negation
    Params: ClassVar[type[CheckParams]] = GroundingParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, GroundingParams)
        text = ctx.completion.text
        claims = answer_claims(text, every_sentence=params.attribution == "all")
        abstention = first_abstention(text)
        base = {"mode": params.effective_mode, "answerable": ctx.case.answerable}
        if abstention:
            base["abstention_span"] = list(abstention)
        if not claims:
            return self._no_claims(ctx, abstention, base)
        if not ctx.case.answerable and abstention is None:
            return self._answered_unanswerable(ctx, claims, base)
        passages = [p for p in ctx.case.context or [] if p.strip()]
        if not passages:
            return make_score(
                ctx,
                self,
                "unscored",
                None,
                "the case has no context passages to check claims against",
                confidence=0.0,
                evidence=base,
            )
        try:
            verdicts, audit = await self._verdicts(ctx, params, claims, passages)
        except modes.Undecided as exc:
            evidence = {**base, "judge": exc.audit} if exc.audit else base
            return make_score(
                ctx, self, "unscored", None, str(exc), confidence=0.0, evidence=evidence
            )
        if audit:
            base["judge"] = audit
        if params.effective_mode not in learned.MODES:
            return self._tally(ctx, params, verdicts, abstention, base)
        p = learned.answer_probability(verdicts, text, params.effective_mode)
        d = decide(p, params)
        if d.abstained and params.model is not None:  # the judge decides what we cannot
            try:
                judged, audit = await self._verdicts(ctx, params.model_copy(
                    update={"mode": "llm"}), claims, passages)
            except modes.Undecided as exc:
                base["judge"] = exc.audit
            else:
                base.update({"judge": audit, "deferred_to_judge": True,
                             "p_not_grounded": round(p, 3)})
                return self._tally(ctx, params, judged, abstention, base)
        return self._learned_tally(ctx, params, verdicts, abstention, base, d)

    async def _verdicts(
        self, ctx: ScoreContext, params: GroundingParams, claims: list[Claim], passages: list[str]
    ) -> tuple[list[ClaimVerdict], dict[str, Any]]:
        index = index_context(tuple(passages))
        statements = [c for c in claims if not c.question]
        mode = params.effective_mode
        if not statements:
            verdicts, audit = [], {}
        elif mode == "rules":
            verdicts, audit = modes.offline(statements, index), {}
        elif mode in learned.MODES:  # embedding: model inference, off the event loop
            verdicts = await asyncio.to_thread(modes.learned, statements, index, mode)
            audit = {}
        else:
            verdicts, audit = await _judged(ctx, params, statements, index)
        verdicts = _with_questions(claims, verdicts)
        return check_polar(ctx.completion.text, ctx.case.input, verdicts, index), audit

    def _answered_unanswerable(
        self, ctx: ScoreContext, claims: list[Claim], base: dict[str, Any]
    ) -> Score:
        evidence = {
            **base,
            "claims": [
                {"index": c.index, "text": c.text, "span": [c.start, c.end]} for c in claims
            ],
        }
        return make_score(
            ctx,
            self,
            "fail",
            0.0,
            "answered a question the passages cannot answer; it should have said it does not know",
            confidence=ABSTAIN_CONFIDENCE,
            evidence=evidence,
        )

    def _no_claims(
        self, ctx: ScoreContext, abstention: tuple[int, int] | None, base: dict[str, Any]
    ) -> Score:
        evidence = {**base, "claims": [], "supported": 0, "total": 0}
        if abstention and not ctx.case.answerable:
            return make_score(
                ctx,
                self,
                "pass",
                1.0,
                "abstained, as it should: the passages do not hold the answer",
                confidence=ABSTAIN_CONFIDENCE,
                evidence=evidence,
            )
        if abstention:
            return make_score(
                ctx,
                self,
                "fail",
                0.0,
                "abstained although the passages hold the answer (unhelpful)",
                confidence=ABSTAIN_CONFIDENCE,
                evidence=evidence,
            )
        return make_score(
            ctx,
            self,
            "not_applicable",
            None,
            "the output makes no claim to check",
            evidence=evidence,
        )

    def _learned_tally(
        self,
        ctx: ScoreContext,
        params: GroundingParams,
        verdicts: list[ClaimVerdict],
        abstention: tuple[int, int] | None,
        base: dict[str, Any],
        d: Any,
    ) -> Score:
        score = self._tally(ctx, params, verdicts, abstention, base)
        evidence = {**score.evidence, "p_not_grounded": round(d.probability, 3)}
        if "threshold" in params.model_fields_set:
            outcome = score.outcome
            right = d.probability if outcome == "fail" else 1 - d.probability
            confidence = round(right, 4)
        else:
            outcome = "fail" if d.positive else "pass"
            confidence = d.confidence
            evidence["threshold"] = None
        reason = score.reason.replace(f" (threshold {params.threshold:g})", "")
        reason += f"; P(not grounded) = {d.probability:.2f}"
        if d.abstained:
            evidence["undecided_outcome"] = outcome
            return make_score(ctx, self, "unscored", score.score,
                              abstain_reason(d, "not grounded") + "; " + reason,
                              confidence=confidence, evidence=evidence)
        return make_score(ctx, self, outcome, score.score, reason, confidence=confidence,
                          evidence=evidence)

    def _tally(
        self,
        ctx: ScoreContext,
        params: GroundingParams,
        verdicts: list[ClaimVerdict],
        abstention: tuple[int, int] | None,
        base: dict[str, Any],
    ) -> Score:
        result = tally(verdicts, params.threshold)
        bad = [v for v in verdicts if not v.supported]
        evidence = {
            **base,
            "claims": [v.as_dict() for v in verdicts],
            "supported": result.supported,
            "total": result.total,
            "threshold": params.threshold,
            "unsupported": [v.claim.index for v in bad],
        }
        reason = (
            f"{result.supported}/{result.total} claims supported (threshold {params.threshold:g})"
        )
        if bad:
            reason += f"; unsupported: {_describe(bad[0])}"
        if abstention and not ctx.case.answerable:
            reason = "abstained; other statements: " + reason
        outcome = "pass" if result.passed else "fail"
        return make_score(
            ctx,
            self,
            outcome,
            round(result.share, 4),
            reason,
            confidence=result.confidence,
            evidence=evidence,
        )


def answer_claims(text: str, *, every_sentence: bool = False) -> list[Claim]:
    """The answer's claims, leaving out sentences that abstain ("I don't know")."""
    kept = [c for c in split_claims(text, every_sentence=every_sentence) if not abstains(c.text)]
    return [replace(c, index=i) for i, c in enumerate(kept)]


def _with_questions(claims: list[Claim], verdicts: list[ClaimVerdict]) -> list[ClaimVerdict]:
    """Every claim's verdict in order: a question (kept under `attribution: all`) states
    nothing a passage can support, so it is unattributable whatever its words."""
    judged = iter(verdicts)
    signal = Signal("question", "asks rather than states: nothing to attribute to the passages")
    return [
        ClaimVerdict(c, QUESTION_SUPPORT, signals=(signal,)) if c.question else next(judged)
        for c in claims
    ]


def _describe(verdict: ClaimVerdict) -> str:
    text = verdict.claim.text.strip()
    text = text if len(text) <= 80 else text[:77] + "..."
    why = ", ".join(f"{s.name}: {s.text}" if s.text else s.name for s in verdict.signals[:2])
    return f"{text!r}" + (f" ({why})" if why else "")


async def _judged(
    ctx: ScoreContext, params: GroundingParams, claims: list[Claim], index: Any
) -> tuple[list[ClaimVerdict], dict[str, Any]]:
    """Ask the check's judge model (or the context's judge); close what we opened."""
    if params.model is None:
        if not isinstance(ctx.judge, Provider):
            raise modes.Undecided(
                "mode llm needs a judge: set `model: provider:model` on the check"
            )
        return await modes.llm(claims, index, ctx.judge, _model_name(ctx.judge.name))
    from harness.errors import HarnessError
    from harness.providers import build_stack

    try:
        judge = build_stack(ModelSpec(ref=params.model))
    except HarnessError as exc:
        raise modes.Undecided(f"cannot use judge {params.model}: {exc}") from exc
    try:
        return await modes.llm(claims, index, judge, _model_name(params.model))
    finally:
        await judge.aclose()


def _model_name(ref: str) -> str:
    return ref.partition(":")[2]

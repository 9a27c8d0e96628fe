"""`judge`: an LLM grades the output against a rubric, or against a reference answer.

```yaml
- type: judge
  model: openai:gpt-4o             # or {ref: ..., base_url: ..., options: ...}
  criteria:
    - {id: complete, text: Answers every part of the question, points: 2}
    - {id: invents-policy, text: States a policy that is not in the context, points: -3}
  threshold: 0.7
  samples: 3                       # self-consistency: agreement becomes the confidence
```

Rubric mode: the judge says, per criterion, whether it is met; score = points earned (penalties
subtract) over the positive points available, clipped to 0..1, the median over samples.
Pairwise mode: the judge compares the output with a reference (`reference`, default the case's
`expected`) twice, once in each order, so a judge that prefers whichever answer comes first
shows up as disagreement (low confidence) rather than as a verdict; score = the output's share
of wins (a tie is half).

Verdicts are strict JSON validated with jsonschema; an invalid one gets at most `retries`
corrections, then the sample is dropped; with no valid sample the check is `unscored`, never a
default score. The evidence keeps the prompt, every raw answer, tokens and cost for audit.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.errors import ProviderConfigError
from harness.models import ModelSpec, Score
from harness.providers import StackSettings, parse_ref
from harness.providers.base import Provider
from harness.scoring.base import CheckParams, ScoreContext, make_score
from harness.scoring.judge.ask import JsonAnswer, ask_json, close_judges, judge_provider
from harness.scoring.judge.prompts import (
    PAIRWISE_SCHEMA,
    pairwise_messages,
    reference_text,
    rubric_messages,
    rubric_schema,
)
from harness.scoring.registry import register

DEFAULT_THRESHOLD = {"rubric": 0.7, "pairwise": 0.5}
OUTCOME_SCORE = {"output": 1.0, "tie": 0.5, "reference": 0.0}


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    text: str = Field(min_length=1, description="What the judge decides, yes or no.")
    points: float = Field(default=1.0, description="Earned when met; negative is a penalty.")

    @field_validator("points")
    @classmethod
    def _nonzero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("points must not be 0 (negative points are penalties)")
        return value


class JudgeParams(CheckParams):
    model: str | ModelSpec = Field(description="Judge model, provider:model or a model mapping.")
    base_url: str | None = Field(default=None, description="For openai:/anthropic: judges.")
    mode: Literal["rubric", "pairwise"] = "rubric"
    criteria: list[Criterion] = Field(default_factory=list)
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="Pass at or above (default 0.7; pairwise 0.5)."
    )
    samples: int = Field(default=1, ge=1, le=15, description="Judgements to take (agreement).")
    retries: int = Field(default=2, ge=0, le=5, description="Corrections of an invalid verdict.")
    temperature: float | None = Field(
        default=None, ge=0, le=2, description="Default 0, or 1.0 when samples > 1."
    )
    max_tokens: int = Field(default=1000, ge=16)
    instructions: str | None = Field(default=None, description="Extra guidance for the judge.")
    reference: str | None = Field(
        default=None, description="Reference answer; default the case's expected."
    )
    timeout_s: float = Field(default=120.0, gt=0)

    @field_validator("model")
    @classmethod
    def _known_provider(cls, value: str | ModelSpec) -> str | ModelSpec:
        try:
            parse_ref(value if isinstance(value, str) else value.ref)
        except ProviderConfigError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @model_validator(mode="after")
    def _criteria_fit_mode(self) -> JudgeParams:
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError(f"criterion ids must be unique: {ids}")
        if self.mode == "rubric" and not any(c.points > 0 for c in self.criteria):
            raise ValueError("rubric mode needs criteria, at least one with positive points")
        return self

    def model_spec(self) -> ModelSpec:
        spec = ModelSpec(ref=self.model) if isinstance(self.model, str) else self.model
        return spec.model_copy(update={"base_url": self.base_url}) if self.base_url else spec

    @property
    def pass_at(self) -> float:
        return self.threshold if self.threshold is not None else DEFAULT_THRESHOLD[self.mode]

    def request_params(self) -> dict[str, Any]:
        temperature = self.temperature
        if temperature is None:
            temperature = 0.0 if self.samples == 1 else 1.0
        return {"temperature": temperature, "max_tokens": self.max_tokens}


def _triples(criteria: Sequence[Criterion]) -> list[tuple[str, str, float]]:
    return [(c.id, c.text, c.points) for c in criteria]


def rubric_score(criteria: Sequence[Criterion], met: dict[str, bool]) -> float:
    """Points earned over positive points available, clipped to 0..1."""
    available = sum(c.points for c in criteria if c.points > 0)
    earned = sum(c.points for c in criteria if met.get(c.id))
    return min(1.0, max(0.0, earned / available))


def _each_once(ids: Sequence[str]) -> Any:
    def check(data: dict[str, Any]) -> str | None:
        seen = Counter(item["id"] for item in data["criteria"])
        missing = [i for i in ids if i not in seen]
        doubled = [i for i, n in seen.items() if n > 1]
        if missing or doubled:
            return f"every criterion exactly once (missing {missing}, repeated {doubled})"
        return None

    return check


@register
class Judge:
    type: ClassVar[str] = "judge"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[CheckParams]] = JudgeParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, JudgeParams)
        spec = params.model_spec()
        provider = ctx.judge or judge_provider(spec, StackSettings(timeout_s=params.timeout_s))
        if params.mode == "pairwise":
            return await self._pairwise(ctx, params, spec, provider)
        return await self._rubric(ctx, params, spec, provider)

    # ------------------------------------------------------------------ rubric

    async def _rubric(
        self, ctx: ScoreContext, params: JudgeParams, spec: ModelSpec, provider: Provider
    ) -> Score:
        ids = [c.id for c in params.criteria]
        reference = params.reference or reference_text(ctx.case.expected)
        messages = rubric_messages(
            ctx.case, ctx.completion.text, _triples(params.criteria),
            reference=reference, instructions=params.instructions,
        )
        answers = await asyncio.gather(*(
            ask_json(provider, spec, messages, rubric_schema(ids), params=params.request_params(),
                     retries=params.retries, sample=s, check=_each_once(ids))
            for s in range(params.samples)
        ))
        verdicts = [{i["id"]: i["met"] for i in a.data["criteria"]} for a in answers if a.data]
        evidence = _audit(spec, answers)
        if not verdicts:
            return self._unscored(ctx, answers, evidence)
        scores = [rubric_score(params.criteria, v) for v in verdicts]
        score = statistics.median(scores)  # the median passes iff most samples pass
        outcome = "pass" if score >= params.pass_at else "fail"
        evidence["criteria"] = _consensus(params.criteria, verdicts, answers)
        evidence["sample_scores"] = scores
        confidence = _confidence(scores, params.pass_at, outcome, params.samples)
        return make_score(ctx, self, outcome, score, _rubric_reason(evidence["criteria"], score),
                          confidence=confidence, evidence=evidence)

    # ------------------------------------------------------------------ pairwise

    async def _pairwise(
        self, ctx: ScoreContext, params: JudgeParams, spec: ModelSpec, provider: Provider
    ) -> Score:
        reference = params.reference or reference_text(ctx.case.expected)
        if reference is None:
            return make_score(ctx, self, "unscored", None,
                              "pairwise needs a reference: set `reference` or the case's expected",
                              confidence=0.0)
        output, triples = ctx.completion.text, _triples(params.criteria)
        orders = [(output, reference, "A"), (reference, output, "B")]  # where the output sits
        jobs = [
            (slot, ask_json(provider, spec, pairwise_messages(ctx.case, a, b, triples,
                                                              instructions=params.instructions),
                            PAIRWISE_SCHEMA, params=params.request_params(),
                            retries=params.retries, sample=s))
            for s in range(params.samples) for a, b, slot in orders
        ]
        answers = await asyncio.gather(*(job for _, job in jobs))
        slots = [slot for slot, _ in jobs]
        labels = [_winner(a.data["winner"], slot)
                  for slot, a in zip(slots, answers, strict=True) if a.data]
        evidence = _audit(spec, answers)
        if not labels:
            return self._unscored(ctx, answers, evidence)
        score = sum(OUTCOME_SCORE[label] for label in labels) / len(labels)
        outcome = "pass" if score >= params.pass_at else "fail"
        count = Counter(labels).most_common(1)[0][1]
        evidence["verdicts"] = labels
        confidence = count / len(jobs)
        reason = (f"output vs reference: {dict(Counter(labels))} over {len(jobs)} judgements "
                  f"(both orders); score {score:.2f}")
        return make_score(ctx, self, outcome, score, reason, confidence=confidence,
                          evidence=evidence)

    def _unscored(
        self, ctx: ScoreContext, answers: Sequence[JsonAnswer], evidence: dict[str, Any]
    ) -> Score:
        errors = [a.error for a in answers if a.error]
        reason = f"no valid verdict from the judge: {errors[0] if errors else 'no answer'}"
        return make_score(ctx, self, "unscored", None, reason, confidence=0.0, evidence=evidence)


def _winner(winner: str, output_slot: str) -> str:
    """The judge's A/B/tie as seen from the output: output, reference or tie."""
    if winner == "tie":
        return "tie"
    return "output" if winner == output_slot else "reference"


def _audit(spec: ModelSpec, answers: Sequence[JsonAnswer]) -> dict[str, Any]:
    costs = [a.cost_usd for a in answers]
    total = None if any(c is None for c in costs) else sum(c for c in costs if c is not None)
    return {"judge": {"model": spec.ref, "base_url": spec.base_url,
                      "samples": [a.as_dict() for a in answers], "cost_usd": total}}


def _consensus(
    criteria: Sequence[Criterion], verdicts: list[dict[str, bool]], answers: Sequence[JsonAnswer]
) -> list[dict[str, Any]]:
    """Per criterion: how many valid samples found it met, and the first sample's reason."""
    first = next(a.data for a in answers if a.data)
    reasons = {i["id"]: i["reason"] for i in first["criteria"]}
    return [
        {"id": c.id, "points": c.points, "met": sum(v.get(c.id, False) for v in verdicts),
         "of": len(verdicts), "reason": reasons.get(c.id, "")}
        for c in criteria
    ]


def _confidence(scores: list[float], threshold: float, outcome: str, samples: int) -> float:
    """Several samples: the share that agrees with the outcome (a dropped sample disagrees).
    One sample: distance from the threshold, since a verdict at the line is a coin toss."""
    if samples > 1:
        agree = sum(1 for s in scores if (s >= threshold) == (outcome == "pass"))
        return agree / samples
    return min(1.0, 0.5 + abs(scores[0] - threshold))


def _rubric_reason(criteria: list[dict[str, Any]], score: float) -> str:
    def majority(c: dict[str, Any]) -> bool:
        return c["met"] * 2 > c["of"]

    missed = [c["id"] for c in criteria if c["points"] > 0 and not majority(c)]
    penalties = [c["id"] for c in criteria if c["points"] < 0 and majority(c)]
    parts = [f"score {score:.2f}"]
    if missed:
        parts.append(f"not met: {', '.join(missed)}")
    if penalties:
        parts.append(f"penalties: {', '.join(penalties)}")
    return "; ".join(parts)


__all__ = ["Criterion", "Judge", "JudgeParams", "close_judges", "rubric_score"]

"""`instructions`: verifiable format instructions in IFEval's vocabulary.

A suite states a format constraint once, by the public instruction id and its keyword
arguments, and every output is checked the same way the IFEval benchmark checks it:

```yaml
- type: instructions
  instruction_id_list: [punctuation:no_comma, length_constraints:number_words]
  kwargs: [{}, {relation: less than, num_words: 50}]
```

Score = share of instructions followed; the check passes only when all are. An instruction
that cannot be decided (language detection without `langdetect`) leaves the check `unscored`
unless another instruction already failed. The evidence lists each instruction with what was
measured.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from harness.models import Score
from harness.scoring.base import CheckParams, ScoreContext, make_score
from harness.scoring.ifeval.instructions import INSTRUCTION_IDS, Verdict, check, validate_kwargs
from harness.scoring.registry import register


class InstructionsParams(CheckParams):
    instruction_id_list: list[str] = Field(
        min_length=1,
        description="IFEval instruction ids, e.g. punctuation:no_comma.",
        json_schema_extra={"items": {"type": "string", "enum": list(INSTRUCTION_IDS)}},
    )
    kwargs: list[dict[str, Any] | None] | None = Field(
        default=None,
        description="Keyword arguments, one mapping per instruction in the same order "
        "(e.g. {relation: less than, num_words: 50}); may be omitted when none take any.",
    )
    mode: Literal["strict", "loose"] = Field(
        default="strict",
        description="loose also accepts the output without its first/last line or * markup.",
    )
    _arguments: tuple[dict[str, Any], ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _valid_arguments(self) -> InstructionsParams:
        kwargs = self.kwargs if self.kwargs is not None else [None] * len(self.instruction_id_list)
        if len(kwargs) != len(self.instruction_id_list):
            raise ValueError(
                f"kwargs has {len(kwargs)} entries for {len(self.instruction_id_list)} "
                "instructions: give one mapping per instruction ({} when it takes none)"
            )
        pairs = zip(self.instruction_id_list, kwargs, strict=True)
        self._arguments = tuple(validate_kwargs(i, k) for i, k in pairs)
        return self


@register
class Instructions:
    type: ClassVar[str] = "instructions"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[CheckParams]] = InstructionsParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, InstructionsParams)
        text = ctx.completion.text
        pairs = zip(params.instruction_id_list, params._arguments, strict=True)
        verdicts = [(i, check(i, text, kw, params.mode)) for i, kw in pairs]
        evidence = {"mode": params.mode, "instructions": [_entry(i, v) for i, v in verdicts]}
        decided = [v for _, v in verdicts if v.followed is not None]
        failed = [i for i, v in verdicts if v.followed is False]
        undecided = [i for i, v in verdicts if v.followed is None]
        share = sum(1 for v in decided if v.followed) / len(decided) if decided else None
        if failed:  # one sure failure is enough: the surest one is the confidence
            confidence = max(v.confidence for _, v in verdicts if v.followed is False)
            reason = f"not followed: {', '.join(failed)}" + _first_detail(verdicts, failed[0])
            return make_score(ctx, self, "fail", share, reason, confidence=confidence,
                              evidence=evidence)
        if undecided:
            reason = f"cannot check {', '.join(undecided)}" + _first_detail(verdicts, undecided[0])
            return make_score(ctx, self, "unscored", share, reason, confidence=0.0,
                              evidence=evidence)
        reason = f"all {len(verdicts)} instructions followed"
        confidence = min(v.confidence for v in decided)  # a pass needs every verdict right
        return make_score(ctx, self, "pass", 1.0, reason, confidence=confidence, evidence=evidence)


def _entry(instruction_id: str, verdict: Verdict) -> dict[str, Any]:
    return {"id": instruction_id, "followed": verdict.followed, "detail": verdict.detail}


def _first_detail(verdicts: list[tuple[str, Verdict]], instruction_id: str) -> str:
    detail = next(v.detail for i, v in verdicts if i == instruction_id)
    return f" ({detail})"

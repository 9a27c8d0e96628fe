"""`operations`: latency, tokens and cost of one case against its budgets.

```yaml
- {type: operations, max_latency_ms: 3000, max_cost_usd: 0.002, max_completion_tokens: 400}
```

Cost is the provider's when it reported one, else the usage priced by
`harness.providers.pricing` (the
check's `pricing`, then the model's, then `HARNESS_PRICES`, then the built-in table). A budget
whose measure is unknown (no usage, no price, no recorded latency) is not met by default: the
check is `unscored` with the reason, unless another budget already failed. A cached answer has
no latency of its own, so its latency budget does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field, model_validator

from harness.models import Score
from harness.providers.pricing import PRICE_REMEDY, Price, price_for
from harness.scoring.base import CheckParams, ScoreContext, make_score
from harness.scoring.registry import register

BUDGETS = ("max_latency_ms", "max_cost_usd", "max_tokens", "max_prompt_tokens",
           "max_completion_tokens")


class OperationsParams(CheckParams):
    max_latency_ms: float | None = Field(default=None, ge=0, description="Latency budget (ms).")
    max_cost_usd: float | None = Field(default=None, ge=0, description="Cost budget (USD).")
    max_tokens: int | None = Field(default=None, ge=0, description="Prompt + completion tokens.")
    max_prompt_tokens: int | None = Field(default=None, ge=0)
    max_completion_tokens: int | None = Field(default=None, ge=0)
    model: str | None = Field(
        default=None,
        description="provider:model whose price applies when no cost was reported "
        "(default: the model that answered).",
    )
    pricing: Price | None = Field(default=None, description="Overrides every price table.")

    @model_validator(mode="after")
    def _some_budget(self) -> OperationsParams:
        if all(getattr(self, name) is None for name in BUDGETS):
            raise ValueError(f"give at least one budget: {', '.join(BUDGETS)}")
        return self


@dataclass(frozen=True)
class Measure:
    name: str
    value: float | None  # None: unknown
    limit: float
    note: str = ""
    applies: bool = True

    @property
    def ok(self) -> bool | None:
        return None if self.value is None or not self.applies else self.value <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "max": self.limit, "ok": self.ok,
                "applies": self.applies, "note": self.note}


def measures(ctx: ScoreContext, params: OperationsParams) -> list[Measure]:
    usage = ctx.completion.usage
    found = []
    if params.max_latency_ms is not None:
        found.append(_latency(ctx, params.max_latency_ms))
    if params.max_cost_usd is not None:
        cost, note = cost_of(ctx, params)
        found.append(Measure("cost_usd", cost, params.max_cost_usd, note))
    token_values = {
        "max_tokens": usage.total_tokens if usage else None,
        "max_prompt_tokens": usage.prompt_tokens if usage else None,
        "max_completion_tokens": usage.completion_tokens if usage else None,
    }
    for name, value in token_values.items():
        limit = getattr(params, name)
        if limit is not None:
            note = "" if usage else "no token usage recorded"
            found.append(Measure(name.removeprefix("max_"), value, limit, note))
    return found


def _latency(ctx: ScoreContext, limit: float) -> Measure:
    completion = ctx.completion
    if completion.cached:
        return Measure("latency_ms", None, limit, "served from cache", applies=False)
    if completion.latency_ms <= 0:  # a real call never takes 0 ms: it was not recorded
        return Measure("latency_ms", None, limit, "no latency recorded")
    return Measure("latency_ms", completion.latency_ms, limit)


def cost_of(ctx: ScoreContext, params: OperationsParams) -> tuple[float | None, str]:
    """(cost, where it came from): reported, else priced usage, else unknown."""
    completion = ctx.completion
    if completion.cost_usd is not None:
        return completion.cost_usd, "reported"
    if completion.usage is None:
        return None, "no cost reported and no token usage to price"
    ref = params.model or ctx.model or str(ctx.case.metadata.get("model") or "")
    price = params.pricing or (price_for(ref) if ref else None)
    if price is None:
        return None, f"no price known for {ref or 'the model'!r}: {PRICE_REMEDY}"
    return price.cost(completion.usage), f"priced usage ({ref or 'check pricing'})"


@register
class Operations:
    type: ClassVar[str] = "operations"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[CheckParams]] = OperationsParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, OperationsParams)
        found = measures(ctx, params)
        evidence = {"measures": [m.as_dict() for m in found]}
        live = [m for m in found if m.applies]
        if not live:
            return make_score(ctx, self, "not_applicable", None, found[0].note, evidence=evidence)
        known = [m for m in live if m.ok is not None]
        share = sum(1 for m in known if m.ok) / len(known) if known else None
        over = [m for m in known if not m.ok]
        unknown = [m for m in live if m.ok is None]
        if over:
            reason = "; ".join(f"{m.name} {_fmt(m.value)} over {_fmt(m.limit)}" for m in over)
            return make_score(ctx, self, "fail", share, reason, evidence=evidence)
        if unknown:
            reason = "; ".join(f"{m.name} unknown: {m.note}" for m in unknown)
            return make_score(ctx, self, "unscored", share, reason, confidence=0.0,
                              evidence=evidence)
        reason = ", ".join(f"{m.name} {_fmt(m.value)} <= {_fmt(m.limit)}" for m in known)
        return make_score(ctx, self, "pass", 1.0, reason, evidence=evidence)


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.6g}"

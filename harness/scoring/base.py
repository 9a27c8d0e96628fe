"""The Scorer contract: one context in, one Score out.

A bad answer is a failing Score. A scorer that cannot decide returns `unscored` with the
reason; a scorer that crashes is turned into an `unscored` Score by `score_safely`, so one
broken check never loses a case or passes it silently.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from harness.models import Case, Completion, Score, ScoreOutcome


class CheckParams(BaseModel):
    """Base of every check type's parameters: `type`, an optional display `id`, and `not`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: str
    id: str | None = Field(default=None, description="Name shown in summaries.")

    @property
    def name(self) -> str:
        return self.id or self.type


@dataclass(frozen=True, slots=True)
class ScoreContext:
    """Everything a scorer may look at for one result."""

    case: Case
    check: CheckParams
    completion: Completion
    model: str = ""
    repeat: int = 0
    judge: Any = None  # a Provider for LLM judges, when one is configured


@runtime_checkable
class Scorer(Protocol):
    """One check type. `Params` validates the check as written in a file."""

    type: ClassVar[str]
    version: ClassVar[str]
    Params: ClassVar[type[CheckParams]]

    async def score(self, ctx: ScoreContext) -> Score: ...


def make_score(
    ctx: ScoreContext,
    scorer: Scorer,
    outcome: ScoreOutcome,
    score: float | None,
    reason: str,
    *,
    confidence: float = 1.0,
    evidence: dict[str, Any] | None = None,
) -> Score:
    """Build a Score stamped with the check's name and the scorer's version."""
    return Score(
        check=ctx.check.name,
        type=scorer.type,
        scorer_version=scorer.version,
        outcome=outcome,
        score=score,
        confidence=confidence,
        reason=reason,
        evidence=evidence or {},
    )


def passed(ok: bool) -> ScoreOutcome:
    return "pass" if ok else "fail"


DEFAULT_SCORER_TIMEOUT_S = 600.0


def scorer_timeout_s() -> float:
    """Seconds one scorer may take on one result (HARNESS_SCORER_TIMEOUT, default 600):
    a judge that never answers, or any scorer that awaits forever, leaves the row unscored
    and the run going."""
    try:
        value = float(os.environ.get("HARNESS_SCORER_TIMEOUT", DEFAULT_SCORER_TIMEOUT_S))
    except ValueError:
        return DEFAULT_SCORER_TIMEOUT_S
    return value if 0 < value < 1e6 else DEFAULT_SCORER_TIMEOUT_S


async def score_safely(scorer: Scorer, ctx: ScoreContext) -> Score:
    """Run a scorer within its time budget; a crash or a timeout becomes an `unscored`
    Score carrying the reason, never a pass. (The budget bounds waiting; code that never
    yields, such as a backtracking `re` search, is bounded where it runs: user patterns go
    through `_patterns`, with their own timeout.)"""
    seconds = scorer_timeout_s()
    try:
        return await asyncio.wait_for(scorer.score(ctx), timeout=seconds)
    except TimeoutError:
        return make_score(ctx, scorer, "unscored", None,
                          f"scorer took longer than {seconds:g} s; not decided",
                          confidence=0.0, evidence={"timeout_s": seconds})
    except Exception as exc:  # noqa: BLE001 - a scorer bug must not lose the case
        return make_score(
            ctx,
            scorer,
            "unscored",
            None,
            f"scorer crashed: {type(exc).__name__}: {exc}",
            confidence=0.0,
        )


async def close_open_judges() -> None:
    """Close the judge clients scorers opened in the running loop. A run, rescore or
    offline scoring without a judge never imported the judge module (nor its jsonschema),
    so there is nothing to close and nothing is imported here."""
    ask = sys.modules.get("harness.scoring.judge.ask")
    if ask is not None:
        await ask.close_judges()

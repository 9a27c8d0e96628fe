"""`harness rescore RUN`: score a run's stored outputs again with today's scorers.

Generation and scoring are separate stages, so a new scorer version, a changed threshold or
a new rubric can be applied to old outputs without calling any model: the result is a NEW
run (kind `rescore`, `parent_run_id` = RUN) carrying today's suite, rubric and scorer
versions, so it compares honestly with runs made under them. The original run and its
scores are never touched. Errors stay errors (there is no output to score).

Checks come from the suite file (the run's own path, or `suite_path`); a case the file no
longer has is scored from the run's snapshot of it. No model under test is called; LLM-judge
checks (and grounding in llm mode) do call their judge model, as they would in a run, so rows
are scored `concurrency` at a time and the judges' clients are closed at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.errors import UsageError
from harness.governance import governance_of
from harness.models import (
    Case,
    CaseResult,
    Completion,
    ErrorInfo,
    RunSpec,
    Score,
    ToolCall,
    Usage,
)
from harness.scoring.base import (
    CheckParams,
    ScoreContext,
    Scorer,
    close_open_judges,
    score_safely,
)
from harness.scoring.registry import get_scorer, validate_check
from harness.store import RunStore, new_run_id

BATCH = 200


@dataclass
class RescoreOutcome:
    run_id: str
    parent_id: str
    counts: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0, "error": 0})
    flipped: list[tuple[str, int, str, str]] = field(default_factory=list)  # case, repeat, old, new
    from_snapshot: list[str] = field(default_factory=list)  # cases no longer in the suite file


def rescore_run(
    store: RunStore,
    ref: str,
    *,
    suite_path: str | None = None,
    tags: tuple[str, ...] = (),
    concurrency: int = 8,
) -> RescoreOutcome:
    """Re-score every stored output of run `ref` into a new run; returns what changed."""
    from harness.suites import load_suite

    run = store.get_run(ref)
    path = suite_path or run["suite_path"]
    if not path:
        raise UsageError(f"run {run['id']} names no suite file: pass --suite PATH")
    loaded = load_suite(path)
    snapshot = store.get_cases(run["id"])
    cases, from_snapshot = _cases(loaded, snapshot, store, run["id"])
    scorers = _Checks(loaded)
    spec = _spec(run, loaded, scorers.versions(cases.values()), tags)
    store.create_run(spec, n_planned=run["n_planned"] or 0)
    store.set_lineage(spec.run_id, run["id"], "rescore")
    store.write_cases(spec.run_id, [(c, snapshot.get(c.id, {}).get("messages") or [])
                                    for c in cases.values()])
    outcome = RescoreOutcome(spec.run_id, run["id"], from_snapshot=from_snapshot)
    asyncio.run(
        _rescore_rows(store, run["id"], spec.run_id, cases, scorers, outcome, concurrency)
    )
    store.set_status(spec.run_id, run["status"], time.time())
    return outcome


# --------------------------------------------------------------------------- cases, checks


def _cases(
    loaded: Any, snapshot: dict[str, dict[str, Any]], store: RunStore, run_id: str
) -> tuple[dict[str, Case], list[str]]:
    """Today's definition of every case the run has results for; the snapshot otherwise."""
    now = {c.id: c for c in loaded.cases}
    ids = sorted({r[0] for r in store.db.execute(
        "SELECT DISTINCT case_id FROM results WHERE run_id = ?", (run_id,))})
    out, old = {}, []
    for cid in ids:
        if cid in now:
            out[cid] = now[cid]
        elif cid in snapshot:
            out[cid] = Case.model_validate(snapshot[cid]["data"])
            old.append(cid)
        else:
            out[cid] = Case(id=cid)
            old.append(cid)
    return out, old


class _Checks:
    """Validated checks per case, memoised: suite and rubric checks repeat on every case."""

    def __init__(self, loaded: Any) -> None:
        self.loaded = loaded
        self.scorers: dict[str, Scorer] = {}
        self.params: dict[str, CheckParams] = {}

    def for_case(self, case: Case) -> list[tuple[Scorer, CheckParams]]:
        out = []
        for spec in self.loaded.checks_for(case):
            scorer = self.scorers.setdefault(spec.type, get_scorer(spec.type))
            key = spec.model_dump_json()
            if key not in self.params:
                self.params[key] = validate_check(spec)
            out.append((scorer, self.params[key]))
        return out

    def versions(self, cases: Any) -> dict[str, str]:
        types = {s.type for c in cases for s in self.loaded.checks_for(c)}
        return {t: get_scorer(t).version for t in sorted(types)}


def _spec(run: dict[str, Any], loaded: Any, versions: dict[str, str],
          tags: tuple[str, ...]) -> RunSpec:
    now = time.time()
    stored = dict(run["spec"] or {})
    stored.update(
        run_id=new_run_id(now), suite=loaded.suite.suite,
        suite_version=str(loaded.suite.version), suite_hash=loaded.content_hash,
        suite_path=str(Path(loaded.path).resolve()),
        rubrics={f"{r.rubric.rubric}@{r.rubric.version}": r.content_hash
                 for r in loaded.rubrics},
        scorer_versions=versions, started_at=now, tags=list(tags),
        governance=governance_of(loaded).model_dump(mode="json"),
    )
    return RunSpec.model_validate(stored)


# --------------------------------------------------------------------------- scoring


async def _rescore_rows(
    store: RunStore, parent: str, run_id: str, cases: dict[str, Case], checks: _Checks,
    outcome: RescoreOutcome, concurrency: int = 8,
) -> None:
    """Score the parent's rows a batch at a time, `concurrency` rows at once (only judge
    checks wait on anything), writing each batch in the parent's order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(row: dict[str, Any]) -> CaseResult:
        async with gate:
            return await _rescore_one(row, run_id, cases[row["case_id"]], checks)

    rows = list(store.iter_results(parent))
    try:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            results = await asyncio.gather(*(one(row) for row in chunk))
            for row, result in zip(chunk, results, strict=True):
                outcome.counts[result.outcome] += 1
                if result.outcome != row["outcome"]:
                    outcome.flipped.append((row["case_id"], row["repeat"], row["outcome"],
                                            result.outcome))
            store.write_results(list(results))
    finally:
        await close_open_judges()


async def _rescore_one(
    row: dict[str, Any], run_id: str, case: Case, checks: _Checks
) -> CaseResult:
    common = dict(run_id=run_id, case_id=row["case_id"], model=row["model"],
                  repeat=row["repeat"], started_at=_ts(row["started_at"]),
                  finished_at=_ts(row["finished_at"]))
    if row["outcome"] == "error":
        error = ErrorInfo(kind=row["error_kind"] or "unknown", message=row["error_message"] or "",
                          attempts=row["attempts"] or 1, status=row["error_status"])
        return CaseResult(outcome="error", error=error, **common)  # type: ignore[arg-type]
    completion = completion_from_row(row)
    scores = []
    for scorer, params in checks.for_case(case):
        ctx = ScoreContext(case=case, check=params, completion=completion, model=row["model"],
                           repeat=row["repeat"])
        scores.append(await score_safely(scorer, ctx))
    return CaseResult(outcome=outcome_of(scores), completion=completion,  # type: ignore[arg-type]
                      scores=tuple(scores), **common)


def outcome_of(scores: list[Score]) -> str:
    """The runner's rule: a result passes when no check failed and none was left unscored."""
    return "fail" if any(s.outcome in ("fail", "unscored") for s in scores) else "pass"


def completion_from_row(row: dict[str, Any]) -> Completion:
    """The stored output as the Completion the scorers saw when the run was made."""
    usage = None
    if row["prompt_tokens"] is not None or row["completion_tokens"] is not None:
        usage = Usage(prompt_tokens=row["prompt_tokens"] or 0,
                      completion_tokens=row["completion_tokens"] or 0)
    return Completion(
        text=row["output"] or "", tool_calls=tuple(_tool_calls(row["tool_calls"])),
        usage=usage, latency_ms=row["latency_ms"] or 0.0, attempts=row["attempts"] or 0,
        cached=bool(row["cached"]), refused=bool(row["refused"]),
        finish_reason=row["finish_reason"], cost_usd=row["cost_usd"],
        queue_ms=row.get("queue_ms"),
    )


def _tool_calls(raw: list[dict[str, Any]]) -> Iterator[ToolCall]:
    for call in raw or []:
        yield ToolCall.model_validate(call)


def _ts(value: str | None) -> float:
    return datetime.fromisoformat(value).timestamp() if value else 0.0

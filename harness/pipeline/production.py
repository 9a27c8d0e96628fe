"""Scored production traffic stored as a *monitoring run* of a named suite.

    rows = list(read_jsonl(open("traffic.jsonl"), "traffic.jsonl"))
    scored = list(score_rows("pii", rows))
    run_id = store_monitoring_run(store, "support-assistant", zip(rows, scored))

The run is an ordinary run (results, scores, case snapshot) with `runs.kind = 'monitoring'`,
so everything that reads runs works on it: the same control charts and drift watch live
quality (as their own series: production inputs are not the suite's cases), reports and the
dashboard show it, and `harness review route RUN` routes it to people like any other run.

Lineage: the run borrows the suite's version, hash and file path from the suite's newest
complete run, so its SLO sheet is the suite's. Scoring a second check over the same traffic
adds to the same run (`run_id=`): results are matched by row id, a new failing score turns
a passing result into a failing one, and nothing already stored is rewritten.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from harness import __version__
from harness.errors import UsageError
from harness.governance import stored_governance
from harness.models import (
    Case,
    CaseResult,
    Completion,
    ModelSpec,
    Outcome,
    RunSpec,
    Score,
    ScoreOutcome,
    Usage,
)
from harness.store import RunStore, new_run_id, write_transaction

KIND = "monitoring"
DEFAULT_MODEL = "production"
Pair = tuple[Mapping[str, Any], Mapping[str, Any]]


def store_monitoring_run(
    store: RunStore,
    suite_name: str,
    rows_scored: Iterable[Pair | Mapping[str, Any]],
    *,
    model: str = DEFAULT_MODEL,
    run_id: str | None = None,
    check_type: str | None = None,
    tags: tuple[str, ...] = (),
) -> str:
    """Store (logged row, scored row) pairs as a monitoring run; returns its id.

    A bare scored row (as `harness score` writes) is accepted too; it then has no output
    text, latency or cost. With `run_id`, the scores are added to that monitoring run.
    """
    pairs = [_pair(item) for item in rows_scored]
    if not pairs:
        raise UsageError("no scored rows to store")
    if run_id is not None:
        return _append(store, suite_name, run_id, pairs, model, check_type)
    spec = _spec(store, suite_name, pairs, model, check_type, tags)
    results, cases = _results(spec.run_id, pairs, model, check_type)
    store.create_run(spec, n_planned=len(results))
    store.write_cases(spec.run_id, cases)
    store.write_results(results)
    store.set_status(spec.run_id, "complete", time.time())
    with write_transaction(store.db):
        store.db.execute("UPDATE runs SET kind = ? WHERE id = ?", (KIND, spec.run_id))
    return spec.run_id


def _pair(item: Pair | Mapping[str, Any]) -> Pair:
    if isinstance(item, Mapping):
        return ({"id": item.get("id")}, item)
    row, scored = item
    return row, scored


class Recorder:
    """Keeps the rows `harness score` streams (inputs and scored rows, in the same order), so
    they can be stored as a monitoring run once scoring is done."""

    def __init__(self) -> None:
        self.inputs: list[Mapping[str, Any]] = []
        self.outputs: list[Mapping[str, Any]] = []

    def inputs_of(self, rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        for row in rows:
            self.inputs.append(row)
            yield row

    def outputs_of(self, rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        for row in rows:
            self.outputs.append(row)
            yield row

    def pairs(self) -> list[Pair]:
        return list(zip(self.inputs, self.outputs, strict=True))


# --------------------------------------------------------------------------- lineage


def _spec(store: RunStore, suite: str, pairs: list[Pair], model: str, check_type: str | None,
          tags: tuple[str, ...]) -> RunSpec:
    now = time.time()
    base = _suite_run(store, suite)
    models = sorted({_model(row, model) for row, _ in pairs})
    return RunSpec(
        run_id=new_run_id(now), suite=suite,
        suite_version=str(base["suite_version"]) if base else "0",
        suite_hash=str(base["suite_hash"]) if base else "none",
        suite_path=base["suite_path"] if base else None,
        rubrics=base["rubrics"] or {} if base else {},
        models=tuple(ModelSpec(ref=m) for m in models),
        scorer_versions=_scorer_versions(pairs, check_type), harness_version=__version__,
        started_at=now, n_cases=len(pairs), tags=(KIND, *tags),
        governance=stored_governance(base) if base else None,
    )


def _suite_run(store: RunStore, suite: str) -> dict[str, Any] | None:
    row = store.db.execute(
        "SELECT id FROM runs WHERE suite = ? AND status = 'complete' AND kind IS NULL "
        "ORDER BY started_at DESC LIMIT 1", (suite,)).fetchone()
    return store.get_run(row[0]) if row else None


def _scorer_versions(pairs: list[Pair], check_type: str | None) -> dict[str, str]:
    return {check_type or str(s.get("check")): str(s.get("scorer_version") or "?")
            for _, s in pairs}


# --------------------------------------------------------------------------- results


def _results(run_id: str, pairs: list[Pair], model: str, check_type: str | None
             ) -> tuple[list[CaseResult], list[tuple[Case, list[dict[str, Any]]]]]:
    results: list[CaseResult] = []
    cases: list[tuple[Case, list[dict[str, Any]]]] = []
    seen: set[str] = set()
    for number, (row, scored) in enumerate(pairs, start=1):
        cid = _unique(_case_id(row.get("id", scored.get("id")), number), seen)
        score = _score(scored, check_type)
        results.append(CaseResult(
            run_id=run_id, case_id=cid, model=_model(row, model), outcome=_outcome([score]),
            completion=_completion(row), scores=(score,), started_at=time.time(),
            finished_at=time.time()))
        cases.append(_case(cid, row))
    return results, cases


def _case_id(row_id: Any, number: int) -> str:
    from harness.pipeline.offline import case_id

    return case_id(row_id if row_id is not None else f"row-{number}")


def _unique(cid: str, seen: set[str]) -> str:
    out, k = cid, 1
    while out in seen:
        k += 1
        out = f"{cid}-dup{k}"
    seen.add(out)
    return out


def _model(row: Mapping[str, Any], default: str) -> str:
    value = row.get("model")
    return value if isinstance(value, str) and value.strip() else default


def _outcome(scores: list[Score]) -> Outcome:
    """As a suite run: a failing or undecided check fails the result."""
    return "fail" if any(s.outcome in ("fail", "unscored") for s in scores) else "pass"


def _score(scored: Mapping[str, Any], check_type: str | None) -> Score:
    name = str(scored.get("check") or check_type or "check")
    raw = scored.get("outcome")
    outcome: ScoreOutcome = "unscored"
    if raw in ("pass", "fail", "unscored", "not_applicable"):
        outcome, reason = raw, str(scored.get("reason") or "")
    else:
        reason = f"scored row has no valid outcome ({raw!r})"
    details = scored.get("details")
    return Score(check=name, type=check_type or name,
                 scorer_version=str(scored.get("scorer_version") or "?"), outcome=outcome,
                 score=_float(scored.get("score")),
                 confidence=_float(scored.get("confidence"), 1.0) or 0.0,
                 reason=reason, evidence=dict(details) if isinstance(details, Mapping) else {})


def _completion(row: Mapping[str, Any]) -> Completion:
    output = row.get("output")
    text = output if isinstance(output, str) else (
        "" if output is None else json.dumps(output, ensure_ascii=False))
    usage = row.get("usage")
    return Completion(
        text=text, latency_ms=_float(row.get("latency_ms"), 0.0) or 0.0,
        cost_usd=_float(row.get("cost_usd")),
        usage=Usage(prompt_tokens=int(usage.get("prompt_tokens") or 0),
                    completion_tokens=int(usage.get("completion_tokens") or 0))
        if isinstance(usage, Mapping) else None,
    )


def _float(value: Any, default: float | None = None) -> float | None:
    try:
        return default if value is None else float(value)
    except (TypeError, ValueError):
        return default


def _case(cid: str, row: Mapping[str, Any]) -> tuple[Case, list[dict[str, Any]]]:
    """The case snapshot of a logged row: input, context, tags; never fails a row."""
    text = row.get("input")
    data = {"id": cid, "input": text if isinstance(text, str) else None,
            "context": row.get("context"), "expected": row.get("expected"),
            "tags": [t for t in row.get("tags") or [] if isinstance(t, str)]
            if isinstance(row.get("tags"), list) else []}
    try:
        case = Case.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError:
        case = Case(id=cid)
    messages = [{"role": "user", "content": case.input}] if case.input else []
    return case, messages


# --------------------------------------------------------------------------- appending


def _append(store: RunStore, suite: str, run_id: str, pairs: list[Pair], model: str,
            check_type: str | None) -> str:
    """Add one more check's scores to an existing monitoring run of `suite`."""
    run = store.get_run(run_id)
    if run["suite"] != suite or run.get("kind") != KIND:
        raise UsageError(f"run {run['id']} is not a monitoring run of suite {suite!r}")
    run_id = run["id"]
    results, cases = _results(run_id, pairs, model, check_type)
    existing = _result_ids(store, run_id)
    new = [r for r in results if (r.case_id, r.model) not in existing]
    with write_transaction(store.db):
        for r in results:
            if (r.case_id, r.model) in existing:
                _add_score(store, existing[(r.case_id, r.model)], run_id, r)
        versions = {**(run["scorer_versions"] or {}), **_scorer_versions(pairs, check_type)}
        store.db.execute("UPDATE runs SET scorer_versions = ? WHERE id = ?",
                         (json.dumps(versions), run_id))
    if new:
        store.write_cases(run_id, [c for c in cases if c[0].id in {r.case_id for r in new}])
        store.write_results(new)
    return str(run_id)


def _result_ids(store: RunStore, run_id: str) -> dict[tuple[str, str], int]:
    rows = store.db.execute("SELECT id, case_id, model FROM results WHERE run_id = ? AND "
                            "repeat = 0", (run_id,))
    return {(r[1], r[2]): int(r[0]) for r in rows}


def _add_score(store: RunStore, result_id: int, run_id: str, r: CaseResult) -> None:
    s = r.scores[0]
    store.db.execute(
        "INSERT INTO scores (result_id, run_id, check_name, check_type, scorer_version, "
        "outcome, score, confidence, reason, evidence) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (result_id, run_id, s.check, s.type, s.scorer_version, s.outcome, s.score,
         s.confidence, s.reason, json.dumps(s.evidence, ensure_ascii=False) if s.evidence
         else None))
    if r.outcome == "fail":
        store.db.execute("UPDATE results SET outcome = 'fail' WHERE id = ? AND outcome = "
                         "'pass'", (result_id,))

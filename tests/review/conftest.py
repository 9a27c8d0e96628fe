"""Fixtures for the review tests: a real SQLite store and runs written through RunStore."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from review_helpers import MODEL

from harness.models import Case, CaseResult, Completion, ModelSpec, RunSpec
from harness.store import RunStore, open_db


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "review.db"))


MakeRun = Callable[..., str]


@pytest.fixture
def make_run(store: RunStore) -> MakeRun:
    """make_run({case_id: [Score, ...] | "error"}, cases={id: Case kwargs}) -> run id.

    A case passes when none of its scores fails. Runs are spaced one second apart so
    `newest_run(before=...)` sees them in order.
    """
    counter = {"t": time.time() - 10_000}

    def make(results: dict[str, Any], *, cases: dict[str, dict[str, Any]] | None = None,
             suite: str = "s", output: str = "an answer", run_id: str | None = None,
             models: tuple[str, ...] = (MODEL,), outputs: dict[str, str] | None = None) -> str:
        counter["t"] += 1
        started = counter["t"]
        rid = run_id or f"20260101-{int(started) % 1_000_000:06d}-{len(results):06x}"
        spec = RunSpec(run_id=rid, suite=suite, suite_version="1", suite_hash="v1:x",
                       models=tuple(ModelSpec(ref=m) for m in models), harness_version="t",
                       started_at=started, n_cases=len(results))
        store.create_run(spec, n_planned=len(results) * len(models))
        case_models = [Case(id=cid, **(cases or {}).get(cid, {"input": f"question {cid}"}))
                       for cid in results]
        store.write_cases(rid, [(c, []) for c in case_models])
        rows = [_result(rid, cid, m, scores, (outputs or {}).get(cid, output))
                for cid, scores in results.items() for m in models]
        store.write_results(rows)
        store.set_status(rid, "complete", started + 0.5)
        return rid

    return make


def _result(rid: str, cid: str, model: str, scores: Any, output: str) -> CaseResult:
    if scores == "error":
        from harness.models import ErrorInfo

        return CaseResult(run_id=rid, case_id=cid, model=model, outcome="error",
                          error=ErrorInfo(kind="timeout", message="slow"))
    failed = any(s.outcome in ("fail", "unscored") for s in scores)
    return CaseResult(run_id=rid, case_id=cid, model=model, outcome="fail" if failed else "pass",
                      completion=Completion(text=output), scores=tuple(scores))

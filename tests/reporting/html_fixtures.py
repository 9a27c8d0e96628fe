"""Runs for the HTML report and dashboard tests, with hostile text in every field a model or
a suite author controls."""

from __future__ import annotations

import time
from pathlib import Path

from harness.models import Case, CaseResult, Completion, ErrorInfo, ModelSpec, RunSpec, Score
from harness.store import RunStore, open_db
from harness.testing.history import HistorySpec, write_history

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def hostile_store(path: Path, history: int = 12) -> tuple[RunStore, list[str], str]:
    """A simulated history of suite `demo` and one hostile run of it at the end."""
    store = RunStore(open_db(path))
    ids = write_history(store, HistorySpec(suite="demo", runs=history, cases=20,
                                           shift_at=history - 2, shifted_pass_prob=0.5))
    run_id = "29990101-000000-hostile"
    store.create_run(RunSpec(run_id=run_id, suite="demo", suite_version="1",
                             suite_hash="v1:sim", models=(ModelSpec(ref="openai:gpt-4o-mini"),),
                             harness_version="0", started_at=time.time() + 1e6, n_cases=3,
                             params={"note": XSS}), n_planned=3)
    cases = [Case(id="c-xss", input=XSS, context=[XSS], tags=[XSS, "lang:fr"], expected=XSS),
             Case(id="c-ok", input="fine", tags=["lang:en"]),
             Case(id="c-err", input="fine", tags=["lang:en"])]
    store.write_cases(run_id, [(c, [{"role": "user", "content": c.input}]) for c in cases])
    bad = Score(check=f"check{XSS}", type="regex", scorer_version="1", outcome="fail",
                score=0.0, reason=f"matched {XSS}", evidence={"match": XSS})
    good = Score(check="ok", type="regex", scorer_version="1", outcome="pass", score=1.0)
    store.write_results([
        CaseResult(run_id=run_id, case_id="c-xss", model="openai:gpt-4o-mini", outcome="fail",
                   completion=Completion(text=f"Sure! {XSS}", latency_ms=900.0),
                   scores=(bad,)),
        CaseResult(run_id=run_id, case_id="c-ok", model="openai:gpt-4o-mini", outcome="pass",
                   completion=Completion(text="fine", latency_ms=800.0), scores=(good,)),
        CaseResult(run_id=run_id, case_id="c-err", model="openai:gpt-4o-mini", outcome="error",
                   error=ErrorInfo(kind="server", message=f"HTTP 500 {XSS}")),
    ])
    store.set_status(run_id, "complete", time.time())
    return store, ids, run_id

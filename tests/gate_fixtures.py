"""Helpers for gate, compare and report tests: runs written straight into a real store.

Each run is what the runner would have stored (a run row, its case snapshot, results with
one `contains` score each), with outcomes chosen by the test. `None` is an errored result.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from itertools import count
from pathlib import Path

from harness.models import Case, CaseResult, Completion, ErrorInfo, ModelSpec, RunSpec, Score
from harness.store import RunStore

_SEQ = count()


def write_run(
    store: RunStore,
    outcomes: Mapping[str, Sequence[bool | None]],
    *,
    suite: str = "sim",
    tags: Sequence[str] = (),
    case_tags: Mapping[str, Sequence[str]] | None = None,
    clusters: Mapping[str, str] | None = None,
    status: str = "complete",
    suite_path: str | None = None,
    scorer_version: str = "1",
    latency_ms: float = 100.0,
    model: str = "python:sim",
    rubrics: Mapping[str, str] | None = None,
    reason: str = "missing ['x']",
    check: str = "answer",
) -> str:
    """Store a run whose case `c` has one result per entry of `outcomes[c]`."""
    n = next(_SEQ)
    started = time.time() + n  # strictly increasing, so "newest" is well defined
    run_id = f"20260101-{n:06d}-{n:06x}"
    repeats = max(len(v) for v in outcomes.values())
    spec = RunSpec(
        run_id=run_id, suite=suite, suite_version="1", suite_hash="v1:x", suite_path=suite_path,
        rubrics=dict(rubrics or {}), models=(ModelSpec(ref=model),),
        scorer_versions={"contains": scorer_version}, harness_version="0", started_at=started,
        repeats=repeats, n_cases=len(outcomes), tags=tuple(tags),
    )
    store.create_run(spec, n_planned=len(outcomes) * repeats)
    case_tags, clusters = case_tags or {}, clusters or {}
    store.write_cases(run_id, [
        (Case(id=c, input=c, tags=list(case_tags.get(c, ())), cluster=clusters.get(c)), [])
        for c in outcomes
    ])
    store.write_results(
        _result(run_id, c, r, ok, model, scorer_version, latency_ms, reason, check)
        for c, samples in outcomes.items() for r, ok in enumerate(samples)
    )
    store.set_status(run_id, status, started + 0.5)
    return run_id


def _result(run_id: str, case: str, repeat: int, ok: bool | None, model: str,
            version: str, latency_ms: float, reason: str, check: str = "answer"
            ) -> CaseResult:
    if ok is None:
        return CaseResult(run_id=run_id, case_id=case, model=model, repeat=repeat,
                          outcome="error", error=ErrorInfo(kind="timeout", message="slow"))
    score = Score(check=check, type="contains", scorer_version=version,
                  outcome="pass" if ok else "fail", score=1.0 if ok else 0.0,
                  reason="found" if ok else reason)
    return CaseResult(run_id=run_id, case_id=case, model=model, repeat=repeat,
                      outcome="pass" if ok else "fail", scores=(score,),
                      completion=Completion(text="x" if ok else "y", latency_ms=latency_ms,
                                            cost_usd=0.001))


# --------------------------------------------------------------------------- real runs

BAD: set[str] = set()  # cases the simulated model gets wrong
FLAKY: set[str] = set()  # cases it gets wrong on odd repeats only


def answer(request: dict) -> str:
    """`python:gate_fixtures:answer`: the system under test of the end-to-end tests."""
    case, repeat = request["case_id"], request["repeat"]
    if case in BAD or (case in FLAKY and repeat % 2 == 1):
        return "I am not sure."
    return "You have 30 days."


def sim_suite(
    folder, ids: Sequence[str], *, tags: Mapping[str, Sequence[str]] | None = None,
    slo: str = "", gate: str = "", name: str = "suite.yaml",
) -> Path:
    """A suite file for `answer`, with a rubric holding `slo` lines when given."""
    folder = Path(folder)
    tags = tags or {}
    rubric = ""
    if slo:
        (folder / "rubric.yaml").write_text(
            "rubric: sim-rubric\nversion: 1\nchecks: [{id: short, type: max_words, value: 50}]\n"
            f"slo:\n{slo}", encoding="utf-8")
        rubric = "rubric: rubric.yaml\n"
    cases = "\n".join(
        f"  - {{id: {c}, input: 'question {c}', tags: [{', '.join(tags.get(c, ()))}]}}"
        for c in ids)
    path = folder / name
    path.write_text(
        "suite: sim\nversion: 1\nmodel: python:gate_fixtures:answer\n" + rubric + gate
        + "checks: [{id: says-30-days, type: contains, value: 30 days}]\ncases:\n" + cases + "\n",
        encoding="utf-8")
    return path


def run_sim(store: RunStore, suite_path, *, bad: Sequence[str] = (), flaky: Sequence[str] = (),
            repeats: int = 1, tags: Sequence[str] = ()) -> str:
    """Run the suite through the real runner (no cache) with these cases answered wrongly."""
    import asyncio

    from harness.pipeline.runner import RunConfig, run_suite
    from harness.suites import load_suite

    BAD.clear()
    BAD.update(bad)
    FLAKY.clear()
    FLAKY.update(flaky)
    config = RunConfig(repeats=repeats, use_cache=False, tags=tuple(tags))
    return asyncio.run(run_suite(load_suite(suite_path), config, store)).run_id

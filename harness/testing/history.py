"""Synthetic run histories with a known shift: for tests, benchmarks and the demo report.

    store = RunStore(open_db("demo.db"))
    write_history(store, HistorySpec(runs=30, cases=60, pass_prob=0.9, shift_at=22,
                                     shifted_pass_prob=0.75))

Each run answers the same cases; whether a case passes is a seeded coin with the run's pass
probability (independent per run, like production traffic, which is the harder case for a
chart: suite runs on fixed cases vary less). Latency is log-normal around `latency_ms`.
Nothing here calls a model.

`python scripts/demo_history.py DB` writes a demo history (with a degradation at run 22
and an output that tries to inject a script) to DB and prints the run ids.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from harness import __version__
from harness.models import Case, CaseResult, Completion, ModelSpec, RunSpec, Score, Usage
from harness.store import RunStore, write_transaction

DAY = 86400.0
START = 1_780_000_000.0  # a fixed instant, so histories are reproducible
TAGS = (("billing", "lang:en"), ("account", "lang:en"), ("shipping", "lang:fr"),
        ("billing", "lang:fr", "critical"), ("product", "lang:en"))
PAYLOAD = '<script>alert("owned")</script><img src=x onerror=alert(1)>'


@dataclass(frozen=True)
class HistorySpec:
    suite: str = "support-assistant"
    runs: int = 30
    cases: int = 50
    pass_prob: float = 0.9
    shift_at: int | None = None  # run index (0-based) from which the shifted values apply
    shifted_pass_prob: float | None = None
    latency_ms: float = 800.0
    shifted_latency_ms: float | None = None
    model: str = "openai:gpt-4o-mini"
    seed: int = 0
    suite_path: str | None = None
    kind: str | None = None  # None: suite runs; "monitoring": production traffic
    payload_case: bool = False  # one output tries to inject markup (for escaping tests)
    french_penalty: float = 0.0  # pass probability lost on cases tagged lang:fr


def write_history(store: RunStore, spec: HistorySpec) -> list[str]:
    """Write `spec.runs` complete runs; returns their ids, oldest first."""
    rng = random.Random(spec.seed)
    cases = [_case(i) for i in range(spec.cases)]
    return [_write_run(store, spec, cases, t, rng) for t in range(spec.runs)]


def _case(i: int) -> Case:
    return Case(id=f"case-{i:03d}", input=f"Question number {i} about the order",
                context=[f"Passage {i}: refunds within 30 days."], tags=list(TAGS[i % len(TAGS)]))


def _shifted(spec: HistorySpec, t: int) -> bool:
    return spec.shift_at is not None and t >= spec.shift_at


def _write_run(store: RunStore, spec: HistorySpec, cases: list[Case], t: int,
               rng: random.Random) -> str:
    started = START + t * DAY
    run_id = f"{_stamp(started)}-{spec.seed % 4096:03x}{t:03d}"
    version, suite_hash, rubrics = _lineage(spec.suite_path)
    store.create_run(RunSpec(
        run_id=run_id, suite=spec.suite, suite_version=version, suite_hash=suite_hash,
        suite_path=spec.suite_path, rubrics=rubrics, models=(ModelSpec(ref=spec.model),),
        scorer_versions={"contains": "1", "max_words": "1"}, harness_version=__version__,
        started_at=started, n_cases=len(cases), tags=("nightly",),
    ), n_planned=len(cases))
    store.write_cases(run_id, [(c, [{"role": "user", "content": c.input}]) for c in cases])
    store.write_results([_result(spec, run_id, c, t, started, rng) for c in cases])
    store.set_status(run_id, "complete", started + 600)
    if spec.kind:
        with write_transaction(store.db):
            store.db.execute("UPDATE runs SET kind = ? WHERE id = ?", (spec.kind, run_id))
    return run_id


def _lineage(path: str | None) -> tuple[str, str, dict[str, str]]:
    """Version, hash and rubric hashes of a real suite file, so its SLO sheet applies."""
    from harness.governance import suite_file

    loaded = suite_file({"suite_path": path})
    if loaded is None:
        return "1", "v1:sim", {}
    rubrics = {f"{r.rubric.rubric}@{r.rubric.version}": r.content_hash for r in loaded.rubrics}
    return str(loaded.suite.version), loaded.content_hash, rubrics


def _stamp(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%d-%H%M%S")


def _result(spec: HistorySpec, run_id: str, case: Case, t: int, started: float,
            rng: random.Random) -> CaseResult:
    p = spec.shifted_pass_prob if _shifted(spec, t) and spec.shifted_pass_prob else spec.pass_prob
    if "lang:fr" in case.tags:
        p = max(0.0, p - spec.french_penalty)
    passed = rng.random() < p
    if spec.payload_case and case.id == "case-003" and _shifted(spec, t):
        passed = False  # the demo's injection attempt is always among the failing cases
    mean = spec.shifted_latency_ms if _shifted(spec, t) and spec.shifted_latency_ms \
        else spec.latency_ms
    latency = mean * math.exp(rng.gauss(0, 0.25) - 0.03125)
    text = _output(spec, case, passed)
    scores = (
        Score(check="states-answer", type="contains", scorer_version="1",
              outcome="pass" if passed else "fail", score=1.0 if passed else 0.0,
              reason="" if passed else "expected '30 days' not found in the output",
              evidence={} if passed else {"missing": ["30 days"]}),
        Score(check="concise", type="max_words", scorer_version="1", outcome="pass",
              score=1.0, reason=""),
    )
    tokens = Usage(prompt_tokens=120 + len(case.input or ""), completion_tokens=len(text) // 4)
    return CaseResult(
        run_id=run_id, case_id=case.id, model=spec.model, outcome="pass" if passed else "fail",
        completion=Completion(text=text, latency_ms=latency, usage=tokens,
                              cost_usd=tokens.total_tokens * 1e-6),
        scores=scores, started_at=started, finished_at=started + latency / 1000,
    )


def _output(spec: HistorySpec, case: Case, passed: bool) -> str:
    if spec.payload_case and case.id == "case-003" and not passed:
        return f"I cannot say. {PAYLOAD}"
    return "You can ask for a refund within 30 days." if passed else "I am not sure, sorry."


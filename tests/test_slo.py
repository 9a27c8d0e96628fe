"""The SLO sheet: met, breached, not yet decidable, unmeasured; budgets; where objectives
come from (the suite file, checked against the hashes the run stored)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from gate_fixtures import write_run

from harness.analysis.metrics import RunData, Unit, load_run
from harness.analysis.slo import ObjectiveSpec, evaluate_objective, evaluate_sheet, sheet_for_run
from harness.models import Objective
from harness.store import RunStore, open_db
from harness.suites import load_suite


def data(outcomes: list[str], **kw: object) -> RunData:
    units = [Unit(case_id=f"c{i}", model="m", repeat=0, outcome=o, cluster=f"c{i}", **kw)
             for i, o in enumerate(outcomes)]
    return RunData({"id": "r"}, units)


def check(d: RunData, metric: str, **bounds: float):
    return evaluate_objective(d, ObjectiveSpec(metric, Objective(**bounds)))


def test_rate_objectives_need_the_whole_interval_on_one_side() -> None:
    met = check(data(["pass"] * 200), "right_first_time", min=0.9)
    assert met.status == "met" and met.value.low > 0.9 and met.budget_used == 0.0
    breached = check(data(["pass"] * 50 + ["fail"] * 50), "right_first_time", min=0.9)
    assert breached.status == "breached" and breached.value.high < 0.9
    assert breached.budget_used == pytest.approx(0.5 / 0.1)
    # 9 of 10 passing against a 90% objective: this sample cannot tell
    open_ = check(data(["pass"] * 9 + ["fail"]), "right_first_time", min=0.9)
    assert open_.status == "undecided" and open_.needed_n is None  # sits exactly on the bound
    near = check(data(["pass"] * 19 + ["fail"]), "right_first_time", min=0.9)
    assert near.status == "undecided" and near.needed_n and near.needed_n > 20
    assert near.budget_used == pytest.approx(0.05 / 0.1)


def test_counts_are_exact_and_a_zero_allowance_is_all_or_nothing() -> None:
    fail = {"check_name": "pii", "check_type": "pii", "outcome": "fail", "score": 0.0}
    ok = {**fail, "outcome": "pass", "score": 1.0}
    units = [Unit("a", "m", 0, "pass", scores=(ok,)), Unit("b", "m", 0, "fail", scores=(fail,))]
    leak = check(RunData({"id": "r"}, units), "safety.pii_leaks", max=0)
    assert leak.status == "breached" and math.isinf(leak.budget_used)
    assert leak.as_dict()["budget_used"] is None and leak.as_dict()["budget_exhausted"]
    clean = check(RunData({"id": "r"}, units[:1]), "safety.pii_leaks", max=0)
    assert clean.status == "met" and clean.budget_used == 0.0


def test_percentile_objectives_need_enough_observations() -> None:
    few = data(["pass"] * 30, latency_ms=100.0)
    p95 = check(few, "latency.p95_ms", max=5000)
    assert p95.status == "undecided" and p95.needed_n == 72  # 0.95^72 <= 0.025
    many = data(["pass"] * 100, latency_ms=100.0)
    assert check(many, "latency.p95_ms", max=5000).status == "met"
    slow = data(["pass"] * 100, latency_ms=9000.0)
    got = check(slow, "latency.p95_ms", max=5000)
    assert got.status == "breached" and got.budget_used == pytest.approx(1 / 0.05)


def test_unmeasured_and_unknown_metrics() -> None:
    d = data(["pass"] * 5)
    assert check(d, "escalation_rate", max=0.1).status == "unmeasured"
    assert check(d, "cost.per_case_usd", max=0.01).status == "unmeasured"  # no cost recorded
    unknown = check(d, "what.ever is this", min=1)
    assert unknown.status == "unmeasured" and "unknown metric" in unknown.reason


def test_agreement_line() -> None:
    d = data(["pass"] * 200)
    assert evaluate_sheet(d, []).verdict == "NONE"
    ok = evaluate_sheet(d, [ObjectiveSpec("pass_rate", Objective(min=0.5))])
    assert ok.verdict == "PASS" and ok.line() == "agreement PASS: 1 met"
    mixed = evaluate_sheet(d, [ObjectiveSpec("pass_rate", Objective(min=0.5)),
                               ObjectiveSpec("pass_rate", Objective(max=0.5)),
                               ObjectiveSpec("escalation_rate", Objective(max=0.1))])
    assert mixed.verdict == "FAIL"
    assert mixed.line() == "agreement FAIL: 1 breached, 1 met, 1 unmeasured"
    assert mixed.as_dict()["objectives"][1]["status"] == "breached"


def write_suite(tmp_path: Path, slo: str) -> Path:
    (tmp_path / "rubric.yaml").write_text(
        f"rubric: r\nversion: 1\nslo:\n{slo}", encoding="utf-8")
    suite = tmp_path / "suite.yaml"
    suite.write_text("suite: sim\nversion: 1\nrubric: rubric.yaml\ncases:\n"
                     "  - {id: a, input: x}\n", encoding="utf-8")
    return suite


def test_objectives_come_from_the_suite_and_are_checked_against_stored_hashes(
    tmp_path: Path,
) -> None:
    store = RunStore(open_db(tmp_path / "h.db"))
    suite = write_suite(tmp_path, "  right_first_time: {min: 0.5}\n")
    loaded = load_suite(suite)
    hashes = {f"{r.rubric.rubric}@{r.rubric.version}": r.content_hash for r in loaded.rubrics}
    run = write_run(store, {f"c{i}": [True] for i in range(40)}, suite_path=str(suite),
                    rubrics=hashes)
    sheet = sheet_for_run(load_run(store, run))
    assert sheet.verdict == "PASS" and sheet.warnings == []
    write_suite(tmp_path, "  right_first_time: {min: 0.99}\n")  # the rubric changes later
    changed = sheet_for_run(load_run(store, run))
    assert changed.warnings and "changed since run" in changed.warnings[0]
    assert f"harness rescore {run}" in changed.warnings[0]
    suite.unlink()
    gone = sheet_for_run(load_run(store, run))
    assert not gone.available and gone.verdict == "UNDECIDED" and "gone" in gone.warnings[0]


def test_every_view_says_how_many_observations_bound_a_percentile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13, 17b: a p95 of 12 results was UNDECIDED against a bound 50x away, and no
    view said that a p95 bound needs at least 72 observations (0.95^72 <= 0.025)."""
    import re

    from gate_fixtures import run_sim, sim_suite

    from harness.cli import main

    suite = sim_suite(tmp_path, [f"c{i}" for i in range(12)],
                      slo="  latency.p95_ms: {max: 5000}\n")
    db = str(tmp_path / "h.db")
    store = RunStore(open_db(db))
    run_id = run_sim(store, suite)
    wanted = "at least 72 observations are needed to bound a p95; this run has 12"

    outputs = {}
    for fmt in ("md", "html"):
        target = tmp_path / f"r.{fmt}"
        with pytest.raises(SystemExit) as done:
            main(["report", run_id, "--format", fmt, "-o", str(target), "--db", db])
        assert done.value.code in (0, None)
        outputs[fmt] = target.read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["gate", run_id, "--db", db])
    outputs["terminal"] = capsys.readouterr().out
    for view, text in outputs.items():
        flat = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text))
        assert wanted in flat, f"the {view} view does not say how many observations bound a p95"

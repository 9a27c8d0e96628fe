"""`harness gate`: three outcomes with evidence, exit codes, baselines by tag, CI outputs,
and a light version of the no-flap simulation (bench/gate_simulation.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from gate_fixtures import run_sim, sim_suite, write_run
from test_cli import harness

from harness.analysis.gate import GateConfig, run_gate
from harness.errors import UsageError
from harness.store import RunStore, open_db

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def outcomes(n: int, failing: set[int]) -> dict[str, list[bool]]:
    return {f"c{i:04d}": [i not in failing] for i in range(n)}


def test_pass_needs_non_inferiority_shown(store: RunStore) -> None:
    base = write_run(store, outcomes(2000, set(range(100))))
    cand = write_run(store, outcomes(2000, set(range(100))))
    result = run_gate(store, cand, base)
    assert result.verdict == "PASS" and result.exit_code() == 0
    assert result.tests[0].decision == "non-inferior"
    assert "within 0.01 of the baseline" in result.reasons[0]


def test_fail_when_worse_by_more_than_the_margin_with_confidence(store: RunStore) -> None:
    base = write_run(store, outcomes(400, set(range(20))))
    cand = write_run(store, outcomes(400, set(range(80))))
    result = run_gate(store, cand, base)
    assert result.verdict == "FAIL" and result.exit_code() == 1
    assert result.tests[0].decision == "worse" and result.tests[0].p_worse < 0.05
    assert result.reasons[0].startswith("pass_rate worse than the baseline by more than 0.01")


def test_small_suites_are_inconclusive_and_say_what_would_decide(store: RunStore) -> None:
    base = write_run(store, outcomes(30, {1}))
    cand = write_run(store, outcomes(30, {1, 2}))
    result = run_gate(store, cand, base)
    assert result.verdict == "INCONCLUSIVE"
    assert result.exit_code() == 0 and result.exit_code(strict=True) == 4
    test = result.tests[0]
    assert test.decision == "undecided" and test.needed_cases and test.needed_cases > 30
    assert f"about {test.needed_cases} cases" in result.reasons[0]


def test_a_critical_case_that_newly_fails_fails_the_gate(store: RunStore) -> None:
    tags = {"c0003": ["critical"]}
    base = write_run(store, outcomes(30, set()), case_tags=tags)
    cand = write_run(store, outcomes(30, {3}), case_tags=tags)
    result = run_gate(store, cand, base)
    assert result.verdict == "FAIL"
    assert result.reasons == ["critical case c0003 passed in the baseline and now fails"]


def test_a_flaky_critical_case_never_fails_the_gate_on_its_own(store: RunStore) -> None:
    tags = {"c0003": ["critical"]}
    two = {f"c{i:04d}": [True, True] for i in range(30)}
    base = write_run(store, two, case_tags=tags)
    cand = write_run(store, {**two, "c0003": [True, False]}, case_tags=tags)
    result = run_gate(store, cand, base)
    assert result.verdict == "INCONCLUSIVE"
    assert [c.case_id for c in result.flaky] == ["c0003"] and result.critical == []


def test_slo_breach_fails_and_undecided_objectives_are_inconclusive(
    tmp_path: Path, store: RunStore
) -> None:
    ids = [f"c{i:02d}" for i in range(40)]
    suite = sim_suite(tmp_path, ids, slo="  right_first_time: {min: 0.9}\n")
    bad = run_sim(store, suite, bad=ids[:20])
    result = run_gate(store, bad)
    assert result.verdict == "FAIL" and result.reasons[0].startswith("SLO breached: right_first")
    ok = run_sim(store, suite, bad=ids[:1])  # 39/40: interval straddles 0.9
    result = run_gate(store, ok)
    assert result.verdict == "INCONCLUSIVE" and result.slo.verdict == "UNDECIDED"
    assert "right_first_time not yet decidable" in result.reasons[0]


def test_incomplete_runs_exit_3(store: RunStore) -> None:
    interrupted = write_run(store, outcomes(10, set()), status="interrupted")
    assert run_gate(store, interrupted).exit_code() == 3
    errored = write_run(store, {"a": [True], "b": [None]})
    result = run_gate(store, errored)
    assert result.verdict == "INCOMPLETE" and "--retry-errors" in result.reasons[0]
    assert run_gate(store, errored, config=GateConfig(max_error_rate=0.5)).verdict != "INCOMPLETE"


def test_baseline_by_tag_latest_and_run(store: RunStore) -> None:
    old_main = write_run(store, outcomes(10, set()), tags=["main"])
    new_main = write_run(store, outcomes(10, set()), tags=["main"])
    write_run(store, outcomes(10, set()), tags=["main"], status="interrupted")
    write_run(store, outcomes(10, set()), tags=["main"], suite="other")
    cand = write_run(store, outcomes(10, {1}))
    assert run_gate(store, cand, "main").baseline.run["id"] == new_main
    assert run_gate(store, cand, "latest").baseline.run["id"] == new_main
    assert run_gate(store, cand, old_main).baseline.run["id"] == old_main
    later_main = write_run(store, outcomes(10, set()), tags=["main"])
    assert run_gate(store, cand, "main").baseline.run["id"] == new_main  # never a later run
    assert later_main
    nothing = run_gate(store, cand, "release")
    assert nothing.baseline is None
    with pytest.raises(UsageError, match="no run"):
        run_gate(store, cand, "20990101")


def test_baseline_of_another_suite_is_refused(store: RunStore) -> None:
    other = write_run(store, outcomes(5, set()), suite="other")
    cand = write_run(store, outcomes(5, set()))
    with pytest.raises(UsageError, match="suite other"):
        run_gate(store, cand, other)
    fresh = run_gate(store, cand, "main")  # the tag does not exist yet: SLO only, warned
    assert fresh.baseline is None and "no baseline" in fresh.warnings[0]


def test_several_metrics_are_holm_corrected(store: RunStore) -> None:
    base = write_run(store, outcomes(400, set(range(20))))
    cand = write_run(store, outcomes(400, set(range(50))))
    config = GateConfig(metrics=("pass_rate", "right_first_time", "check.answer.pass_rate"))
    result = run_gate(store, cand, base, config)
    single = run_gate(store, cand, base)
    assert len(result.tests) == 3
    assert result.tests[0].p_worse == pytest.approx(min(1.0, 3 * single.tests[0].p_worse))


def test_gate_cli_end_to_end(tmp_path: Path, store: RunStore, capsys, monkeypatch) -> None:
    ids = [f"c{i:02d}" for i in range(12)]
    suite = sim_suite(tmp_path, ids, tags={"c01": ["critical"]},
                      slo="  right_first_time: {min: 0.5}\n")
    db = str(tmp_path / "h.db")
    code, _, err = harness(capsys, "gate", "--db", db)
    assert code == 2 and "no runs stored yet" in err
    run_sim(store, suite, tags=["main"])
    candidate = run_sim(store, suite, bad=["c01"])
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out_dir = tmp_path / "out"
    code, out, err = harness(
        capsys, "gate", candidate, "--baseline", "main", "--db", db,
        "--junit", str(out_dir / "junit.xml"), "--markdown", str(out_dir / "gate.md"),
        "--json", str(out_dir / "gate.json"),
    )
    assert code == 1, err
    assert "critical case c01 passed in the baseline and now fails" in out
    report = json.loads((out_dir / "gate.json").read_text())
    assert report["verdict"] == "FAIL" and report["critical_regressions"] == ["c01"]
    assert (out_dir / "junit.xml").read_text().count("<testcase") >= 12
    md = (out_dir / "gate.md").read_text()
    assert md.startswith("## ❌ harness gate: FAIL")
    assert summary.read_text() == "earlier step\n" + md + "\n"
    run_sim(store, suite)  # c01 fixed; 12 cases cannot show non-inferiority
    code, out, err = harness(capsys, "gate", "--baseline", "latest", "--db", db)
    assert code == 0 and "INCONCLUSIVE" in err and "--strict: 4" in err
    code, out, err = harness(capsys, "gate", "--baseline", "latest", "--db", db, "--strict")
    assert code == 4


# --------------------------------------------------------------------------- no-flap


def load_simulation():
    path = ROOT / "bench" / "gate_simulation.py"
    spec = importlib.util.spec_from_file_location("gate_simulation", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gate_simulation"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_no_flap_simulation_light(tmp_path: Path) -> None:
    """The bench's simulation, smaller: 24 null pairs and 24 pairs with a 10-point drop on
    300 cases (the full figures, 200 pairs of 1,000 cases, are in docs/ci.md)."""
    sim = load_simulation()
    tallies = sim.simulate(pairs=24, cases=300, drop=0.10, margin=None, seed=3, mode="store",
                           folder=tmp_path)
    null, drop = tallies["null"], tallies["drop"]
    assert null.pairs == drop.pairs == 24
    assert null.rate("FAIL") <= 1 / 24
    assert drop.rate("FAIL") >= 0.8
    assert null.naive_fail / null.pairs >= 0.25  # the naive rule flaps on noise
    assert any("(a) null pairs" in line for line in sim.report(tallies, 300, 0.10, None))

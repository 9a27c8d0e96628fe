"""`harness compare`: paired by case and repeat, on runs made by the real runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gate_fixtures import run_sim, sim_suite, write_run
from test_cli import harness

from harness.analysis.compare import compare_metric, compare_runs
from harness.analysis.metrics import Unit, load_run, resolve
from harness.store import RunStore, open_db

IDS = [f"c{i:02d}" for i in range(20)]


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def test_cases_that_moved_and_metrics(tmp_path: Path, store: RunStore) -> None:
    suite = sim_suite(tmp_path, IDS, tags={"c01": ["critical"]})
    base = run_sim(store, suite, bad=["c05", "c06"])
    cand = run_sim(store, suite, bad=["c01", "c02", "c03", "c05"])
    comp = compare_runs(load_run(store, base), load_run(store, cand))
    assert [c.case_id for c in comp.by_status("regressed")] == ["c01", "c02", "c03"]
    assert comp.cases[0].case_id == "c01" and comp.cases[0].critical  # critical first
    assert [c.case_id for c in comp.by_status("fixed")] == ["c06"]
    assert [c.case_id for c in comp.by_status("stayed-failing")] == ["c05"]
    assert "says-30-days: missing ['30 days']" in comp.cases[0].failing_checks
    assert comp.first_line().startswith(f"compare {base} -> {cand}: same suite")
    rate = next(m for m in comp.metrics if m.name == "pass_rate")
    assert rate.base.value == 0.9 and rate.cand.value == 0.8
    assert rate.difference == pytest.approx(-0.1) and rate.n_pairs == 20
    assert rate.low < -0.1 < rate.high < 0.2
    assert rate.method.endswith("exact binomial")  # 4 discordant pairs
    assert rate.p_value == pytest.approx(0.625)  # exact McNemar: 2 x P(X <= 1 | 4, 1/2)
    assert 0.1 < rate.mde < 0.5
    names = {m.name for m in comp.metrics}
    assert {"right_first_time", "latency.p95_ms", "check.says-30-days.pass_rate"} <= names
    as_json = json.loads(json.dumps(comp.as_dict(), default=str))
    assert as_json["counts"]["regressed"] == 3


def test_added_removed_and_changed_cases(tmp_path: Path, store: RunStore) -> None:
    base = run_sim(store, sim_suite(tmp_path, IDS[:5]))
    cand = run_sim(store, sim_suite(tmp_path, IDS[1:6]))
    comp = compare_runs(load_run(store, base), load_run(store, cand))
    assert [c.case_id for c in comp.by_status("removed")] == ["c00"]
    assert [c.case_id for c in comp.by_status("added")] == ["c05"]
    assert comp.changed_cases == []
    assert "suite content changed" in comp.first_line()
    rate = next(m for m in comp.metrics if m.name == "pass_rate")
    assert rate.n_pairs == 4


def test_version_differences_come_first_with_the_rescore_command(store: RunStore) -> None:
    base = write_run(store, {"a": [True], "b": [True]}, scorer_version="1")
    cand = write_run(store, {"a": [True], "b": [False]}, scorer_version="2")
    comp = compare_runs(load_run(store, base), load_run(store, cand))
    line = comp.first_line()
    assert line.startswith("VERSIONS DIFFER") and "scorer contains 1 -> 2" in line
    assert f"harness rescore {base}" in line and f"harness rescore {cand}" in line


def test_repeats_pair_by_repeat_and_flaky_cases_are_their_own_list(
    tmp_path: Path, store: RunStore
) -> None:
    suite = sim_suite(tmp_path, IDS[:6])
    base = run_sim(store, suite, repeats=2)
    cand = run_sim(store, suite, repeats=2, flaky=["c01"], bad=["c02"])
    comp = compare_runs(load_run(store, base), load_run(store, cand))
    assert [c.case_id for c in comp.by_status("flaky")] == ["c01"]
    assert [c.case_id for c in comp.by_status("regressed")] == ["c02"]
    rate = next(m for m in comp.metrics if m.name == "pass_rate")
    assert rate.n_pairs == 12 and rate.difference == pytest.approx(-3 / 12)
    assert next(m for m in comp.metrics if m.name == "pass^2").cand.value == pytest.approx(4 / 6)


def test_clustered_cases_widen_the_difference_interval() -> None:
    def units(outcomes: list[str], clusters: list[str]) -> list[Unit]:
        return [Unit(f"c{i}", "m", 0, o, cluster=k)
                for i, (o, k) in enumerate(zip(outcomes, clusters, strict=True))]
    base = ["pass"] * 40
    cand = ["fail" if i < 8 else "pass" for i in range(40)]
    alone = [f"c{i}" for i in range(40)]
    grouped = [f"doc{i // 4}" for i in range(40)]  # the 8 regressions share two documents
    m = resolve("pass_rate")
    a = compare_metric(m, units(base, alone), units(cand, alone))
    b = compare_metric(m, units(base, grouped), units(cand, grouped))
    assert a.difference == b.difference == pytest.approx(-0.2)
    assert b.low < a.low


def test_compare_cli_end_to_end(tmp_path: Path, store: RunStore, capsys) -> None:
    suite = sim_suite(tmp_path, IDS[:8])
    base = run_sim(store, suite)
    cand = run_sim(store, suite, bad=["c03"])
    db = str(tmp_path / "h.db")
    code, out, err = harness(capsys, "compare", base, cand, "--db", db, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["counts"]["regressed"] == 1
    code, out, _ = harness(capsys, "compare", base[:-1], "latest", "--db", db, "--format", "md")
    assert code == 0 and out.startswith(f"**compare {base} -> {cand}")
    assert "#### Regressed (1)" in out and "`c03`" in out
    code, _, err = harness(capsys, "compare", base, "nope", "--db", db)
    assert code == 2 and "no run 'nope'" in err
    code, _, err = harness(capsys, "compare", base, cand, "--db", db, "--metric", "bogus")
    assert code == 2 and "unknown metric" in err

"""A case with no checks is not evidence: its results are `unchecked`, never passes.

They stay out of pass_rate and right_first_time, and every place that shows those rates
(run summary, console, HTML report, gate) says how many there were and which cases;
`harness check` warns about such cases with their file and line.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gate_fixtures import run_sim
from test_cli import harness

from harness.analysis.compare import compare_runs
from harness.analysis.gate import run_gate
from harness.analysis.metrics import load_run
from harness.analysis.summary import summarize_run
from harness.reporting.console import summary_renderable
from harness.reporting.html import report_html
from harness.reporting.json_report import build_report
from harness.reporting.junit import gate_junit
from harness.reporting.markdown import gate_markdown
from harness.review.decisions import Decision, decide
from harness.review.policy import RoutePolicy
from harness.review.queue import list_items
from harness.review.routing import route_run
from harness.store import RunStore, open_db

CHECKED = [f"c{i}" for i in range(4)]


def write_suite(folder: Path, *, migrated: str = "migrated", checked: bool = True) -> Path:
    """Four checked cases (one answered wrongly by the test) and one with no checks at all,
    like a case migrated from another tool without its assertions."""
    check = "checks: [{type: contains, value: 30 days}]"
    lines = [f"  - {{id: {c}, input: 'question {c}', {check}}}" for c in CHECKED] if checked \
        else []
    lines.append(f"  - {{id: {migrated}, input: 'an old question'}}")
    path = folder / "suite.yaml"
    path.write_text("suite: mixed\nversion: 1\nmodel: python:gate_fixtures:answer\ncases:\n"
                    + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


@pytest.fixture
def run_id(store: RunStore, tmp_path: Path) -> str:
    return run_sim(store, write_suite(tmp_path), bad=["c0"])


def test_an_unchecked_result_is_not_a_pass(store: RunStore, run_id: str) -> None:
    s = summarize_run(store, run_id)
    assert (s["pass"], s["fail"], s["error"], s["unchecked"]) == (3, 1, 0, 1)
    assert s["unchecked_cases"] == ["migrated"]
    assert (s["right_first_time"]["k"], s["right_first_time"]["n"]) == (3, 4)
    assert (s["pass_rate"]["k"], s["pass_rate"]["n"]) == (3, 4)
    data = load_run(store, run_id)
    assert data.metric("right_first_time").value == pytest.approx(3 / 4)
    assert data.metric("pass_rate").n == 4
    report = build_report(store, run_id)
    assert report["summary"]["unchecked"] == 1
    assert [c["case_id"] for c in report["cases"] if c.get("unchecked")] == ["migrated"]


def test_a_suite_of_only_unchecked_cases_has_no_right_first_time(
        store: RunStore, tmp_path: Path) -> None:
    run = run_sim(store, write_suite(tmp_path, checked=False))
    s = summarize_run(store, run)
    assert s["pass"] == 0 and s["unchecked"] == 1
    assert s["right_first_time"]["value"] is None and s["right_first_time"]["n"] == 0


def test_a_reviewer_verdict_makes_an_unchecked_result_checked(store: RunStore,
                                                             run_id: str) -> None:
    route_run(store, run_id, policy=RoutePolicy("high", 0.0, 0.6, "test"))
    item = next(it["id"] for it in list_items(store, limit=100) if it["case_id"] == "migrated")
    decide(store, item, "ann", Decision("approve"))
    s = summarize_run(store, run_id)
    assert s["unchecked"] == 0 and (s["right_first_time"]["k"], s["right_first_time"]["n"]) \
        == (4, 5)


def test_the_summary_says_how_many_were_unchecked(store: RunStore, run_id: str) -> None:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(summary_renderable(store.get_run(run_id), summarize_run(store, run_id)))
    text = console.export_text()
    assert "unchecked 1" in text
    assert "pass rate (errors and unchecked excluded): 75.0%" in text
    assert "unchecked: 1 result had no check" in text and "case migrated" in text


def test_the_gate_and_the_report_state_the_unchecked_count(store: RunStore,
                                                           run_id: str) -> None:
    gate = run_gate(store, run_id)
    assert any("1 of 5 results unchecked" in w and "migrated" in w for w in gate.warnings)
    assert gate.as_dict()["unchecked"] == 1
    assert "1 of 5 results unchecked" in gate_markdown(gate)
    junit = ET.fromstring(gate_junit(gate))
    case = next(tc for tc in junit.iter("testcase") if tc.get("name") == "migrated")
    assert case.find("skipped") is not None
    assert "unchecked" in (case.find("skipped").get("message") or "")
    html = report_html(store, run_id)
    assert "3/4" in html and "1 unchecked not counted" in html
    assert '<div class="label">unchecked</div><div class="value">1</div>' in html
    assert "1 result had no check that decided anything, so it counts neither" in html
    assert "right_first_time (1 unchecked not counted)" in " ".join(
        re.sub(r"<[^>]+>", " ", html).split())


def test_compare_does_not_call_an_unchecked_case_a_regression(store: RunStore,
                                                             tmp_path: Path) -> None:
    base = run_sim(store, write_suite(tmp_path))
    cand = run_sim(store, write_suite(tmp_path))
    comp = compare_runs(load_run(store, base), load_run(store, cand))
    assert {c.case_id: c.status for c in comp.cases}["migrated"] == "unchecked"


def test_check_warns_about_cases_without_checks(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write_suite(tmp_path)
    code, out, err = harness(capsys, "check", str(path))
    assert code == 0 and "ok" in out
    assert "warning" in err and "1 case has no checks" in err
    assert f"migrated ({path}:" in " ".join(err.split())
    many = tmp_path / "many"
    many.mkdir()
    lines = "\n".join(f"  - {{id: m{i:02d}, input: q}}" for i in range(14))
    (many / "s.yaml").write_text("suite: many\nversion: 1\nmodel: python:x:y\ncases:\n" + lines
                                 + "\n", encoding="utf-8")
    code, _, err = harness(capsys, "check", str(many / "s.yaml"))
    flat = " ".join(err.split())
    assert code == 0 and "14 cases have no checks" in flat and "and 4 more" in flat
    assert "m09" in flat and "m10" not in flat


def test_runs_shows_the_pass_count_and_rate_the_report_shows(
    capsys: pytest.CaptureFixture[str], store: RunStore, run_id: str, tmp_path: Path
) -> None:
    """One unchecked case and one human rejection of an automatic pass: `harness runs`
    counts neither as a pass, as `harness report` does."""
    route_run(store, run_id, policy=RoutePolicy("high", 0.0, 0.6, "test"))
    item = next(it["id"] for it in list_items(store, limit=100) if it["case_id"] == "c3")
    decide(store, item, "ann", Decision("reject", "hallucination"))
    db = str(tmp_path / "h.db")
    code, out, _ = harness(capsys, "report", run_id, "--format", "json", "-o", "-",
                           "--db", db)
    assert code == 0
    summary = json.loads(out)["summary"]
    assert (summary["pass"], summary["fail"], summary["unchecked"]) == (2, 2, 1)
    code, out, _ = harness(capsys, "runs", "--db", db, "--format", "json")
    assert code == 0
    (row,) = json.loads(out)
    assert (row["n_pass"], row["n_fail"], row["n_unchecked"]) == (2, 2, 1)
    assert row["pass_rate"] == summary["pass_rate"]["value"] == 0.5
    code, out, _ = harness(capsys, "runs", "--db", db)
    assert code == 0
    line = next(x for x in out.splitlines() if run_id in x)
    assert re.search(r"\s2\s+2\s+1\s+0\s+50\.0%", line), line


def test_the_dashboards_run_list_counts_as_the_report_does(
    store: RunStore, run_id: str
) -> None:
    """The suite page listed the stored counts (an unchecked case and a rejected pass as
    passes); it shows the report's figures now."""
    from harness.web.dashboard.pages import suite_context

    route_run(store, run_id, policy=RoutePolicy("high", 0.0, 0.6, "test"))
    item = next(it["id"] for it in list_items(store, limit=100) if it["case_id"] == "c3")
    decide(store, item, "ann", Decision("reject", "hallucination"))
    suite = store.get_run(run_id)["suite"]
    (row,) = [r for r in suite_context(store, suite)["runs"] if r["id"] == run_id]
    assert (row["n_pass"], row["n_fail"], row["n_unchecked"]) == (2, 2, 1)

"""Risk tier, owner, review policy, SLO objectives and gate policy are stored with the run
(issue 13, item 3): they were re-read from the suite path as typed, relative to the working
directory, so from another directory the dashboard showed risk `n/a` and routing, SLOs and
the gate fell back to defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.analysis.slo import objectives_for_run
from harness.cli import main
from harness.governance import governance_for_run, stored_governance
from harness.reporting.html import build_context
from harness.review.policy import policy_for_run
from harness.store import RunStore, open_db

RUBRIC = """rubric: support
version: 1
checks:
  - {type: contains, value: echo}
slo:
  right_first_time: {min: 0.9}
  latency.p95_ms: {max: 5000}
review:
  sample_rate: 0.5
  confidence_below: 0.8
"""


def _suite(base_url: str, risk: str = "high", owner: str = "team-a") -> str:
    return (
        f"suite: governed\nversion: 1\nrisk: {risk}\nowner: {owner}\n"
        "description: answers for the help desk\n"
        f"model: {{ref: 'openai:m', base_url: '{base_url}'}}\n"
        "rubric: rubrics/support.yaml\ngate: {margin: 0.05}\n"
        "cases:\n  - {id: a, input: one}\n  - {id: b, input: two}\n"
    )


def _run_from(project: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as exited:
        main(["run", "suite.yaml", "--db", str(db)])  # the path as a user types it
    assert exited.value.code == 0


def _project(tmp_path: Path, base_url: str) -> Path:
    project = tmp_path / "project"
    (project / "rubrics").mkdir(parents=True)
    (project / "rubrics" / "support.yaml").write_text(RUBRIC, encoding="utf-8")
    (project / "suite.yaml").write_text(_suite(base_url), encoding="utf-8")
    return project


@pytest.mark.parametrize("afterwards",
                         ["another directory", "suite file edited", "suite file gone"])
def test_a_run_keeps_what_its_suite_said(
    tmp_path: Path, make_fake_openai, monkeypatch: pytest.MonkeyPatch, afterwards: str
) -> None:
    server = make_fake_openai()
    project, db = _project(tmp_path, server.base_url), tmp_path / "h.db"
    _run_from(project, db, monkeypatch)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    if afterwards == "suite file edited":
        (project / "suite.yaml").write_text(_suite(server.base_url, "low", "team-b"))
        (project / "rubrics" / "support.yaml").write_text(RUBRIC.replace("0.9}", "0.1}"))
    elif afterwards == "suite file gone":
        (project / "suite.yaml").unlink()

    store = RunStore(open_db(db))
    run = store.get_run(store.list_runs()[0]["id"])
    policy = policy_for_run(run)
    assert (policy.risk, policy.sample_rate, policy.confidence_below) == ("high", 0.5, 0.8)
    specs, warnings, available = objectives_for_run(run)
    assert [(s.metric, s.objective.min, s.objective.max) for s in specs] == [
        ("right_first_time", 0.9, None), ("latency.p95_ms", None, 5000)]
    assert available and warnings == []
    governance = governance_for_run(run)
    assert governance is not None and governance.gate is not None
    assert governance.gate.margin == 0.05
    info = build_context(store, run["id"])["suite"]
    assert info == {"risk": "high", "owner": "team-a", "description": "answers for the help desk"}
    assert Path(run["suite_path"]).is_absolute()


def test_a_run_stored_before_governance_was_kept_reads_its_suite_file(
    tmp_path: Path, make_fake_openai, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_fake_openai()
    project, db = _project(tmp_path, server.base_url), tmp_path / "h.db"
    _run_from(project, db, monkeypatch)
    store = RunStore(open_db(db))
    run = store.get_run(store.list_runs()[0]["id"])
    run["spec"].pop("governance")
    assert stored_governance(run) is None
    policy = policy_for_run(run)
    assert policy.risk == "high" and policy.sample_rate == 0.5
    assert str(project / "rubrics" / "support.yaml") in policy.source
    assert [s.metric for s in objectives_for_run(run)[0]] == ["right_first_time",
                                                              "latency.p95_ms"]

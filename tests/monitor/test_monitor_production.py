"""Scored production traffic stored as a monitoring run, through the library and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.analysis.monitor.history import load_series
from harness.cli import main
from harness.errors import UsageError
from harness.pipeline.production import store_monitoring_run
from harness.store import RunStore, open_db

ROWS = [
    {"id": "a", "input": "hi", "output": "hello", "latency_ms": 120, "tags": ["lang:en"],
     "model": "prod-v2"},
    {"id": "a", "input": "again", "output": "hi <b>", "latency_ms": 80},
    {"id": 7, "output": {"json": True}, "cost_usd": 0.001},
]
SCORED = [
    {"id": "a", "check": "pii", "outcome": "pass", "score": 1.0, "confidence": 0.9,
     "reason": "no PII leak", "details": {}, "scorer_version": "3"},
    {"id": "a", "check": "pii", "outcome": "fail", "score": 0.1, "confidence": 0.8,
     "reason": "PII leak: 1 x EMAIL", "details": {"leaks": [{"severity": "high"}]},
     "scorer_version": "3"},
    {"id": 7, "check": "pii", "outcome": "weird", "scorer_version": "3"},
]


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "p.db"))


def test_pairs_become_a_monitoring_run(store: RunStore) -> None:
    run_id = store_monitoring_run(store, "bot", zip(ROWS, SCORED, strict=True), check_type="pii")
    run = store.get_run(run_id)
    assert (run["kind"], run["status"], run["suite"]) == ("monitoring", "complete", "bot")
    assert "monitoring" in run["tags"]
    rows = {r["case_id"]: r for r in store.iter_results(run_id)}
    assert set(rows) == {"a", "a-dup2", "7"}  # duplicate and non-string ids made unique
    assert rows["a"]["model"] == "prod-v2" and rows["a-dup2"]["model"] == "production"
    assert rows["a-dup2"]["outcome"] == "fail" and rows["a-dup2"]["output"] == "hi <b>"
    assert rows["7"]["outcome"] == "fail"  # an invalid outcome is unscored, never a pass
    assert rows["7"]["scores"][0]["outcome"] == "unscored"
    assert json.loads(rows["7"]["output"]) == {"json": True}
    assert store.get_cases(run_id)["a"]["tags"] == ["lang:en"]
    sources = {(s.source, s.model) for s in load_series(store, "bot")}
    assert sources == {("monitoring", "prod-v2"), ("monitoring", "production")}


def test_a_second_check_adds_to_the_same_run(store: RunStore) -> None:
    run_id = store_monitoring_run(store, "bot", zip(ROWS[:1], SCORED[:1], strict=True))
    second = {"id": "a", "check": "secrets", "outcome": "fail", "reason": "token",
              "scorer_version": "1"}
    assert store_monitoring_run(store, "bot", [(ROWS[0], second)], run_id=run_id) == run_id
    (row,) = list(store.iter_results(run_id))
    assert [s["check_name"] for s in row["scores"]] == ["pii", "secrets"]
    assert row["outcome"] == "fail"
    assert set(store.get_run(run_id)["scorer_versions"]) == {"pii", "secrets"}
    with pytest.raises(UsageError, match="not a monitoring run"):
        store_monitoring_run(store, "other", [(ROWS[0], second)], run_id=run_id)


def test_nothing_to_store_is_a_usage_error(store: RunStore) -> None:
    with pytest.raises(UsageError):
        store_monitoring_run(store, "bot", [])


def test_harness_score_store_as(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "traffic.jsonl"
    logs.write_text("\n".join(json.dumps(r) for r in [
        {"id": "x1", "input": "q", "output": "The answer is 42."},
        {"id": "x2", "input": "q", "output": "no number here"},
    ]) + "\n", encoding="utf-8")
    db = tmp_path / "s.db"
    check = "{type: regex, pattern: '\\d+'}"
    with pytest.raises(SystemExit) as done:
        main(["score", check, "--input", str(logs), "--store-as", "bot", "--db", str(db)])
    assert done.value.code == 0
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 2  # the scored rows still go to stdout
    assert "stored as monitoring run" in captured.err
    store = RunStore(open_db(db))
    (run,) = store.list_runs()
    assert (run["n_pass"], run["n_fail"]) == (1, 1)
    assert "review:" in captured.err  # production traffic is routed to review like a suite run
    assert store.db["review_routings"].count == 1  # routed once, by the medium-risk policy
    with pytest.raises(SystemExit) as done:
        main(["score", "regex", "--input", str(logs), "--run", run["id"], "--db", str(db)])
    assert done.value.code == 2

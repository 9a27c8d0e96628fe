"""The store against a real SQLite file: schema pinned, docs fresh, writes and reads."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.models import CaseResult, Completion, ErrorInfo, ModelSpec, RunSpec, Score, Usage
from harness.store import RunStore, SQLiteCache, open_db

ROOT = Path(__file__).resolve().parents[2]

PINNED_COLUMNS = {
    "runs": [
        "id",
        "suite",
        "suite_version",
        "suite_hash",
        "suite_path",
        "rubrics",
        "models",
        "params",
        "scorer_versions",
        "git_commit",
        "git_dirty",
        "harness_version",
        "repeats",
        "n_cases",
        "n_planned",
        "started_at",
        "finished_at",
        "status",
        "spec",
        "parent_run_id",
        "kind",
    ],
    "run_tags": ["run_id", "tag"],
    "results": [
        "id",
        "run_id",
        "case_id",
        "model",
        "repeat",
        "outcome",
        "output",
        "tool_calls",
        "error_kind",
        "error_message",
        "error_status",
        "latency_ms",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "attempts",
        "cached",
        "refused",
        "finish_reason",
        "started_at",
        "finished_at",
        "queue_ms",
    ],
    "scores": [
        "id",
        "result_id",
        "run_id",
        "check_name",
        "check_type",
        "scorer_version",
        "outcome",
        "score",
        "confidence",
        "reason",
        "evidence",
    ],
    "cache": ["key", "provider", "completion", "created_at"],
    "cases": ["run_id", "case_id", "tags", "cluster", "data", "messages"],
    "review_routings": [
        "run_id", "routed_at", "risk", "sample_rate", "confidence_below", "policy_source",
        "baseline_run_id", "reference_run_id", "n_results", "n_queued",
    ],
    "review_items": [
        "id", "run_id", "case_id", "model", "repeat", "suite", "risk", "signals", "critical",
        "sampled", "inclusion_prob", "novelty", "priority", "auto_outcome", "required_reviews",
        "status", "verdict", "created_at", "decided_at", "output_key", "carried_from",
    ],
    "review_assignments": ["id", "item_id", "reviewer", "claimed_at", "expires_at", "state"],
    "review_decisions": [
        "id", "item_id", "run_id", "case_id", "model", "repeat", "reviewer", "kind", "decision",
        "category", "corrected_output", "note", "verdict", "auto_outcome", "agrees",
        "claimed_at", "decided_at", "revoked_at", "revoked_by", "superseded_by",
    ],
}


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def spec(run_id: str = "20260101-000000-abcdef", **kw) -> RunSpec:
    base = dict(
        run_id=run_id,
        suite="s",
        suite_version="1",
        suite_hash="v1:abc",
        models=(ModelSpec(ref="openai:m"),),
        harness_version="0",
        started_at=time.time(),
        n_cases=2,
        tags=("main",),
    )
    return RunSpec(**{**base, **kw})


def result(
    case_id: str, outcome: str = "pass", run_id: str = "20260101-000000-abcdef", **kw
) -> CaseResult:
    if outcome == "error":
        return CaseResult(
            run_id=run_id,
            case_id=case_id,
            model="openai:m",
            outcome="error",
            error=ErrorInfo(kind="timeout", message="slow", attempts=3),
            **kw,
        )
    score = Score(
        check="contains",
        type="contains",
        scorer_version="1",
        outcome=outcome,
        score=1.0 if outcome == "pass" else 0.0,
        reason="r",
        evidence={"found": ["x"]},
    )
    return CaseResult(
        run_id=run_id,
        case_id=case_id,
        model="openai:m",
        outcome=outcome,
        completion=Completion(
            text="out",
            usage=Usage(prompt_tokens=3, completion_tokens=4),
            latency_ms=12.5,
            attempts=2,
        ),
        scores=(score,),
        **kw,
    )


def test_schema_is_pinned(tmp_path: Path) -> None:
    db = open_db(tmp_path / "h.db")
    actual = {t.name: [c.name for c in t.columns] for t in db.tables if not t.name.startswith("_")}
    assert actual == PINNED_COLUMNS
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [m.name for m in __import__("harness.store.db").store.db.migrations.applied(db)] == [
        "m001_initial",
        "m002_cases",
        "m003_rescore",
        "m004_review",
        "m005_queue_ms",
        "m006_review_undo",
    ]


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    open_db(tmp_path / "h.db")
    db = open_db(tmp_path / "h.db")
    assert db["_sqlite_migrations"].count == 6


def _render_schema_doc() -> str:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "schema_doc.py"
    spec = importlib.util.spec_from_file_location("schema_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.render())


def test_schema_doc_is_fresh() -> None:
    committed = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert committed == _render_schema_doc(), (
        "docs/schema.md is stale: run python scripts/schema_doc.py")


def test_round_trip(store: RunStore) -> None:
    store.create_run(spec(), n_planned=2)
    store.write_results([result("a"), result("b", "error")])
    rows = list(store.iter_results("20260101-000000-abcdef"))
    assert [r["case_id"] for r in rows] == ["a", "b"]
    assert rows[0]["scores"][0]["evidence"] == {"found": ["x"]}
    assert rows[0]["prompt_tokens"] == 3 and rows[0]["attempts"] == 2
    assert rows[1]["error_kind"] == "timeout" and rows[1]["attempts"] == 3
    run = store.get_run("20260101")
    assert run["tags"] == ["main"] and run["status"] == "running"
    assert run["models"] == [{"ref": "openai:m"}]
    listed = store.list_runs()
    assert listed[0]["n_pass"] == 1 and listed[0]["n_error"] == 1


def test_done_keys_and_error_replacement(store: RunStore) -> None:
    store.create_run(spec(), n_planned=2)
    store.write_results([result("a"), result("b", "error")])
    assert store.done_keys("20260101-000000-abcdef") == {("a", "openai:m", 0), ("b", "openai:m", 0)}
    assert store.done_keys("20260101-000000-abcdef", include_errors=False) == {("a", "openai:m", 0)}
    store.write_results([result("b", "fail")])
    rows = list(store.iter_results("20260101-000000-abcdef"))
    assert [(r["case_id"], r["outcome"]) for r in rows] == [("a", "pass"), ("b", "fail")]
    n_scores = store.db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    assert n_scores == 2


def test_failed_batch_leaves_nothing(store: RunStore) -> None:
    store.create_run(spec(), n_planned=2)

    def explode(conn: sqlite3.Connection) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.write_results([result("a")], before_commit=explode)
    assert store.db["results"].count == 0 and store.db["scores"].count == 0


def test_resolve_run_id(store: RunStore) -> None:
    with pytest.raises(UsageError, match="no runs"):
        store.resolve_run_id("latest")
    store.create_run(spec("20260101-000000-aaaaaa"), 1)
    store.create_run(spec("20260101-000000-aaabbb", started_at=time.time() + 1), 1)
    assert store.resolve_run_id("latest") == "20260101-000000-aaabbb"
    with pytest.raises(UsageError, match="ambiguous"):
        store.resolve_run_id("20260101-000000-aaa")
    with pytest.raises(UsageError, match="no run"):
        store.resolve_run_id("nope")


def test_cache_writes_only_on_flush(store: RunStore) -> None:
    cache = SQLiteCache(store.db)
    cache.put("k", Completion(text="hi", latency_ms=5))
    assert cache.get("k").text == "hi"  # pending entries are visible
    assert store.db["cache"].count == 0
    store.create_run(spec(), 1)
    store.write_results([result("a")], before_commit=cache.flush)
    assert store.db["cache"].count == 1
    assert SQLiteCache(store.db).get("k").text == "hi"
    assert SQLiteCache(store.db).get("missing") is None


def test_open_db_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="directory"):
        open_db(tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        open_db(tmp_path / "nope" / "h.db")


def test_secrets_in_model_options_are_never_stored(store: RunStore) -> None:
    model = ModelSpec(
        ref="http:https://example.test/api",
        options={
            "headers": {"Authorization": "Bearer sk-live-123", "X-Key": "${MY_KEY}"},
            "api_key": "sk-literal",
            "api_key_env": "MY_KEY",
            "response_path": "text",
        },
    )
    store.create_run(spec(models=(model,)), 1)
    raw = store.db.execute("SELECT models || spec FROM runs").fetchone()[0]
    assert "sk-live-123" not in raw and "sk-literal" not in raw
    stored = store.get_run("latest")["models"][0]["options"]
    assert stored["headers"] == {"Authorization": "<redacted>", "X-Key": "${MY_KEY}"}
    assert stored["api_key"] == "<redacted>" and stored["api_key_env"] == "MY_KEY"
    assert stored["response_path"] == "text"

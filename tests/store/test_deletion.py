"""Deleting runs (`harness.store.deletion`): everything hanging off a run goes with it, in one
transaction, found through the schema's foreign keys, tables added later included."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.models import CaseResult, Completion, ModelSpec, RunSpec, Score
from harness.store import RunStore, open_db
from harness.store.deletion import delete_runs, parse_age, plan_deletion


def make_run(store: RunStore, run_id: str, n: int = 2, **kw: object) -> None:
    spec = RunSpec(run_id=run_id, suite="s", suite_version="1", suite_hash="v1:x",
                   models=(ModelSpec(ref="openai:m"),), harness_version="0",
                   started_at=time.time(), n_cases=n, tags=("main",), **kw)
    store.create_run(spec, n)
    score = Score(check="contains", type="contains", scorer_version="1", outcome="pass",
                  score=1.0, reason="r")
    store.write_results([
        CaseResult(run_id=run_id, case_id=f"c{i}", model="openai:m", outcome="pass",
                   completion=Completion(text="out"), scores=(score,))
        for i in range(n)
    ])


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def count(store: RunStore, table: str, run_id: str) -> int:
    column = "id" if table == "runs" else "run_id"
    sql = f"SELECT COUNT(*) FROM {table} WHERE {column} = ?"
    return int(store.db.execute(sql, [run_id]).fetchone()[0])


def test_a_table_added_later_with_a_key_to_a_run_table_is_cleared_too(store: RunStore) -> None:
    make_run(store, "20260101-000000-aaaaaa")
    make_run(store, "20260101-000001-bbbbbb")
    # a later migration's table, two foreign keys away from `runs`
    store.db["notes"].create({"id": int, "result_id": int, "text": str}, pk="id",
                             foreign_keys=[("result_id", "results", "id")])
    for (rid,) in store.db.execute("SELECT id FROM results").fetchall():
        store.db["notes"].insert({"result_id": rid, "text": "n"})
    plan = plan_deletion(store, ["20260101-000000"])
    assert plan.run_ids == ["20260101-000000-aaaaaa"]
    assert plan.rows["results"] == 2 and plan.rows["scores"] == 2
    counts = delete_runs(store, plan)
    assert counts["runs"] == 1 and counts["results"] == 2 and counts["notes"] == 2
    for table in ("runs", "results", "scores", "cases", "run_tags"):
        assert count(store, table, "20260101-000000-aaaaaa") == 0
    assert count(store, "results", "20260101-000001-bbbbbb") == 2
    assert store.db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 2


def test_ambiguous_unknown_and_empty_references_are_refused(store: RunStore) -> None:
    make_run(store, "20260101-000000-aaaaaa")
    make_run(store, "20260101-000001-bbbbbb")
    with pytest.raises(UsageError, match="ambiguous"):
        plan_deletion(store, ["20260101"])
    with pytest.raises(UsageError, match="no run"):
        plan_deletion(store, ["nope"])
    with pytest.raises(UsageError, match="at least one"):
        plan_deletion(store, [])


def test_a_parent_goes_only_with_its_derived_runs(store: RunStore) -> None:
    make_run(store, "20260101-000000-aaaaaa")
    make_run(store, "20260101-000001-bbbbbb")
    make_run(store, "20260101-000002-cccccc")
    store.set_lineage("20260101-000001-bbbbbb", "20260101-000000-aaaaaa", "rescore")
    store.set_lineage("20260101-000002-cccccc", "20260101-000001-bbbbbb", "rescore")
    with pytest.raises(UsageError, match="parent of 20260101-000001-bbbbbb"):
        plan_deletion(store, ["20260101-000000-aaaaaa"])
    plan = plan_deletion(store, ["20260101-000000-aaaaaa"], with_derived=True)
    assert plan.derived == ["20260101-000001-bbbbbb", "20260101-000002-cccccc"]
    # a rescore made between the plan and the deletion stops it
    make_run(store, "20260101-000003-dddddd")
    store.set_lineage("20260101-000003-dddddd", "20260101-000002-cccccc", "rescore")
    with pytest.raises(UsageError, match="since the deletion was planned"):
        delete_runs(store, plan)
    assert count(store, "runs", "20260101-000000-aaaaaa") == 1
    delete_runs(store, plan_deletion(store, ["20260101-000000-aaaaaa"], with_derived=True))
    assert store.list_runs() == []


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("12h", 43200),
                                               ("7d", 604800), ("2w", 1209600), ("1.5h", 5400)])
def test_parse_age(text: str, seconds: float) -> None:
    assert parse_age(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "7", "d", "-1d", "7y", "nand", "infh"])
def test_parse_age_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="--older-than"):
        parse_age(text)

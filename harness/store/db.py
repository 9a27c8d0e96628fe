"""Opening the database and its schema, through named migrations.

Each migration is a function named `mNNN_what`; sqlite-utils records which ran, so an old
database is upgraded in place and a new one gets the same schema. `tests/store` pins the
resulting schema and `docs/schema.md` is generated from it.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from harness.errors import UsageError

DEFAULT_DB = "harness.db"

migrations = Migrations("harness")


def default_db_path() -> str:
    return os.environ.get("HARNESS_DB") or DEFAULT_DB


@migrations()
def m001_initial(db: Database) -> None:
    db["runs"].create(
        {
            "id": str,
            "suite": str,
            "suite_version": str,
            "suite_hash": str,
            "suite_path": str,
            "rubrics": str,  # JSON {name@version: hash}
            "models": str,  # JSON list of model specs (never keys)
            "params": str,  # JSON
            "scorer_versions": str,  # JSON {check type: version}
            "git_commit": str,
            "git_dirty": int,
            "harness_version": str,
            "repeats": int,
            "n_cases": int,
            "n_planned": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | complete | interrupted | budget_exhausted | failed
            "spec": str,  # the whole RunSpec as JSON
        },
        pk="id",
    )
    db["runs"].create_index(["suite", "started_at"])
    db["run_tags"].create(
        {"run_id": str, "tag": str}, pk=("run_id", "tag"), foreign_keys=[("run_id", "runs", "id")]
    )
    db["results"].create(
        {
            "id": int,
            "run_id": str,
            "case_id": str,
            "model": str,
            "repeat": int,
            "outcome": str,  # pass | fail | error
            "output": str,
            "tool_calls": str,  # JSON list
            "error_kind": str,
            "error_message": str,
            "error_status": int,
            "latency_ms": float,
            "prompt_tokens": int,
            "completion_tokens": int,
            "cost_usd": float,
            "attempts": int,
            "cached": int,
            "refused": int,
            "finish_reason": str,
            "started_at": str,
            "finished_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        not_null={"run_id", "case_id", "model", "repeat", "outcome"},
    )
    db["results"].create_index(["run_id", "case_id", "model", "repeat"], unique=True)
    db["scores"].create(
        {
            "id": int,
            "result_id": int,
            "run_id": str,
            "check_name": str,
            "check_type": str,
            "scorer_version": str,
            "outcome": str,  # pass | fail | unscored | not_applicable
            "score": float,
            "confidence": float,
            "reason": str,
            "evidence": str,  # JSON
        },
        pk="id",
        foreign_keys=[("result_id", "results", "id"), ("run_id", "runs", "id")],
        not_null={"result_id", "run_id", "check_name", "outcome"},
    )
    db["scores"].create_index(["result_id"])
    db["scores"].create_index(["run_id", "check_name"])
    db["cache"].create(
        {"key": str, "provider": str, "completion": str, "created_at": str},
        pk="key",
    )


def open_db(path: str | Path | None = None) -> Database:
    """Open (creating if needed) the database, in WAL mode, with every migration applied."""
    path = Path(path or default_db_path())
    if path.is_dir():
        raise UsageError(f"{path} is a directory, not a database file")
    if not path.parent.exists():
        raise UsageError(f"cannot create database {path}: folder {path.parent} does not exist")
    db = Database(path)
    db.enable_wal()
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    migrations.apply(db)
    return db


@migrations()
def m002_cases(db: Database) -> None:
    """A snapshot of each case as it was run: later stages (gate, review, rescore) need the
    tags, cluster, inputs and context without trusting that the suite file is unchanged."""
    db["cases"].create(
        {
            "run_id": str,
            "case_id": str,
            "tags": str,  # JSON list
            "cluster": str,
            "data": str,  # JSON of the Case as loaded (vars, context, expected, checks...)
            "messages": str,  # JSON of the rendered conversation sent to the model
        },
        pk=("run_id", "case_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )


@migrations()
def m003_rescore(db: Database) -> None:
    """Lineage of derived runs: `harness rescore RUN` re-scores stored outputs into a new run
    whose `parent_run_id` is RUN and whose `kind` is `rescore` (NULL `kind` means a run made
    by calling models)."""
    db["runs"].add_column("parent_run_id", str)
    db["runs"].add_column("kind", str)


@migrations()
def m004_review(db: Database) -> None:
    """The human review queue (DESIGN.md section 8): how each run was routed, the items a
    person must see (with why and their inclusion probability), reviewers' expiring claims,
    and their decisions. Decisions layer on top of scores; no score is ever rewritten."""
    db["review_routings"].create(
        {
            "run_id": str,
            "routed_at": str,
            "risk": str,  # low | medium | high
            "sample_rate": float,
            "confidence_below": float,
            "policy_source": str,  # the rubric file the review policy came from, or defaults
            "baseline_run_id": str,  # regressions are judged against it
            "reference_run_id": str,  # novelty is measured against its inputs
            "n_results": int,  # answered results (errors have no output to review)
            "n_queued": int,
        },
        pk="run_id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["review_items"].create(
        {
            "id": int,
            "run_id": str,
            "case_id": str,
            "model": str,
            "repeat": int,
            "suite": str,
            "risk": str,
            "signals": str,  # JSON list of {kind, detail, check, critical}
            "critical": int,
            "sampled": int,  # 1 when queued by the random sample rather than a signal
            "inclusion_prob": float,
            "novelty": float,
            "priority": float,
            "auto_outcome": str,  # pass | fail: the automatic verdict when routed
            "required_reviews": int,
            "status": str,  # pending | needs_adjudication | decided
            "verdict": str,  # pass | fail once decided; NULL before
            "created_at": str,
            "decided_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        not_null={"run_id", "case_id", "model", "repeat", "status"},
    )
    db["review_items"].create_index(["run_id", "case_id", "model", "repeat"], unique=True)
    db["review_items"].create_index(["status", "priority"])
    db["review_assignments"].create(
        {
            "id": int,
            "item_id": int,
            "reviewer": str,
            "claimed_at": str,
            "expires_at": str,
            "state": str,  # active | done | released
        },
        pk="id",
        foreign_keys=[("item_id", "review_items", "id")],
        not_null={"item_id", "reviewer", "state"},
    )
    db["review_assignments"].create_index(["item_id", "state"])
    db["review_decisions"].create(
        {
            "id": int,
            "item_id": int,
            "run_id": str,
            "case_id": str,
            "model": str,
            "repeat": int,
            "reviewer": str,
            "kind": str,  # review | adjudication
            "decision": str,  # approve | reject | correct
            "category": str,
            "corrected_output": str,
            "note": str,
            "verdict": str,  # pass | fail
            "auto_outcome": str,
            "agrees": int,
            "claimed_at": str,
            "decided_at": str,
        },
        pk="id",
        foreign_keys=[("item_id", "review_items", "id")],
        not_null={"item_id", "reviewer", "kind", "decision", "verdict"},
    )
    db["review_decisions"].create_index(["item_id"])
    db["review_decisions"].create_index(["reviewer", "decided_at"])

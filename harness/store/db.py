"""Opening the database and its schema, through named migrations.

Each migration is a function named `mNNN_what`; sqlite-utils records which ran, so an old
database is upgraded in place and a new one gets the same schema. `tests/store` pins the
resulting schema and `docs/schema.md` is generated from it.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from harness.errors import UsageError

DEFAULT_DB = "harness.db"
# How long a writer waits for another process's write transaction before giving up
# (seconds; HARNESS_DB_BUSY_TIMEOUT). Each wait inside SQLite is at most BUSY_SLICE_MS, so
# Ctrl-C is noticed between slices.
BUSY_SLICE_MS = 2000


def busy_timeout_s() -> float:
    try:
        value = float(os.environ.get("HARNESS_DB_BUSY_TIMEOUT", "120"))
    except ValueError:
        value = 120.0
    return value if value == value and 0 < value < 1e6 else 120.0


class StoreBusyError(UsageError):
    """Another process held the database's write lock for longer than the busy timeout."""


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _retry_busy(conn: sqlite3.Connection, sql: str, what: str) -> None:
    """Run `sql` (BEGIN IMMEDIATE, a journal-mode change), waiting out other writers."""
    deadline = time.monotonic() + busy_timeout_s()
    pause = 0.01
    while True:
        try:
            conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                raise StoreBusyError(
                    f"the database is busy: another process has held its write lock for over "
                    f"{busy_timeout_s():.0f} s while this one wanted to {what} (raise "
                    "HARNESS_DB_BUSY_TIMEOUT, or give each job its own --db)") from exc
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.5)


@contextmanager
def write_transaction(db: Database, what: str = "write") -> Iterator[Database]:
    """A write transaction that takes the write lock first (`BEGIN IMMEDIATE`).

    A deferred transaction that reads and then writes cannot wait for the lock under WAL:
    when another process committed meanwhile, SQLite answers SQLITE_BUSY at once and
    `busy_timeout` does not apply. Taking the lock first makes concurrent writers queue
    (up to the busy timeout) instead of dying. Nested calls become savepoints.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    _retry_busy(conn, "BEGIN IMMEDIATE", what)
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise

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


# what SQLite says of a file it cannot use at all (a device, a read-only or encrypted file):
# the user's --db is wrong, which is a usage error, not a crash
UNUSABLE = ("unable to open", "disk i/o error", "readonly database", "encrypted")


def _foreign_tables(db: Database) -> bool:
    """Whether the database has tables but none of harness's: no `runs` table and no harness
    migration recorded. A new or empty file has no tables at all, so it is fine."""
    tables = set(db.table_names())
    if not tables or "runs" in tables:
        return False
    if migrations.migrations_table in tables:
        return not migrations.applied(db)
    return True


def open_db(path: str | Path | None = None) -> Database:
    """Open (creating if needed) the database, in WAL mode, with every migration applied."""
    path = Path(path or default_db_path())
    if path.is_dir():
        raise UsageError(f"{path} is a directory, not a database file")
    if not path.parent.exists():
        raise UsageError(f"cannot create database {path}: folder {path.parent} does not exist")
    if not path.parent.is_dir():
        raise UsageError(f"cannot create database {path}: {path.parent} is a file, not a folder")
    if path.exists() and not path.is_file():
        raise UsageError(f"{path} is not a regular file, so it cannot be a SQLite database")
    # autocommit: every transaction is explicit (write_transaction, or sqlite-utils'
    # atomic), so no implicit deferred BEGIN is ever left open by a stray statement
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_SLICE_MS / 1000)
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"cannot open {path} as a SQLite database (SQLite said: {exc})") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_SLICE_MS}")
        db = Database(conn)
        # before anything writes (WAL mode, migrations): another application's database is
        # refused, not silently given harness's tables
        if _foreign_tables(db):
            conn.close()
            raise UsageError(f"{path} is not a harness database: it already holds other "
                             "tables and none of harness's (give --db a new or empty file)")
        if db.journal_mode != "wal":
            _retry_busy(conn, "PRAGMA journal_mode=wal", "switch it to WAL mode")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        if migrations.pending(db):
            # under the write lock: of two processes opening a new database at once, the
            # second finds the migrations applied when it gets the lock
            with write_transaction(db, "upgrade its schema"):
                migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
            raise StoreBusyError(f"the database {path} is busy: {exc}") from exc
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise UsageError(f"{path} is not a SQLite database (SQLite said: {exc})") from exc
        if any(said in str(exc).lower() for said in UNUSABLE):
            raise UsageError(f"cannot use {path} as a SQLite database (SQLite said: {exc})") \
                from exc
        raise
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


@migrations()
def m005_queue_ms(db: Database) -> None:
    """Queueing apart from latency (issue 13): how long each result's request waited on our
    own concurrency limit, rpm pacing and connection pool before it was sent. NULL for rows
    written before, for cached answers' own wait and for adapters without a queue."""
    db["results"].add_column("queue_ms", float)


@migrations()
def m006_review_undo(db: Database) -> None:
    """Undoable decisions and de-duplicated queueing (issue 13). A decision is never deleted:
    undoing it stamps `revoked_at` / `revoked_by` (and `superseded_by`, the decision that
    replaced it, when it was changed), and the item's verdict is recomputed from the
    decisions still standing. `output_key` is the identity of what a person judges (suite,
    case as run, output text and tool calls); an item whose key was already queued is not
    queued again but points at that item through `carried_from` and mirrors its verdict."""
    db["review_decisions"].add_column("revoked_at", str)
    db["review_decisions"].add_column("revoked_by", str)
    db["review_decisions"].add_column("superseded_by", int)
    db["review_items"].add_column("output_key", str)
    db["review_items"].add_column("carried_from", int)
    db["review_items"].create_index(["output_key"])

"""Runs, results and scores: written as they arrive, read back for reports and resumes.

Writes go through `RunStore.write_results`, one transaction per batch, so a crash loses at
most the batch in flight and never leaves a result without its scores.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from harness.errors import UsageError
from harness.models import CaseResult, RunSpec
from harness.store.db import write_transaction
from harness.store.secrets import SECRETS, redact, redact_url, remember

ResultKey = tuple[str, str, int]  # case_id, model, repeat

RUN_STATUSES = ("running", "complete", "interrupted", "budget_exhausted", "failed")


def new_run_id(now: float) -> str:
    """Sortable by time, unique enough for one machine, short enough to type."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(3)}"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def _model_json(spec: RunSpec) -> tuple[str, str]:
    """(models JSON, whole spec JSON), both with secrets redacted."""
    models = [redact(m.model_dump(exclude_defaults=True)) for m in spec.models]
    whole = spec.model_dump(mode="json")
    whole["models"] = [redact(m) for m in whole["models"]]
    whole["endpoints"] = {k: redact_url(v) for k, v in (whole.get("endpoints") or {}).items()}
    whole["params"] = redact(whole.get("params") or {}, "params")
    return _dumps(models), SECRETS.scrub(_dumps(whole)) or ""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _result_row(r: CaseResult) -> tuple[Any, ...]:
    """The row of a result; every resolved secret is scrubbed from its text (a server that
    echoes the key in an error body or an output does not put it in the database)."""
    c, e = r.completion, r.error
    usage = c.usage if c else None
    scrub = SECRETS.scrub
    return (
        r.run_id,
        r.case_id,
        r.model,
        r.repeat,
        r.outcome,
        scrub(c.text) if c else None,
        scrub(_dumps([t.model_dump() for t in c.tool_calls])) if c and c.tool_calls else None,
        e.kind if e else None,
        scrub(e.message) if e else None,
        e.status if e else None,
        c.latency_ms if c else None,
        usage.prompt_tokens if usage else None,
        usage.completion_tokens if usage else None,
        c.cost_usd if c else None,
        c.attempts if c else (e.attempts if e else None),
        int(c.cached) if c else 0,
        int(c.refused) if c else 0,
        c.finish_reason if c else None,
        iso(r.started_at),
        iso(r.finished_at),
        c.queue_ms if c else None,
    )


_INSERT_RESULT = (
    "INSERT INTO results (run_id, case_id, model, repeat, outcome, output, tool_calls,"
    " error_kind, error_message, error_status, latency_ms, prompt_tokens, completion_tokens,"
    " cost_usd, attempts, cached, refused, finish_reason, started_at, finished_at, queue_ms)"
    " VALUES (" + ",".join("?" * 21) + ")"
)
_INSERT_SCORE = (
    "INSERT INTO scores (result_id, run_id, check_name, check_type, scorer_version, outcome,"
    " score, confidence, reason, evidence) VALUES (?,?,?,?,?,?,?,?,?,?)"
)


class RunStore:
    """Reads and writes runs in one database. Not thread-safe: use it from one thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ writing
    def create_run(self, spec: RunSpec, n_planned: int) -> None:
        remember(spec.models, spec.params)
        models_json, spec_json = _model_json(spec)
        with write_transaction(self.db):
            self.db["runs"].insert(
                {
                    "id": spec.run_id,
                    "suite": spec.suite,
                    "suite_version": spec.suite_version,
                    "suite_hash": spec.suite_hash,
                    "suite_path": spec.suite_path,
                    "rubrics": _dumps(spec.rubrics),
                    "models": models_json,
                    "params": _dumps(redact(spec.params, "params")),
                    "scorer_versions": _dumps(spec.scorer_versions),
                    "git_commit": spec.git_commit,
                    "git_dirty": None if spec.git_dirty is None else int(spec.git_dirty),
                    "harness_version": spec.harness_version,
                    "repeats": spec.repeats,
                    "n_cases": spec.n_cases,
                    "n_planned": n_planned,
                    "started_at": iso(spec.started_at),
                    "finished_at": None,
                    "status": "running",
                    "spec": spec_json,
                }
            )
            for tag in spec.tags:
                self.db["run_tags"].insert({"run_id": spec.run_id, "tag": tag}, ignore=True)

    def write_cases(self, run_id: str, cases: Iterable[tuple[Any, list[dict[str, Any]]]]) -> None:
        """Snapshot (Case, rendered messages) pairs for a run, in one transaction."""
        rows = [
            (
                run_id,
                case.id,
                _dumps(case.tags),
                case.cluster,
                case.model_dump_json(exclude_defaults=True, by_alias=True),
                _dumps(messages),
            )
            for case, messages in cases
        ]
        with write_transaction(self.db):
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO cases (run_id, case_id, tags, cluster, data, messages)"
                " VALUES (?,?,?,?,?,?)",
                rows,
            )

    def get_cases(self, run_id: str) -> dict[str, dict[str, Any]]:
        """case_id -> {tags, cluster, data, messages} as snapshotted when the run started."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.db.query("SELECT * FROM cases WHERE run_id = ?", [run_id]):
            out[row["case_id"]] = {
                "tags": json.loads(row["tags"] or "[]"),
                "cluster": row["cluster"],
                "data": json.loads(row["data"] or "{}"),
                "messages": json.loads(row["messages"] or "[]"),
            }
        return out

    def write_results(self, results: Iterable[CaseResult], before_commit: Any = None) -> None:
        """Insert results and their scores in one transaction.

        A result for a key that already exists (an `error` being retried on resume) replaces
        the old row and its scores. `before_commit(conn)` runs inside the same transaction
        (the response cache uses it to flush its pending entries).
        """
        conn = self.db.conn
        with write_transaction(self.db):
            for r in results:
                old = conn.execute(
                    "SELECT id FROM results WHERE run_id=? AND case_id=? AND model=? AND repeat=?",
                    (r.run_id, r.case_id, r.model, r.repeat),
                ).fetchone()
                if old:
                    conn.execute("DELETE FROM scores WHERE result_id=?", (old[0],))
                    conn.execute("DELETE FROM results WHERE id=?", (old[0],))
                result_id = conn.execute(_INSERT_RESULT, _result_row(r)).lastrowid
                conn.executemany(
                    _INSERT_SCORE,
                    [
                        (
                            result_id,
                            r.run_id,
                            s.check,
                            s.type,
                            s.scorer_version,
                            s.outcome,
                            s.score,
                            s.confidence,
                            SECRETS.scrub(s.reason),
                            SECRETS.scrub(_dumps(s.evidence)) if s.evidence else None,
                        )
                        for s in r.scores
                    ],
                )
            if before_commit is not None:
                before_commit(conn)

    def set_status(self, run_id: str, status: str, finished_at: float | None = None) -> None:
        assert status in RUN_STATUSES, status
        with write_transaction(self.db):
            self.db["runs"].update(run_id, {"status": status, "finished_at": iso(finished_at)})

    # ------------------------------------------------------------------ reading
    def resolve_run_id(self, ref: str) -> str:
        """Accept a full run id, a unique prefix, or `latest`."""
        if ref == "latest":
            row = self.db.execute("SELECT id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
            if row is None:
                raise UsageError("no runs stored yet")
            return str(row[0])
        # a prefix, not a pattern: `%` and `_` in what the user typed match only themselves
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.db.execute(
            "SELECT id FROM runs WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY id",
            (ref, escaped + "%"),
        ).fetchall()
        ids = [r[0] for r in rows]
        if ref in ids:
            return ref
        if not ids:
            raise UsageError(f"no run {ref!r} in this database (see `harness runs`)")
        if len(ids) > 1:
            raise UsageError(f"run id {ref!r} is ambiguous: {', '.join(ids[:5])}")
        return str(ids[0])

    def get_run(self, ref: str) -> dict[str, Any]:
        run_id = self.resolve_run_id(ref)
        row = dict(self.db["runs"].get(run_id))
        for key in ("rubrics", "models", "params", "scorer_versions"):
            row[key] = json.loads(row[key]) if row[key] else None
        row["spec"] = json.loads(row["spec"]) if row["spec"] else None
        row["tags"] = [
            r[0]
            for r in self.db.execute(
                "SELECT tag FROM run_tags WHERE run_id=? ORDER BY tag", (run_id,)
            )
        ]
        return row

    def list_runs(self, suite: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        where, args = ("WHERE r.suite = ?", [suite]) if suite else ("", [])
        sql = f"""
            SELECT r.id, r.suite, r.suite_version, r.status, r.started_at, r.finished_at,
                   r.models, r.n_planned,
                   COUNT(x.id) AS n_results,
                   SUM(x.outcome = 'pass') AS n_pass,
                   SUM(x.outcome = 'fail') AS n_fail,
                   SUM(x.outcome = 'error') AS n_error
            FROM runs r LEFT JOIN results x ON x.run_id = r.id
            {where}
            GROUP BY r.id ORDER BY r.started_at DESC LIMIT ?
        """
        rows = self.db.execute(sql, [*args, limit]).fetchall()
        cols = [
            "id",
            "suite",
            "suite_version",
            "status",
            "started_at",
            "finished_at",
            "models",
            "n_planned",
            "n_results",
            "n_pass",
            "n_fail",
            "n_error",
        ]
        out = [dict(zip(cols, row, strict=True)) for row in rows]
        for row in out:
            row["models"] = [m.get("label") or m["ref"] for m in json.loads(row["models"] or "[]")]
            for key in ("n_pass", "n_fail", "n_error"):
                row[key] = row[key] or 0
        return out

    def done_keys(self, run_id: str, *, include_errors: bool = True) -> set[ResultKey]:
        """Keys already stored; with include_errors=False, errors count as not done."""
        sql = "SELECT case_id, model, repeat FROM results WHERE run_id = ?"
        if not include_errors:
            sql += " AND outcome != 'error'"
        return {(r[0], r[1], int(r[2])) for r in self.db.execute(sql, (run_id,))}

    def iter_results(self, run_id: str) -> Iterator[dict[str, Any]]:
        """Every result of a run, in case order, each with its scores as a list of dicts."""
        scores: dict[int, list[dict[str, Any]]] = {}
        for row in self.db.query("SELECT * FROM scores WHERE run_id = ? ORDER BY id", [run_id]):
            row["evidence"] = json.loads(row["evidence"]) if row["evidence"] else {}
            scores.setdefault(row["result_id"], []).append(row)
        for row in self.db.query("SELECT * FROM results WHERE run_id = ? ORDER BY id", [run_id]):
            row["tool_calls"] = json.loads(row["tool_calls"]) if row["tool_calls"] else []
            row["cached"] = bool(row["cached"])
            row["refused"] = bool(row["refused"])
            row["scores"] = scores.get(row["id"], [])
            yield row

    # ------------------------------------------------------------------ baselines, lineage
    def newest_run(
        self,
        suite: str,
        *,
        tag: str | None = None,
        status: str = "complete",
        before: str | None = None,
        exclude: str | None = None,
    ) -> str | None:
        """Id of the newest run of `suite` with `status` (and `tag`), or None.

        `before` (a run id) keeps runs started no later than that run, and `exclude` leaves
        one run out, so "the baseline of this candidate" never picks the candidate or a
        run made after it.
        """
        sql = "SELECT r.id FROM runs r WHERE r.suite = ? AND r.status = ?"
        args: list[Any] = [suite, status]
        if tag is not None:
            sql += " AND EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag = ?)"
            args.append(tag)
        if before is not None:
            sql += " AND r.started_at <= (SELECT started_at FROM runs WHERE id = ?)"
            args.append(before)
        if exclude is not None:
            sql += " AND r.id != ?"
            args.append(exclude)
        sql += " ORDER BY r.started_at DESC, r.id DESC LIMIT 1"
        row = self.db.execute(sql, args).fetchone()
        return None if row is None else str(row[0])

    def has_tag(self, tag: str) -> bool:
        sql = "SELECT 1 FROM run_tags WHERE tag = ? LIMIT 1"
        return self.db.execute(sql, (tag,)).fetchone() is not None

    def set_lineage(self, run_id: str, parent_run_id: str, kind: str) -> None:
        """Mark a derived run (e.g. `kind="rescore"`) and the run it was derived from."""
        with write_transaction(self.db):
            self.db["runs"].update(run_id, {"parent_run_id": parent_run_id, "kind": kind})

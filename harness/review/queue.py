"""The review queue: listing items, and claiming them with expiring reservations.

A claim is a row in `review_assignments` that expires (`ttl_s`, 15 minutes by default), so
a reviewer who walks away does not lock an item forever. Claiming happens inside
`BEGIN IMMEDIATE` (see `_db.immediate`): the check "is a slot free?" and the insert of the
claim are one atomic step, so two reviewers never hold the same slot. An item wants
`required_reviews` independent decisions (each reviewer at most once); when they disagree
it waits for one adjudication.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from harness.errors import UsageError
from harness.review._db import database, immediate, iso, now, parse_iso

DEFAULT_TTL_S = 15 * 60
OPEN = ("pending", "needs_adjudication")
# duplicate: the same output is queued in another item (`carried_from`) that is not decided
STATUSES = ("pending", "needs_adjudication", "decided", "duplicate")


class ClaimError(UsageError):
    """The item cannot be claimed: decided already, or another reviewer holds it."""


@dataclass(frozen=True)
class QueueFilter:
    """What a reviewer wants to see. `status` "open" means pending or awaiting adjudication."""

    status: str = "open"  # open | pending | needs_adjudication | decided | duplicate | all
    suite: str | None = None
    signal: str | None = None  # a signal kind, e.g. policy, regression, novelty
    run_id: str | None = None
    older_than_s: float | None = None  # only items queued at least this long ago

    def where(self, at: float) -> tuple[str, list[Any]]:
        parts: list[str] = []
        args: list[Any] = []
        if self.status == "open":
            parts.append("i.status IN ('pending', 'needs_adjudication')")
        elif self.status != "all":
            if self.status not in STATUSES:
                raise UsageError(f"unknown status {self.status!r} (use open, all, "
                                 f"{', '.join(STATUSES)})")
            parts.append("i.status = ?")
            args.append(self.status)
        for column, value in (("suite", self.suite), ("run_id", self.run_id)):
            if value:
                parts.append(f"i.{column} = ?")
                args.append(value)
        if self.signal:
            parts.append("EXISTS (SELECT 1 FROM json_each(i.signals) j "
                         "WHERE json_extract(j.value, '$.kind') = ?)")
            args.append(self.signal)
        if self.older_than_s:
            parts.append("i.created_at <= ?")
            args.append(iso(at - self.older_than_s))
        return (" AND ".join(parts) or "1"), args


# --------------------------------------------------------------------------- reading

_SLOTS = """
    (CASE WHEN i.status = 'pending' THEN i.required_reviews ELSE 1 END) >
    (SELECT COUNT(*) FROM review_decisions d WHERE d.item_id = i.id AND d.revoked_at IS NULL
        AND d.kind = (CASE WHEN i.status = 'pending' THEN 'review' ELSE 'adjudication' END))
    + (SELECT COUNT(*) FROM review_assignments a WHERE a.item_id = i.id
        AND a.state = 'active' AND a.expires_at > ? AND a.reviewer != ?)
    AND NOT (i.status = 'pending' AND EXISTS (SELECT 1 FROM review_decisions d
        WHERE d.item_id = i.id AND d.reviewer = ? AND d.revoked_at IS NULL))
"""


def _slot_args(at: float, reviewer: str) -> list[Any]:
    """The parameters of `_SLOTS`, in order."""
    return [iso(at), reviewer, reviewer]


def _row(row: Any, cursor: Any) -> dict[str, Any]:
    item = dict(zip([c[0] for c in cursor.description], row, strict=True))
    item["signals"] = json.loads(item["signals"] or "[]")
    return item


def _query(db: Database, sql: str, args: Any) -> list[dict[str, Any]]:
    cursor = db.execute(sql, args)
    return [_row(row, cursor) for row in cursor.fetchall()]


def list_items(source: Any, flt: QueueFilter | None = None, *, limit: int = 200,
               at: float | None = None) -> list[dict[str, Any]]:
    """Items in queue order (priority, then age), with age and the current claim."""
    db, at = database(source), at if at is not None else now()
    where, args = (flt or QueueFilter()).where(at)
    sql = f"""
        SELECT i.*, (SELECT a.reviewer FROM review_assignments a WHERE a.item_id = i.id
                     AND a.state = 'active' AND a.expires_at > ? ORDER BY a.id LIMIT 1)
                    AS claimed_by,
               (SELECT COUNT(*) FROM review_decisions d WHERE d.item_id = i.id
                AND d.revoked_at IS NULL) AS n_decisions
        FROM review_items i WHERE {where}
        ORDER BY i.status IN ('decided', 'duplicate'), i.priority DESC, i.created_at, i.id
        LIMIT ?"""
    items = _query(db, sql, [iso(at), *args, limit])
    for item in items:
        item["age_s"] = max(0.0, at - (parse_iso(item["created_at"]) or at))
    return items


def get_item(source: Any, item_id: int, *, at: float | None = None) -> dict[str, Any]:
    db, at = database(source), at if at is not None else now()
    items = _query(db, "SELECT * FROM review_items WHERE id = ?", [item_id])
    if not items:
        raise UsageError(f"no review item {item_id}")
    item = items[0]
    item["claims"] = [dict(r) for r in db.query(
        "SELECT * FROM review_assignments WHERE item_id = ? AND state = 'active' "
        "AND expires_at > ? ORDER BY id", [item_id, iso(at)])]
    item["decisions"] = [dict(r) for r in db.query(
        "SELECT * FROM review_decisions WHERE item_id = ? ORDER BY id", [item_id])]
    return item


# --------------------------------------------------------------------------- claiming


def _active_claim(db: Database, item_id: int, reviewer: str, at: float) -> int | None:
    row = db.execute(
        "SELECT id FROM review_assignments WHERE item_id = ? AND reviewer = ? "
        "AND state = 'active' AND expires_at > ? ORDER BY id DESC LIMIT 1",
        (item_id, reviewer, iso(at))).fetchone()
    return None if row is None else int(row[0])


def _take(db: Database, item_id: int, reviewer: str, at: float, ttl_s: float) -> None:
    """Record (or extend) `reviewer`'s claim on `item_id`; caller holds the write lock."""
    held = _active_claim(db, item_id, reviewer, at)
    if held is not None:
        db.execute("UPDATE review_assignments SET expires_at = ? WHERE id = ?",
                   (iso(at + ttl_s), held))
        return
    db.execute("INSERT INTO review_assignments (item_id, reviewer, claimed_at, expires_at, "
               "state) VALUES (?, ?, ?, ?, 'active')", (item_id, reviewer, iso(at),
                                                         iso(at + ttl_s)))


def slot_free(db: Database, item_id: int, reviewer: str, at: float) -> bool:
    sql = f"SELECT 1 FROM review_items i WHERE i.id = ? AND i.status IN " \
          f"('pending', 'needs_adjudication') AND {_SLOTS}"
    return db.execute(sql, [item_id, *_slot_args(at, reviewer)]).fetchone() is not None


def claim_next(source: Any, reviewer: str, *, flt: QueueFilter | None = None,
               ttl_s: float = DEFAULT_TTL_S, at: float | None = None,
               exclude: Iterable[int] = ()) -> dict[str, Any] | None:
    """Atomically reserve the next item for `reviewer` (their own live claim first);
    `exclude` leaves out items the reviewer skipped in this session."""
    db, at = database(source), at if at is not None else now()
    flt = flt or QueueFilter()
    if flt.status not in ("open", "pending", "needs_adjudication"):
        raise UsageError("only open items can be claimed")
    where, args = flt.where(at)
    skipped = [int(i) for i in exclude]
    if skipped:
        where += f" AND i.id NOT IN ({','.join('?' * len(skipped))})"
        args = [*args, *skipped]
    with immediate(db):
        mine = db.execute(
            "SELECT a.item_id FROM review_assignments a JOIN review_items i ON i.id = a.item_id "
            f"WHERE a.reviewer = ? AND a.state = 'active' AND a.expires_at > ? AND {where} "
            "ORDER BY a.id LIMIT 1", [reviewer, iso(at), *args]).fetchone()
        item_id = mine[0] if mine else _next_free(db, reviewer, at, where, args)
        if item_id is None:
            return None
        _take(db, item_id, reviewer, at, ttl_s)
    return get_item(db, item_id, at=at)


def _next_free(db: Database, reviewer: str, at: float, where: str,
               args: list[Any]) -> int | None:
    sql = f"""SELECT i.id FROM review_items i WHERE {where} AND i.status IN
              ('pending', 'needs_adjudication') AND {_SLOTS}
              ORDER BY i.priority DESC, i.created_at, i.id LIMIT 1"""
    row = db.execute(sql, [*args, *_slot_args(at, reviewer)]).fetchone()
    return None if row is None else int(row[0])


def claim_item(source: Any, item_id: int, reviewer: str, *, ttl_s: float = DEFAULT_TTL_S,
               at: float | None = None) -> dict[str, Any]:
    """Reserve one given item, or raise ClaimError saying who holds it."""
    db, at = database(source), at if at is not None else now()
    with immediate(db):
        ensure_claim(db, item_id, reviewer, at, ttl_s)
    return get_item(db, item_id, at=at)


def ensure_claim(db: Database, item_id: int, reviewer: str, at: float,
                 ttl_s: float = DEFAULT_TTL_S) -> None:
    """Inside a write transaction: keep or take `reviewer`'s claim, or raise ClaimError."""
    if _active_claim(db, item_id, reviewer, at) is None and not slot_free(
            db, item_id, reviewer, at):
        raise ClaimError(_why_not(db, item_id, reviewer, at))
    _take(db, item_id, reviewer, at, ttl_s)


def _why_not(db: Database, item_id: int, reviewer: str, at: float) -> str:
    item = get_item(db, item_id, at=at)
    if item["status"] == "decided":
        return (f"item {item_id} is already decided (to change a decision of yours: "
                f"harness review undo {item_id}, then decide again)")
    if item["status"] == "duplicate":
        return (f"item {item_id} has the same output as item {item['carried_from']}, which "
                "is still open: decide that one and its verdict is carried here")
    if any(d["reviewer"] == reviewer and not d["revoked_at"] for d in item["decisions"]):
        return (f"item {item_id}: {reviewer} has already reviewed it (harness review undo "
                f"{item_id} to change it)")
    holders = [f"{c['reviewer']} (until {c['expires_at'][11:19]} UTC)" for c in item["claims"]]
    return f"item {item_id} is claimed by {', '.join(holders) or 'another reviewer'}"


def release(source: Any, item_id: int, reviewer: str) -> bool:
    """Give a claim back (skip); True when there was one."""
    db = database(source)
    with immediate(db):
        cur = db.execute("UPDATE review_assignments SET state = 'released' WHERE item_id = ? "
                         "AND reviewer = ? AND state = 'active'", (item_id, reviewer))
    return cur.rowcount > 0

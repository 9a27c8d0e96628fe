"""Reviewers' decisions: approve, reject with a failure category, or correct the output.

A decision is stored with the reviewer, the time, the note, the automatic verdict it was
made against and whether it agreed. Verdicts: approve is a pass; reject and correct are
fails (an output that needed correcting was not right first time), and a correction keeps
the edited output so it can become a new regression case (`harness.review.export`).

Deciding takes (or keeps) the reviewer's claim inside the same write transaction, so a
decision can never land on an item another reviewer holds. With `required_reviews` > 1 the
item is decided when that many reviewers agree; if they disagree it waits for one
adjudication, whose verdict is final. A decision can be undone (`undo`): it is kept,
marked revoked, and the item's verdict is recomputed from the decisions still standing.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from harness.errors import UsageError
from harness.review._db import database, immediate, iso, now
from harness.review.queue import ensure_claim, get_item, slot_free
from harness.store.deletion import detach_carried  # noqa: F401 - re-exported

DECISIONS = ("approve", "reject", "correct")
CATEGORIES = ("hallucination", "unsafe", "wrong_format", "unhelpful", "other")
ACTIVE = "revoked_at IS NULL"  # decisions still standing (an undone one is kept, revoked)


def default_reviewer() -> str:
    """HARNESS_REVIEWER, else the login name: who a decision is recorded for."""
    try:
        return os.environ.get("HARNESS_REVIEWER") or getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


@dataclass(frozen=True)
class Decision:
    decision: str  # approve | reject | correct
    category: str | None = None  # required for reject; optional for correct
    corrected_output: str | None = None  # required for correct
    note: str = ""

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise UsageError(f"unknown decision {self.decision!r} (use {', '.join(DECISIONS)})")
        if self.category is not None and self.category not in CATEGORIES:
            raise UsageError(f"unknown category {self.category!r} "
                             f"(use {', '.join(CATEGORIES)})")
        if self.decision == "reject" and self.category is None:
            raise UsageError(f"a rejection needs a category ({', '.join(CATEGORIES)})")
        if self.decision == "approve" and self.category is not None:
            raise UsageError("an approval takes no failure category")
        if self.decision == "correct" and not (self.corrected_output or "").strip():
            raise UsageError("a correction needs the corrected output")

    @property
    def verdict(self) -> str:
        return "pass" if self.decision == "approve" else "fail"


def decide(source: Any, item_id: int, reviewer: str, decision: Decision, *,
           at: float | None = None) -> dict[str, Any]:
    """Record `reviewer`'s decision on `item_id`; returns the updated item."""
    if not reviewer.strip():
        raise UsageError("a decision needs a reviewer name")
    db, at = database(source), at if at is not None else now()
    with immediate(db):
        item = get_item(db, item_id, at=at)
        ensure_claim(db, item_id, reviewer, at)  # raises ClaimError if someone else holds it
        kind = "adjudication" if item["status"] == "needs_adjudication" else "review"
        new_id = _insert(db, item, reviewer, decision, kind, at)
        db.execute("UPDATE review_decisions SET superseded_by = ? WHERE item_id = ? AND "
                   "reviewer = ? AND revoked_at IS NOT NULL AND superseded_by IS NULL",
                   (new_id, item_id, reviewer))
        db.execute("UPDATE review_assignments SET state = 'done' WHERE item_id = ? AND "
                   "reviewer = ? AND state = 'active'", (item_id, reviewer))
        _settle(db, item_id, at)
    return get_item(db, item_id, at=at)


def _insert(db: Database, item: dict[str, Any], reviewer: str, d: Decision, kind: str,
            at: float) -> int:
    claim = db.execute("SELECT claimed_at FROM review_assignments WHERE item_id = ? AND "
                       "reviewer = ? AND state = 'active' ORDER BY id DESC LIMIT 1",
                       (item["id"], reviewer)).fetchone()
    auto = item["auto_outcome"]
    return int(db["review_decisions"].insert({
        "item_id": item["id"], "run_id": item["run_id"], "case_id": item["case_id"],
        "model": item["model"], "repeat": item["repeat"], "reviewer": reviewer,
        "kind": kind, "decision": d.decision, "category": d.category,
        "corrected_output": d.corrected_output if d.decision == "correct" else None,
        "note": d.note or None, "verdict": d.verdict, "auto_outcome": auto,
        "agrees": None if auto not in ("pass", "fail") else int(auto == d.verdict),
        "claimed_at": claim[0] if claim else None, "decided_at": iso(at),
    }).last_pk)


def _settle(db: Database, item_id: int, at: float) -> None:
    """Recompute the item's state from the decisions still standing: decided (by the latest
    adjudication, else by `required_reviews` agreeing reviews), waiting for adjudication, or
    pending again; then the items carried from it follow."""
    required = db.execute("SELECT required_reviews FROM review_items WHERE id = ?",
                          (item_id,)).fetchone()[0] or 1
    rows = db.execute(f"SELECT kind, verdict FROM review_decisions WHERE item_id = ? AND "
                      f"{ACTIVE} ORDER BY id", (item_id,)).fetchall()
    adjudicated = [v for k, v in rows if k == "adjudication"]
    verdicts = [v for k, v in rows if k == "review"]
    if adjudicated:
        _finish(db, item_id, adjudicated[-1], at)
    elif len(verdicts) >= required and len(set(verdicts)) == 1:
        _finish(db, item_id, verdicts[0], at)
    else:
        status = "needs_adjudication" if len(verdicts) >= required else "pending"
        db.execute("UPDATE review_items SET status = ?, verdict = NULL, decided_at = NULL "
                   "WHERE id = ?", (status, item_id))
    follow_carried(db, item_id)


def follow_carried(db: Database, item_id: int) -> None:
    """Items queued for the same output point at `item_id` (`carried_from`): they take its
    verdict once it is decided, and wait again (status `duplicate`) when it is undone."""
    status, verdict, decided_at = db.execute(
        "SELECT status, verdict, decided_at FROM review_items WHERE id = ?",
        (item_id,)).fetchone()
    decided = status == "decided"
    db.execute("UPDATE review_items SET status = ?, verdict = ?, decided_at = ? "
               "WHERE carried_from = ?", ("decided" if decided else "duplicate",
                                          verdict if decided else None,
                                          decided_at if decided else None, item_id))


def _finish(db: Database, item_id: int, verdict: str, at: float) -> None:
    db.execute("UPDATE review_items SET status = 'decided', verdict = ?, decided_at = ? "
               "WHERE id = ?", (verdict, iso(at), item_id))


def undo(source: Any, reviewer: str, item_id: int | None = None, *,
         at: float | None = None) -> dict[str, Any]:
    """Revoke `reviewer`'s latest standing decision (on `item_id`, else anywhere).

    Nothing is erased: the decision keeps its row, stamped `revoked_at` / `revoked_by`, and a
    later decision by the same reviewer on the item is recorded as its `superseded_by`. The
    item's verdict is recomputed from the decisions still standing (so summaries, compare,
    the gate and estimates use the current one), and the reviewer gets the item's claim back
    when a slot is free, to decide again. Returns {"decision": the revoked row, "item": ...}.
    """
    if not reviewer.strip():
        raise UsageError("an undo needs a reviewer name")
    db, at = database(source), at if at is not None else now()
    where, args = f"reviewer = ? AND {ACTIVE}", [reviewer]
    if item_id is not None:
        where, args = where + " AND item_id = ?", [*args, item_id]
    with immediate(db):
        row = db.execute(f"SELECT id, item_id FROM review_decisions WHERE {where} "
                         "ORDER BY decided_at DESC, id DESC LIMIT 1", args).fetchone()
        if row is None:
            on = f" on item {item_id}" if item_id is not None else ""
            raise UsageError(f"{reviewer} has no decision{on} to undo")
        db.execute("UPDATE review_decisions SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                   (iso(at), reviewer, row[0]))
        _settle(db, row[1], at)
        if slot_free(db, row[1], reviewer, at):
            ensure_claim(db, row[1], reviewer, at)
    return {"decision": dict(db["review_decisions"].get(row[0])),
            "item": get_item(db, row[1], at=at)}


def final_decision(item: dict[str, Any]) -> dict[str, Any] | None:
    """The decision that carries a decided item's verdict (adjudication, else the latest)."""
    if item["status"] != "decided":
        return None
    decisions = [d for d in item.get("decisions") or [] if not d.get("revoked_at")]
    adjudicated = [d for d in decisions if d["kind"] == "adjudication"]
    chosen = adjudicated or [d for d in decisions if d["verdict"] == item["verdict"]]
    return chosen[-1] if chosen else None

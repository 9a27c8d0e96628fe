"""Reviewers' decisions: approve, reject with a failure category, or correct the output.

A decision is stored with the reviewer, the time, the note, the automatic verdict it was
made against and whether it agreed. Verdicts: approve is a pass; reject and correct are
fails (an output that needed correcting was not right first time), and a correction keeps
the edited output so it can become a new regression case (`harness.review.export`).

Deciding takes (or keeps) the reviewer's claim inside the same write transaction, so a
decision can never land on an item another reviewer holds. With `required_reviews` > 1 the
item is decided when that many reviewers agree; if they disagree it waits for one
adjudication, whose verdict is final.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from harness.errors import UsageError
from harness.review._db import database, immediate, iso, now
from harness.review.queue import ensure_claim, get_item

DECISIONS = ("approve", "reject", "correct")
CATEGORIES = ("hallucination", "unsafe", "wrong_format", "unhelpful", "other")


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
        _insert(db, item, reviewer, decision, kind, at)
        db.execute("UPDATE review_assignments SET state = 'done' WHERE item_id = ? AND "
                   "reviewer = ? AND state = 'active'", (item_id, reviewer))
        _settle(db, item_id, kind, decision.verdict, at)
    return get_item(db, item_id, at=at)


def _insert(db: Database, item: dict[str, Any], reviewer: str, d: Decision, kind: str,
            at: float) -> None:
    claim = db.execute("SELECT claimed_at FROM review_assignments WHERE item_id = ? AND "
                       "reviewer = ? AND state = 'active' ORDER BY id DESC LIMIT 1",
                       (item["id"], reviewer)).fetchone()
    auto = item["auto_outcome"]
    db["review_decisions"].insert({
        "item_id": item["id"], "run_id": item["run_id"], "case_id": item["case_id"],
        "model": item["model"], "repeat": item["repeat"], "reviewer": reviewer,
        "kind": kind, "decision": d.decision, "category": d.category,
        "corrected_output": d.corrected_output if d.decision == "correct" else None,
        "note": d.note or None, "verdict": d.verdict, "auto_outcome": auto,
        "agrees": None if auto not in ("pass", "fail") else int(auto == d.verdict),
        "claimed_at": claim[0] if claim else None, "decided_at": iso(at),
    })


def _settle(db: Database, item_id: int, kind: str, verdict: str, at: float) -> None:
    """Move the item on: decided (with its final verdict), or waiting for adjudication."""
    if kind == "adjudication":
        _finish(db, item_id, verdict, at)
        return
    required = db.execute("SELECT required_reviews FROM review_items WHERE id = ?",
                          (item_id,)).fetchone()[0] or 1
    verdicts = [r[0] for r in db.execute(
        "SELECT verdict FROM review_decisions WHERE item_id = ? AND kind = 'review'", (item_id,))]
    if len(verdicts) < required:
        return
    if len(set(verdicts)) == 1:
        _finish(db, item_id, verdicts[0], at)
    else:
        db.execute("UPDATE review_items SET status = 'needs_adjudication' WHERE id = ?",
                   (item_id,))


def _finish(db: Database, item_id: int, verdict: str, at: float) -> None:
    db.execute("UPDATE review_items SET status = 'decided', verdict = ?, decided_at = ? "
               "WHERE id = ?", (verdict, iso(at), item_id))


def final_decision(item: dict[str, Any]) -> dict[str, Any] | None:
    """The decision that carries a decided item's verdict (adjudication, else the latest)."""
    if item["status"] != "decided":
        return None
    decisions = item.get("decisions") or []
    adjudicated = [d for d in decisions if d["kind"] == "adjudication"]
    chosen = adjudicated or [d for d in decisions if d["verdict"] == item["verdict"]]
    return chosen[-1] if chosen else None

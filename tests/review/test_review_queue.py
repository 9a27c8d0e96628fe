"""Claims and decisions: atomic reservations, expiry, N reviews with adjudication."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from review_helpers import score

from harness.errors import UsageError
from harness.review.decisions import Decision, decide
from harness.review.policy import RoutePolicy
from harness.review.queue import (
    ClaimError,
    QueueFilter,
    claim_item,
    claim_next,
    get_item,
    list_items,
    release,
)
from harness.review.routing import route_run
from harness.store import RunStore, open_db

HIGH = RoutePolicy("high", 0.0, 0.6, "test")
T0 = 1_800_000_000.0


def queued(make_run, store, n: int = 1, reviews: int = 1) -> str:
    run = make_run({f"c{i}": [score()] for i in range(n)})
    route_run(store, run, policy=HIGH, required_reviews=reviews, at=T0)
    return run


def _claim_together(db_path: Path, at: float) -> dict[str, object]:
    """Two reviewers, each on their own connection, claim at the same moment."""
    barrier = threading.Barrier(2)
    got: dict[str, object] = {}

    def reviewer(name: str) -> None:
        own = RunStore(open_db(db_path))
        barrier.wait()
        try:
            item = claim_next(own, name, at=at)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            got[name] = exc
            return
        got[name] = item["id"] if item else None

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def test_two_concurrent_reviewers_never_get_the_same_item(tmp_path: Path, make_run,
                                                          store) -> None:
    queued(make_run, store, n=1)
    for attempt in range(15):
        got = _claim_together(tmp_path / "review.db", T0 + attempt * 10_000)
        assert not [v for v in got.values() if isinstance(v, Exception)], got
        winners = [v for v in got.values() if v is not None]
        assert len(winners) == 1, got  # one claim; the other reviewer gets nothing
        for name in ("ann", "bob"):
            release(store, winners[0], name)


def test_two_items_two_reviewers_get_one_each(make_run, store) -> None:
    queued(make_run, store, n=2)
    a = claim_next(store, "ann", at=T0)
    b = claim_next(store, "bob", at=T0)
    assert a and b and a["id"] != b["id"]
    assert claim_next(store, "cy", at=T0) is None
    assert claim_next(store, "ann", at=T0 + 1)["id"] == a["id"]  # your own claim comes back


def test_claim_expires_and_decide_respects_claims(make_run, store) -> None:
    queued(make_run, store)
    item = claim_next(store, "ann", at=T0, ttl_s=60)
    with pytest.raises(ClaimError, match="claimed by ann"):
        decide(store, item["id"], "bob", Decision("approve"), at=T0 + 30)
    with pytest.raises(ClaimError):
        claim_item(store, item["id"], "bob", at=T0 + 30)
    # after expiry bob may take it; then ann's late decision is refused
    assert claim_next(store, "bob", at=T0 + 61)["id"] == item["id"]
    with pytest.raises(ClaimError, match="claimed by bob"):
        decide(store, item["id"], "ann", Decision("approve"), at=T0 + 62)
    done = decide(store, item["id"], "bob", Decision("approve", note="fine"), at=T0 + 63)
    assert done["status"] == "decided" and done["verdict"] == "pass"
    with pytest.raises(ClaimError, match="already decided"):
        decide(store, item["id"], "ann", Decision("approve"), at=T0 + 64)


def test_decision_records_reviewer_time_note_and_agreement(make_run, store) -> None:
    queued(make_run, store)
    (item,) = list_items(store)
    decide(store, item["id"], "ann", Decision("reject", "hallucination", note="made up"),
           at=T0 + 5)
    (d,) = get_item(store, item["id"])["decisions"]
    assert (d["reviewer"], d["decision"], d["category"], d["note"]) == (
        "ann", "reject", "hallucination", "made up")
    assert d["auto_outcome"] == "pass" and d["agrees"] == 0 and d["verdict"] == "fail"
    assert d["decided_at"].startswith("2027-01-15T08:00:05")
    # the automatic score is untouched
    assert store.db.execute("SELECT outcome FROM scores").fetchone()[0] == "pass"
    assert store.db.execute("SELECT outcome FROM results").fetchone()[0] == "pass"


def test_two_reviews_agreeing_and_disagreeing_then_adjudication(make_run, store) -> None:
    queued(make_run, store, n=2, reviews=2)
    one, two = (it["id"] for it in list_items(store))
    decide(store, one, "ann", Decision("approve"), at=T0)
    assert get_item(store, one)["status"] == "pending"
    with pytest.raises(ClaimError, match="already reviewed"):
        decide(store, one, "ann", Decision("approve"), at=T0)
    assert decide(store, one, "bob", Decision("approve"), at=T0)["verdict"] == "pass"

    decide(store, two, "ann", Decision("approve"), at=T0)
    split = decide(store, two, "bob", Decision("reject", "unsafe"), at=T0)
    assert split["status"] == "needs_adjudication" and split["verdict"] is None
    assert [it["id"] for it in list_items(store, QueueFilter(status="needs_adjudication"))] \
        == [two]
    final = decide(store, two, "cy", Decision("reject", "unsafe"), at=T0)
    assert final["status"] == "decided" and final["verdict"] == "fail"
    assert [d["kind"] for d in final["decisions"]] == ["review", "review", "adjudication"]


def test_both_reviewers_can_hold_slots_of_a_two_review_item(make_run, store) -> None:
    queued(make_run, store, n=1, reviews=2)
    a = claim_next(store, "ann", at=T0)
    b = claim_next(store, "bob", at=T0)
    assert a["id"] == b["id"]
    assert claim_next(store, "cy", at=T0) is None  # both slots are held


@pytest.mark.parametrize(("decision", "message"), [
    (dict(decision="reject"), "needs a category"),
    (dict(decision="approve", category="unsafe"), "takes no failure category"),
    (dict(decision="correct"), "needs the corrected output"),
    (dict(decision="reject", category="rude"), "unknown category"),
    (dict(decision="maybe"), "unknown decision"),
])
def test_bad_decisions_are_refused(decision, message) -> None:
    with pytest.raises(UsageError, match=message):
        Decision(**decision)


def test_filters_and_skip(make_run, store) -> None:
    run = make_run({"a": [score("pii", "fail")], "b": [score("judge", "pass", confidence=0.1)]})
    route_run(store, run, policy=RoutePolicy("medium", 0.0, 0.6, "t"), at=T0)
    assert [it["case_id"] for it in list_items(store, QueueFilter(signal="policy"))] == ["a"]
    assert list_items(store, QueueFilter(suite="other")) == []
    assert len(list_items(store, QueueFilter(older_than_s=3600), at=T0 + 7200)) == 2
    assert list_items(store, QueueFilter(older_than_s=3600), at=T0 + 60) == []
    first = claim_next(store, "ann", at=T0)
    assert first["case_id"] == "a"  # the policy flag is more urgent
    release(store, first["id"], "ann")
    assert claim_next(store, "ann", at=T0, exclude=[first["id"]])["case_id"] == "b"

"""Undoing decisions (kept as revoked, verdicts recomputed) and de-duplicated queueing."""

from __future__ import annotations

import io
import json
import sys

import pytest
from review_helpers import MODEL, score

from harness.analysis.agreement import estimate, queue_health, scorer_agreement
from harness.analysis.metrics import load_run
from harness.errors import UsageError
from harness.review import decisions
from harness.review.decisions import Decision, decide
from harness.review.export import corrections
from harness.review.overrides import human_verdicts
from harness.review.policy import RoutePolicy
from harness.review.queue import QueueFilter, claim_next, get_item, list_items, release
from harness.review.routing import route_run
from harness.testing.cli import run_cli


def undo(*args, **kw):
    return decisions.undo(*args, **kw)


HIGH = RoutePolicy("high", 0.0, 0.6, "test")
LEAK = [score("pii", "fail", reason="PII leak: 1 x EMAIL_ADDRESS")]


def items(store, run_id: str, status: str = "all") -> dict[str, dict]:
    flt = QueueFilter(status=status, run_id=run_id)
    return {it["case_id"]: it for it in list_items(store, flt)}


harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


# --------------------------------------------------------------------------- undo


def test_undo_revokes_the_decision_and_metrics_use_the_current_verdict(store, make_run) -> None:
    run = make_run({"leak": LEAK, "ok": [score()]})
    route_run(store, run, policy=HIGH)
    leak = items(store, run)["leak"]["id"]
    decide(store, leak, "ann", Decision("approve"))  # the stray key
    assert human_verdicts(store, run) == {("leak", MODEL, 0): "pass"}
    assert load_run(store, run).metric("pass_rate").value == 1.0

    done = undo(store, "ann")  # the reviewer's latest decision, wherever it was
    assert done["decision"]["decision"] == "approve"
    assert done["decision"]["revoked_by"] == "ann" and done["decision"]["revoked_at"]
    item = get_item(store, leak)
    assert item["status"] == "pending" and item["verdict"] is None
    assert [c["reviewer"] for c in item["claims"]] == ["ann"]  # hers to decide again
    assert human_verdicts(store, run) == {}
    assert load_run(store, run).metric("pass_rate").value == 0.5  # automatic again
    assert queue_health(store)["reviewers"] == []  # a revoked decision counts nowhere

    decide(store, leak, "ann", Decision("reject", "unsafe", note="PII leak"))
    assert human_verdicts(store, run) == {("leak", MODEL, 0): "fail"}
    history = get_item(store, leak)["decisions"]
    assert [(d["decision"], bool(d["revoked_at"])) for d in history] == [
        ("approve", True), ("reject", False)]  # the original is kept, not erased
    assert history[0]["superseded_by"] == history[1]["id"]
    overall = scorer_agreement(store, run_id=run)[0]
    assert overall["n"] == 1 and overall["fail_fail"] == 1
    assert estimate(store, run)["decided"] == 1
    assert queue_health(store)["reviewers"][0]["decisions"] == 1


def test_undo_of_a_correction_drops_it_from_the_export_and_refuses_others(store,
                                                                          make_run) -> None:
    run = make_run({"a": [score()]})
    route_run(store, run, policy=HIGH)
    item = items(store, run)["a"]["id"]
    decide(store, item, "ann", Decision("correct", corrected_output="better"))
    assert len(list(corrections(store))) == 1
    with pytest.raises(UsageError, match="bob has no decision on item"):
        undo(store, "bob", item)  # only your own decisions
    undo(store, "ann", item)
    assert list(corrections(store)) == []
    with pytest.raises(UsageError, match="ann has no decision"):
        undo(store, "ann")  # nothing left standing


def test_undo_reopens_a_disagreement_and_an_adjudication(store, make_run) -> None:
    run = make_run({"a": [score()]})
    route_run(store, run, policy=HIGH, required_reviews=2)
    item = items(store, run)["a"]["id"]
    decide(store, item, "ann", Decision("approve"))
    decide(store, item, "bob", Decision("reject", "other"))
    assert get_item(store, item)["status"] == "needs_adjudication"
    decide(store, item, "cy", Decision("approve"))
    assert get_item(store, item)["verdict"] == "pass"
    undo(store, "cy", item)
    assert get_item(store, item)["status"] == "needs_adjudication"
    release(store, item, "cy")  # undoing gave cy the item back; cy lets it go
    undo(store, "bob", item)
    assert get_item(store, item)["status"] == "pending"
    decide(store, item, "bob", Decision("approve"))
    assert get_item(store, item)["verdict"] == "pass"


def test_review_undo_command(tmp_path, store, make_run, capsys) -> None:
    run = make_run({"leak": LEAK})
    route_run(store, run, policy=HIGH)
    db = str(tmp_path / "review.db")
    item = items(store, run)["leak"]["id"]
    assert harness(capsys, "review", "decide", str(item), "approve", "--db", db, "-r",
                   "ann")[0] == 0
    code, out, _ = harness(capsys, "review", "undo", "--db", db, "-r", "ann")
    assert code == 0 and f"item {item}: ann's approve" in out and "revoked" in out
    assert "item is pending" in out
    code, _, err = harness(capsys, "review", "undo", str(item), "--db", db, "-r", "ann")
    assert code == 2 and "no decision" in err
    assert get_item(store, item)["decisions"][0]["revoked_at"]


def test_review_next_u_undoes_the_last_decision(tmp_path, store, make_run, capsys,
                                                monkeypatch) -> None:
    run = make_run({"leak": LEAK, "b": [score()]})
    route_run(store, run, policy=HIGH)
    db = str(tmp_path / "review.db")
    # approve the first by mistake, undo on the next item, reject the first, then quit
    monkeypatch.setattr(sys, "stdin", io.StringIO("a u 2 q"))
    code, _, err = harness(capsys, "review", "next", "--db", db, "-r", "ann")
    assert code == 0 and "undone" in err, err
    got = items(store, run)
    assert got["leak"]["verdict"] == "fail" and got["b"]["status"] == "pending"
    history = get_item(store, got["leak"]["id"])["decisions"]
    assert [(d["decision"], bool(d["revoked_at"])) for d in history] == [
        ("approve", True), ("reject", False)]
    assert claim_next(store, "bob")["id"] == got["b"]["id"]  # ann's claim on b was released


# --------------------------------------------------------------------------- queueing


def test_the_same_output_is_not_queued_again(store, make_run) -> None:
    cases = {"leak": {"input": "q leak"}, "ok": {"input": "q ok"}}
    first = make_run({"leak": LEAK, "ok": [score()]}, cases=cases)
    assert route_run(store, first, policy=HIGH).queued == 2
    decide(store, items(store, first)["leak"]["id"], "ann", Decision("reject", "unsafe"))

    # the next run: same outputs for both, one reviewed (carried), one still waiting
    second = make_run({"leak": LEAK, "ok": [score()]}, cases=cases)
    report = route_run(store, second, policy=HIGH)
    assert (report.queued, report.carried, report.duplicates) == (0, 1, 1)
    got = items(store, second)
    assert got["leak"]["status"] == "decided" and got["leak"]["verdict"] == "fail"
    assert got["leak"]["carried_from"] == items(store, first)["leak"]["id"]
    assert human_verdicts(store, second) == {("leak", MODEL, 0): "fail"}
    assert got["ok"]["status"] == "duplicate"
    assert [it["run_id"] for it in list_items(store)] == [first]  # ok waits once, not twice

    # deciding the waiting one carries its verdict; undoing it takes it back
    ok_first = items(store, first)["ok"]["id"]
    decide(store, ok_first, "ann", Decision("approve"))
    assert items(store, second)["ok"]["verdict"] == "pass"
    undo(store, "ann", ok_first)
    assert items(store, second)["ok"]["status"] == "duplicate"
    with pytest.raises(UsageError, match="same output as item"):
        decide(store, items(store, second)["ok"]["id"], "bob", Decision("approve"))

    # a different output for the same case is a new question
    third = make_run({"leak": LEAK, "ok": [score()]}, cases=cases,
                     outputs={"leak": "another leak: a@b.c"})
    report = route_run(store, third, policy=HIGH)
    assert report.queued == 1 and items(store, third)["leak"]["status"] == "pending"


def test_identical_repeats_in_one_run_are_queued_once(store, make_run) -> None:
    run = make_run({"a": LEAK}, models=(MODEL, "openai:other"))  # same text from both
    report = route_run(store, run, policy=HIGH)
    assert report.queued == 1 and report.duplicates == 1
    assert len(list_items(store)) == 1


def test_route_line_says_what_was_carried(store, make_run) -> None:
    first = make_run({"a": LEAK})
    route_run(store, first, policy=HIGH)
    decide(store, items(store, first)["a"]["id"], "ann", Decision("approve"))
    second = make_run({"a": LEAK})
    from harness.cli.review import route_line

    line = route_line(route_run(store, second, policy=HIGH))
    assert "0 of 1 results queued" in line and "1 with the same output reviewed before" in line


# --------------------------------------------------------------------------- review list


def test_review_list_has_run_and_model_columns_and_stays_inert(tmp_path, store, make_run,
                                                               capsys, monkeypatch) -> None:
    from harness.cli import out as console

    monkeypatch.setattr(console, "width", 250)  # one line per row
    run = make_run({"a": LEAK}, models=("openai:m\x1b[2J",))
    route_run(store, run, policy=HIGH)
    code, out, _ = harness(capsys, "review", "list", "--db", str(tmp_path / "review.db"))
    assert code == 0
    head = next(line for line in out.splitlines() if "case" in line)
    assert "run" in head and "model" in head
    row = next(line for line in out.splitlines() if run in line)
    assert "openai:m\\x1b[2J" in row and "\x1b" not in out
    code, out, _ = harness(capsys, "review", "list", "--db", str(tmp_path / "review.db"),
                           "--format", "json")
    assert json.loads(out)[0]["model"] == "openai:m\x1b[2J"


def test_items_waiting_on_a_deleted_item_are_reopened_once(store, make_run) -> None:
    first = make_run({"a": LEAK})
    route_run(store, first, policy=HIGH)
    second, third = make_run({"a": LEAK}), make_run({"a": LEAK})
    route_run(store, second, policy=HIGH)
    route_run(store, third, policy=HIGH)
    source = items(store, first)["a"]["id"]
    with store.db.conn:
        assert decisions.detach_carried(store.db, [source]) == 1
    waiting = [items(store, second)["a"], items(store, third)["a"]]
    assert waiting[0]["status"] == "pending" and waiting[0]["carried_from"] is None
    assert waiting[1]["status"] == "duplicate" and waiting[1]["carried_from"] == waiting[0]["id"]


def test_a_carried_verdict_is_one_judgment_in_the_agreement(store, make_run) -> None:
    first = make_run({"a": LEAK})
    route_run(store, first, policy=HIGH)
    decide(store, items(store, first)["a"]["id"], "ann", Decision("reject", "unsafe"))
    second = make_run({"a": LEAK})
    route_run(store, second, policy=HIGH)
    assert scorer_agreement(store)[0]["n"] == 1
    assert estimate(store, second)["decided"] == 1  # the run's own estimate uses it


def test_deleting_a_run_reopens_the_items_waiting_on_its_items(store, make_run) -> None:
    """`harness delete` of the run whose item the others wait on must not leave them
    `duplicate` for ever."""
    from harness.store.deletion import delete_runs, plan_deletion

    first = make_run({"a": LEAK})
    route_run(store, first, policy=HIGH)
    second = make_run({"a": LEAK})
    route_run(store, second, policy=HIGH)
    assert items(store, second)["a"]["status"] == "duplicate"
    delete_runs(store, plan_deletion(store, [first]))
    assert items(store, second)["a"]["status"] == "pending"
    assert items(store, second)["a"]["carried_from"] is None

"""Human verdicts layered on top: metrics (summaries, compare) and the gate apply them."""

from __future__ import annotations

from review_helpers import MODEL, score

from harness.analysis.gate import run_gate
from harness.analysis.metrics import load_run
from harness.review.decisions import Decision, decide
from harness.review.overrides import human_verdicts, overlay_rows
from harness.review.policy import RoutePolicy
from harness.review.queue import list_items
from harness.review.routing import route_run

HIGH = RoutePolicy("high", 0.0, 0.6, "test")
CASES = {f"c{i}": {"input": f"q{i}", "tags": ["critical"] if i == 3 else []} for i in range(6)}


def item_of(store, run_id: str, case_id: str) -> int:
    return next(it["id"] for it in list_items(store, limit=100)
                if it["run_id"] == run_id and it["case_id"] == case_id)


def test_verdicts_of_decided_items_only(store, make_run) -> None:
    run = make_run({"a": [score()], "b": [score("x", "fail")], "c": [score()], "d": "error"})
    route_run(store, run, policy=HIGH)
    decide(store, item_of(store, run, "a"), "ann", Decision("reject", "hallucination"))
    decide(store, item_of(store, run, "b"), "ann", Decision("approve"))
    assert human_verdicts(store, run) == {("a", MODEL, 0): "fail", ("b", MODEL, 0): "pass"}
    rows = {r["case_id"]: r for r in overlay_rows(store.iter_results(run),
                                                  human_verdicts(store, run))}
    assert rows["a"]["outcome"] == "fail" and rows["a"]["auto_outcome"] == "pass"
    assert rows["c"]["outcome"] == "pass" and "auto_outcome" not in rows["c"]
    assert rows["d"]["outcome"] == "error"


def test_metrics_apply_human_verdicts_on_top(store, make_run) -> None:
    run = make_run({c: [score()] for c in CASES}, cases=CASES)
    assert load_run(store, run).metric("pass_rate").value == 1.0
    route_run(store, run, policy=HIGH)
    decide(store, item_of(store, run, "c1"), "ann", Decision("reject", "unsafe"))
    decide(store, item_of(store, run, "c2"), "ann", Decision(
        "correct", corrected_output="better"))
    assert load_run(store, run).metric("pass_rate").value == 4 / 6
    assert load_run(store, run).metric("right_first_time").value == 4 / 6
    assert load_run(store, run, overrides={}).metric("pass_rate").value == 1.0  # opt out
    # the stored scores never change
    assert {r["outcome"] for r in store.iter_results(run)} == {"pass"}


def test_rescore_run_inherits_parent_verdicts(store, make_run) -> None:
    parent = make_run({"a": [score()]})
    route_run(store, parent, policy=HIGH)
    decide(store, item_of(store, parent, "a"), "ann", Decision("reject", "other"))
    child = make_run({"a": [score()]})
    store.set_lineage(child, parent, "rescore")
    assert human_verdicts(store, child) == {("a", MODEL, 0): "fail"}


def test_a_human_rejection_of_a_critical_case_fails_the_gate(store, make_run) -> None:
    base = make_run({c: [score()] for c in CASES}, cases=CASES)
    cand = make_run({c: [score()] for c in CASES}, cases=CASES)
    assert "critical case" not in " ".join(run_gate(store, cand, base).reasons)
    route_run(store, cand, policy=HIGH)
    decide(store, item_of(store, cand, "c3"), "ann", Decision("reject", "hallucination"))
    result = run_gate(store, cand, base)
    assert result.verdict == "FAIL"
    assert "critical case c3 passed in the baseline and now fails" in result.reasons


def test_a_human_approval_clears_a_critical_automatic_failure(store, make_run) -> None:
    base = make_run({c: [score()] for c in CASES}, cases=CASES)
    results = {c: [score()] for c in CASES} | {"c3": [score("contains", "fail")]}
    cand = make_run(results, cases=CASES)
    assert "critical case c3" in " ".join(run_gate(store, cand, base).reasons)
    route_run(store, cand, policy=HIGH)
    decide(store, item_of(store, cand, "c3"), "ann", Decision("approve", note="check too strict"))
    assert "critical case c3" not in " ".join(run_gate(store, cand, base).reasons)

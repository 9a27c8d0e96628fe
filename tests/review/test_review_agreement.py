"""Agreement with people against hand-computed values; IPW estimates; queue health."""

from __future__ import annotations

import pytest
from review_helpers import score

from harness.analysis.agreement import (
    Confusion,
    best_threshold,
    confusion,
    estimate,
    queue_health,
    scorer_agreement,
)
from harness.review.decisions import Decision, decide
from harness.review.policy import RoutePolicy
from harness.review.queue import claim_item, list_items
from harness.review.routing import route_run

T0 = 1_800_000_000.0


def test_kappa_textbook_example() -> None:
    # Two raters, 50 items: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    # p_o = 35/50 = 0.7; p_e = (25*30 + 25*20)/2500 = 0.5; kappa = 0.2/0.5 = 0.4.
    c = Confusion(pass_pass=20, pass_fail=5, fail_pass=10, fail_fail=15)
    assert c.n == 50 and c.agreement == pytest.approx(0.7)
    assert c.kappa == pytest.approx(0.4)


def test_kappa_second_hand_value() -> None:
    # 45 pass/pass, 15 pass/fail, 25 fail/pass, 15 fail/fail (n = 100):
    # p_o = 0.60; auto pass 60, human pass 70; p_e = (60*70 + 40*30)/10000 = 0.54;
    # kappa = 0.06/0.46 = 0.130434...
    c = confusion([(True, True)] * 45 + [(True, False)] * 15 + [(False, True)] * 25
                  + [(False, False)] * 15)
    assert c.kappa == pytest.approx(0.06 / 0.46)


def test_kappa_edge_cases() -> None:
    assert Confusion().kappa is None
    assert Confusion(pass_pass=5).kappa is None  # one class: chance agreement is total
    assert Confusion(pass_fail=3, fail_pass=3).kappa == pytest.approx(-1.0)
    assert Confusion(pass_pass=3, fail_fail=3).kappa == pytest.approx(1.0)


def test_best_threshold_by_hand() -> None:
    # people pass everything scoring 0.6 or more; the scorer's own cut might be 0.9
    scored = [(0.2, False), (0.4, False), (0.55, False), (0.6, True), (0.7, True), (0.95, True)]
    best = best_threshold(scored)
    assert best == {"threshold": 0.6, "kappa": pytest.approx(1.0), "agreement": 1.0}
    assert best_threshold([(0.5, True), (0.9, True)]) is None  # one human verdict only


def test_scorer_agreement_per_check(store, make_run) -> None:
    ground = lambda outcome, v: score("grounded", outcome, type="grounding", value=v)  # noqa: E731
    run = make_run({
        "a": [ground("pass", 0.95)], "b": [ground("pass", 0.91)],
        "c": [ground("fail", 0.7)], "d": [ground("fail", 0.3)],
    })
    route_run(store, run, policy=RoutePolicy("high", 0, 0.6, "t"), at=T0)
    human = {"a": "approve", "b": "reject", "c": "approve", "d": "reject"}
    for it in list_items(store):
        d = human[it["case_id"]]
        decide(store, it["id"], "ann", Decision(d, "hallucination" if d == "reject" else None),
               at=T0)
    rows = {r["check"]: r for r in scorer_agreement(store, run_id=run)}
    g = rows["grounded"]
    assert (g["pass_pass"], g["pass_fail"], g["fail_pass"], g["fail_fail"]) == (1, 1, 1, 1)
    assert g["kappa"] == pytest.approx(0.0)
    assert rows["overall"]["n"] == 4
    # no cut on these scores separates a/c from b/d perfectly; the best one is still reported
    assert g["best"]["kappa"] >= 0.0


def test_estimates_with_sampling_weights(store, make_run) -> None:
    # 10 flagged results (p=1) and 90 quiet ones sampled at 50%.
    results = {f"f{i}": [score("judge", "pass", confidence=0.1)] for i in range(10)}
    results |= {f"q{i:02d}": [score()] for i in range(90)}
    run = make_run(results)
    route_run(store, run, policy=RoutePolicy("medium", 0.5, 0.6, "t"), at=T0)
    items = list_items(store, limit=1000)
    sampled = [it for it in items if it["sampled"]]
    assert all(it["inclusion_prob"] == 0.5 for it in sampled)
    # people: every flagged one fails, every quiet one passes
    for it in items:
        verdict = Decision("reject", "other") if it["case_id"].startswith("f") \
            else Decision("approve")
        decide(store, it["id"], "ann", verdict, at=T0)
    e = estimate(store, run)
    assert e["automatic"]["value"] == 1.0
    # HT: (sum over quiet sampled of 1/0.5) / 100 = 2 * len(sampled) / 100, near 0.9
    assert e["ipw"]["value"] == pytest.approx(2 * len(sampled) / 100)
    # corrected: 1.0 + (10 flagged * (0 - 1) / 1) / 100 = 0.9 exactly
    assert e["corrected"]["value"] == pytest.approx(0.9)
    # the flagged (p=1) items are a census and add no uncertainty; the quiet ones people
    # agreed with are a 50% sample, so some of the unreviewed half may still be wrong
    # (issue 13: this was a zero-width [0.9, 0.9] from a sample)
    assert 0.8 < e["corrected"]["low"] < 0.9 < e["corrected"]["high"] < 1.0


def test_estimate_before_review_and_partial_review(store, make_run) -> None:
    run = make_run({f"c{i}": [score("judge", "pass", confidence=0.1)] for i in range(4)})
    assert estimate(store, run)["note"] == "not routed yet"
    route_run(store, run, policy=RoutePolicy("high", 0, 0.6, "t"), at=T0)
    assert estimate(store, run)["note"] == "no decided items yet"
    first = list_items(store)[0]
    decide(store, first["id"], "ann", Decision("reject", "other"), at=T0)
    e = estimate(store, run)
    # 1 of 4 decided: each stands for 4 results; the estimate is 1 - 4/4 = 0
    assert e["decided"] == 1 and e["corrected"]["value"] == pytest.approx(0.0)


def test_queue_health_age_and_throughput(store, make_run) -> None:
    run = make_run({"a": [score()], "b": [score()], "c": [score()]})
    route_run(store, run, policy=RoutePolicy("high", 0, 0.6, "t"), at=T0)
    ids = [it["id"] for it in list_items(store)]
    claim_item(store, ids[0], "ann", at=T0 + 100)
    decide(store, ids[0], "ann", Decision("approve"), at=T0 + 130)
    claim_item(store, ids[1], "ann", at=T0 + 200)
    decide(store, ids[1], "ann", Decision("reject", "other"), at=T0 + 290)
    h = queue_health(store, at=T0 + 3600)
    assert h["open"] == 1 and h["oldest_open_age_s"] == pytest.approx(3600, abs=0.01)
    (ann,) = h["reviewers"]
    assert ann["decisions"] == 2 and ann["median_s"] == pytest.approx(60.0, abs=0.01)
    assert ann["agrees_with_auto"] == 0.5


def test_an_estimate_from_one_decision_is_not_a_point(store, make_run) -> None:
    """Issue 13, 17d: one human decision gave IPW and corrected estimates with zero-width
    intervals ([0%, 0%]); the interval must say how little one verdict shows."""
    run = make_run({f"c{i}": [score("judge", "pass", confidence=0.1)] for i in range(4)})
    route_run(store, run, policy=RoutePolicy("high", 0, 0.6, "t"), at=T0)
    first = list_items(store)[0]
    decide(store, first["id"], "ann", Decision("reject", "other"), at=T0)
    e = estimate(store, run)
    for key in ("ipw", "corrected"):
        v = e[key]
        assert v["value"] == pytest.approx(0.0)
        assert v["low"] == 0.0 and v["high"] > 0.5, (key, v)  # Wilson at n=1: up to ~68%
    assert "only 1 decision" in e["note"]
    # every queued item decided (a census of the flagged results): nothing is left unknown
    for it in list_items(store, limit=10):
        if it["status"] != "decided":
            decide(store, it["id"], "ann", Decision("reject", "other"), at=T0)
    e = estimate(store, run)
    assert e["ipw"]["low"] == e["ipw"]["high"] == pytest.approx(0.0)

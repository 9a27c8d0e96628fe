"""Routing: risk tiers, signals with reasons, inclusion probabilities, never queued twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_helpers import MODEL, score

from harness.review.novelty import NoveltyIndex, grams
from harness.review.policy import RoutePolicy, policy_for_run
from harness.review.queue import list_items
from harness.review.routing import inclusion, route_run, sample_draw
from harness.review.signals import Signal
from harness.store import RunStore


def policy(risk: str, rate: float = 0.0, below: float = 0.6) -> RoutePolicy:
    return RoutePolicy(risk, rate, below, "test")


def kinds(store: RunStore, run_id: str) -> dict[str, set[str]]:
    return {it["case_id"]: {s["kind"] for s in it["signals"]}
            for it in list_items(store, limit=1000) if it["run_id"] == run_id}


GROUNDING_BAD = score("grounded", "fail", type="grounding", value=0.5, confidence=0.9,
                      evidence={"claims": [{"index": 0, "text": "It costs €5.", "span": [0, 12],
                                            "verdict": "unsupported", "passage": 0}],
                                "threshold": 0.9})


def test_medium_queues_results_with_signals_and_says_why(store, make_run) -> None:
    run = make_run({
        "clean": [score()],
        "unsure": [score("judge", "pass", confidence=0.4)],
        "ungrounded": [GROUNDING_BAD],
        "leak": [score("pii", "fail", reason="PII leak: 1 × EMAIL_ADDRESS")],
        "undecided": [score("cost", "unscored", reason="no price known")],
        "no-context": [score("grounded", "pass", type="grounding")],
        "failed": "error",
    }, cases={"ungrounded": {"context": ["Plans cost €4.99."]},
              "no-context": {"context": [" "]}})
    report = route_run(store, run, policy=policy("medium"))
    got = kinds(store, run)
    assert got == {
        "unsure": {"low_confidence"},
        "ungrounded": {"missing_evidence"},  # 0.5 is far from 0.9, confidence 0.9 is fine
        "leak": {"policy"},
        "undecided": {"low_confidence"},
        "no-context": {"missing_evidence"},
    }
    assert "clean" not in got and "failed" not in got  # no signal; errors never routed
    assert report.n_results == 6 and report.queued == len(got)
    leak = next(it for it in list_items(store) if it["case_id"] == "leak")
    assert leak["critical"] == 1 and leak["inclusion_prob"] == 1.0
    assert "EMAIL_ADDRESS" in leak["signals"][0]["detail"]
    assert leak["signals"][0]["check"] == "pii"


def test_ungrounded_claim_is_named(store, make_run) -> None:
    run = make_run({"a": [GROUNDING_BAD]}, cases={"a": {"context": ["Plans cost €4.99."]}})
    route_run(store, run, policy=policy("medium"))
    (item,) = list_items(store)
    details = [s["detail"] for s in item["signals"] if s["kind"] == "missing_evidence"]
    assert details == ["1 unsupported claim(s), e.g. “It costs €5.”"]


def test_high_queues_everything_low_only_critical_and_sample(store, make_run) -> None:
    results = {f"c{i}": [score("judge", "pass", confidence=0.3)] for i in range(20)}
    results["leak"] = [score("pii", "fail")]
    high = make_run(results, suite="hi")
    low = make_run(results, suite="lo")
    route_run(store, high, policy=policy("high"))
    route_run(store, low, policy=policy("low", rate=0.0))
    assert len(kinds(store, high)) == 21
    assert set(kinds(store, low)) == {"leak"}  # unsure judges alone do not send a low-risk case


def test_low_risk_sample_is_deterministic_and_near_the_rate(store, make_run) -> None:
    results = {f"c{i:03d}": [score()] for i in range(400)}
    run = make_run(results)
    first = route_run(store, run, policy=policy("low", rate=0.1))
    items = list_items(store, limit=1000)
    assert 20 <= first.queued <= 60  # 10% of 400, binomial spread
    assert all(it["inclusion_prob"] == 0.1 and it["sampled"] == 1 for it in items)
    assert all(s["kind"] == "sample" for it in items for s in it["signals"])
    expected = {c for c in results if sample_draw(run, (c, MODEL, 0)) < 0.1}
    assert {it["case_id"] for it in items} == expected


def test_routing_twice_queues_nothing_new(store, make_run) -> None:
    run = make_run({"a": [score("pii", "fail")], "b": [score("judge", "pass", confidence=0.1)]})
    assert route_run(store, run, policy=policy("high")).queued == 2
    again = route_run(store, run, policy=policy("high"))
    assert again.queued == 0 and again.already == 2
    assert store.db["review_items"].count == 2


def test_rescore_run_does_not_requeue_parent_items(store, make_run) -> None:
    parent = make_run({"a": [score("pii", "fail")]})
    route_run(store, parent, policy=policy("high"))
    child = make_run({"a": [score("pii", "fail")]})
    store.set_lineage(child, parent, "rescore")
    report = route_run(store, child, policy=policy("high"))
    assert report.queued == 0 and report.already == 1


def test_regression_against_baseline_and_critical_tag(store, make_run) -> None:
    cases = {"plain": {"input": "q1"}, "vital": {"input": "q2", "tags": ["critical"]}}
    base = make_run({"plain": [score()], "vital": [score()]}, cases=cases)
    cand = make_run({"plain": [score("contains", "fail")], "vital": [score("contains", "fail")]},
                    cases=cases)
    report = route_run(store, cand, policy=policy("low"))
    assert report.baseline_run_id == base
    items = {it["case_id"]: it for it in list_items(store)}
    assert set(items) == {"vital"}  # low risk: only the critical regression goes
    signal = items["vital"]["signals"][0]
    assert signal["kind"] == "regression" and signal["critical"] and base in signal["detail"]


def test_novelty_flags_inputs_unlike_the_reference_run(store, make_run) -> None:
    ref_cases = {"a": {"input": "How long do I have to return a pot for a refund?"},
                 "b": {"input": "Why is my password reset link invalid?"}}
    make_run({"a": [score()], "b": [score()]}, cases=ref_cases)
    cand_cases = {**ref_cases,
                  "c": {"input": "How long have I got to return a pot for refunds?"},
                  "d": {"input": "Quelle est la garantie du capteur d'humidité ?"}}
    cand = make_run({k: [score()] for k in cand_cases}, cases=cand_cases)
    route_run(store, cand, policy=policy("medium"))
    items = {it["case_id"]: it for it in list_items(store)}
    assert set(items) == {"d"}
    assert items["d"]["novelty"] > 0.75 and items["d"]["signals"][0]["kind"] == "novelty"


def test_novelty_index_by_hand() -> None:
    assert grams("ab c") == frozenset({" ab", "ab ", "b c", " c "})
    index = NoveltyIndex(["the refund window", "reset your password"])
    assert index.similarity("the refund window") == 1.0
    assert index.novelty("something else entirely") > 0.8
    assert NoveltyIndex([]).similarity("x") == 0.0


def test_disagreeing_model_scorers_and_near_threshold(store, make_run) -> None:
    near = score("grounded", "pass", type="grounding", value=0.92, confidence=0.9,
                 evidence={"threshold": 0.9, "claims": []})
    run = make_run({"split": [score("judge", "pass", confidence=0.9),
                              score("grounded", "fail", type="grounding", value=0.2,
                                    confidence=0.9)],
                    "near": [near]},
                   cases={"split": {"context": ["p"]}, "near": {"context": ["p"]}})
    route_run(store, run, policy=policy("medium"))
    details = {it["case_id"]: [s["detail"] for s in it["signals"]] for it in list_items(store)}
    assert any("disagree" in d for d in details["split"])
    assert details["near"] == ["score 0.92 near threshold 0.9"]


@pytest.mark.parametrize(("risk", "signals", "draw", "expected"), [
    ("high", [], 0.99, (True, 1.0)),
    ("medium", [Signal("novelty", "x")], 0.99, (True, 1.0)),
    ("medium", [], 0.01, (True, 0.05)),
    ("medium", [], 0.99, (False, 0.05)),
    ("low", [Signal("low_confidence", "x")], 0.99, (False, 0.05)),
    ("low", [Signal("policy", "x", critical=True)], 0.99, (True, 1.0)),
])
def test_inclusion_rules(risk, signals, draw, expected) -> None:
    assert inclusion(risk, signals, 0.05, draw) == expected


def test_policy_comes_from_the_suite_file(tmp_path: Path) -> None:
    rubric = tmp_path / "r.yaml"
    rubric.write_text("rubric: r\nversion: 1\nreview: {sample_rate: 0.2, confidence_below: 0.7}\n")
    suite = tmp_path / "s.yaml"
    suite.write_text("suite: s\nversion: 1\nrisk: low\nrubric: r.yaml\nmodel: openai:m\n"
                     "cases:\n  - {id: a, input: hi}\n")
    from harness.suites import load_suite

    loaded = load_suite(suite)
    got = policy_for_run({"suite_path": str(suite), "suite_hash": loaded.content_hash})
    assert (got.risk, got.sample_rate, got.confidence_below) == ("low", 0.2, 0.7)
    assert "r.yaml" in got.source
    missing = policy_for_run({"suite_path": str(tmp_path / "gone.yaml")})
    assert missing.risk == "medium" and "not found" in missing.source

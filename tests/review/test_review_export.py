"""Corrections export as suite cases with provenance, loadable with `- from:`."""

from __future__ import annotations

import json
from pathlib import Path

from review_helpers import MODEL, score

from harness.review.decisions import Decision, decide
from harness.review.export import corrections, to_jsonl
from harness.review.policy import RoutePolicy
from harness.review.queue import list_items
from harness.review.routing import route_run
from harness.suites import load_suite

CASES = {
    "refund": {"vars": {"question": "How long for a refund?"},
               "context": ["Refunds within 30 days."], "tags": ["billing"],
               "checks": [{"type": "contains", "value": "30"}]},
    "other": {"input": "hello"},
}


def test_corrections_become_cases_a_suite_can_load(tmp_path: Path, store, make_run) -> None:
    run = make_run({"refund": [score()], "other": [score()]}, cases=CASES,
                   outputs={"refund": "You have 14 days."})
    route_run(store, run, policy=RoutePolicy("high", 0, 0.6, "t"))
    by_case = {it["case_id"]: it["id"] for it in list_items(store)}
    decide(store, by_case["refund"], "ann", Decision(
        "correct", "hallucination", "You have 30 days from delivery.", note="policy is 30"))
    decide(store, by_case["other"], "ann", Decision("approve"))

    (case,) = list(corrections(store))
    assert case["id"].startswith("refund-rev")
    assert case["expected"] == "You have 30 days from delivery."
    assert case["context"] == ["Refunds within 30 days."]
    assert case["vars"] == CASES["refund"]["vars"]
    assert case["tags"] == ["billing", "from-review"]
    prov = case["metadata"]["review"]
    assert (prov["run"], prov["case"], prov["model"], prov["repeat"]) == (run, "refund", MODEL, 0)
    assert prov["reviewer"] == "ann" and prov["category"] == "hallucination"
    assert prov["original_output"] == "You have 14 days." and prov["decided_at"]

    exported = tmp_path / "reviewed.jsonl"
    exported.write_text("".join(to_jsonl(corrections(store, run_id=run))), encoding="utf-8")
    suite = tmp_path / "suite.yaml"
    suite.write_text("suite: s\nversion: 1\nmodel: openai:m\nprompt: {template: '{{ question }}'}\n"
                     "cases:\n  - from: reviewed.jsonl\n", encoding="utf-8")
    loaded = load_suite(suite)
    (loaded_case,) = loaded.cases
    assert loaded_case.expected == "You have 30 days from delivery."
    assert json.loads(exported.read_text())["metadata"]["review"]["note"] == "policy is 30"


def test_export_filters(store, make_run) -> None:
    run = make_run({"refund": [score()]}, cases=CASES)
    route_run(store, run, policy=RoutePolicy("high", 0, 0.6, "t"))
    decide(store, list_items(store)[0]["id"], "ann", Decision("correct", corrected_output="x"))
    assert len(list(corrections(store, suite="s"))) == 1
    assert list(corrections(store, suite="nope")) == []
    assert list(corrections(store, since="2999-01-01")) == []

"""Summaries keep their denominators explicit: errors and unscored checks are counted apart."""

from __future__ import annotations

import pytest

from harness.analysis.summary import summarize


def row(outcome: str, scores: list[tuple[str, str]] = (), **kw) -> dict:
    base = dict(
        outcome=outcome,
        model="m",
        latency_ms=100.0,
        cached=False,
        cost_usd=None,
        prompt_tokens=1,
        completion_tokens=2,
        attempts=1,
        error_kind=None,
        scores=[{"check_name": n, "check_type": n, "outcome": o} for n, o in scores],
    )
    if outcome == "error":
        base.update(latency_ms=None, error_kind="timeout", prompt_tokens=None, attempts=3)
    return {**base, **kw}


def test_counts_rates_and_denominators() -> None:
    rows = [
        row("pass", [("contains", "pass"), ("cost_usd", "unscored")]),
        row("fail", [("contains", "fail"), ("cost_usd", "unscored")]),
        row("pass", [("contains", "pass"), ("cost_usd", "not_applicable")], cached=True),
        row("error"),
    ]
    s = summarize(rows, planned=5)
    assert (s["pass"], s["fail"], s["error"], s["missing"]) == (2, 1, 1, 1)
    assert (
        s["pass_rate"]["n"] == 3 and s["pass_rate"]["k"] == 2
    )  # errors are not in the denominator
    checks = {c["check"]: c for c in s["checks"]}
    assert checks["contains"]["pass_rate"]["value"] == pytest.approx(2 / 3)
    cost = checks["cost_usd"]
    assert cost["pass_rate"]["value"] is None and cost["pass_rate"]["n"] == 0  # nothing decided
    assert (cost["unscored"], cost["not_applicable"]) == (2, 1)
    assert s["latency_ms"]["n"] == 2  # cached and errored results have no latency of their own
    assert s["errors_by_kind"] == {"timeout": 1}
    assert s["cost_usd"]["total"] is None and s["cost_usd"]["n_known"] == 0
    assert s["retried"] == 1 and s["cached"] == 1


def test_by_model_only_when_several() -> None:
    assert "by_model" not in summarize([row("pass")])
    both = summarize([row("pass"), row("fail", model="other")])
    assert set(both["by_model"]) == {"m", "other"}

"""Triage: failure modes ranked by impact; slices with the largest gaps."""

from __future__ import annotations

import pytest

from harness.analysis.metrics import Unit
from harness.reporting.triage import (
    failure_modes,
    newcombe_unpaired,
    rank,
    reason_pattern,
    slice_gaps,
    tag_rates,
)


def row(case_id: str, outcome: str, *scores: tuple[str, str, str], error: str = "",
        evidence: dict | None = None) -> dict:
    return {
        "case_id": case_id, "outcome": outcome, "error_kind": "timeout" if error else None,
        "error_message": error or None,
        "scores": [{"check_name": c, "check_type": c, "outcome": o, "reason": r,
                    "evidence": evidence or {}} for c, o, r in scores],
    }


def test_reasons_that_differ_only_in_values_are_one_mode() -> None:
    assert reason_pattern("expected '30 days' not found") == reason_pattern(
        "expected '1 hour' not found") == "expected '…' not found"
    assert reason_pattern("3 leaks at 10-25") == "N leaks at N-N"
    assert reason_pattern("") == "(no reason given)"


def test_modes_are_ranked_by_risk_frequency_and_severity() -> None:
    rows = [
        row("a", "fail", ("contains", "fail", "expected '30 days' not found")),
        row("b", "fail", ("contains", "fail", "expected '1 hour' not found")),
        row("c", "fail", ("pii", "fail", "PII leak: 1 x EMAIL"),
            evidence={"leaks": [{"type": "EMAIL", "severity": "critical"}]}),
        row("d", "error", error="timed out after 30 s"),
        row("e", "fail", ("judge", "unscored", "judge answer not parseable")),
        row("f", "pass", ("contains", "pass", "")),
    ]
    cases = {"d": {"tags": ["critical"]}}
    modes = failure_modes(rows, cases, suite="s", risk="high")
    # impact = 3 (high) x share x severity
    table = [(m.check, m.count, round(m.impact, 3)) for m in modes]
    assert table == [
        ("contains", 2, round(3 * 2 / 6 * 2, 3)),
        ("error", 1, round(3 * 1 / 6 * 4, 3)),  # an errored critical case
        ("pii", 1, round(3 * 1 / 6 * 4, 3)),  # the scorer said critical
        ("judge", 1, round(3 * 1 / 6 * 1, 3)),  # undecided: low
    ]
    assert modes[0].cases == ["a", "b"] and len(modes[0].examples) == 2


def test_risk_tier_orders_modes_across_suites() -> None:
    low = failure_modes([row("a", "fail", ("x", "fail", "bad"))] * 2, {}, suite="lo", risk="low")
    high = failure_modes([row("a", "fail", ("x", "fail", "bad"))] * 2, {}, suite="hi",
                         risk="high")
    assert [m.suite for m in rank(low + high)] == ["hi", "lo"]


def unit(case: str, passed: bool, *tags: str) -> Unit:
    return Unit(case, "m", 0, "pass" if passed else "fail", tags=tags)


def test_slices_by_tag_and_the_largest_gap() -> None:
    units = ([unit(f"en{i}", i < 18, "lang:en", "billing") for i in range(20)]
             + [unit(f"fr{i}", i < 8, "lang:fr") for i in range(20)])
    rates = {t.label: (t.k, t.n) for t in tag_rates(units)}
    assert rates == {"billing": (18, 20), "lang:en": (18, 20), "lang:fr": (8, 20)}
    gaps = slice_gaps(units)
    lang = next(g for g in gaps if g.group == "lang")
    assert (lang.best.label, lang.worst.label) == ("lang:en", "lang:fr")
    assert lang.gap == pytest.approx(0.5) and lang.significant
    billing = next(g for g in gaps if g.group == "billing")  # a plain tag: tagged vs the rest
    assert {v.label for v in billing.values} == {"billing", "not billing"}
    assert gaps[0].gap >= gaps[-1].gap


def test_newcombe_unpaired_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17: 56/70 vs 48/80, method 10
    low, high = newcombe_unpaired(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    assert [round(x, 4) for x in newcombe_unpaired(9, 10, 3, 10)] == [0.1705, 0.809]

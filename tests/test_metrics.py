"""Named metrics on stored runs: definitions, denominators, intervals, case classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gate_fixtures import write_run

from harness.analysis.metrics import (
    Unit,
    case_stats,
    class_counts,
    evaluate,
    load_run,
    resolve,
    standard_names,
    units_from_rows,
)
from harness.analysis.summary import summarize
from harness.errors import UsageError
from harness.store import RunStore, open_db


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def score(name: str, ctype: str, outcome: str, value: float | None = None) -> dict[str, Any]:
    return {"check_name": name, "check_type": ctype, "outcome": outcome,
            "score": value if value is not None else float(outcome == "pass"), "reason": ""}


def unit(case: str, outcome: str = "pass", repeat: int = 0, **kw: Any) -> Unit:
    kw.setdefault("cluster", case)
    return Unit(case_id=case, model="m", repeat=repeat, outcome=outcome, **kw)


def value(name: str, units: list[Unit]) -> float | None:
    return evaluate(resolve(name), units).value


def test_right_first_time_reads_only_the_first_sample(store: RunStore) -> None:
    run = write_run(store, {"a": [False, True], "b": [True, True], "c": [True, False]})
    data = load_run(store, run)
    assert data.metric("right_first_time").value == pytest.approx(2 / 3)  # b and c
    assert data.metric("pass_rate").value == pytest.approx(4 / 6)
    assert data.metric("right_first_time").n == 3 and data.metric("pass_rate").n == 6


def test_errors_are_not_fails_but_have_their_own_rate(store: RunStore) -> None:
    run = write_run(store, {"a": [True], "b": [None], "c": [False], "d": [True]})
    data = load_run(store, run)
    assert data.metric("pass_rate").value == pytest.approx(2 / 3)
    assert data.metric("pass_rate").n == 3
    assert data.metric("error_rate").value == pytest.approx(1 / 4)
    assert data.metric("right_first_time").n == 3


def test_human_overrides_apply_on_top(store: RunStore) -> None:
    run = write_run(store, {"a": [False], "b": [True], "c": [None]})
    rows = list(store.iter_results(run))
    overrides = {("a", "python:sim", 0): "pass", ("b", "python:sim", 0): "fail",
                 ("c", "python:sim", 0): "pass"}
    units = units_from_rows(rows, store.get_cases(run), overrides)
    assert [u.outcome for u in units] == ["pass", "fail", "error"]  # an error stays an error
    assert value("right_first_time", units) == 0.5


def test_check_type_and_family_metrics() -> None:
    units = [
        unit("a", scores=(score("cites", "grounding", "pass", 0.9),
                          score("no-pii", "pii", "pass"))),
        unit("b", "fail", scores=(score("cites", "grounding", "fail", 0.5),
                                  score("no-pii", "pii", "fail"))),
        unit("c", "fail", scores=(score("cites", "grounding", "unscored", None),
                                  score("no-pii", "pii", "fail"))),
    ]
    assert value("grounding.supported_claims", units) == pytest.approx(0.7)  # unscored left out
    assert value("safety.pii_leaks", units) == 2.0
    assert value("safety.pii_leak_rate", units) == pytest.approx(2 / 3)
    assert value("check.cites.pass_rate", units) == 0.5
    assert value("pii.pass_rate", units) == pytest.approx(1 / 3)
    assert value("judge.mean_score", units) is None  # a family with no scores: no value
    leaks = evaluate(resolve("safety.pii_leaks"), units)
    assert (leaks.low, leaks.high) == (2.0, 2.0)  # a count is observed exactly
    names = standard_names(units)
    assert "grounding.supported_claims" in names and "safety.pii_leaks" in names
    assert "check.no-pii.pass_rate" in names


def test_operations_metrics_skip_errors_and_cached_latency() -> None:
    units = [unit(f"c{i}", latency_ms=float(i), cost_usd=0.01, tokens=10) for i in range(1, 11)]
    units += [unit("cached", latency_ms=9999.0, cached=True, cost_usd=0.01, tokens=10),
              unit("err", "error", latency_ms=None)]
    assert value("latency.p50_ms", units) == pytest.approx(5.5)
    assert value("latency.p95_ms", units) == pytest.approx(9.55)
    assert value("cost.per_case_usd", units) == pytest.approx(0.01)
    assert value("cost.total_usd", units) == pytest.approx(0.11)
    assert value("tokens.total", units) == 110
    assert evaluate(resolve("escalation_rate"), units).value is None


def test_pass_hat_k_uses_the_unbiased_estimator() -> None:
    # tau-bench (Yao et al. 2024): per case C(c, k) / C(n, k); 2 of 3 passing, k = 2 -> 1/3
    units = [unit("a", ok, r) for r, ok in enumerate(["pass", "pass", "fail"])]
    units += [unit("b", "pass", r) for r in range(3)]
    assert value("pass^2", units) == pytest.approx((1 / 3 + 1) / 2)
    assert value("pass^3", units) == pytest.approx(0.5)
    assert value("pass^4", units) is None  # no case has 4 samples


def test_tag_metrics() -> None:
    units = [unit("a", tags=("billing",)), unit("b", "fail", tags=("billing",)),
             unit("c", "fail", tags=("shipping",))]
    assert value("tag.billing.pass_rate", units) == 0.5
    assert value("tag.shipping.right_first_time", units) == 0.0
    with pytest.raises(UsageError):
        resolve("tag.billing")


def test_unknown_metric_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown metric"):
        resolve("nonsense metric")


def test_clusters_widen_rate_intervals() -> None:
    alone = [unit(f"c{i}", "pass" if i % 2 else "fail") for i in range(40)]
    # the same outcomes, but each pair of cases is about one document and agrees
    paired = [unit(f"c{i}", "pass" if (i // 2) % 2 else "fail", cluster=f"doc{i // 2}")
              for i in range(40)]
    a, b = evaluate(resolve("pass_rate"), alone), evaluate(resolve("pass_rate"), paired)
    assert a.value == b.value == 0.5
    assert (b.high - b.low) > (a.high - a.low) * 1.2


def test_case_classes() -> None:
    units = [unit("sp", "pass", 0), unit("sp", "pass", 1),
             unit("sf", "fail", 0), unit("sf", "fail", 1),
             unit("fl", "pass", 0), unit("fl", "fail", 1),
             unit("one", "fail", 0), unit("err", "error", 0)]
    stats = case_stats(units)
    assert {k: s.cls for k, s in stats.items()} == {
        "sp": "stable-pass", "sf": "stable-fail", "fl": "flaky", "one": "fail", "err": "error"}
    assert stats["fl"].rate == 0.5 and stats["fl"].low < 0.5 < stats["fl"].high
    assert stats["sp"].all_pass and stats["one"].all_fail and stats["fl"].first is True
    assert class_counts(stats)["flaky"] == 1


def test_runs_with_several_models_need_a_model(store: RunStore) -> None:
    a = write_run(store, {"x": [True]}, model="m1")
    with pytest.raises(UsageError, match="no model"):
        load_run(store, a, model="m2")
    store.write_results([])  # nothing to write is fine
    rows = [dict(r, model="m2") for r in store.iter_results(a)]
    assert units_from_rows(rows)[0].model == "m2"


def test_summary_gains_first_time_repeats_and_tags(store: RunStore) -> None:
    run = write_run(store, {"a": [False, True], "b": [True, True]},
                    case_tags={"a": ["billing"], "b": ["billing", "critical"]})
    rows = list(store.iter_results(run))
    summary = summarize(rows, planned=4, cases=store.get_cases(run))
    assert summary["right_first_time"]["value"] == 0.5
    assert summary["pass_hat_k"]["k"] == 2 and summary["pass_hat_k"]["value"] == 0.5
    assert summary["case_classes"] == {"flaky": 1, "stable-pass": 1}
    assert summary["by_tag"]["billing"]["value"] == 0.75
    assert summary["by_tag"]["critical"]["k"] == 2
    assert "by_tag" not in summarize(rows)

"""A run's summary, computed from stored rows so the console, JSON and later reports agree.

Denominators are explicit: pass rates count only decided results (errors are reported
beside them, never silently dropped or counted as fails), and each check reports its
`unscored` and `not_applicable` counts next to its rate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from harness.analysis.stats import percentile, wilson


def _rate(k: int, n: int) -> dict[str, Any]:
    low, high = wilson(k, n)
    return {
        "value": (k / n) if n else None,
        "low": round(low, 4),
        "high": round(high, 4),
        "k": k,
        "n": n,
    }


def _check_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    per: dict[str, Counter[str]] = defaultdict(Counter)
    types: dict[str, str] = {}
    for row in results:
        for s in row["scores"]:
            per[s["check_name"]][s["outcome"]] += 1
            types[s["check_name"]] = s["check_type"]
    rows = []
    for name, c in per.items():
        decided = c["pass"] + c["fail"]
        rows.append(
            {
                "check": name,
                "type": types[name],
                "pass": c["pass"],
                "fail": c["fail"],
                "unscored": c["unscored"],
                "not_applicable": c["not_applicable"],
                "pass_rate": _rate(c["pass"], decided),
            }
        )
    return rows


def _operations(results: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [r for r in results if r["outcome"] != "error"]
    called = [r for r in answered if not r["cached"]]
    latencies = [r["latency_ms"] for r in called if r["latency_ms"] is not None]
    queued = [r["queue_ms"] for r in called if r.get("queue_ms") is not None]
    costs = [r["cost_usd"] for r in answered if r["cost_usd"] is not None]
    prompt = sum(r["prompt_tokens"] or 0 for r in answered)
    completion = sum(r["completion_tokens"] or 0 for r in answered)
    return {
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "n": len(latencies),
        },
        # waiting on our own limiter and connection pool, apart from the latency above (a
        # server that queues requests itself shows that wait as latency: see README)
        "queue_ms": {
            "p50": percentile(queued, 50),
            "p95": percentile(queued, 95),
            "n": len(queued),
        },
        "tokens": {"prompt": prompt, "completion": completion, "total": prompt + completion},
        "cost_usd": {
            "total": sum(costs) if costs else None,
            "per_result": (sum(costs) / len(costs)) if costs else None,
            "n_known": len(costs),
            "n": len(answered),
            # calls made with no cost known: spend a --budget could not count
            "unpriced_calls": sum(1 for r in called if r["cost_usd"] is None),
        },
        "cached": sum(1 for r in answered if r["cached"]),
        "retried": sum(1 for r in results if (r["attempts"] or 0) > 1),
        "attempts": sum(r["attempts"] or 0 for r in results),
    }


def _metric_rate(units: list[Any], name: str) -> dict[str, Any]:
    """A rate shaped as `_rate` shapes it, computed by `harness.analysis.metrics`: the
    computation the
    SLO sheet, the metrics table, compare and the gate use, so every page shows one number."""
    from harness.analysis.metrics import evaluate, resolve

    v = evaluate(resolve(name), units)
    if v.value is None or v.low is None or v.high is None:
        return _rate(0, 0)
    # not rounded: a bound rounded here could print one digit off the SLO sheet's
    return {"value": v.value, "low": v.low, "high": v.high, "k": round(v.value * v.n), "n": v.n}


def _first_time_and_repeats(
    units: list[Any], cases: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, Any]:
    """Right first time (repeat 0 passed every check), pass^k and case classes when there
    are repeats, and pass rates per tag when the case snapshot is given
    (harness.analysis.metrics)."""
    from harness.analysis.metrics import case_stats, class_counts, evaluate, resolve

    out: dict[str, Any] = {"right_first_time": _metric_rate(units, "right_first_time")}
    k = 1 + max((u.repeat for u in units), default=0)
    if k > 1:
        value = evaluate(resolve(f"pass^{k}"), units)
        out["pass_hat_k"] = {"k": k, "value": value.value, "low": value.low,
                             "high": value.high, "n": value.n}
        out["case_classes"] = class_counts(case_stats(units))
    if cases:
        tags = sorted({t for u in units for t in u.tags})
        out["by_tag"] = {
            t: _rate(sum(1 for u in units if t in u.tags and u.passed),
                     sum(1 for u in units if t in u.tags and u.passed is not None))
            for t in tags
        }
    return out


def verdict_counts(units: list[Any]) -> dict[str, Any]:
    """Passes, fails, unchecked results and the pass rate of `harness.analysis.metrics` units: the
    figures the summary, `harness report` and `harness runs` show, computed once here."""
    return {
        "pass": sum(1 for u in units if u.passed is True),
        "fail": sum(1 for u in units if u.passed is False),
        "unchecked": sum(1 for u in units if u.unchecked),
        "pass_rate": _metric_rate(units, "pass_rate"),
    }


def run_verdict_counts(store: Any, run_id: str) -> dict[str, Any]:
    """`verdict_counts` of a stored run with reviewers' verdicts applied, as `summarize_run`
    counts them (for listings such as `harness runs`)."""
    from harness.analysis.metrics import units_from_rows

    return verdict_counts(units_from_rows(run_rows(store, run_id), store.get_cases(run_id)))


def with_verdict_counts(store: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run listings (`RunStore.list_runs` rows) with the pass figures `harness report` shows:
    the stored outcomes count unchecked results as passes and know nothing of reviewers'
    verdicts, so `n_pass` and `n_fail` are replaced and `n_unchecked`, `pass_rate` added."""
    for row in rows:
        counts = run_verdict_counts(store, row["id"])
        row.update(n_pass=counts["pass"], n_fail=counts["fail"],
                   n_unchecked=counts["unchecked"], pass_rate=counts["pass_rate"]["value"])
    return rows


def summarize(
    results: Iterable[dict[str, Any]],
    planned: int | None = None,
    cases: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Summary of stored result rows (as `RunStore.iter_results` yields them).

    `cases` (`RunStore.get_cases(run_id)`) adds pass rates per tag. Unchecked results
    (answered, but no check decided them and no reviewer judged them) are counted apart:
    `pass` and the rates leave them out, `unchecked` and `unchecked_cases` name them.
    """
    from harness.analysis.metrics import units_from_rows

    rows = list(results)
    units = units_from_rows(rows, cases)
    unchecked = [u.case_id for u in units if u.unchecked]
    counts = Counter(r["outcome"] for r in rows)
    models = sorted({r["model"] for r in rows})
    summary: dict[str, Any] = {
        "planned": planned,
        "results": len(rows),
        "missing": (planned - len(rows)) if planned is not None else None,
        **verdict_counts(units),
        "error": counts["error"],
        "unchecked_cases": sorted(set(unchecked))[:20],
        "errors_by_kind": dict(Counter(r["error_kind"] for r in rows if r["outcome"] == "error")),
        "no_checks": sum(1 for r in rows if r["outcome"] != "error" and not r["scores"]),
        "checks": _check_rows(rows),
        **_operations(rows),
        **_first_time_and_repeats(units, cases),
    }
    if len(models) > 1:
        summary["by_model"] = {m: summarize([r for r in rows if r["model"] == m], cases=cases)
                               for m in models}
    return summary


def run_rows(store: Any, run_id: str, *, human: bool = True) -> list[dict[str, Any]]:
    """A run's stored rows, with reviewers' verdicts applied on top when `human` is set.

    The original outcome stays in `auto_outcome`; stored scores are never rewritten.
    """
    rows = list(store.iter_results(run_id))
    if not human:
        return rows
    from harness.review.overrides import human_verdicts, overlay_rows

    return list(overlay_rows(rows, human_verdicts(store, run_id)))


def summarize_run(
    store: Any, run_id: str, *, human: bool = True, budget_usd: float | None = None
) -> dict[str, Any]:
    """The summary of a stored run: human verdicts applied, per-tag rates from its cases.

    `budget_usd` is the budget this session ran under (a resume may set a new one); default:
    the one the run was started with. With a budget, `budget.unenforced` counts the calls
    whose cost was unknown, so the budget could not count them.
    """
    run = store.get_run(run_id)
    rows = run_rows(store, run["id"], human=human)
    summary = summarize(rows, planned=run["n_planned"], cases=store.get_cases(run["id"]))
    summary["human_verdicts"] = sum(1 for r in rows if "human_verdict" in r)
    spec = run.get("spec") or {}
    summary["concurrency"] = spec.get("concurrency")  # latency was measured at this -j
    if budget_usd is None:
        budget_usd = spec.get("budget_usd")
    if budget_usd is not None:
        unpriced = summary["cost_usd"]["unpriced_calls"]
        summary["budget"] = {"limit_usd": budget_usd, "unenforced": unpriced}
    return summary

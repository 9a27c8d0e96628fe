"""A run's summary, computed from stored rows so the console, JSON and later reports agree.

Denominators are explicit: pass rates count only decided results (errors are reported
beside them, never silently dropped or counted as fails), and each check reports its
`unscored` and `not_applicable` counts next to its rate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from harness.stats import percentile, wilson


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
    latencies = [
        r["latency_ms"] for r in answered if not r["cached"] and r["latency_ms"] is not None
    ]
    costs = [r["cost_usd"] for r in answered if r["cost_usd"] is not None]
    prompt = sum(r["prompt_tokens"] or 0 for r in answered)
    completion = sum(r["completion_tokens"] or 0 for r in answered)
    return {
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "n": len(latencies),
        },
        "tokens": {"prompt": prompt, "completion": completion, "total": prompt + completion},
        "cost_usd": {
            "total": sum(costs) if costs else None,
            "per_result": (sum(costs) / len(costs)) if costs else None,
            "n_known": len(costs),
        },
        "cached": sum(1 for r in answered if r["cached"]),
        "retried": sum(1 for r in results if (r["attempts"] or 0) > 1),
        "attempts": sum(r["attempts"] or 0 for r in results),
    }


def summarize(results: Iterable[dict[str, Any]], planned: int | None = None) -> dict[str, Any]:
    """Summary of stored result rows (as `RunStore.iter_results` yields them)."""
    rows = list(results)
    counts = Counter(r["outcome"] for r in rows)
    decided = counts["pass"] + counts["fail"]
    models = sorted({r["model"] for r in rows})
    summary: dict[str, Any] = {
        "planned": planned,
        "results": len(rows),
        "missing": (planned - len(rows)) if planned is not None else None,
        "pass": counts["pass"],
        "fail": counts["fail"],
        "error": counts["error"],
        "pass_rate": _rate(counts["pass"], decided),
        "errors_by_kind": dict(Counter(r["error_kind"] for r in rows if r["outcome"] == "error")),
        "no_checks": sum(1 for r in rows if r["outcome"] != "error" and not r["scores"]),
        "checks": _check_rows(rows),
        **_operations(rows),
    }
    if len(models) > 1:
        summary["by_model"] = {m: summarize([r for r in rows if r["model"] == m]) for m in models}
    return summary

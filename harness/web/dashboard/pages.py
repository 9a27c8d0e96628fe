"""Data of the suite and compare pages (the catalogue has its own module)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.analysis.monitor.core import (
    MonitorConfig,
    SeriesReport,
    fmt,
    metric_names,
    watch_series,
)
from harness.analysis.monitor.history import load_series, suites
from harness.analysis.summary import with_verdict_counts
from harness.errors import UsageError
from harness.governance import governance_for_run
from harness.reporting import svg
from harness.reporting.html import alarm_rows


def suite_context(store: Any, suite: str) -> dict[str, Any]:
    """Every series of the suite with its control charts, drift and alarms, and its runs."""
    if suite not in suites(store):
        raise UsageError(f"no runs of suite {suite!r}")
    reports: list[SeriesReport] = []
    for series in load_series(store, suite):
        names = tuple(metric_names(series, MonitorConfig()))
        reports.append(watch_series(series, MonitorConfig(metrics=names)))
    last = reports[-1].series.runs[-1].run if reports and reports[-1].series.runs else None
    info = governance_for_run(last) if last else None
    runs = with_verdict_counts(store, store.list_runs(suite=suite, limit=100))
    return {"suite": suite, "runs": runs,
            "series": [{"report": r, "charts": _charts(r), "alarms": alarm_rows(r.alarms)}
                       for r in reports],
            "info": info}


def _charts(report: SeriesReport) -> list[dict[str, Any]]:
    out = []
    for mc in report.charts:
        if mc.chart is None:
            continue
        out.append({"metric": mc.metric, "center": mc.chart.center,
                    "svg": svg.control_chart(mc.chart, label=mc.metric,
                                             fmt=_formatter(mc.metric), bad_side=mc.bad_side,
                                             bounded=mc.chart.kind == "p")})
    return out


def _formatter(metric: str) -> Callable[[float | None], str]:
    def formatted(value: float | None) -> str:
        return fmt(value, metric)
    return formatted


def compare_context(store: Any, base: str, cand: str, model: str | None) -> dict[str, Any]:
    """Both runs' comparison, or just the run lists when one is not chosen yet."""
    from harness.analysis.compare import compare_runs
    from harness.analysis.metrics import load_run

    runs = store.list_runs(limit=200)
    context: dict[str, Any] = {"runs": runs, "base": base, "cand": cand, "comparison": None}
    if not base or not cand:
        return context
    cand_data = load_run(store, cand, model=model)
    base_data = load_run(store, base, model=_same_model(store, base, cand_data.model))
    if base_data.run["id"] == cand_data.run["id"]:
        raise UsageError("pick two different runs")
    comparison = compare_runs(base_data, cand_data)
    return {**context, "comparison": comparison.as_dict(), "base_run": base_data.run,
            "cand_run": cand_data.run, "model": cand_data.model}


def _same_model(store: Any, base: str, model: str | None) -> str | None:
    run_id = store.resolve_run_id(base)
    models = {r[0] for r in store.db.execute(
        "SELECT DISTINCT model FROM results WHERE run_id = ?", (run_id,))}
    if model in models or len(models) <= 1:
        return model if model in models else None
    raise UsageError(f"run {run_id} has several models and none is {model!r}: add &model=")

"""The catalogue of use cases: one row per suite (and per model and source) a manager can read.

Each row: risk tier, owner, last run, agreement (the SLO sheet's verdict), right-first-time
rate with its interval, delivery speed (latency p95), cost per case, the review backlog, the
monitor's state at the last run, and a sparkline of right first time over recent runs. Below
it, the failure modes of every suite's last run ranked together by impact, so the team
knows which one to fix first across use cases.

Everything is computed from the store and the suite files each run names; nothing is cached,
so the page is always current (it reads up to the last 100 runs of each series, the same
history `harness monitor` reads; the sparkline shows the last `TREND_RUNS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from harness.analysis.metrics import RunData, evaluate, resolve
from harness.analysis.monitor.core import (
    MonitorConfig,
    SeriesReport,
    fmt,
    watch_series,
    without_duplicates,
)
from harness.analysis.monitor.history import Series, load_series, suites
from harness.errors import HarnessError
from harness.governance import governance_for_run
from harness.reporting import svg
from harness.reporting.triage import FailureMode, failure_modes, rank

TREND_RUNS = 20
MONITOR_METRICS = ("right_first_time", "pass_rate", "error_rate", "latency.p95_ms",
                   "cost.per_case_usd")


@dataclass
class Row:
    suite: str
    source: str
    model: str
    run: dict[str, Any]
    risk: str
    owner: str | None
    description: str | None
    agreement: str
    agreement_line: str
    rft: dict[str, Any]
    latency_p95: float | None
    cost_per_case: float | None
    backlog: int | None  # None: the review tables do not exist
    runs: int  # runs in the series (the history the monitor state rests on)
    sparkline: Markup
    monitor: str  # alarm | watch | ok | n/a
    monitor_detail: list[str] = field(default_factory=list)


@dataclass
class Catalogue:
    rows: list[Row]
    modes: list[FailureMode]


def catalogue(store: Any) -> Catalogue:
    rows: list[Row] = []
    modes: list[FailureMode] = []
    for name in suites(store):
        for series in load_series(store, name):
            if not series.runs:
                continue
            rows.append(row(store, series))
            modes += _modes(series)
    rows.sort(key=lambda r: (r.suite, r.source != "suite", r.model))
    return Catalogue(rows, rank(modes)[:10])


def row(store: Any, series: Series) -> Row:
    last = series.runs[-1]
    data = RunData(last.run, last.units, last.cases, series.model)
    suite = governance_for_run(last.run)
    sheet = _sheet(data)
    rft = evaluate(resolve("right_first_time"), last.units)
    state, detail = _monitor_state(series)
    return Row(
        suite=series.suite, source=series.source, model=series.model, run=last.run,
        risk=suite.risk if suite else "n/a", owner=suite.owner if suite else None,
        description=suite.description if suite else None,
        agreement=sheet.verdict if sheet else "n/a", agreement_line=sheet.line() if sheet else
        "the suite file could not be loaded", rft=rft.as_dict(),
        latency_p95=evaluate(resolve("latency.p95_ms"), last.units).value,
        cost_per_case=evaluate(resolve("cost.per_case_usd"), last.units).value,
        backlog=review_backlog(store, series.suite), runs=len(series.runs),
        sparkline=_sparkline(series), monitor=state, monitor_detail=detail,
    )


def _sheet(data: RunData) -> Any:
    from harness.analysis.slo import sheet_for_run

    try:
        return sheet_for_run(data)
    except HarnessError:
        return None


def review_backlog(store: Any, suite: str) -> int | None:
    """Open review items of the suite; None when the review tables do not exist."""
    if "review_items" not in store.db.table_names():
        return None
    row = store.db.execute(
        "SELECT COUNT(*) FROM review_items WHERE suite = ? AND status IN "
        "('pending', 'needs_adjudication')",
        (suite,)).fetchone()
    return int(row[0])


def _sparkline(series: Series) -> Markup:
    metric = resolve("right_first_time")
    values = [evaluate(metric, p.units).value for p in series.runs[-TREND_RUNS:]]
    return svg.sparkline(values, label=f"right first time, last {len(values)} runs",
                         fmt=lambda v: fmt(v, "right_first_time"))


def _monitor_state(series: Series) -> tuple[str, list[str]]:
    report = monitor_report(series)
    if report is None or not report.charts:
        return "n/a", [*(report.notes if report else [])]
    alarms = [a for a in report.alarms if a.severity == "alarm"]
    watches = [a for a in report.alarms if a.severity == "watch"]
    if alarms:
        return "alarm", sorted({a.metric for a in alarms})
    return ("watch", sorted({a.metric for a in watches})) if watches else ("ok", [])


def monitor_report(series: Series) -> SeriesReport | None:
    names = tuple(without_duplicates(MONITOR_METRICS, series))
    return watch_series(series, MonitorConfig(metrics=names))


def _modes(series: Series) -> list[FailureMode]:
    last = series.runs[-1]
    governance = governance_for_run(last.run)
    risk = governance.risk if governance is not None else "medium"
    name = series.suite if series.source == "suite" else f"{series.suite} ({series.source})"
    return failure_modes(last.rows, last.cases, suite=name, risk=risk)

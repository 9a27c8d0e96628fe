"""Terminal rendering of a monitor result: alarms first, then one table per series."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from harness.analysis.monitor.core import Alarm, MetricChart, MonitorResult, SeriesReport, fmt

STYLE = {"alarm": "bold red", "watch": "yellow", "info": "dim"}


def monitor_renderable(result: MonitorResult) -> Group:
    parts: list[Any] = []
    for series in result.series:
        parts += _series(series)
    alarms = result.alarms
    watches = result.by_severity("watch")
    if not result.series:
        parts.append(Text("no runs to watch"))
    parts.append(Text(f"{len(alarms)} alarm(s), {len(watches)} to watch",
                      style="bold red" if alarms else "green"))
    return Group(*parts)


def _series(report: SeriesReport) -> list[Any]:
    s = report.series
    head = Text.assemble((s.key, "bold"), f"  {len(s.runs)} runs, reference: first "
                         f"{report.reference}")
    parts: list[Any] = [head]
    parts += [Text(f"  note: {n}", style="dim") for n in report.notes]
    if report.charts:
        parts.append(_table(report))
    if report.drift:
        parts.append(_drift_table(report))
    parts += [_alarm_line(a) for a in report.alarms]
    return parts


def _table(report: SeriesReport) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("metric", "latest", "centre", "limits", "status"):
        table.add_column(col, justify="left" if col in ("metric", "status") else "right")
    for mc in report.charts:
        table.add_row(*_row(mc, report))
    return table


def _row(mc: MetricChart, report: SeriesReport) -> list[str]:
    if mc.chart is None:
        return [escape(mc.metric), "", "", "", escape(mc.note)]
    last = mc.chart.points[-1]
    limits = ("" if last.low is None or last.high is None
              else f"[{fmt(last.low, mc.metric)}, {fmt(last.high, mc.metric)}]")
    mine = [a for a in report.alarms if a.metric == mc.metric]
    status = " · ".join(
        f"{sev} " + " ".join(sorted({a.rule for a in mine if a.severity == sev}))
        for sev in ("alarm", "watch", "info") if any(a.severity == sev for a in mine)
    ) or "in control"
    return [escape(mc.metric), fmt(last.value, mc.metric), fmt(last.center, mc.metric),
            escape(limits), status]


def _drift_table(report: SeriesReport) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, title="drift vs reference",
                  title_justify="left")
    for col in ("feature", "PSI", "KS D", "KS p (Holm)", "n ref/recent", "level"):
        table.add_column(col, justify="left" if col in ("feature", "level") else "right")
    for d in report.drift:
        table.add_row(escape(d.feature), _num(d.psi, 3), _num(d.ks.statistic if d.ks else None, 2),
                      _num(d.p_adjusted, 2, g=True), f"{d.n_reference}/{d.n_recent}", d.level)
    return table


def _num(value: float | None, digits: int, g: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}g}" if g else f"{value:.{digits}f}"


def _alarm_line(a: Alarm) -> Text:
    return Text(f"  {a.severity.upper()}: {a.message}", style=STYLE[a.severity])

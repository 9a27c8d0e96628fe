"""Inline SVG charts: sparklines, interval bars and control charts, as escaped markup.

Charts are drawn on the server into the page, so a report is one file that works offline
with no script at all. Every piece of text (run ids, metric names, values) goes through
`markupsafe.escape`; coordinates are numbers formatted here. The result is a `Markup`
object, which Jinja2's autoescaping inserts as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from harness.analysis.monitor.charts import Chart

Formatter = Callable[[float | None], str]
BLUE, RED, GREEN, GREY, INK = "#2f5bea", "#b42318", "#1a7f37", "#98a2b3", "#1d2330"
_DATE = re.compile(r"^\d{4}(\d{2})(\d{2})-")


def _n(x: float) -> str:
    return f"{x:.1f}"


def _plain(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3g}"


# --------------------------------------------------------------------------- small ones


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 28,
              label: str = "trend", fmt: Formatter = _plain) -> Markup:
    """A line through the values (gaps skipped) with the last value marked."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return Markup(f'<span class="muted">{escape("not enough runs")}</span>')
    lo, hi = _range([v for _, v in known])
    step = (width - 4) / max(1, len(values) - 1)
    pts = [(2 + i * step, height - 3 - (v - lo) / (hi - lo) * (height - 6)) for i, v in known]
    path = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
    last_x, last_y = pts[-1]
    title = f"{label}: last {fmt(known[-1][1])}, {len(known)} runs"
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<polyline fill="none" stroke="{BLUE}" stroke-width="1.5" points="{path}"/>'
        f'<circle cx="{_n(last_x)}" cy="{_n(last_y)}" r="2.5" fill="{BLUE}"/></svg>')


def interval_bar(value: float | None, low: float | None, high: float | None, *,
                 width: int = 120, height: int = 14, lo: float = 0.0, hi: float = 1.0,
                 marker: float | None = None) -> Markup:
    """A horizontal interval (low..high) with the estimate as a dot, on a lo..hi axis;
    `marker` draws a bound (an SLO objective, say) as a vertical tick."""
    if value is None:
        return Markup("")

    def x(v: float) -> float:
        return 2 + (min(max(v, lo), hi) - lo) / ((hi - lo) or 1) * (width - 4)

    parts = [f'<line x1="2" x2="{width - 2}" y1="{height / 2}" y2="{height / 2}" '
             f'stroke="#e3e6eb" stroke-width="1"/>']
    if low is not None and high is not None:
        parts.append(f'<line x1="{_n(x(low))}" x2="{_n(x(high))}" y1="{height / 2}" '
                     f'y2="{height / 2}" stroke="{BLUE}" stroke-width="4" stroke-opacity="0.35" '
                     f'stroke-linecap="round"/>')
    if marker is not None:
        parts.append(f'<line x1="{_n(x(marker))}" x2="{_n(x(marker))}" y1="1" '
                     f'y2="{height - 1}" stroke="{INK}" stroke-width="1.2"/>')
    parts.append(f'<circle cx="{_n(x(value))}" cy="{height / 2}" r="3" fill="{BLUE}"/>')
    return Markup(f'<svg class="bar" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}" aria-hidden="true">{"".join(parts)}</svg>')


def _range(values: Sequence[float], pad: float = 0.08) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - (abs(lo) or 1) * 0.05, hi + (abs(hi) or 1) * 0.05
    span = hi - lo
    return lo - span * pad, hi + span * pad


# --------------------------------------------------------------------------- control chart


def run_label(run_id: str, index: int) -> str:
    """A short x-axis label: MM-DD for a dated run id, else the run's position."""
    m = _DATE.match(run_id)
    return f"{m.group(1)}-{m.group(2)}" if m else f"#{index + 1}"


class _Frame:
    """Maps chart positions and values to SVG coordinates."""

    def __init__(self, n: int, lo: float, hi: float, width: int, height: int) -> None:
        self.left, self.right, self.top, self.bottom = 70, 12, 10, 30
        self.n, self.lo, self.hi, self.width, self.height = n, lo, hi, width, height

    def x(self, i: float) -> float:
        span = self.width - self.left - self.right
        return self.left + (i / max(1, self.n - 1)) * span

    def y(self, v: float) -> float:
        span = self.height - self.top - self.bottom
        return self.top + (1 - (v - self.lo) / (self.hi - self.lo)) * span


def control_chart(chart: Chart, *, label: str, fmt: Formatter = _plain,
                  bad_side: str = "down", highlight: str | None = None,
                  width: int = 680, height: int = 210, bounded: bool = False) -> Markup:
    """Points, centre line, (varying) 3σ limits, the shaded reference window and the runs
    where a rule fired (red in the harmful direction, green in the other)."""
    pts = chart.points
    values = [v for p in pts for v in (p.value, p.low, p.high, p.center) if v is not None]
    if not values:
        return Markup(f'<p class="muted">{escape(label)}: no observations</p>')
    lo, hi = _range(values)
    if bounded:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    f = _Frame(len(pts), lo, hi, width, height)
    body = [_reference(f, chart), *_axes(f, fmt), *_limits(f, chart), *_centre(f, chart),
            *_line(f, chart), *_dots(f, chart, fmt, bad_side, highlight), *_xlabels(f, chart)]
    title = f"control chart of {label}"
    return Markup(
        f'<svg class="chart" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">'
        f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def _reference(f: _Frame, chart: Chart) -> str:
    if chart.reference <= 0:
        return ""
    x0, x1 = f.x(-0.5) if chart.reference else f.left, f.x(chart.reference - 0.5)
    x0 = max(x0, f.left)
    return (f'<rect x="{_n(x0)}" y="{f.top}" width="{_n(x1 - x0)}" '
            f'height="{f.height - f.top - f.bottom}" fill="#eef2fb"/>'
            f'<text x="{_n(x0 + 4)}" y="{f.top + 11}" font-size="10" fill="{GREY}">'
            f'{escape("reference")}</text>')


def _axes(f: _Frame, fmt: Formatter) -> list[str]:
    out = []
    for k in range(5):
        v = f.lo + (f.hi - f.lo) * k / 4
        y = f.y(v)
        out.append(f'<line x1="{f.left}" x2="{f.width - f.right}" y1="{_n(y)}" y2="{_n(y)}" '
                   f'stroke="#f0f2f5"/><text x="{f.left - 6}" y="{_n(y + 3)}" font-size="10" '
                   f'text-anchor="end" fill="{GREY}">{escape(fmt(v))}</text>')
    return out


def _limits(f: _Frame, chart: Chart) -> list[str]:
    out = []
    for attr in ("low", "high"):
        pts = [(f.x(i), f.y(getattr(p, attr))) for i, p in enumerate(chart.points)
               if getattr(p, attr) is not None]
        if len(pts) >= 2:
            out.append(f'<polyline fill="none" stroke="{RED}" stroke-opacity="0.55" '
                       f'stroke-dasharray="4 3" stroke-width="1" '
                       f'points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in pts)}"/>')
    return out


def _centre(f: _Frame, chart: Chart) -> list[str]:
    if chart.center is None:
        return []
    y = f.y(chart.center)
    return [f'<line x1="{f.left}" x2="{f.width - f.right}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="{INK}" stroke-opacity="0.6" stroke-width="1"/>']


def _line(f: _Frame, chart: Chart) -> list[str]:
    pts = [(f.x(i), f.y(p.value)) for i, p in enumerate(chart.points) if p.value is not None]
    if len(pts) < 2:
        return []
    return [f'<polyline fill="none" stroke="{BLUE}" stroke-width="1.5" '
            f'points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in pts)}"/>']


def _dots(f: _Frame, chart: Chart, fmt: Formatter, bad_side: str,
          highlight: str | None) -> list[str]:
    fired: dict[int, list[str]] = {}
    for s in chart.signals:
        fired.setdefault(s.index, []).append(f"{s.rule} ({s.side})")
    sides = {s.index: s.side for s in chart.signals}
    out = []
    for i, p in enumerate(chart.points):
        if p.value is None:
            continue
        colour = (RED if sides[i] == bad_side else GREEN) if i in sides else BLUE
        tip = f"{p.run_id}: {fmt(p.value)} (n={p.n})"
        if i in fired:
            tip += "; fired: " + ", ".join(fired[i])
        ring = (f'<circle cx="{_n(f.x(i))}" cy="{_n(f.y(p.value))}" r="6.5" fill="none" '
                f'stroke="{INK}" stroke-width="1.5"/>' if p.run_id == highlight else "")
        out.append(f'{ring}<circle cx="{_n(f.x(i))}" cy="{_n(f.y(p.value))}" '
                   f'r="{4 if i in sides else 3}" fill="{colour}"><title>{escape(tip)}</title>'
                   f'</circle>')
    return out


def _xlabels(f: _Frame, chart: Chart) -> list[str]:
    n = len(chart.points)
    every = max(1, round(n / 8))
    picks = [i for i in range(0, n, every) if n - 1 - i >= every / 2 or i == 0] + [n - 1]
    return [f'<text x="{_n(f.x(i))}" y="{f.height - 12}" font-size="10" '
            f'text-anchor="{"end" if i == n - 1 and n > 1 else "middle"}" '
            f'fill="{GREY}">{escape(run_label(chart.points[i].run_id, i))}</text>'
            for i in picks]

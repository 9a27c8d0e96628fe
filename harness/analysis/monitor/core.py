"""`harness monitor`: control charts and drift over each series of runs, and the alarms.

What counts as an alarm (exit code 1) is what a scheduled job must act on *now*:

- a chart signal in the harmful direction (pass rate down, latency up...) completed at one
  of the newest `recent` runs, by an alarm rule: `we1` (beyond 3σ), `we2` (2 of 3 beyond 2σ),
  `ewma` or `cusum`. `we3` and `we4` (the run rules for small shifts) are `watch` signals
  unless `strict`: with a reference window of ten runs they are the most sensitive to the
  error of the estimated centre, and EWMA and CUSUM cover the same small persistent shifts
  with a known false-alarm rate (figures in docs/monitoring.md, from bench/monitor_arl.py);
- a drift at level `act`: PSI >= 0.2 and a significant KS test on the same feature.

Signals at older runs stay on the charts (the job that ran after them raised them then); a
persistent shift keeps alarming because EWMA stays out and CUSUM re-crosses after restarting.
Signals in the harmless direction (pass rate up) are `info`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.analysis.metrics import aggregate, resolve
from harness.analysis.monitor.charts import Chart, RuleSettings, Signal, individuals_chart, p_chart
from harness.analysis.monitor.drift import Drift, compare_features
from harness.analysis.monitor.history import RunPoint, Series, load_series, slo_metrics, suites
from harness.errors import HarnessError, UsageError

Severity = Literal["alarm", "watch", "info"]
DEFAULT_METRICS = ("pass_rate", "right_first_time", "error_rate", "latency.p95_ms",
                   "cost.per_case_usd")
ALARM_RULES = ("we1", "we2", "ewma", "cusum")
WATCH_RULES = ("we3", "we4")
RULE_NAMES = {
    "we1": "Western Electric 1: one run beyond 3σ",
    "we2": "Western Electric 2: 2 of 3 runs beyond 2σ on one side",
    "we3": "Western Electric 3: 4 of 5 runs beyond 1σ on one side",
    "we4": "Western Electric 4: 8 runs in a row on one side of the centre",
    "ewma": "EWMA beyond its limit",
    "cusum": "CUSUM beyond h",
    "drift": "distribution drift",
}


@dataclass(frozen=True)
class MonitorConfig:
    """How to watch; every field is a `harness monitor` option."""

    reference: int = 10  # the first N runs of a series set centre and limits
    min_reference: int = 3
    recent: int = 1  # signals at the newest N runs alarm; drift pools the newest N runs
    metrics: tuple[str, ...] | None = None  # None: DEFAULT_METRICS + the suite's SLO metrics
    strict: bool = False  # the run rules we3 and we4 alarm too
    all_versions: bool = False
    limit: int = 100
    drift_alpha: float = 0.01
    rules: RuleSettings = field(default_factory=RuleSettings)

    def __post_init__(self) -> None:
        if self.reference < self.min_reference or self.recent < 1 or self.limit < 2:
            raise UsageError(f"need reference >= {self.min_reference}, recent >= 1")


@dataclass(frozen=True)
class Alarm:
    """A signal worth telling someone about: which metric, which rule, which runs."""

    suite: str
    series: str
    metric: str
    rule: str
    severity: Severity
    side: str
    runs: tuple[str, ...]
    message: str
    detail: str = ""  # the message without the series name

    def as_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "series": self.series, "metric": self.metric,
                "rule": self.rule, "rule_name": RULE_NAMES.get(self.rule, self.rule),
                "severity": self.severity, "side": self.side, "runs": list(self.runs),
                "message": self.message, "detail": self.detail}


@dataclass(frozen=True)
class MetricChart:
    metric: str
    higher_is_better: bool
    chart: Chart | None
    note: str = ""

    @property
    def bad_side(self) -> str:
        return "down" if self.higher_is_better else "up"


@dataclass
class SeriesReport:
    series: Series
    reference: int
    charts: list[MetricChart] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        s = self.series
        return {
            "suite": s.suite, "source": s.source, "model": s.model, "version": s.version,
            "runs": s.run_ids, "reference_runs": s.run_ids[: self.reference],
            "notes": self.notes, "alarms": [a.as_dict() for a in self.alarms],
            "metrics": [_chart_dict(c) for c in self.charts],
            "drift": [d.as_dict() for d in self.drift],
        }


@dataclass
class MonitorResult:
    series: list[SeriesReport] = field(default_factory=list)

    def by_severity(self, severity: Severity) -> list[Alarm]:
        return [a for s in self.series for a in s.alarms if a.severity == severity]

    @property
    def alarms(self) -> list[Alarm]:
        return self.by_severity("alarm")

    @property
    def exit_code(self) -> int:
        return 1 if self.alarms else 0

    def as_dict(self) -> dict[str, Any]:
        return {"alarm": bool(self.alarms), "alarms": [a.as_dict() for a in self.alarms],
                "watch": [a.as_dict() for a in self.by_severity("watch")],
                "series": [s.as_dict() for s in self.series]}


# --------------------------------------------------------------------------- entry


def monitor(store: Any, suite: str | None = None, config: MonitorConfig | None = None,
            *, until: str | None = None) -> MonitorResult:
    """Charts, drift and alarms for one suite (or every suite in the store)."""
    config = config or MonitorConfig()
    names = [suite] if suite else suites(store)
    if suite and suite not in suites(store):
        raise UsageError(f"no runs of suite {suite!r} in this database (see `harness runs`)")
    result = MonitorResult()
    for name in names:
        series = load_series(store, name, all_versions=config.all_versions, limit=config.limit,
                             until=until)
        result.series += [watch_series(s, config) for s in series]
    return result


def watch_series(series: Series, config: MonitorConfig) -> SeriesReport:
    """Every metric's chart, drift against the reference, and the alarms of one series."""
    n = len(series.runs)
    reference = min(config.reference, n - config.recent)
    report = SeriesReport(series, max(reference, 0))
    if series.older_versions:
        report.notes.append(f"{series.older_versions} runs of older suite versions left out "
                            f"(charted: version {series.version})")
    if reference < config.min_reference:
        report.notes.append(f"{n} complete runs: charts need at least "
                            f"{config.min_reference + config.recent} (reference + recent)")
        return report
    for name in metric_names(series, config):
        report.charts.append(metric_chart(name, series.runs, reference, config.rules))
    report.drift = drift(series.runs[:reference], series.runs[-config.recent:],
                         config.drift_alpha)
    report.alarms = _alarms(report, config)
    return report


def metric_names(series: Series, config: MonitorConfig) -> list[str]:
    if config.metrics:
        return list(config.metrics)
    names = list(DEFAULT_METRICS) + [m for m in _slo_metrics(series) if m not in DEFAULT_METRICS]
    return without_duplicates(names, series)


def without_duplicates(names: Sequence[str], series: Series) -> list[str]:
    """With one sample per case, pass rate and right first time are the same numbers."""
    if all(u.repeat == 0 for p in series.runs for u in p.units):
        return [n for n in names if n != "pass_rate"]
    return list(names)


def _slo_metrics(series: Series) -> list[str]:
    return slo_metrics(series.runs[-1].run)


# --------------------------------------------------------------------------- charts


def metric_chart(name: str, points: Sequence[RunPoint], reference: int,
                 settings: RuleSettings | None = None) -> MetricChart:
    """A p-chart for a rate, an individuals chart for anything else."""
    try:
        metric = resolve(name)
    except HarnessError as exc:
        return MetricChart(name, True, None, str(exc))
    ids = [p.id for p in points]
    if metric.kind == "none":
        return MetricChart(name, metric.higher_is_better, None, metric.note or "not measured")
    if metric.kind == "proportion":
        obs = [[o.value for o in metric.observe(p.units)] for p in points]
        ks = [round(sum(v)) if v else None for v in obs]
        chart = p_chart(ids, ks, [len(v) for v in obs], reference, settings)
    else:
        obs = [[o.value for o in metric.observe(p.units)] for p in points]
        values = [aggregate(metric.kind, v, metric.q) for v in obs]
        # every metric is non-negative (latency, cost, tokens, counts, scores); scores <= 1
        chart = individuals_chart(ids, values, reference, settings, [len(v) for v in obs],
                                  floor=0.0, ceiling=1.0 if metric.bounded else None)
    if all(pt.value is None for pt in chart.points):
        return MetricChart(name, metric.higher_is_better, None, "no observations in any run")
    return MetricChart(name, metric.higher_is_better, chart, chart.note)


def _alarms(report: SeriesReport, config: MonitorConfig) -> list[Alarm]:
    series, n = report.series, len(report.series.runs)
    first_recent = n - config.recent
    out: list[Alarm] = []
    for mc in report.charts:
        if mc.chart is None:
            continue
        for sig in mc.chart.signals:
            if sig.index >= first_recent:
                out.append(_chart_alarm(series, mc, sig, config))
    out += [_drift_alarm(series, d) for d in report.drift if d.level in ("act", "watch")]
    order = {"alarm": 0, "watch": 1, "info": 2}
    return sorted(out, key=lambda a: (order[a.severity], a.metric, a.rule))


def _chart_alarm(series: Series, mc: MetricChart, sig: Signal, config: MonitorConfig) -> Alarm:
    alarm_rules = ALARM_RULES + (WATCH_RULES if config.strict else ())
    if sig.side != mc.bad_side:
        severity: Severity = "info"
    else:
        severity = "alarm" if sig.rule in alarm_rules else "watch"
    assert mc.chart is not None
    point = mc.chart.points[sig.index]
    where = f"value {fmt(point.value, mc.metric)} vs centre {fmt(point.center, mc.metric)}"
    if point.low is not None and point.high is not None:
        where += f", limits [{fmt(point.low, mc.metric)}, {fmt(point.high, mc.metric)}]"
    detail = (f"{mc.metric} {'fell' if sig.side == 'down' else 'rose'}: "
              f"{RULE_NAMES[sig.rule]} at run {sig.last_run} ({where}); "
              f"runs involved: {runs_text(sig.run_ids)}")
    return Alarm(series.suite, series.key, mc.metric, sig.rule, severity, sig.side,
                 sig.run_ids, f"{series.key} {detail}", detail)


def _drift_alarm(series: Series, d: Drift) -> Alarm:
    severity: Severity = "alarm" if d.level == "act" else "watch"
    ks = f"KS D={d.ks.statistic:.2f} p={d.p_adjusted:.2g} (Holm)" if d.ks and d.p_adjusted \
        is not None else "KS n/a"
    means = f"mean {fmt(d.reference_mean, d.feature)} -> {fmt(d.recent_mean, d.feature)}"
    recent = series.run_ids[-1]
    detail = (f"{d.feature} drifted ({d.level}): PSI {d.psi:.3f}, {ks}, "
              f"{means} (n {d.n_reference} reference, {d.n_recent} recent)")
    return Alarm(series.suite, series.key, f"drift.{d.feature}", "drift", severity,
                 "changed", (recent,), f"{series.key} {detail}", detail)


def runs_text(run_ids: Sequence[str]) -> str:
    """The runs of a signal; a long streak as its first and last run and its length."""
    if len(run_ids) <= 3:
        return ", ".join(run_ids)
    return f"{run_ids[0]} … {run_ids[-1]} ({len(run_ids)} runs)"


def fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    if metric.endswith("_ms") or "latency" in metric:
        return f"{value:,.0f} ms"
    if "usd" in metric:
        return f"${value:.4g}"
    if metric.endswith(("rate", "right_first_time")) or metric.startswith("score."):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:.3g}"
    return f"{value:,.3g}"


# --------------------------------------------------------------------------- drift


def drift(reference: Sequence[RunPoint], recent: Sequence[RunPoint], alpha: float) -> list[Drift]:
    """PSI and KS of scores, output lengths, latency and input lengths."""
    return compare_features(features(reference), features(recent), alpha)


def features(points: Sequence[RunPoint]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"latency_ms": [], "output_chars": [], "input_chars": []}
    for p in points:
        for row in p.rows:
            _row_features(row, p.cases.get(row["case_id"]), out)
    return {k: v for k, v in out.items() if v}


def _row_features(row: dict[str, Any], case: dict[str, Any] | None,
                  out: dict[str, list[float]]) -> None:
    if row["outcome"] == "error":
        return
    if row["latency_ms"] is not None and not row["cached"]:
        out["latency_ms"].append(float(row["latency_ms"]))
    out["output_chars"].append(float(len(row["output"] or "")))
    if case is not None:
        out["input_chars"].append(float(input_chars(case)))
    for s in row["scores"]:
        if s["score"] is not None and s["outcome"] in ("pass", "fail"):
            out.setdefault(f"score.{s['check_name']}", []).append(float(s["score"]))


def input_chars(case: dict[str, Any]) -> int:
    """Length of what the user sent: user messages of the rendered conversation."""
    messages = case.get("messages") or []
    user = [m.get("content") or "" for m in messages if m.get("role") == "user"]
    if user:
        return sum(len(str(c)) for c in user)
    return len(str((case.get("data") or {}).get("input") or ""))


def _chart_dict(mc: MetricChart) -> dict[str, Any]:
    c = mc.chart
    base: dict[str, Any] = {"metric": mc.metric, "higher_is_better": mc.higher_is_better,
                            "note": mc.note}
    if c is None:
        return base
    return {**base, "kind": c.kind, "center": c.center, "sigma": c.sigma,
            "points": [{"run": p.run_id, "value": p.value, "n": p.n, "low": p.low,
                        "high": p.high, "z": p.z} for p in c.points],
            "signals": [{"rule": s.rule, "side": s.side, "runs": list(s.run_ids),
                         "at": c.points[s.index].run_id} for s in c.signals]}

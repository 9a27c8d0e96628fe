"""The HTML report: one self-contained file a team can open to see how a use case is doing.

    html = report_html(store, "latest", baseline="main")

What it holds: the run's lineage, the SLO sheet with PASS / FAIL per objective, metrics with
their 95% intervals, the comparison with a baseline (when given), per-tag rates and the
largest gaps between slices, failure modes ranked by impact, the failing cases with their
evidence, and control charts of the suite's history up to this run, with drift.

Self-contained: CSS inline, charts as inline SVG, no script, no font or image fetched; a
Content-Security-Policy in the page forbids scripts and remote loads, so even a mistake in
escaping could not run anything. Every piece of suite or model text goes through Jinja2's
autoescaping (no template uses `|safe`; SVG is built escaped in `harness.reporting.svg`).

`build_context` is shared with the dashboard's run page, which renders the same sections
inside the web app (`render_sections`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from harness import __version__
from harness.analysis.metrics import (
    MetricValue,
    RunData,
    evaluate,
    load_run,
    resolve,
    standard_names,
)
from harness.analysis.monitor.core import (
    RULE_NAMES,
    Alarm,
    MetricChart,
    MonitorConfig,
    SeriesReport,
    fmt,
    watch_series,
    without_duplicates,
)
from harness.analysis.monitor.history import load_series
from harness.analysis.summary import summarize
from harness.governance import governance_for_run
from harness.models import RunGovernance
from harness.reporting import svg
from harness.reporting.fmt import ms
from harness.reporting.triage import failure_modes, slice_gaps, tag_rates
from harness.review.overrides import human_verdicts, overlay_rows

TEMPLATES = Path(__file__).resolve().parent / "templates"
TREND_METRICS = ("right_first_time", "pass_rate", "latency.p95_ms", "cost.per_case_usd",
                 "error_rate")
STATUS_LABEL = {"met": "PASS", "breached": "FAIL", "undecided": "UNDECIDED",
                "unmeasured": "UNMEASURED"}
MAX_EVIDENCE_CHARS = 4000
PASS_METRICS = ("pass_rate", "right_first_time")  # the rates an unchecked result stays out of


@dataclass(frozen=True)
class ReportOptions:
    baseline: str | None = None
    model: str | None = None
    max_cases: int = 200
    history: bool = True
    monitor: MonitorConfig = MonitorConfig()


# --------------------------------------------------------------------------- rendering


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(metric=lambda v, name: fmt(v, name), pct=_pct, ms=ms, usd=_usd,
                       num=_num, when=_when)
    env.globals.update(bar=svg.interval_bar, slo_label=slo_label)
    return env


def css() -> Markup:
    """The report's stylesheet, inlined into the page (and into the dashboard's pages)."""
    return Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))


def render_report(context: dict[str, Any]) -> str:
    return environment().get_template("report.html").render(context, css=css())


def render_sections(context: dict[str, Any]) -> Markup:
    """The report's sections as markup, for a page that brings its own frame."""
    return Markup(environment().get_template("sections.html").render(context))


def report_html(store: Any, run_ref: str, options: ReportOptions | None = None) -> str:
    return render_report(build_context(store, run_ref, options or ReportOptions()))


# --------------------------------------------------------------------------- context


def build_context(store: Any, run_ref: str, options: ReportOptions | None = None
                  ) -> dict[str, Any]:
    """Everything the templates show, computed from the store (no I/O beyond it and the
    suite file the run names)."""
    options = options or ReportOptions()
    # one set of human verdicts for every number on the page: the tiles (the summary), the
    # SLO sheet, the metrics table, the slices and the case lists all count a rejection
    verdicts = human_verdicts(store, store.resolve_run_id(run_ref))
    data = load_run(store, run_ref, model=options.model, overrides=verdicts)
    run = data.run
    rows = [r for r in overlay_rows(store.iter_results(run["id"]), verdicts)
            if data.model in (None, r["model"])]
    governance = governance_for_run(run)
    risk = governance.risk if governance is not None else "medium"
    series = _series(store, data, options) if options.history else None
    summary = summarize(rows, planned=run["n_planned"], cases=data.cases)
    summary["human_verdicts"] = sum(1 for r in rows if "human_verdict" in r)
    return {
        "run": run, "model": data.model, "lineage": lineage(run),
        "suite": _suite_info(governance, risk),
        "summary": summary,
        "slo": _slo(data), "metrics": metrics(data),
        "comparison": _comparison(store, data, options),
        "tags": tag_rates(data.units), "gaps": slice_gaps(data.units)[:8],
        "modes": failure_modes(rows, data.cases, suite=run["suite"], risk=risk)[:15],
        "cases": failing_cases(rows, data.cases, options.max_cases),
        "n_failing": sum(1 for r in rows if r["outcome"] != "pass"),
        "trends": _trends(series, run["id"]) if series else [],
        "series": series, "alarms": _alarms_at(series, run["id"]),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "version": __version__,
        "links": {},
    }


def lineage(run: dict[str, Any]) -> list[tuple[str, str]]:
    """What the verdicts depend on, as (label, text) rows."""
    models = ", ".join(m.get("label") or m.get("ref", "?") for m in run.get("models") or [])
    git = run.get("git_commit") or "unknown"
    if run.get("git_dirty"):
        git += " (uncommitted changes)"
    rows = [
        ("suite", f"{run['suite']} v{run['suite_version']} ({(run['suite_hash'] or '')[:19]})"),
        ("suite file", run.get("suite_path") or "n/a"),
        ("rubrics", ", ".join(f"{k} ({str(v)[:15]})" for k, v in
                              sorted((run.get("rubrics") or {}).items())) or "none"),
        ("models", models or "n/a"),
        ("endpoints", ", ".join(f"{k}: {v}" for k, v in sorted(
            ((run.get("spec") or {}).get("endpoints") or {}).items())) or "none recorded"),
        ("parameters", json.dumps(run.get("params") or {}, ensure_ascii=False, sort_keys=True)),
        ("scorers", ", ".join(f"{k} {v}" for k, v in
                              sorted((run.get("scorer_versions") or {}).items())) or "none"),
        ("git", git), ("harness", str(run.get("harness_version") or "?")),
        ("started", str(run.get("started_at") or "")), ("finished",
                                                        str(run.get("finished_at") or "")),
        ("repeats", str(run.get("repeats"))), ("tags", ", ".join(run.get("tags") or []) or "none"),
    ]
    if run.get("kind"):
        rows.append(("kind", str(run["kind"])))
    if run.get("parent_run_id"):
        rows.append(("derived from", str(run["parent_run_id"])))
    return rows


def _suite_info(governance: RunGovernance | None, risk: str) -> dict[str, Any]:
    if governance is None:
        return {"risk": risk, "owner": None, "description": None}
    g = governance
    return {"risk": g.risk, "owner": g.owner, "description": g.description}


def _slo(data: RunData) -> Any:
    from harness.analysis.slo import sheet_for_run

    return sheet_for_run(data)


def metrics(data: RunData) -> list[MetricValue]:
    values = [evaluate(resolve(name), data.units) for name in standard_names(data.units)]
    unchecked = sum(1 for u in data.units if u.unchecked)
    if not unchecked:
        return values
    note = f"{unchecked} unchecked not counted"
    return [replace(v, note=v.note or note) if v.name in PASS_METRICS or
            v.name.startswith("pass^") else v for v in values]


def _comparison(store: Any, data: RunData, options: ReportOptions) -> Any:
    if options.baseline is None:
        return None
    from harness.analysis.compare import compare_runs
    from harness.analysis.gate import find_baseline

    base_id, warnings = find_baseline(store, data.run, options.baseline)
    if base_id is None:
        return {"warnings": warnings, "comparison": None}
    base = load_run(store, base_id, model=_base_model(store, base_id, data.model))
    return {"warnings": warnings, "comparison": compare_runs(base, data)}


def _base_model(store: Any, base_id: str, model: str | None) -> str | None:
    models = {r[0] for r in store.db.execute(
        "SELECT DISTINCT model FROM results WHERE run_id = ?", (base_id,))}
    if model in models:
        return model
    return None if len(models) <= 1 else sorted(models)[0]


# --------------------------------------------------------------------------- cases


def failing_cases(rows: list[dict[str, Any]], cases: dict[str, dict[str, Any]],
                  limit: int) -> list[dict[str, Any]]:
    """Failing and errored results with what the model saw, said, and why it failed."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if row["outcome"] == "pass":
            continue
        if len(out) >= limit:
            break
        snap = cases.get(row["case_id"]) or {}
        data = snap.get("data") or {}
        out.append({
            "case_id": row["case_id"], "repeat": row["repeat"], "model": row["model"],
            "outcome": row["outcome"], "tags": snap.get("tags") or [],
            "messages": [m for m in snap.get("messages") or [] if m.get("content")],
            "context": data.get("context") or [], "expected": data.get("expected"),
            "output": row["output"], "error": row["error_message"],
            "error_kind": row["error_kind"], "latency_ms": row["latency_ms"],
            "scores": [_score(s) for s in row["scores"]],
            "human_verdict": row.get("human_verdict"), "auto_outcome": row.get("auto_outcome"),
        })
    return out


def _score(s: dict[str, Any]) -> dict[str, Any]:
    evidence = json.dumps(s["evidence"], ensure_ascii=False, indent=1, default=str) \
        if s["evidence"] else ""
    if len(evidence) > MAX_EVIDENCE_CHARS:
        evidence = evidence[:MAX_EVIDENCE_CHARS] + "\n… (cut)"
    return {"check": s["check_name"], "type": s["check_type"], "outcome": s["outcome"],
            "score": s["score"], "confidence": s["confidence"], "reason": s["reason"],
            "evidence": evidence}


# --------------------------------------------------------------------------- history


def _series(store: Any, data: RunData, options: ReportOptions) -> SeriesReport | None:
    """The monitored series this run belongs to, as it was when the run finished."""
    for series in load_series(store, data.run["suite"], until=data.run["id"],
                              all_versions=options.monitor.all_versions):
        if data.run["id"] in series.run_ids and series.model == data.model:
            names = tuple(without_duplicates(TREND_METRICS, series))
            config = MonitorConfig(**{**options.monitor.__dict__, "metrics": names})
            return watch_series(series, config)
    return None


def _trends(series: SeriesReport, run_id: str) -> list[dict[str, Any]]:
    return [_trend(mc, run_id) for mc in series.charts if mc.chart is not None]


def _trend(mc: MetricChart, run_id: str) -> dict[str, Any]:
    assert mc.chart is not None
    bounded = mc.chart.kind == "p"
    chart = svg.control_chart(mc.chart, label=mc.metric, fmt=lambda v: fmt(v, mc.metric),
                              bad_side=mc.bad_side, highlight=run_id, bounded=bounded)
    last = mc.chart.points[-1]
    return {"metric": mc.metric, "svg": chart, "value": last.value, "center": mc.chart.center,
            "low": last.low, "high": last.high, "kind": mc.chart.kind,
            "signals": len(mc.chart.signals)}


def _alarms_at(series: SeriesReport | None, run_id: str) -> list[dict[str, Any]]:
    """The series' alarms and watches at this run, one row per (severity, metric)."""
    if series is None or not series.series.run_ids or series.series.run_ids[-1] != run_id:
        return []
    return alarm_rows(series.alarms)


def alarm_rows(alarms: list[Alarm]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for a in alarms:
        if a.severity == "info":
            continue
        row = rows.setdefault((a.severity, a.metric), {
            "severity": a.severity, "metric": a.metric, "suite": a.suite, "rules": [],
            "detail": a.detail or a.message})
        row["rules"].append(RULE_NAMES.get(a.rule, a.rule).split(":")[0])
    return list(rows.values())


# --------------------------------------------------------------------------- filters


def _pct(v: float | None, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v * 100:.{digits}f}%"


def _usd(v: float | None) -> str:
    return "unknown" if v is None else f"${v:.4g}"


def _num(v: float | None, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _when(text: str | None) -> str:
    if not text:
        return "n/a"
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return text


def slo_label(status: str) -> str:
    return STATUS_LABEL.get(status, status.upper())

"""Markdown for pull-request comments and CI step summaries: the gate and comparisons.

One comment must hold it, so the output is capped (`max_chars`, default below GitHub's
65,536-character comment limit): the verdict, warnings, SLO sheet and metric tables always
fit; case lists come last, regressions first (without a baseline: the run's failing and
errored cases, `harness.reporting.failures`), and are cut with a count of what was left
out. Every piece of text that comes from a suite or a model (case ids, check reasons) is
escaped, so an output cannot inject markup, links or HTML into the comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from harness.analysis.compare import CaseChange, Comparison, MetricComparison
from harness.analysis.gate import GateResult, MetricTest
from harness.analysis.metrics import CaseStats, MetricValue, Unit
from harness.analysis.slo import ObjectiveResult, SloSheet
from harness.reporting.failures import failures, shape, where

MAX_CHARS = 60_000
MAX_METRIC_ROWS = 40
MAX_FAILING = 50  # failing cases listed when there is no baseline (the HTML report has all)
ICONS = {"PASS": "✅", "FAIL": "❌", "INCONCLUSIVE": "⚠️", "INCOMPLETE": "⏸️"}
STATUS_ICONS = {"met": "✅ met", "breached": "❌ breached", "undecided": "⚠️ not yet decidable",
                "unmeasured": "➖ unmeasured"}
_SPECIAL = re.compile(r"([\\`*_{}\[\]<|~&])")  # inline-special; line starts never reach here


# --------------------------------------------------------------------------- escaping


def esc(text: Any, limit: int = 200) -> str:
    """Untrusted text as inert Markdown: one line, special characters escaped, shortened."""
    s = " ".join(str(text).split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return _SPECIAL.sub(r"\\\1", s)


def code(text: Any) -> str:
    """An identifier in a code span; backticks inside are replaced so the span cannot end,
    and `|` is escaped: GFM splits a table cell at a pipe even inside a code span, which
    would let the rest of the id (`<img src=...>`) render as raw HTML."""
    body = " ".join(str(text).replace("`", "'").split())[:120]
    return "`" + body.replace("|", "\\|") + "`"


# --------------------------------------------------------------------------- numbers


def fmt_value(v: float | None, name: str, kind: str = "", bounded: bool = False) -> str:
    if v is None:
        return "n/a"
    if bounded or kind == "proportion":
        return f"{v:.1%}"
    if name.endswith("_ms"):
        return f"{v:,.0f} ms"
    if "usd" in name:
        return f"${v:.4f}"
    if kind == "sum" or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.4g}"


def fmt_diff(v: float | None, name: str, kind: str = "", bounded: bool = False) -> str:
    if v is None:
        return "n/a"
    if bounded or kind == "proportion":
        return f"{v * 100:+.1f} pts"
    sign = "+" if v >= 0 else "-"
    return sign + fmt_value(abs(v), name, kind, bounded)


def _metric_value(m: MetricValue) -> str:
    value = fmt_value(m.value, m.name, m.kind, m.bounded)
    if m.value is None or m.low is None or m.high is None or m.low == m.high:
        return value
    lo, hi = (fmt_value(x, m.name, m.kind, m.bounded) for x in (m.low, m.high))
    return f"{value} [{lo}, {hi}]"


def _interval(c: MetricComparison) -> str:
    bounded = c.base.bounded or c.cand.bounded
    d = fmt_diff(c.difference, c.name, c.kind, bounded)
    if c.low is None or c.high is None:
        return d
    lo, hi = (fmt_diff(x, c.name, c.kind, bounded) for x in (c.low, c.high))
    return f"{d} [{lo}, {hi}]"


def _p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


# --------------------------------------------------------------------------- tables


_BARE_PIPE = re.compile(r"(?<!\\)\|")


def _cell(text: str) -> str:
    """A cell on one line whose every pipe is escaped (defence in depth: the pieces are
    escaped already, but a cell that splits lets text out of its code span)."""
    return _BARE_PIPE.sub(r"\\|", " ".join(text.split()))


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return lines


def slo_table(sheet: SloSheet) -> list[str]:
    if not sheet.results:
        return []
    rows = [_slo_row(r) for r in sheet.results]
    return _table(["objective", "bound", "value [95% interval]", "n", "status", "budget used"],
                  rows)


def _slo_row(r: ObjectiveResult) -> list[str]:
    used = r.budget_used
    budget = "n/a" if used is None else "over (allowance 0)" if used == float("inf") \
        else f"{used:.0%}"
    status = STATUS_ICONS[r.status]
    if r.status == "undecided" and r.needed_n:
        status += f" ({esc(r.needed_text())})"
    elif r.status == "unmeasured" and r.reason:
        status += f": {esc(r.reason, 80)}"
    return [code(r.metric), esc(r.bound_text()), _metric_value(r.value), str(r.value.n), status,
            budget]


def tests_table(tests: Sequence[MetricTest], alpha: float) -> list[str]:
    level = f"{1 - 2 * alpha:.0%}"
    rows = []
    for t in tests:
        c = t.comparison
        decision = {"worse": "❌ worse than margin", "non-inferior": "✅ within margin",
                    "undecided": "⚠️ undecided"}[t.decision]
        if t.needed_cases:
            decision += f" (~{t.needed_cases:,} cases needed)"
        rows.append([code(c.name), _metric_value(c.base), _metric_value(c.cand),
                     _interval(c), f"{t.margin:g}", _p(t.p_worse), decision])
    return _table(["metric", "baseline", "candidate", f"difference [{level} interval]",
                   "margin", "p (worse)", "decision"], rows)


def metrics_table(metrics: Sequence[MetricComparison]) -> list[str]:
    shown = [m for m in metrics if m.base.value is not None or m.cand.value is not None]
    rows = [[code(m.name), _metric_value(m.base), _metric_value(m.cand), _interval(m),
             _p(m.p_value), fmt_value(m.mde, m.name, m.kind, m.base.bounded)]
            for m in shown[:MAX_METRIC_ROWS]]
    lines = _table(["metric", "baseline", "candidate", "difference [95% interval]", "p",
                    "MDE"], rows)
    if len(shown) > MAX_METRIC_ROWS:
        lines.append(f"\n…and {len(shown) - MAX_METRIC_ROWS} more metrics (see the JSON report)")
    return lines


# --------------------------------------------------------------------------- cases


def _stats(s: CaseStats | None) -> str:
    if s is None:
        return "absent"
    if s.decided == 0:
        return f"error ({s.errors})"
    if s.decided == 1 and s.errors == 0:
        return "pass" if s.passes else "fail"
    return f"{s.passes}/{s.decided} passed [{s.low:.0%}, {s.high:.0%}]"


def case_line(c: CaseChange) -> str:
    crit = " **critical**" if c.critical else ""
    line = f"- {code(c.case_id)}{crit}: {_stats(c.base)} → {_stats(c.cand)}"
    if c.failing_checks and c.status in ("regressed", "stayed-failing", "flaky", "added"):
        line += " — " + "; ".join(esc(f, 120) for f in c.failing_checks)
    return line


SECTIONS = (("regressed", "Regressed"), ("errored", "Errored"), ("flaky", "Flaky (never fail "
            "the gate on their own)"), ("added", "Added"), ("removed", "Removed"),
            ("stayed-failing", "Stayed failing"), ("fixed", "Fixed"),
            ("unchecked", "Unchecked (no check judged them)"))


def case_sections(comp: Comparison, budget: int) -> list[str]:
    """Case lists in order of importance, cut to `budget` characters with counts."""
    out: list[str] = []
    used = 0
    for status, title in SECTIONS:
        items = comp.by_status(status)
        if not items:
            continue
        head = f"\n#### {title} ({len(items)})\n"
        if used + len(head) > budget:
            out.append(f"\n…{len(items)} {status} cases not shown (comment size limit)")
            continue
        out.append(head)
        used += len(head)
        for i, item in enumerate(items):
            line = case_line(item)
            if used + len(line) + 80 > budget:
                out.append(f"- …and {len(items) - i} more not shown (see the JSON report)")
                used += 60
                break
            out.append(line)
            used += len(line) + 1
    return out


def _counts(comp: Comparison) -> str:
    parts = [f"{len(comp.by_status(s))} {s}" for s, _ in SECTIONS if comp.by_status(s)]
    parts.append(f"{len(comp.by_status('stayed-passing'))} stayed passing")
    return ", ".join(parts)


# --------------------------------------------------------------------------- documents


def gate_markdown(result: GateResult, max_chars: int = MAX_CHARS) -> str:
    """The PR comment for a gate result."""
    icon = ICONS.get(result.verdict, "")
    base = code(result.baseline.run["id"]) if result.baseline else "no baseline"
    lines = [f"## {icon} harness gate: {result.verdict}", "",
             f"Suite {code(result.cand.run['suite'])}, candidate "
             f"{code(result.cand.run['id'])} vs {base}.", ""]
    lines += [f"> ⚠️ {esc(w, 600)}" for w in result.warnings]
    if result.warnings:
        lines.append("")
    lines += [f"- {esc(r, 400)}" for r in result.reasons]
    if result.slo.results or not result.slo.available:
        lines += ["", f"### SLO sheet: {esc(result.slo.line())}", "", *slo_table(result.slo)]
    if result.tests:
        p = result.policy
        lines += ["", f"### Regression test (paired; one-sided α = {p.alpha:g} each way)", "",
                  *tests_table(result.tests, p.alpha)]
    comp = result.comparison
    if comp is not None and comp.metrics:
        lines += ["", "### Metrics (paired, 95% intervals)", "", *metrics_table(comp.metrics)]
    if comp is not None:
        lines += ["", f"### Cases: {_counts(comp)}"]
        return _finish(lines, comp, max_chars)
    return _finish(lines, None, max_chars, failing=result.cand.units)


def compare_markdown(comp: Comparison, max_chars: int = MAX_CHARS) -> str:
    """The comparison of two runs; the first line says whether versions differ."""
    lines = [f"**{esc(comp.first_line(), 1000)}**", ""]
    if comp.changed_cases:
        ids = ", ".join(code(c) for c in comp.changed_cases[:20])
        more = f" and {len(comp.changed_cases) - 20} more" if len(comp.changed_cases) > 20 else ""
        lines += [f"Cases whose definition changed between the runs: {ids}{more}.", ""]
    lines += ["### Metrics (paired, 95% intervals)", "", *metrics_table(comp.metrics), "",
              f"### Cases: {_counts(comp)}"]
    return _finish(lines, comp, max_chars)


def failing_section(units: Sequence[Unit], budget: int, limit: int = MAX_FAILING) -> list[str]:
    """With no baseline to compare with: the failing and errored cases with their failing
    checks or errors (`harness.reporting.failures`), at most `limit`, cut to `budget`."""
    items = failures(units)
    if not items:
        return []
    flags = shape(units)
    out = [f"\n### Failing cases ({len(items)})\n"]
    used = len(out[0])
    for i, f in enumerate(items):
        line = f"- {code(where(f, **flags))}: {f.outcome} — {esc(f.why(), 400)}"
        if i >= limit or used + len(line) + 80 > budget:
            out.append(f"- …and {len(items) - i} more not shown (see the HTML or JSON report)")
            break
        out.append(line)
        used += len(line) + 1
    return out


def _finish(lines: list[str], comp: Comparison | None, max_chars: int,
            failing: Sequence[Unit] | None = None) -> str:
    text = "\n".join(lines)
    if len(text) > max_chars:  # tables alone too big: keep the head, say so
        cut = text[: max_chars - 100].rsplit("\n", 1)[0]
        return cut + "\n\n…truncated to fit one comment (see the JSON report)\n"
    if comp is not None:
        text += "\n" + "\n".join(case_sections(comp, max_chars - len(text) - 200))
    elif failing is not None:
        text += "\n" + "\n".join(failing_section(failing, max_chars - len(text) - 200))
    return text.rstrip() + "\n"

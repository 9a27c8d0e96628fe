"""Terminal renderings (rich renderables) of summaries and run lists."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from harness.reporting.fmt import ms


def _pct(rate: dict[str, Any]) -> str:
    if rate["value"] is None:
        return "n/a (0 decided)"
    return f"{rate['value']:.1%} [{rate['low']:.1%}, {rate['high']:.1%}] ({rate['k']}/{rate['n']})"


def _first_time_lines(summary: dict[str, Any]) -> list[Text]:
    """Right first time, pass^k and case classes (with repeats), pass rate per tag."""
    lines = []
    if summary.get("right_first_time"):
        lines.append(Text(f"right first time: {_pct(summary['right_first_time'])}"))
    hat = summary.get("pass_hat_k")
    if hat and hat["value"] is not None:
        classes = ", ".join(f"{k} {v}" for k, v in sorted(summary.get("case_classes", {}).items()))
        lines.append(Text(f"pass^{hat['k']}: {hat['value']:.1%} (n={hat['n']} cases); {classes}"))
    if summary.get("by_tag"):
        tags = "; ".join(f"{t} {_pct(r)}" for t, r in summary["by_tag"].items())
        lines.append(Text(f"by tag: {tags}"))
    return lines


def summary_renderable(run: dict[str, Any], summary: dict[str, Any]) -> Group:
    """Counts, per-check rates with Wilson 95% intervals, latency, tokens, cost, run id."""
    head = Text.assemble(
        ("pass ", "bold"),
        (str(summary["pass"]), "green"),
        ("  fail ", "bold"),
        (str(summary["fail"]), "red"),
        ("  error ", "bold"),
        (str(summary["error"]), "yellow"),
        f"  of {summary['results']} results",
        f" ({summary['missing']} not run)" if summary.get("missing") else "",
    )
    lines: list[Any] = [head, Text(f"pass rate (errors excluded): {_pct(summary['pass_rate'])}")]
    lines += _first_time_lines(summary)
    if summary["errors_by_kind"]:
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(summary["errors_by_kind"].items()))
        lines.append(Text(f"errors by kind: {kinds}", style="yellow"))
    if summary["checks"]:
        table = Table(title="checks (Wilson 95% interval)", title_justify="left")
        for col in ("check", "pass rate", "fail", "unscored", "n/a"):
            table.add_column(col, justify="left" if col == "check" else "right")
        for row in summary["checks"]:
            table.add_row(
                escape(row["check"]),
                _pct(row["pass_rate"]),
                str(row["fail"]),
                str(row["unscored"]),
                str(row["not_applicable"]),
            )
        lines.append(table)
    lat, tok, cost = summary["latency_ms"], summary["tokens"], summary["cost_usd"]
    cost_text = "unknown" if cost["total"] is None else f"${cost['total']:.4f}"
    lines.append(
        Text(
            f"latency p50 {ms(lat['p50'])}, p95 {ms(lat['p95'])} (n={lat['n']}); "
            f"tokens {tok['prompt']:,} in / {tok['completion']:,} out; cost {cost_text}; "
            f"cached {summary['cached']}, retried {summary['retried']}"
        )
    )
    lines.append(Text.assemble(("run ", "bold"), (run["id"], "cyan"), f"  status {run['status']}"))
    return Group(*lines)


def runs_table(rows: list[dict[str, Any]]) -> Table:
    table = Table()
    for col in ("run", "suite", "version", "status", "started", "models", "pass", "fail", "error"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["id"],
            escape(r["suite"]),
            escape(str(r["suite_version"])),
            r["status"],
            (r["started_at"] or "")[:19].replace("T", " "),
            escape(", ".join(r["models"])),
            str(r["n_pass"]),
            str(r["n_fail"]),
            str(r["n_error"]),
        )
    return table

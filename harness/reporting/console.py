"""Terminal renderings (rich renderables) of summaries and run lists."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from harness.models import CaseSelection
from harness.reporting.failures import Failure, where
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


def _queue(summary: dict[str, Any]) -> str:
    """Time waiting on our own limiter and pool, shown beside the latency it is not part of."""
    queue, jobs = summary.get("queue_ms"), summary.get("concurrency")
    text = f" at -j {jobs}" if jobs else ""
    if queue and queue["n"]:
        text += f", queued p50 {ms(queue['p50'])}, p95 {ms(queue['p95'])}"
    return text


def _cost_lines(summary: dict[str, Any]) -> list[Text]:
    """How many results had a known cost, and what a --budget could not count."""
    cost = summary["cost_usd"]
    if "n" not in cost:  # a summary stored before these counts existed
        return []
    lines = [Text(f"cost known for {cost['n_known']} of {cost['n']} results")]
    budget = summary.get("budget")
    if budget and budget["unenforced"]:
        lines.append(Text(
            f"budget ${budget['limit_usd']:g} could not be enforced for {budget['unenforced']} "
            "results: their cost is unknown (set --price MODEL=IN,OUT or options.pricing)",
            style="yellow",
        ))
    return lines


def unchecked_line(summary: dict[str, Any], limit: int = 10) -> str:
    """How many results no check judged, and which cases (capped): they are not passes."""
    ids = summary.get("unchecked_cases") or []
    shown = ", ".join(ids[:limit]) + (", …" if len(ids) > limit else "")
    n = summary["unchecked"]
    they = "results had no check that decided anything, so they count" if n != 1 else \
        "result had no check that decided anything, so it counts"
    return (f"unchecked: {n} {they} neither as a pass nor as a fail (pass rate, right first "
            f"time); case{'s' if len(ids) != 1 else ''} {shown}")


def summary_renderable(run: dict[str, Any], summary: dict[str, Any]) -> Group:
    """Counts, per-check rates with Wilson 95% intervals, latency, tokens, cost, run id."""
    head = Text.assemble(
        ("pass ", "bold"),
        (str(summary["pass"]), "green"),
        ("  fail ", "bold"),
        (str(summary["fail"]), "red"),
        ("  error ", "bold"),
        (str(summary["error"]), "yellow"),
        *((("  unchecked ", "bold"), (str(summary["unchecked"]), "magenta"))
          if summary.get("unchecked") else ()),
        f"  of {summary['results']} results",
        f" ({summary['missing']} not run)" if summary.get("missing") else "",
    )
    excluded = "errors and unchecked excluded" if summary.get("unchecked") else "errors excluded"
    lines: list[Any] = []
    if by_model := summary.get("by_model"):  # each model its own system; the total labelled
        lines += [models_table(by_model),
                  Text(f"all {len(by_model)} models combined (not one system):", style="bold")]
    lines += [head, Text(f"pass rate ({excluded}): {_pct(summary['pass_rate'])}")]
    if subset := CaseSelection.note(run.get("spec")):  # never read as the whole suite
        lines.append(Text(subset, style="yellow"))
    lines += _first_time_lines(summary)
    if summary.get("unchecked"):
        lines.append(Text(unchecked_line(summary), style="magenta"))
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
            f"latency p50 {ms(lat['p50'])}, p95 {ms(lat['p95'])} (n={lat['n']})"
            f"{_queue(summary)}; "
            f"tokens {tok['prompt']:,} in / {tok['completion']:,} out; cost {cost_text}; "
            f"cached {summary['cached']}, retried {summary['retried']}"
        )
    )
    lines += _cost_lines(summary)
    lines.append(Text.assemble(("run ", "bold"), (run["id"], "cyan"), f"  status {run['status']}"))
    return Group(*lines)


def _cost(summary: dict[str, Any]) -> str:
    cost = summary["cost_usd"]
    return "unknown" if cost["total"] is None else f"${cost['total']:.4f}"


def models_table(by_model: dict[str, dict[str, Any]]) -> Table:
    """One row per model of a multi-model run: its own pass rate and right first time (Wilson
    95% intervals), errors, latency and cost, side by side; never merged into one total."""
    table = Table(title="by model (Wilson 95% interval)", title_justify="left")
    table.add_column("model", no_wrap=True, min_width=max(map(len, by_model), default=5))
    for col in ("pass rate", "right first time", "error", "latency p50 / p95", "cost"):
        table.add_column(col, justify="right")
    for name, s in by_model.items():
        lat = s["latency_ms"]
        first = s.get("right_first_time")
        table.add_row(escape(name), _pct(s["pass_rate"]), _pct(first) if first else "n/a",
                      str(s["error"]), f"{ms(lat['p50'])} / {ms(lat['p95'])}", _cost(s))
    return table


def runs_table(rows: list[dict[str, Any]]) -> Table:
    """Run ids whole on one line, however narrow the terminal (they are copied into `harness
    report`, `compare`, `--resume`); other cells wrap rather than lose their end."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("run", no_wrap=True, min_width=max((len(r["id"]) for r in rows), default=3))
    for col in ("suite", "status", "started", "models", "pass", "fail", "unchecked", "error",
                "pass rate"):
        table.add_column(col, overflow="fold", min_width=len(col))
    for r in rows:
        table.add_row(
            r["id"],
            escape(f"{r['suite']} v{r['suite_version']}"),
            r["status"],
            (r["started_at"] or "")[:16].replace("T", " "),
            escape(", ".join(r["models"])),
            str(r["n_pass"]),
            str(r["n_fail"]),
            str(r.get("n_unchecked", 0)),
            str(r["n_error"]),
            "-" if r.get("pass_rate") is None else f"{r['pass_rate']:.1%}",
        )
    return table


def failures_renderable(items: list[Failure], limit: int | None, *, models: bool = False,
                        repeats: bool = False, more_hint: str = "") -> Group:
    """The failing cases, one line each (at most `limit`; None: all), then how many more.

    Plain `Text`, never markup: a reason or an error message with `[red]` in it is shown as
    written, and the console it is printed on (`InertConsole`) shows control characters as
    escapes."""
    shown = items if limit is None else items[:limit]
    lines: list[Any] = [Text(f"failing cases ({len(items)}):", style="bold")]
    for f in shown:
        lines.append(Text.assemble(
            "  ", (where(f, models=models, repeats=repeats), "bold"), "  ",
            (f.outcome, "red" if f.outcome == "fail" else "yellow"), "  ", f.why()))
    if len(items) > len(shown):
        lines.append(Text(f"  …and {len(items) - len(shown)} more{more_hint}"))
    return Group(*lines)

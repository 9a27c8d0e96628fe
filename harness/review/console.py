"""Terminal renderings (rich renderables) of the queue, one item, and the agreement report.

Untrusted text goes into `rich.text.Text` objects, never into markup strings, so an output
containing `[bold]` or escape-looking sequences is printed as it is. Highlights use the same
segments as the web page (`harness.review.view`).
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.review.fmt import age, num, pct
from harness.review.view import Segment

STYLES = {
    "unsupported": "bold red underline",
    "supported": "green",
    "pii": "bold magenta reverse",
    "secret": "bold yellow reverse",
    "cue": "cyan",
    "evidence": "black on yellow",
}
KIND_STYLES = {"policy": "red", "regression": "dark_orange", "missing_evidence": "yellow",
               "low_confidence": "blue", "novelty": "magenta", "sample": "dim"}


def highlighted(segments: list[Segment]) -> Text:
    text = Text()
    for seg in segments:
        style = " ".join(STYLES[k] for k in seg.kinds if k in STYLES)
        text.append(seg.text, style=style or None)
    return text


def _signals(signals: list[dict[str, Any]]) -> Text:
    """Signal kinds, each once, critical ones in bold (details are on the item)."""
    text = Text()
    seen: list[str] = []
    for s in signals:
        if s["kind"] in seen:
            continue
        seen.append(s["kind"])
        if len(seen) > 1:
            text.append(", ")
        style = KIND_STYLES.get(s["kind"], "") + (" bold" if s.get("critical") else "")
        text.append(s["kind"].replace("_", " "), style=style)
    return text


def queue_table(items: list[dict[str, Any]]) -> Table:
    table = Table(title=f"review queue ({len(items)})", title_justify="left")
    for col in ("id", "case", "suite", "run", "model", "why", "auto", "waiting", "state"):
        table.add_column(col, justify="right" if col in ("id", "waiting") else "left",
                         overflow="fold", min_width=22 if col == "run" else None)
    for it in items:
        table.add_row(str(it["id"]), Text(it["case_id"]), Text(it["suite"] or ""),
                      Text(it["run_id"] or ""), Text(it["model"] or ""),
                      _signals(it["signals"]), it["auto_outcome"] or "",
                      age(it.get("age_s")), Text(item_state(it)))
    return table


def item_state(it: dict[str, Any]) -> str:
    """decided (human verdict, and where it was carried from), claimed, or the status."""
    carried = f" (carried from #{it['carried_from']})" if it.get("carried_from") else ""
    if it["status"] == "decided":
        return f"human {it['verdict']}{carried}"
    if it["status"] == "duplicate":
        return f"same output as #{it['carried_from']}"
    if it.get("claimed_by"):
        return f"claimed by {it['claimed_by']}"
    return it["status"].replace("_", " ")


def item_panel(view: dict[str, Any]) -> Group:
    """One item: why, input, context, output with highlights, scores."""
    item = view["item"]
    head = Text.assemble(
        (f"item {item['id']}  ", "bold"), (item["case_id"], "bold cyan"),
        f"  {item['suite']} · {item['model']} · repeat {item['repeat']} · automatic ",
        (item["auto_outcome"] or "", "green" if item["auto_outcome"] == "pass" else "red"),
        f" · p={item['inclusion_prob']:.2f}")
    why = Text()
    for s in item["signals"]:
        why.append(f"• {s['kind']}", style=KIND_STYLES.get(s["kind"], ""))
        why.append(f"{' ' + s['check'] if s.get('check') else ''}: {s['detail']}\n")
    why.rstrip()
    parts: list[Any] = [head, Panel(why, title="why it is here", title_align="left"),
                        Panel(Text(view["question"]), title="input", title_align="left")]
    if view["passages"]:
        ctx = Text()
        for p in view["passages"]:
            ctx.append(f"[{p['number']}] ", style="bold")
            ctx.append_text(highlighted(p["segments"]))
            ctx.append("\n")
        ctx.rstrip()
        parts.append(Panel(ctx, title="context", title_align="left"))
    parts.append(Panel(highlighted(view["output_segments"]), title="output", title_align="left"))
    parts.append(scores_table(view["scores"]))
    return Group(*parts)


def scores_table(scores: list[dict[str, Any]]) -> Table:
    table = Table(title="scores", title_justify="left")
    for col in ("check", "outcome", "score", "conf", "reason"):
        table.add_column(col)
    for s in scores:
        table.add_row(Text(s["check_name"]), s["outcome"], num(s["score"]), num(s["confidence"]),
                      Text(s["reason"] or ""))
    return table


def agreement_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="agreement with people (rows: automatic, columns: human)",
                  title_justify="left")
    for col in ("check", "n", "pass/pass", "pass/fail", "fail/pass", "fail/fail", "agree",
                "kappa", "best threshold"):
        table.add_column(col, justify="left" if col == "check" else "right")
    for r in rows:
        best = r["best"]
        table.add_row(Text(r["check"]), str(r["n"]), str(r["pass_pass"]), str(r["pass_fail"]),
                      str(r["fail_pass"]), str(r["fail_fail"]), pct(r["agreement"]),
                      num(r["kappa"]),
                      f">= {best['threshold']:.2f} (kappa {num(best['kappa'])})" if best else "-")
    return table


def estimate_lines(e: dict[str, Any]) -> Text:
    auto = e["automatic"]
    text = Text(f"run {e['run_id']}: automatic pass rate {pct(auto['value'])} "
                f"({auto['k']}/{auto['n']})")
    for key, label in (("ipw", "IPW estimate"), ("corrected", "corrected estimate")):
        if key in e:
            v = e[key]
            text.append(f"\n  {label}: {pct(v['value'])} [{pct(v['low'])}, {pct(v['high'])}]")
    if "decided" in e:
        text.append(f"\n  from {e['decided']} decided of {e['queued']} queued")
    if e.get("note"):
        text.append(f"\n  note: {e['note']}", style="yellow")
    return text


def health_lines(h: dict[str, Any]) -> Group:
    head = Text(f"queue: {h['open']} open ({h['needs_adjudication']} awaiting adjudication), "
                f"oldest waiting {age(h['oldest_open_age_s'])}")
    table = Table(title="reviewers", title_justify="left")
    for col in ("reviewer", "decisions", "last 24 h", "median time", "agrees with auto"):
        table.add_column(col, justify="left" if col == "reviewer" else "right")
    for r in h["reviewers"]:
        table.add_row(Text(r["reviewer"]), str(r["decisions"]), str(r["last_24h"]),
                      age(r["median_s"]), pct(r["agrees_with_auto"]))
    return Group(head, table) if h["reviewers"] else Group(head)

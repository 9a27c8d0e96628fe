"""`harness review ...` and `harness serve`: the human review queue.

`review next` is the fast path: it claims the next item, shows why it is there with the
evidence, and takes a decision from one key. The other commands are for scripts
(`--format json`) and for deciding by id.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from harness.cli import _db_option, _store, cli, err, out
from harness.errors import UsageError
from harness.reporting.terminal import inert

FORMATS = click.Choice(["text", "json"])
AGES = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
KEYS_HELP = ("[a] approve  [1] hallucination [2] unsafe [3] wrong format [4] unhelpful "
             "[5] other (reject)  [c] correct  [n] note  [s] skip  [u] undo last  [q] quit")


def _reviewer_option(f: Any) -> Any:
    return click.option("--reviewer", "-r", default=None,
                        help="Your name (default: $HARNESS_REVIEWER or your login).")(f)


def _filter_options(f: Any) -> Any:
    for opt in (
        click.option("--run", "run_ref", metavar="RUN", help="Only items of this run."),
        click.option("--suite", help="Only items of this suite."),
        click.option("--signal", help="Only items with this signal (policy, regression, "
                     "missing_evidence, low_confidence, novelty, sample)."),
        click.option("--older-than", type=click.Choice(sorted(AGES)),
                     help="Only items waiting at least this long."),
    ):
        f = opt(f)
    return f


def _flt(store: Any, run_ref: str | None, suite: str | None, signal: str | None,
         older_than: str | None, status: str = "open") -> Any:
    from harness.review.queue import QueueFilter

    run_id = store.resolve_run_id(run_ref) if run_ref else None
    return QueueFilter(status=status, suite=suite, signal=signal, run_id=run_id,
                       older_than_s=AGES.get(older_than or ""))


def _who(reviewer: str | None) -> str:
    from harness.review.decisions import default_reviewer

    return reviewer or default_reviewer()


def _dump(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@cli.group()
def review() -> None:
    """The human review queue: results routed to people, their decisions, agreement."""


@review.command("list")
@_filter_options
@click.option("--status", default="open", show_default=True,
              type=click.Choice(["open", "pending", "needs_adjudication", "decided",
                                 "duplicate", "all"]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.option("--format", "fmt", default="text", type=FORMATS)
@_db_option
def list_cmd(run_ref: str | None, suite: str | None, signal: str | None,
             older_than: str | None, status: str, limit: int, fmt: str,
             db_path: str | None) -> None:
    """List queued items, most urgent first, with why each was routed."""
    from harness.review.console import queue_table
    from harness.review.queue import list_items

    store = _store(db_path)
    items = list_items(store, _flt(store, run_ref, suite, signal, older_than, status),
                       limit=limit)
    if fmt == "json":
        _dump(items)
    else:
        out.print(queue_table(items))


@review.command("route")
@click.argument("run_ref", metavar="RUN")
@click.option("--baseline", metavar="RUN", help="Run to judge regressions against "
              "(default: the newest complete run of the same suite before RUN).")
@click.option("--reference", metavar="RUN", help="Run whose inputs define 'not novel' "
              "(default: the baseline).")
@click.option("--reviews", default=1, show_default=True, type=click.IntRange(1, 5),
              help="Independent decisions each item needs (disagreement is adjudicated).")
@click.option("--format", "fmt", default="text", type=FORMATS)
@_db_option
def route_cmd(run_ref: str, baseline: str | None, reference: str | None, reviews: int,
              fmt: str, db_path: str | None) -> None:
    """Queue the results of RUN that a person must see (safe to repeat)."""
    from harness.review.routing import route_run

    report = route_run(_store(db_path), run_ref, baseline=baseline, reference=reference,
                       required_reviews=reviews)
    if fmt == "json":
        _dump(report.as_dict())
    else:
        click.echo(inert(route_line(report)))


def route_line(report: Any) -> str:
    """One line saying what routing did, for `harness run` and `review route`."""
    why = ", ".join(f"{k} {n}" for k, n in sorted(report.by_signal.items()))
    line = (f"review: {report.queued} of {report.n_results} results queued "
            f"(risk {report.policy.risk}, sample {report.policy.sample_rate:.0%})")
    if why:
        line += f"; signals: {why}"
    if report.already:
        line += f"; {report.already} already queued"
    if report.carried:
        line += f"; {report.carried} with the same output reviewed before (verdict carried over)"
    if report.duplicates:
        line += f"; {report.duplicates} with the same output already waiting (not queued twice)"
    return line


@review.command("decide")
@click.argument("item_id", type=int)
@click.argument("decision", type=click.Choice(["approve", "reject", "correct"]))
@click.option("--category", type=click.Choice(
    ["hallucination", "unsafe", "wrong_format", "unhelpful", "other"]),
    help="Failure category (required to reject).")
@click.option("--output", "corrected", help="The corrected output (to correct).")
@click.option("--output-file", type=click.File("r", encoding="utf-8"),
              help="Read the corrected output from a file ('-' for stdin).")
@click.option("--note", default="", help="Why, for the record.")
@_reviewer_option
@_db_option
def decide_cmd(item_id: int, decision: str, category: str | None, corrected: str | None,
               output_file: Any, note: str, reviewer: str | None, db_path: str | None) -> None:
    """Decide item ITEM_ID: approve, reject (with --category) or correct (with --output)."""
    from harness.review.decisions import Decision, decide

    if output_file is not None:
        corrected = output_file.read()
    item = decide(_store(db_path), item_id, _who(reviewer),
                  Decision(decision, category, corrected, note))
    click.echo(inert(f"item {item_id}: {decision} recorded; item is {item['status']}"
                     + (f" (human {item['verdict']})" if item["verdict"] else "")))


@review.command("undo")
@click.argument("item_id", type=int, required=False)
@_reviewer_option
@_db_option
def undo_cmd(item_id: int | None, reviewer: str | None, db_path: str | None) -> None:
    """Undo your last decision (on ITEM_ID, or your latest anywhere). It is kept as revoked;
    the item's verdict is recomputed and the item is yours to decide again."""
    from harness.review.decisions import undo

    done = undo(_store(db_path), _who(reviewer), item_id)
    click.echo(inert(undo_line(done)))


def undo_line(done: dict[str, Any]) -> str:
    d, item = done["decision"], done["item"]
    what = d["decision"] + (f" ({d['category']})" if d["category"] else "")
    state = item["status"].replace("_", " ") + (f" (human {item['verdict']})"
                                                if item["verdict"] else "")
    return (f"item {item['id']}: {d['reviewer']}'s {what} of {d['decided_at'][:19]} undone "
            f"(kept as revoked); item is {state}")


@review.command("next")
@_filter_options
@_reviewer_option
@click.option("--ttl", default=15, show_default=True, type=click.IntRange(1),
              help="Minutes a claim holds before another reviewer may take the item.")
@_db_option
def next_cmd(run_ref: str | None, suite: str | None, signal: str | None,
             older_than: str | None, reviewer: str | None, ttl: int,
             db_path: str | None) -> None:
    """Work through the queue: one item at a time, one key per decision."""
    store = _store(db_path)
    session = _Session(store, _who(reviewer), _flt(store, run_ref, suite, signal, older_than),
                       ttl * 60.0)
    session.run()


class _Session:
    """The `review next` loop: claim, show, read a key, decide or skip."""

    def __init__(self, store: Any, reviewer: str, flt: Any, ttl_s: float) -> None:
        self.store, self.reviewer, self.flt, self.ttl_s = store, reviewer, flt, ttl_s
        self.skipped: list[int] = []
        self.decided = 0
        self.history: list[int] = []  # items decided in this session, latest last
        self.again: int | None = None  # an item whose decision was just undone

    def run(self) -> None:
        from harness.review.queue import claim_next

        while True:
            item_id, self.again = self.again, None
            if item_id is None:
                item = claim_next(self.store, self.reviewer, flt=self.flt, ttl_s=self.ttl_s,
                                  exclude=self.skipped)
                if item is None:
                    err.print(f"queue empty: {self.decided} decided, "
                              f"{len(self.skipped)} skipped")
                    return
                item_id = item["id"]
            if not self._one(item_id):
                err.print(f"stopped: {self.decided} decided")
                return

    def _undo(self, current: int) -> bool:
        """[u]: revoke this session's last decision and show that item again."""
        from harness.review.decisions import undo
        from harness.review.queue import release

        if not self.history:
            err.print("nothing to undo in this session")
            return False
        release(self.store, current, self.reviewer)
        done = undo(self.store, self.reviewer, self.history.pop())
        self.decided -= 1
        self.again = done["item"]["id"]
        err.print(undo_line(done), markup=False)
        return True

    def _one(self, item_id: int) -> bool:
        """Show one item and act on keys; False when the reviewer quits."""
        from harness.review.console import item_panel
        from harness.review.queue import release
        from harness.review.view import item_view

        view = item_view(self.store, item_id)
        out.print(item_panel(view), soft_wrap=False)
        note = ""
        while True:
            out.print(KEYS_HELP, style="dim", markup=False)
            key = _key()
            if key in ("q", "\x03", "\x04"):
                release(self.store, item_id, self.reviewer)
                return False
            if key == "s":
                release(self.store, item_id, self.reviewer)
                self.skipped.append(item_id)
                return True
            if key == "n":
                note = click.prompt("note", default="", show_default=False)
                continue
            if key == "u":
                if self._undo(item_id):
                    return True
                continue
            decision = self._decision(key, view["output"], note)
            if decision is not None:
                self._record(item_id, decision)
                return True

    def _decision(self, key: str, output: str, note: str) -> Any:
        from harness.review.decisions import CATEGORIES, Decision

        if key == "a":
            return Decision("approve", note=note)
        if key in "12345" and len(key) == 1:
            return Decision("reject", CATEGORIES[int(key) - 1], note=note)
        if key == "c":
            edited = click.edit(output)
            if edited is None or not edited.strip() or edited.strip() == output.strip():
                err.print("no change: correction cancelled")
                return None
            return Decision("correct", corrected_output=edited.rstrip("\n"), note=note)
        err.print(f"unknown key {key!r}")
        return None

    def _record(self, item_id: int, decision: Any) -> None:
        from harness.review.decisions import decide

        item = decide(self.store, item_id, self.reviewer, decision)
        self.decided += 1
        self.history.append(item_id)
        err.print(f"item {item_id}: {decision.decision}"
                  + (f" ({decision.category})" if decision.category else "")
                  + f" recorded; {item['status']}")


def _key() -> str:
    """One key press on a terminal; from a pipe, the next non-blank character (q at EOF)."""
    if sys.stdin.isatty():
        return click.getchar()
    while True:
        char = sys.stdin.read(1)
        if not char:
            return "q"
        if not char.isspace():
            return char


@review.command("stats")
@click.option("--run", "run_ref", metavar="RUN", help="Agreement and estimates of one run.")
@click.option("--suite", help="Only this suite.")
@click.option("--format", "fmt", default="text", type=FORMATS)
@_db_option
def stats_cmd(run_ref: str | None, suite: str | None, fmt: str, db_path: str | None) -> None:
    """Agreement of each scorer with people, estimated pass rates, queue SLA, throughput."""
    from harness.analysis.agreement import estimate, queue_health, scorer_agreement
    from harness.review.console import agreement_table, estimate_lines, health_lines

    store = _store(db_path)
    run_id = store.resolve_run_id(run_ref) if run_ref else None
    runs = [run_id] if run_id else _routed_runs(store, suite)
    report = {"agreement": scorer_agreement(store, run_id=run_id, suite=suite),
              "estimates": [estimate(store, r) for r in runs],
              "queue": queue_health(store, suite=suite)}
    if fmt == "json":
        _dump(report)
        return
    out.print(agreement_table(report["agreement"]))
    for e in report["estimates"]:
        out.print(estimate_lines(e))
    out.print(health_lines(report["queue"]))


def _routed_runs(store: Any, suite: str | None, limit: int = 5) -> list[str]:
    sql = ("SELECT g.run_id FROM review_routings g JOIN runs r ON r.id = g.run_id "
           + ("WHERE r.suite = ? " if suite else "") + "ORDER BY r.started_at DESC LIMIT ?")
    return [r[0] for r in store.db.execute(sql, [suite, limit] if suite else [limit])]


@review.command("export")
@click.option("--run", "run_ref", metavar="RUN", help="Only corrections of this run.")
@click.option("--suite", help="Only corrections of this suite.")
@click.option("--since", metavar="ISO", help="Only corrections decided at or after this time.")
@click.option("-o", "--output", "path", default="-", show_default=True,
              help="JSONL file to write ('-' for stdout).")
@_db_option
def export_cmd(run_ref: str | None, suite: str | None, since: str | None, path: str,
               db_path: str | None) -> None:
    """Write corrected outputs as new suite cases (JSONL with provenance)."""
    from harness.review.export import corrections, to_jsonl

    store = _store(db_path)
    run_id = store.resolve_run_id(run_ref) if run_ref else None
    lines = list(to_jsonl(corrections(store, run_id=run_id, suite=suite, since=since)))
    if path == "-":
        click.echo("".join(lines), nl=False)
    else:
        Path(path).write_text("".join(lines), encoding="utf-8")
        err.print(f"wrote {len(lines)} case(s) to {path}; add `- from: {path}` to a suite")


@cli.command()
@_db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option("--token", default=None, help="Require this token (default: "
              "$HARNESS_SERVE_TOKEN). Needed to listen on a non-loopback address.")
@_reviewer_option
def serve(db_path: str | None, host: str, port: int, token: str | None,
          reviewer: str | None) -> None:
    """Local web app: the review queue (and dashboard pages when installed)."""
    try:
        from harness.web.app import TOKEN_ENV, check_bind
        from harness.web.app import serve as run_server
    except ModuleNotFoundError as exc:
        from harness.extras import install_hint

        raise UsageError(f"`harness serve` needs the [web] extra ({exc.name} is missing); "
                         f"{install_hint('web')}") from exc
    from harness.store import default_db_path

    token = token or os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)
    _store(db_path)  # a --db that is no SQLite database: one line, before "serving"
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    err.print(f"serving {db_path or default_db_path()} at {url}  (Ctrl-C to stop)",
              markup=False)
    run_server(db_path or default_db_path(), host=host, port=port, token=token,
               reviewer=reviewer)

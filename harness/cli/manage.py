"""`harness delete` and `harness cache`: remove stored runs; inspect and clear the cache."""

from __future__ import annotations

import json
import sys

import click
from rich.markup import escape

from harness.cli import F, _db_option, _store, cli, err, out
from harness.errors import UsageError

# --------------------------------------------------------------------------- delete


def _confirm(question: str, doing: str) -> None:
    """Ask on a terminal; refuse (exit 2) without one, so a script must say --yes; a "no"
    is exit 1 with nothing changed."""
    if not sys.stdin.isatty():
        raise UsageError(f"not {doing} without confirmation: pass --yes (stdin is not a "
                         "terminal)")
    if not click.confirm(question, default=False, err=True):
        err.print("nothing changed", markup=False)
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("run_refs", metavar="RUN...", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--with-derived", is_flag=True,
              help="Also delete the runs made from these by `harness rescore`.")
@_db_option
def delete(run_refs: tuple[str, ...], yes: bool, with_derived: bool, db_path: str | None) -> None:
    """Delete runs with their results, scores, case snapshots and review items."""
    from harness.store.deletion import SHOWN_TABLES, delete_runs, plan_deletion

    store = _store(db_path)
    plan = plan_deletion(store, list(run_refs), with_derived=with_derived)
    rows = ", ".join(f"{plan.rows.get(t, 0)} {t.replace('_', ' ')}" for t in SHOWN_TABLES)
    noun = "run" if len(plan.run_ids) == 1 else "runs"
    err.print(f"to delete: {len(plan.run_ids)} {noun} ({', '.join(plan.run_ids)}): {rows}",
              markup=False)
    if plan.derived:
        err.print(f"  including derived (rescore) runs: {', '.join(plan.derived)}", markup=False)
    for note in plan.notes:
        err.print(f"[yellow]note[/]: {escape(note)}")
    if not yes:
        _confirm("delete?", "deleting")
    counts = delete_runs(store, plan)
    out.print(f"deleted {len(plan.run_ids)} {noun}: {counts.get('results', 0)} results, "
              f"{counts.get('scores', 0)} scores, {counts.get('review_items', 0)} review items",
              markup=False)


# --------------------------------------------------------------------------- cache


@cli.group()
def cache() -> None:
    """The response cache (in the database): how big it is; clear it."""


def _older_than_option(f: F) -> F:
    return click.option("--older-than", metavar="AGE",
                        help="Only entries stored longer ago than AGE (e.g. 12h, 7d, 2w).")(f)


@cache.command("info")
@_older_than_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_db_option
def cache_info(older_than: str | None, as_json: bool, db_path: str | None) -> None:
    """Entries in the response cache, per provider, oldest and newest."""
    from harness.store.deletion import cache_stats, parse_age

    stats = cache_stats(_store(db_path).db, parse_age(older_than) if older_than else None)
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    which = f" older than {older_than}" if older_than else ""
    out.print(f"{stats['entries']} cached responses{which}", markup=False)
    for provider, n in stats["providers"].items():
        out.print(f"  {provider or '(unknown)'}: {n}", markup=False)
    if stats["entries"]:
        out.print(f"oldest {stats['oldest']}, newest {stats['newest']}", markup=False)


@cache.command("clear")
@_older_than_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@_db_option
def cache_clear(older_than: str | None, yes: bool, db_path: str | None) -> None:
    """Remove cached responses (stored runs are kept: the cache only saves calls)."""
    from harness.store.deletion import cache_stats, clear_cache, parse_age

    age = parse_age(older_than) if older_than else None
    db = _store(db_path).db
    n = cache_stats(db, age)["entries"]
    which = f" older than {older_than}" if older_than else ""
    if n == 0:
        out.print(f"no cached responses{which}; nothing to clear", markup=False)
        return
    if not yes:
        _confirm(f"remove {n} cached responses{which}?", "clearing")
    removed = clear_cache(db, age)
    out.print(f"removed {removed} cached responses{which}", markup=False)

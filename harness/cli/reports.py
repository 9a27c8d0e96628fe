"""`harness runs` and `harness report`: read stored runs."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli import _db_option, _store, cli, err, out

# --------------------------------------------------------------------------- runs, report


@cli.command()
@click.option("--suite", help="Only runs of this suite.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_db_option
def runs(suite: str | None, limit: int, fmt: str, db_path: str | None) -> None:
    """List stored runs, newest first."""
    import json

    from harness.reporting.console import runs_table

    rows = _store(db_path).list_runs(suite=suite, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        err.print("no runs stored yet")
    else:
        out.print(runs_table(rows))


@cli.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--format", "fmt", type=click.Choice(["json"]), required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write; '-' for stdout. Default: reports/RUN.json",
)
@_db_option
def report(run_ref: str, fmt: str, output: str | None, db_path: str | None) -> None:
    """Write a report of a stored run."""
    from harness.reporting.json_report import report_json

    store = _store(db_path)
    run_id = store.resolve_run_id(run_ref)
    text = report_json(store, run_id)
    if output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output or f"reports/{run_id}.{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    err.print(f"wrote {path}")

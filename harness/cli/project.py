"""`harness init` and `harness list`: start a project; see what providers and checks exist."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from harness.cli import F, cli, err, out

# --------------------------------------------------------------------------- init


@cli.command()
@click.argument("folder", metavar="[DIR]", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite the example files if they exist.")
def init(folder: str, force: bool) -> None:
    """Write a working example project: a suite, a rubric and a `python:` model next to them."""
    from harness.suites.scaffold import SUITE, init_project

    written = init_project(folder, force=force)
    for path in written:
        out.print(f"[green]wrote[/] {escape(str(path))}")
    steps = [] if Path(folder).resolve() == Path.cwd() else [(f"cd {folder}", "")]
    steps += [(f"harness check {SUITE}", "validate the suite and its rubric"),
              (f"harness run {SUITE} --dry-run", "see every prompt, call nothing"),
              (f"harness run {SUITE}", "run it, score it, store it in ./harness.db")]
    out.print("next steps (offline, no key needed):", markup=False)
    width = max(len(command) for command, _ in steps)
    for command, why in steps:
        out.print(f"  {command:<{width}}  {why}".rstrip(), markup=False)
    out.print("then point `model:` at your application or a real model.", markup=False)


# --------------------------------------------------------------------------- list


@cli.group("list")
def list_group() -> None:
    """List what is available: model providers and check types."""


def _json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)


@list_group.command("providers")
@_json_option
def list_providers(as_json: bool) -> None:
    """Model providers: the prefix of a model reference (`openai:gpt-4o-mini`)."""
    from harness.providers.registry import describe_providers

    rows = describe_providers()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="providers (model: PROVIDER:...)", title_justify="left")
    for column in ("provider", "example", "what it calls", "from"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(row[k]) for k in ("name", "example", "description", "source")))
    out.print(table)


@list_group.command("checks")
@_json_option
def list_checks(as_json: bool) -> None:
    """Check types a suite or rubric can use (`checks: [{type: ...}]`)."""
    from harness.scoring.registry import describe_checks

    rows = describe_checks()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="check types", title_justify="left")
    for column in ("type", "what it checks", "version"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(row[k]) for k in ("type", "description", "version")))
    out.print(table)
    err.print("parameters of each: harness schema suite (the JSON Schema), or docs/", markup=False)

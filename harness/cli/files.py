"""`harness check` and `harness schema`: validate files users write."""

from __future__ import annotations

import click
from rich.markup import escape

from harness.cli import cli, err, out
from harness.errors import HarnessError

# --------------------------------------------------------------------------- files


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check(files: tuple[str, ...]) -> None:
    """Validate suite and rubric files without running anything."""
    from harness.suites import check_file

    failed: list[HarnessError] = []
    for path in files:
        try:
            described = check_file(path)
        except HarnessError as exc:
            err.print(f"[red]error[/]: {escape(str(exc))}")
            failed.append(exc)
            continue
        out.print(f"[green]ok[/] {escape(str(path))}: {escape(str(described))}")
    if failed:
        raise click.exceptions.Exit(2)


@cli.command()
@click.argument("kind", type=click.Choice(["suite", "rubric"]))
def schema(kind: str) -> None:
    """Print the JSON Schema of suite or rubric files (for editors and validators)."""
    from harness.suites.schema import schema_text

    click.echo(schema_text(kind), nl=False)

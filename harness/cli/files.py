"""`harness check` and `harness schema`: validate files users write."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from harness.cli import cli, err, out
from harness.errors import HarnessError

# --------------------------------------------------------------------------- files


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check(files: tuple[str, ...]) -> None:
    """Validate suite and rubric files without running anything."""
    from harness.suites import LoadedSuite, check_file

    failed: list[HarnessError] = []
    for path in files:
        try:
            described = check_file(path)
        except HarnessError as exc:
            err.print(f"[red]error[/]: {escape(str(exc))}")
            failed.append(exc)
            continue
        out.print(f"[green]ok[/] {escape(str(path))}: {escape(str(described))}")
        if isinstance(described, LoadedSuite) and (warning := no_checks_warning(described)):
            err.print(f"[yellow]warning[/]: {escape(warning)}")
    if failed:
        raise click.exceptions.Exit(2)


def no_checks_warning(loaded: Any, limit: int = 10) -> str | None:
    """Cases with no check at all (capped, with their file and line): their results are
    counted as unchecked, never as passes, so they are probably a mistake."""
    cases = loaded.cases_without_checks()
    if not cases:
        return None
    where = []
    for case in cases[:limit]:
        file, line = loaded.case_lines.get(case.id, (loaded.path, 0))
        where.append(f"{case.id} ({file}:{line})" if line else f"{case.id} ({file})")
    more = f" and {len(cases) - limit} more" if len(cases) > limit else ""
    noun = "case has" if len(cases) == 1 else "cases have"
    return (f"{len(cases)} {noun} no checks, so {'its' if len(cases) == 1 else 'their'} "
            "results will be counted as unchecked (neither pass nor fail): "
            f"{', '.join(where)}{more}")


@cli.command()
@click.argument("kind", type=click.Choice(["suite", "rubric"]))
def schema(kind: str) -> None:
    """Print the JSON Schema of suite or rubric files (for editors and validators)."""
    from harness.suites.schema import schema_text

    click.echo(schema_text(kind), nl=False)

"""The `harness` command: parse, call one library function, print, pick the exit code.

This is the only module that prints. Every `HarnessError` becomes one line on stderr and
its class's exit code; a user's mistake never shows a traceback.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from harness import __version__
from harness.errors import HarnessError, RunIncomplete, UsageError
from harness.models import CaseResult

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _db_option(f: F) -> F:
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), default=None,
        help="SQLite database (default: $HARNESS_DB or ./harness.db).",
    )(f)


def _store(db_path: str | None) -> Any:
    from harness.store import RunStore, open_db

    return RunStore(open_db(db_path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harness")
def cli() -> None:
    """Evaluate and guard LLM applications: suites in, evidence and verdicts out."""


# --------------------------------------------------------------------------- run


class _ProgressView:
    """Counts, running pass rate and ETA on a terminal; silent otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.progress: Progress | None = None
        self.task: Any = None
        self.counts = {"pass": 0, "fail": 0, "error": 0}

    def start(self, run_id: str, total: int) -> None:
        err.print(f"[bold]{escape(self.label)}[/]  run [cyan]{run_id}[/]  {total} to send")
        if not err.is_terminal:
            return
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TextColumn("eta"),
            TimeRemainingColumn(), console=err, transient=True,
        )
        self.task = self.progress.add_task("running", total=total, stats="")
        self.progress.start()

    def update(self, result: CaseResult) -> None:
        self.counts[result.outcome] += 1
        if self.progress is None:
            return
        decided = self.counts["pass"] + self.counts["fail"]
        rate = f"{self.counts['pass'] / decided:.0%}" if decided else "-"
        stats = f"pass {rate}  fail {self.counts['fail']}  error {self.counts['error']}"
        self.progress.update(self.task, advance=1, stats=stats)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _run_one(store: Any, suite_path: str | None, config: Any, db_path: str | None) -> bool:
    """Run or resume one suite; prints the summary; returns True when incomplete."""
    from harness.runner import run_suite
    from harness.suites import load_suite
    from harness.summary import summarize

    if suite_path is None:
        suite_path = store.get_run(config.resume)["suite_path"]
    loaded = load_suite(suite_path)
    view = _ProgressView(f"{loaded.suite.suite} v{loaded.suite.version}")
    try:
        outcome = asyncio.run(
            run_suite(loaded, config, store, on_start=view.start, on_result=view.update)
        )
    finally:
        view.stop()
    run = store.get_run(outcome.run_id)
    summary = summarize(store.iter_results(outcome.run_id), planned=run["n_planned"])
    from harness.reporting.console import summary_renderable

    out.print(summary_renderable(run, summary))
    return _report_incomplete(outcome, summary, config, db_path)


def _report_incomplete(outcome: Any, summary: dict[str, Any], config: Any, db: str | None) -> bool:
    resume = f"harness run --resume {outcome.run_id}" + (f" --db {db}" if db else "")
    if outcome.status == "interrupted":
        err.print(f"[yellow]interrupted[/]: {summary['results']} results kept. Resume with: {resume}")
        return True
    if outcome.status == "budget_exhausted":
        err.print(f"[yellow]budget spent[/]: stopped cleanly. Resume with a larger --budget: {resume}")
        return True
    answered = summary["results"]
    if answered and summary["error"] / answered > config.max_error_rate:
        err.print(
            f"[yellow]incomplete[/]: {summary['error']} of {answered} results are errors "
            f"(limit {config.max_error_rate:.0%}). Retry them with: {resume} --retry-errors"
        )
        return True
    return False


@cli.command()
@click.argument("suites", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--model", "-m", "models", multiple=True, help="provider:model; repeatable.")
@click.option("--repeats", "-k", default=1, show_default=True, type=click.IntRange(1))
@click.option("--concurrency", "-j", default=8, show_default=True, type=click.IntRange(1))
@_db_option
@click.option("--resume", "resume", metavar="RUN", help="Resume an interrupted run.")
@click.option("--retry-errors", is_flag=True, help="With --resume: also re-send errored cases.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the response cache.")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(0.001),
              help="Seconds per request.")
@click.option("--max-attempts", default=4, show_default=True, type=click.IntRange(1))
@click.option("--rpm", type=click.FloatRange(0.001), help="Requests per minute per provider.")
@click.option("--circuit-breaker", default=10, show_default=True, type=click.IntRange(0),
              help="Stop calling a provider after N consecutive failures (0: never).")
@click.option("--budget", type=click.FloatRange(0), help="Stop cleanly once this many USD spent.")
@click.option("--max-error-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of errored results above which the run counts as incomplete (exit 3).")
@click.option("--tag", "tags", multiple=True, help="Tag the run (e.g. main); repeatable.")
def run(
    suites: tuple[str, ...], models: tuple[str, ...], repeats: int, concurrency: int,
    db_path: str | None, resume: str | None, retry_errors: bool, no_cache: bool, timeout: float,
    max_attempts: int, rpm: float | None, circuit_breaker: int, budget: float | None,
    max_error_rate: float, tags: tuple[str, ...],
) -> None:
    """Run suites: call the models, score every output, store everything, print a summary."""
    from harness.runner import RunConfig

    if not suites and not resume:
        raise UsageError("give a suite file to run, or --resume RUN")
    if resume and len(suites) > 1:
        raise UsageError("--resume takes at most one suite")
    if retry_errors and not resume:
        raise UsageError("--retry-errors only makes sense with --resume")
    config = RunConfig(
        models=models, repeats=repeats, concurrency=concurrency, use_cache=not no_cache,
        timeout_s=timeout, max_attempts=max_attempts, rpm=rpm,
        circuit_threshold=circuit_breaker, budget_usd=budget, tags=tags, resume=resume,
        retry_errors=retry_errors, max_error_rate=max_error_rate,
    )
    store = _store(db_path)
    incomplete = False
    for suite in suites or (None,):
        incomplete |= _run_one(store, suite, config, db_path)
    if incomplete:
        raise RunIncomplete("")


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
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write; '-' for stdout. Default: reports/RUN.json")
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


# --------------------------------------------------------------------------- entry


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point: maps HarnessError to its exit code with a one-line message."""
    try:
        code = cli.main(args=argv, prog_name="harness", standalone_mode=False)
    except HarnessError as exc:
        if str(exc):
            err.print(f"[red]error[/]: {escape(str(exc))}")
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

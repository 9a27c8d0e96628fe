"""`harness run`: run or resume suites with a progress view and a summary."""

from __future__ import annotations

import math
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from harness.cli import _db_option, _store, cli, err, out
from harness.errors import RunIncomplete, UsageError
from harness.models import CaseResult

# --------------------------------------------------------------------------- run


class _ProgressView:
    """Counts, running pass rate and ETA on a terminal; periodic lines otherwise (a CI log,
    see `harness.cli.progress_log`)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.log: Any = None
        self.progress: Progress | None = None
        self.task: Any = None
        self.counts = {"pass": 0, "fail": 0, "error": 0}

    def start(self, run_id: str, total: int) -> None:
        err.print(f"[bold]{escape(self.label)}[/]  run [cyan]{run_id}[/]  {total} to send")
        if not err.is_terminal:
            from harness.cli.progress_log import ProgressLog

            self.log = ProgressLog(err, self.label, total).start()
            return
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self.task = self.progress.add_task("running", total=total, stats="")
        self.progress.start()

    def update(self, result: CaseResult) -> None:
        self.counts[result.outcome] += 1
        if self.log is not None:
            self.log.update(self.counts)
        if self.progress is None:
            return
        decided = self.counts["pass"] + self.counts["fail"]
        rate = f"{self.counts['pass'] / decided:.0%}" if decided else "-"
        stats = f"pass {rate}  fail {self.counts['fail']}  error {self.counts['error']}"
        self.progress.update(self.task, advance=1, stats=stats)

    def stop(self) -> None:
        if self.log is not None:
            self.log.stop()
        if self.progress is not None:
            self.progress.stop()


def _run_one(store: Any, suite_path: str | None, config: Any, db_path: str | None,
             show_failures: int | None = 10) -> bool:
    """Run or resume one suite; prints the summary; returns True when incomplete."""
    from harness.analysis.summary import summarize_run
    from harness.cli.review import route_line
    from harness.evaluation import evaluate
    from harness.suites import load_suite

    if suite_path is None:
        suite_path = store.get_run(config.resume)["suite_path"]
    loaded = load_suite(suite_path)
    view = _ProgressView(f"{loaded.suite.suite} v{loaded.suite.version}")
    if config.budget_usd is not None:
        _warn_unpriced(store, loaded, config)
    # `evaluate` routes for review before the summary, and a Ctrl-C while it routes waits
    # for it to finish: printed after a summary, a Ctrl-C there left a complete run nobody
    # would review. The pytest plugin and library callers route through the same function.
    try:
        evaluation = evaluate(loaded, config, store, on_start=view.start,
                              on_result=view.update)
    finally:
        view.stop()
    outcome = evaluation.outcome
    routed = route_line(evaluation.routed) if evaluation.routed is not None else ""
    run = store.get_run(outcome.run_id)
    summary = summarize_run(store, outcome.run_id, budget_usd=config.budget_usd)
    from harness.reporting.console import summary_renderable

    if (too_many := _error_rate_exceeded(summary, config)) is not None:
        # every attempt finished (stored status `complete`), but the errors make the run
        # incomplete for the exit code: the status line says so, and which threshold did it
        run = {**run, "status": f"incomplete: {too_many}"}
    out.print(summary_renderable(run, summary))
    _print_failures(store, outcome.run_id, show_failures)
    err.print(routed, markup=False)
    return _report_incomplete(outcome, summary, config, db_path)


def _print_failures(store: Any, run_id: str, limit: int | None) -> None:
    """Which cases failed and why, after the summary: at most `limit` (None: all; 0: none)."""
    if limit == 0:
        return
    from harness.analysis.metrics import units_from_rows
    from harness.analysis.summary import run_rows
    from harness.reporting.console import failures_renderable
    from harness.reporting.failures import failures, shape

    units = units_from_rows(run_rows(store, run_id), store.get_cases(run_id))
    if items := failures(units):
        out.print(failures_renderable(items, limit, **shape(units),
                                      more_hint=" (--show-failures all lists every one)"))


def _failures_limit(ctx: Any, param: Any, value: str) -> int | None:
    """`--show-failures N|all`: a count (0 hides the list), or all (None)."""
    if value.strip().lower() == "all":
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise click.BadParameter(f"{value!r}: give a count (0 for none) or all",
                                 param_hint="--show-failures")
    return number


def _report_incomplete(outcome: Any, summary: dict[str, Any], config: Any, db: str | None) -> bool:
    resume = f"harness run --resume {outcome.run_id}" + (f" --db {db}" if db else "")
    if outcome.status == "interrupted":
        kept = summary["results"]
        err.print(f"[yellow]interrupted[/]: {kept} results kept. Resume with: {resume}")
        return True
    if outcome.status == "budget_exhausted":
        err.print(f"[yellow]budget spent[/]: stopped cleanly. Resume with more --budget: {resume}")
        return True
    if (too_many := _error_rate_exceeded(summary, config)) is not None:
        accept = math.ceil(summary["error"] / summary["results"] * 100) / 100
        err.print(
            f"[yellow]incomplete[/]: {too_many} (exit 3). Retry them with: {resume} "
            f"--retry-errors, or accept this share of errors with --max-error-rate {accept:g}"
        )
        return True
    return False


def _error_rate_exceeded(summary: dict[str, Any], config: Any) -> str | None:
    """Why the errors make the run incomplete, naming the threshold (None: they do not)."""
    answered, errors = summary["results"], summary["error"]
    if not answered or errors / answered <= config.max_error_rate:
        return None
    limit = config.max_error_rate
    which = ("--max-error-rate 0 (the default: any error makes a run incomplete)"
             if limit == 0 else f"--max-error-rate {limit:g}")
    return (f"{errors} of {answered} results are errors ({errors / answered:.0%}), "
            f"above {which}")


class FiniteFloat(click.FloatRange):
    """A float range that also refuses `nan` and `inf` (click's range accepts both: every
    comparison with nan is false, so `--budget nan` would switch the budget off)."""

    name = "finite float"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def _parse_price(value: str) -> tuple[str, Any]:
    """`MODEL=PRICE` -> (MODEL, Price); a malformed one is a usage error (exit 2)."""
    from harness.providers.pricing import parse_price

    pattern, sep, price = value.rpartition("=")
    if not sep or not pattern.strip():
        raise click.BadParameter(f"{value!r}: use MODEL=IN,OUT or MODEL=free", param_hint="--price")
    try:
        return pattern.strip(), parse_price(price, f"--price {value}")
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--price") from exc


def _warn_unpriced(store: Any, loaded: Any, config: Any) -> None:
    """With --budget, say up front which models have no known price: their spend is only
    counted if their server reports a cost, so the budget may not stop the run."""
    from harness.models import RunSpec
    from harness.pipeline.runner import resolve_models, unpriced_models

    if config.resume:
        models = list(RunSpec.model_validate(store.get_run(config.resume)["spec"]).models)
    else:
        models = resolve_models(loaded, config.models, config.prices)
    for name in unpriced_models(models):
        err.print(
            f"[yellow]warning[/]: no price known for {escape(name)}: --budget counts its spend "
            f"only if its server reports a cost. Set one with --price {escape(name)}=IN,OUT "
            "(or =free when self-hosted), or the model's options.pricing.",
        )


@cli.command()
@click.argument("suites", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--model", "-m", "models", multiple=True, help="provider:model; repeatable.")
@click.option("--repeats", "-k", default=1, show_default=True, type=click.IntRange(1))
@click.option("--concurrency", "-j", default=8, show_default=True, type=click.IntRange(1))
@_db_option
@click.option("--resume", "resume", metavar="RUN", help="Resume an interrupted run.")
@click.option("--retry-errors", is_flag=True, help="With --resume: also re-send errored cases.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the response cache.")
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=FiniteFloat(0.001),
    help="Seconds per request.",
)
@click.option("--max-attempts", default=4, show_default=True, type=click.IntRange(1))
@click.option("--rpm", type=FiniteFloat(0.001), help="Requests per minute per provider.")
@click.option(
    "--circuit-breaker",
    default=10,
    show_default=True,
    type=click.IntRange(0),
    help="Stop calling a provider after N consecutive failures (0: never).",
)
@click.option("--budget", type=FiniteFloat(0), help="Stop cleanly once this many USD spent.")
@click.option(
    "--max-error-rate",
    default=0.0,
    show_default=True,
    type=FiniteFloat(0, 1),
    help="Share of errored results above which the run counts as incomplete (exit 3).",
)
@click.option(
    "--price",
    "prices",
    multiple=True,
    metavar="MODEL=PRICE",
    callback=lambda ctx, param, values: tuple(_parse_price(v) for v in values),
    help="Price of the models matching MODEL (a name, ref or *-pattern): IN,OUT in USD per "
    "million input and output tokens, or free (self-hosted). Repeatable; wins over "
    "options.pricing and HARNESS_PRICES.",
)
@click.option("--show-failures", default="10", show_default=True, metavar="N|all",
              callback=_failures_limit,
              help="After the summary, list the failing and errored cases with their failing "
              "checks and errors: at most N (0: none), or all.")
@click.option("--tag", "tags", multiple=True, help="Tag the run (e.g. main); repeatable.")
@click.option("--case", "cases", multiple=True, metavar="ID",
              help="Run only this case (an id or a glob such as 'refund-*'); repeatable.")
@click.option("--filter-tag", "filter_tags", multiple=True, metavar="TAG",
              help="Run only the cases with this tag; repeatable (any of them).")
@click.option("--limit", type=click.IntRange(1), metavar="N",
              help="Run only the first N cases (after --case and --filter-tag).")
@click.option("--dry-run", is_flag=True,
              help="Render every prompt and print it; call no model, store nothing.")
def run(
    suites: tuple[str, ...],
    models: tuple[str, ...],
    repeats: int,
    concurrency: int,
    db_path: str | None,
    resume: str | None,
    retry_errors: bool,
    no_cache: bool,
    timeout: float,
    max_attempts: int,
    rpm: float | None,
    circuit_breaker: int,
    budget: float | None,
    max_error_rate: float,
    prices: tuple[tuple[str, Any], ...],
    show_failures: int | None,
    tags: tuple[str, ...],
    cases: tuple[str, ...],
    filter_tags: tuple[str, ...],
    limit: int | None,
    dry_run: bool,
) -> None:
    """Run suites: call the models, score every output, store everything, print a summary."""
    from harness.pipeline.runner import RunConfig

    if not suites and not resume:
        raise UsageError("give a suite file to run, or --resume RUN")
    if resume and len(suites) > 1:
        raise UsageError("--resume takes at most one suite")
    if retry_errors and not resume:
        raise UsageError("--retry-errors only makes sense with --resume")
    config = RunConfig(
        models=models,
        repeats=repeats,
        concurrency=concurrency,
        use_cache=not no_cache,
        timeout_s=timeout,
        max_attempts=max_attempts,
        rpm=rpm,
        circuit_threshold=circuit_breaker,
        budget_usd=budget,
        tags=tags,
        resume=resume,
        retry_errors=retry_errors,
        max_error_rate=max_error_rate,
        prices=prices,
        cases=cases,
        filter_tags=filter_tags,
        limit=limit,
    )
    if dry_run:  # before the store: a dry run does not even create the database
        from harness.cli.dry_run import print_dry_run

        print_dry_run(suites, config)
        return
    store = _store(db_path)
    incomplete = False
    for suite in suites or (None,):
        incomplete |= _run_one(store, suite, config, db_path, show_failures)
    if incomplete:
        raise RunIncomplete("")

"""`harness compare`, `harness gate`, `harness rescore`: paired comparison and the CI gate."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from harness.cli import _db_option, _store, cli, err, out


def _write(path: str, text: str) -> None:
    if path == "-":
        click.echo(text, nl=False)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    err.print(f"wrote {escape(str(target))}")


def _show_markdown(text: str) -> None:
    """The `text` format: the report's Markdown as plain text, on a terminal and in a CI log
    alike (no escapes, so a command in it pastes exactly; never wrapped)."""
    click.echo(_plain(text), nl=False)


def _plain(md: str) -> str:
    from harness.reporting.plain import markdown_to_text
    from harness.reporting.terminal import inert

    return inert(markdown_to_text(md))


# --------------------------------------------------------------------------- compare


@cli.command()
@click.argument("base", metavar="BASE")
@click.argument("cand", metavar="CAND")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text")
@click.option("--metric", "metrics", multiple=True, help="Metric to compare; repeatable. "
              "Default: the standard ones present in either run.")
@click.option("--model", help="The model to compare when a run has several.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write to a file instead of the terminal.")
@_db_option
def compare(base: str, cand: str, fmt: str, metrics: tuple[str, ...], model: str | None,
            output: str | None, db_path: str | None) -> None:
    """Paired comparison of two runs: cases that moved, metrics with intervals and p-values.

    Runs of several models, without --model: each model is compared with the model of the
    same name in the other run, pair by pair."""
    from harness.analysis.compare import compare_runs
    from harness.analysis.metrics import load_run
    from harness.analysis.side_by_side import compare_models, several_models
    from harness.reporting.markdown import compare_markdown

    store = _store(db_path)
    if model is None and several_models(store, base, cand):
        from harness.reporting.side_by_side import paired_markdown

        pairs = compare_models(store, base, cand, list(metrics) or None)
        text = (json.dumps(pairs.as_dict(), indent=2, default=str) + "\n" if fmt == "json"
                else paired_markdown(pairs))
    else:
        comp = compare_runs(load_run(store, base, model=model),
                            load_run(store, cand, model=model), list(metrics) or None)
        text = (json.dumps(comp.as_dict(), indent=2, default=str) + "\n" if fmt == "json"
                else compare_markdown(comp))
    if output and fmt == "text":
        text = _plain(text)
    if output:
        _write(output, text)
    elif fmt == "text":
        _show_markdown(text)
    else:
        click.echo(text, nl=False)


# --------------------------------------------------------------------------- gate


@cli.command()
@click.argument("run_ref", metavar="[RUN]", required=False, default="latest")
@click.option("--baseline", metavar="RUN|latest|TAG",
              help="Run to compare with: a run id, `latest` (newest complete run of the same "
              "suite before RUN) or a tag (newest complete run with that tag).")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Write JUnit XML.")
@click.option("--markdown", "md_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the Markdown report (a PR comment).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the result as JSON.")
@click.option("--strict", is_flag=True, help="INCONCLUSIVE exits 4 instead of 0.")
@click.option("--margin", type=click.FloatRange(0, 1), help="Override the suite's gate margin.")
@click.option("--alpha", type=click.FloatRange(0.0001, 0.4999),
              help="Override the one-sided error rate of each decision.")
@click.option("--metric", "metrics", multiple=True, help="Metric to gate on; repeatable.")
@click.option("--model", help="The model to gate when the run has several.")
@click.option("--max-error-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of errored results above which the run counts as incomplete (3).")
@_db_option
def gate(run_ref: str, baseline: str | None, junit_path: str | None, md_path: str | None,
         json_path: str | None, strict: bool, margin: float | None, alpha: float | None,
         metrics: tuple[str, ...], model: str | None, max_error_rate: float,
         db_path: str | None) -> None:
    """SLO sheet + paired regression test: PASS (0), FAIL (1), INCONCLUSIVE (0, or 4 with
    --strict), incomplete run (3)."""
    from harness.analysis.gate import GateConfig, run_gate
    from harness.reporting.markdown import gate_markdown

    config = GateConfig(margin=margin, alpha=alpha, metrics=metrics or None, model=model,
                        max_error_rate=max_error_rate)
    result = run_gate(_store(db_path), run_ref, baseline, config)
    md = gate_markdown(result)
    _outputs(result, md, junit_path, md_path, json_path)
    if md_path != "-":
        _show_markdown(md)
    code = result.exit_code(strict=strict)
    line = escape(result.headline())
    if result.verdict == "INCONCLUSIVE":
        err.print(f"[yellow]warning[/]: {line}" + ("" if strict else " (exit 0; --strict: 4)"))
    elif result.verdict != "PASS":
        err.print(f"[red]{line}[/]")
    raise click.exceptions.Exit(code)


def _outputs(result: Any, md: str, junit_path: str | None, md_path: str | None,
             json_path: str | None) -> None:
    from harness.reporting.junit import gate_junit

    if junit_path:
        _write(junit_path, gate_junit(result))
    if md_path:
        _write(md_path, md)
    if json_path:
        _write(json_path, json.dumps(result.as_dict(), indent=2, default=str) + "\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(md + "\n")


# --------------------------------------------------------------------------- rescore


@cli.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--suite", "suite_path", type=click.Path(dir_okay=False),
              help="Suite file whose checks to apply (default: the run's own file).")
@click.option("--tag", "tags", multiple=True, help="Tag the new run; repeatable.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(min=1),
              help="Rows scored at once (matters only for LLM-judge checks).")
@_db_option
def rescore(run_ref: str, suite_path: str | None, tags: tuple[str, ...], concurrency: int,
            db_path: str | None) -> None:
    """Re-score a run's stored outputs with today's scorers into a new run. The models under
    test are not called; LLM-judge checks call their judge, as in a run."""
    from harness.pipeline.rescore import rescore_run

    result = rescore_run(_store(db_path), run_ref, suite_path=suite_path, tags=tags,
                         concurrency=concurrency)
    c = result.counts
    out.print(f"run [cyan]{result.run_id}[/] re-scored from {result.parent_id}: "
              f"pass {c['pass']}  fail {c['fail']}  error {c['error']}; "
              f"{len(result.flipped)} results changed outcome")
    for case_id, repeat, old, new in result.flipped[:20]:
        out.print(f"  {escape(case_id)} #{repeat}: {old} -> {new}")
    if len(result.flipped) > 20:
        out.print(f"  ...and {len(result.flipped) - 20} more")
    if result.from_snapshot:
        err.print(f"[yellow]note[/]: {len(result.from_snapshot)} cases are no longer in the "
                  "suite file; they were scored from the run's snapshot")

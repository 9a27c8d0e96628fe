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

    from harness.analysis.summary import with_verdict_counts
    from harness.reporting.console import runs_table

    store = _store(db_path)
    rows = with_verdict_counts(store, store.list_runs(suite=suite, limit=limit))
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        err.print("no runs stored yet")
    else:
        out.print(runs_table(rows))


@cli.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json", "junit"]),
              required=True)
@click.option("--baseline", default=None, metavar="RUN",
              help="Compare with this run (an id, `latest` or a tag); html, md and junit.")
@click.option("--model", default=None, help="The model to report on, when the run has several.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write; '-' for stdout. Default: reports/RUN.html|md|json|xml",
)
@_db_option
def report(run_ref: str, fmt: str, baseline: str | None, model: str | None,
           output: str | None, db_path: str | None) -> None:
    """Write a report of a stored run: a self-contained HTML page, Markdown, JSON or JUnit."""
    store = _store(db_path)
    run_id = store.resolve_run_id(run_ref)
    text = _render_report(store, run_id, fmt, baseline, model)
    if output == "-":
        click.echo(text, nl=False)
        return
    suffix = {"junit": "xml"}.get(fmt, fmt)
    path = Path(output or f"reports/{run_id}.{suffix}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    err.print(f"wrote {path}")


def _render_report(store: object, run_id: str, fmt: str, baseline: str | None,
                   model: str | None) -> str:
    """One renderer per format; md and junit are the gate's (SLO sheet, comparison, cases).

    A run of several models without --model: md and html show the models side by side, json
    adds them under `models`; junit (one verdict) still needs --model."""
    if fmt == "json":
        from harness.reporting.json_report import report_json

        return report_json(store, run_id, model=model)  # type: ignore[arg-type]
    if model is None and fmt in ("md", "html"):
        from harness.analysis.side_by_side import run_models, side_by_side

        if len(run_models(store, run_id)) > 1:
            from harness.reporting import side_by_side as render

            sbs = side_by_side(store, run_id)
            return render.models_markdown(sbs) if fmt == "md" else render.models_html(sbs)
    if fmt == "html":
        from harness.reporting.html import ReportOptions, report_html

        return report_html(store, run_id, ReportOptions(baseline=baseline, model=model))
    from harness.analysis.gate import GateConfig, run_gate

    result = run_gate(store, run_id, baseline, GateConfig(model=model))
    if fmt == "md":
        from harness.reporting.markdown import gate_markdown

        return gate_markdown(result)
    from harness.reporting.junit import gate_junit

    return gate_junit(result)

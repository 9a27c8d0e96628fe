"""`harness monitor`: control charts and drift over run history; exit 1 on an alarm."""

from __future__ import annotations

import json
import os

import click
from rich.markup import escape

from harness.cli import _db_option, _store, cli, err, out

WEBHOOK_ENV = "HARNESS_WEBHOOK_URL"


@cli.command()
@click.argument("suite", required=False)
@click.option("--reference", type=click.IntRange(3), default=10, show_default=True,
              help="The first N runs of each series set the centre lines and limits.")
@click.option("--recent", type=click.IntRange(1), default=1, show_default=True,
              help="Signals at the newest N runs alarm; drift compares them with the reference.")
@click.option("--metric", "metrics", multiple=True,
              help="Metric to chart (repeatable). Default: pass rate, right first time, error "
                   "rate, latency p95, cost per case and the suite's SLO metrics.")
@click.option("--strict", is_flag=True,
              help="The run rules (Western Electric 3 and 4) alarm too, not only watch.")
@click.option("--all-versions", is_flag=True, help="Chart runs of older suite versions too.")
@click.option("--webhook", metavar="URL", default=None,
              help=f"POST alarms as JSON to this URL (default: ${WEBHOOK_ENV}).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_db_option
def monitor(suite: str | None, reference: int, recent: int, metrics: tuple[str, ...],
            strict: bool, all_versions: bool, webhook: str | None, fmt: str,
            db_path: str | None) -> None:
    """Watch every metric of SUITE (default: every suite) over its runs; exit 1 on an alarm."""
    from harness.analysis.monitor import MonitorConfig
    from harness.analysis.monitor import monitor as run_monitor
    from harness.analysis.monitor.alerts import check_url

    url = webhook or os.environ.get(WEBHOOK_ENV) or None
    if url:
        check_url(url)
    config = MonitorConfig(reference=reference, recent=recent, metrics=metrics or None,
                           strict=strict, all_versions=all_versions)
    result = run_monitor(_store(db_path), suite, config)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        _print(result)
    if url and result.alarms:
        _alert(url, result)
    raise click.exceptions.Exit(result.exit_code)


def _print(result: object) -> None:
    from harness.analysis.monitor.console import monitor_renderable

    out.print(monitor_renderable(result))  # type: ignore[arg-type]


def _alert(url: str, result: object) -> None:
    from harness.analysis.monitor.alerts import AlertError, WebhookConfig, payload, send

    alarms = result.alarms  # type: ignore[attr-defined]
    body = payload([f"harness monitor: {len(alarms)} alarm(s)"] + [a.message for a in alarms],
                   [a.as_dict() for a in alarms])
    try:
        attempts = send(WebhookConfig(url), body)
    except AlertError as exc:
        err.print(f"[red]webhook[/]: {escape(str(exc))}")
        return
    err.print(f"alerted {escape(url)} ({attempts} attempt{'s' if attempts > 1 else ''})")

"""`harness score`: score existing outputs (e.g. production logs) without calling a model."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import IO, Any

import click
from rich.markup import escape

from harness.cli import _db_option, _store, cli, err
from harness.errors import FileError, UsageError


@contextlib.contextmanager
def _open(path: str, mode: str, std: IO[str]) -> Iterator[IO[str]]:
    """A file, or stdin/stdout for `-`; a missing file is a usage error (exit 2)."""
    if path == "-":
        yield std
        return
    try:
        stream = open(path, mode, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise FileError(path, f"cannot open: {exc.strerror or exc}") from exc
    with stream:
        yield stream


@cli.command()
@click.argument("check")
@click.option("--input", "-i", "input_path", required=True,
              help="JSONL rows to score (- for stdin).")
@click.option("--output", "-o", "output_path", default="-", show_default=True,
              help="Where scored rows go (JSONL; - for stdout).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A check parameter; the value is read as YAML/JSON (3, true, [a, b]).")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Rows scored at once (matters for judge-type checks).")
@click.option("--store-as", "store_as", metavar="SUITE", default=None,
              help="Also store the scored rows as a monitoring run of SUITE (production "
                   "traffic), watched by `harness monitor`.")
@click.option("--run", "append_to", metavar="RUN", default=None,
              help="With --store-as: add these scores to that monitoring run.")
@_db_option
def score(
    check: str, input_path: str, output_path: str, settings: tuple[str, ...], concurrency: int,
    store_as: str | None = None, append_to: str | None = None, db_path: str | None = None,
) -> None:
    """Score rows {"id", "input"?, "output", "context"?, "expected"?, ...} with one CHECK.

    CHECK is a check type (`json`, `instructions`...), an inline mapping
    ("{type: regex, pattern: '\\d+'}") or a YAML file holding one check. Other fields of a row
    are case data: check parameters (e.g. `schema`) override the check for that row, case
    fields (`expect`, `canary`, `tools`...) go to the case, the rest to its metadata.
    """
    from harness.pipeline.offline import parse_setting, read_jsonl, score_rows, write_jsonl

    overrides = dict(parse_setting(item) for item in settings)
    if db_path is not None and not store_as:
        # a usage error, not a warning: in a pipeline a warning scrolls by, and the user
        # would believe the scores were stored (as `--run` without --store-as is refused)
        raise UsageError("--db is only used with --store-as SUITE: without it `harness "
                         "score` stores nothing (drop --db, or add --store-as)")
    if store_as:
        _store(db_path)  # a --db that is no SQLite database fails before any row is scored
    with _open(input_path, "r", sys.stdin) as source, _open(output_path, "w", sys.stdout) as sink:
        name = "<stdin>" if input_path == "-" else input_path
        recorder = _recorder(store_as, append_to)
        source_rows = read_jsonl(source, name)
        rows = score_rows(check, recorder.inputs_of(source_rows) if recorder else source_rows,
                          settings=overrides, concurrency=concurrency)
        counts = write_jsonl(recorder.outputs_of(rows) if recorder else rows, sink)
    total = sum(counts.values())
    parts = "  ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    err.print(f"scored {total} rows  {escape(parts)}")
    if recorder is not None and store_as:
        _store_monitoring(check, store_as, append_to, db_path, recorder)


def _recorder(store_as: str | None, append_to: str | None) -> Any:
    """Keeps inputs and scored rows when they are to be stored as a monitoring run."""
    if append_to and not store_as:
        raise UsageError("--run needs --store-as SUITE")
    from harness.pipeline.production import Recorder

    return Recorder() if store_as else None


def _store_monitoring(check: str, suite: str, append_to: str | None, db_path: str | None,
                      recorder: Any) -> None:
    from harness.pipeline.offline import parse_check
    from harness.pipeline.production import store_monitoring_run

    check_type = str(parse_check(check).get("type"))
    run_id = store_monitoring_run(_store(db_path), suite, recorder.pairs(), run_id=append_to,
                                  check_type=check_type)
    err.print(f"stored as monitoring run {run_id} of {escape(suite)}")
    from harness.cli.review import route_line
    from harness.review.routing import route_run

    # production traffic goes through the same review routing as a suite run (issue 6)
    err.print(route_line(route_run(_store(db_path), run_id)), markup=False)

"""The `harness` command: parse, call one library function, print, pick the exit code.

This package is the only place that prints. Each module holds the commands of one area and
registers them on `cli` when imported (on first use: see COMMAND_MODULES); this file holds
the group, the shared options and `main`. Every
`HarnessError` becomes one line on stderr and its class's exit code; a user's mistake never
shows a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from rich.markup import escape

from harness import __version__
from harness.errors import HarnessError
from harness.reporting.terminal import InertConsole

F = TypeVar("F", bound=Callable[..., Any])

# every terminal view (runs, review, reports, errors) shows hostile control characters in
# model output or suite contents as escapes instead of sending them (reporting/terminal.py)
out = InertConsole(highlight=False, soft_wrap=True)
err = InertConsole(stderr=True, highlight=False, soft_wrap=True)


def _db_option(f: F) -> F:
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), default=None,
        help="SQLite database (default: $HARNESS_DB or ./harness.db).",
    )(f)


def _store(db_path: str | None) -> Any:
    from harness.store import RunStore, open_db

    return RunStore(open_db(db_path))


# Command -> the module that defines it. Modules load when their command is used, so
# `harness run` does not import the review server, the gate's Markdown renderer or the
# monitors (about 0.1 s of a start-up that counts against "first request within 1 s").
COMMAND_MODULES = {
    "run": "run", "runs": "reports", "report": "reports", "check": "files", "schema": "files",
    "score": "score", "compare": "gate", "gate": "gate", "rescore": "gate",
    "monitor": "monitor", "review": "review", "serve": "review",
    "init": "project", "list": "project", "delete": "manage", "cache": "manage",
}


class _LazyGroup(click.Group):
    """A click group whose commands are imported on first use (click's documented pattern
    for large CLIs); `harness --help` lists them all, loading every module."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"harness.cli.{COMMAND_MODULES[cmd_name]}")
        return self.commands.get(cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harness")
def cli() -> None:
    """Evaluate and guard LLM applications: suites in, evidence and verdicts out."""


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

"""Calling the command line from a test: the real `harness.cli.main`, its exit code and what
it printed (pytest's `capsys` captures it)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.cli import main


def run_cli(capsys: Any, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `harness ARGS...`."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err

"""Regular expressions a user (or a row) supplies, matched under a time limit.

A pattern such as `^(\\w+\\s?)+$` backtracks exponentially on a hostile 35-character output;
Python's `re` holds the interpreter while it does, so no thread, timeout or Ctrl-C can stop
it. These patterns are compiled with the `regex` module (the same syntax as `re` for all a
check needs) and searched with a timeout: a search that runs out of time raises
`PatternTimeout`, which a check records as `unscored`, never as a pass or a fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import regex

# seconds one search may take on one text (HARNESS_PATTERN_TIMEOUT)
DEFAULT_TIMEOUT_S = 1.0

IGNORECASE = regex.IGNORECASE
MULTILINE = regex.MULTILINE
DOTALL = regex.DOTALL
FLAGS = {"ignorecase": IGNORECASE, "multiline": MULTILINE, "dotall": DOTALL}


class PatternTimeout(Exception):
    """A search ran past its time limit (the pattern backtracks badly on this text)."""

    def __init__(self, pattern: str, seconds: float) -> None:
        super().__init__(f"pattern /{pattern}/ took over {seconds:g} s on this text "
                         "(catastrophic backtracking?); not decided")
        self.pattern = pattern
        self.seconds = seconds


def timeout_s() -> float:
    try:
        value = float(os.environ.get("HARNESS_PATTERN_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if 0 < value < 3600 else DEFAULT_TIMEOUT_S


def compile_pattern(pattern: str, flags: int = 0) -> Any:
    """Compile; an invalid pattern raises ValueError with the engine's message."""
    try:
        return regex.compile(pattern, flags | regex.VERSION0)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise ValueError(f"invalid regular expression: {exc}") from exc


def search(compiled: Any, text: str, seconds: float | None = None) -> Any:
    """`compiled.search(text)` within `seconds`, else PatternTimeout."""
    seconds = timeout_s() if seconds is None else seconds
    try:
        return compiled.search(text, timeout=seconds)
    except TimeoutError as exc:
        raise PatternTimeout(compiled.pattern, seconds) from exc


def finditer(compiled: Any, text: str, seconds: float | None = None) -> Iterator[Any]:
    """Every match, the whole scan within `seconds`, else PatternTimeout."""
    seconds = timeout_s() if seconds is None else seconds
    try:
        yield from compiled.finditer(text, timeout=seconds)
    except TimeoutError as exc:
        raise PatternTimeout(compiled.pattern, seconds) from exc

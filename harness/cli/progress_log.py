"""Progress of `harness run` without a terminal: a periodic line on stderr for CI logs.

A terminal gets the live bar (`harness.cli.run`); a pipe or a log file got nothing until the
summary, so a long CI job looked hung. `ProgressLog` prints one line, e.g.

    support-bot v4: 12/40 done, 3 failed, 2 errors, 30 s

every `every` results (default a tenth of the run, so about ten lines whatever its size) and
at least every `interval_s` seconds while the run goes on, results or not (default 15 s: a
heartbeat for a slow provider). Whichever comes first; never more. Both can be set with
`HARNESS_PROGRESS_EVERY` (results) and `HARNESS_PROGRESS_INTERVAL` (seconds; 0 turns the
heartbeat off). Lines go to stderr, like all progress: stdout holds only the summary.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

EVERY_ENV = "HARNESS_PROGRESS_EVERY"
INTERVAL_ENV = "HARNESS_PROGRESS_INTERVAL"
DEFAULT_INTERVAL_S = 15.0


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= 0 else default


class ProgressLog:
    """Periodic plain progress lines through `console` (a rich Console, stderr)."""

    def __init__(self, console: Any, label: str, total: int, *, every: int | None = None,
                 interval_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console, self.label, self.total, self.clock = console, label, total, clock
        default_every = max(1, math.ceil(total / 10))
        self.every = every or int(_env_number(EVERY_ENV, default_every)) or default_every
        self.interval_s = (interval_s if interval_s is not None
                           else _env_number(INTERVAL_ENV, DEFAULT_INTERVAL_S))
        self.started = self.last_at = clock()
        self.counts: dict[str, int] = {"pass": 0, "fail": 0, "error": 0}
        self.last_done = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ProgressLog:
        if self.interval_s > 0:
            self._thread = threading.Thread(target=self._beat, name="progress-log", daemon=True)
            self._thread.start()
        return self

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def update(self, counts: Mapping[str, int]) -> None:
        """After each result: a line every `every` results."""
        with self._lock:
            self.counts = dict(counts)
            if self.done - self.last_done >= self.every:
                self._line()

    def heartbeat(self) -> None:
        """A line when none was printed for `interval_s` seconds."""
        with self._lock:
            if self.interval_s > 0 and self.clock() - self.last_at >= self.interval_s:
                self._line()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def line(self) -> str:
        c = self.counts
        return (f"{self.label}: {self.done}/{self.total} done, {c.get('fail', 0)} failed, "
                f"{c.get('error', 0)} errors, {self.clock() - self.started:.0f} s")

    def _line(self) -> None:
        self.console.print(self.line(), markup=False, highlight=False, soft_wrap=True)
        self.last_at, self.last_done = self.clock(), self.done

    def _beat(self) -> None:
        while not self._stopped.wait(min(self.interval_s, 1.0)):
            self.heartbeat()

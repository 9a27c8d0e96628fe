"""`harness.evaluate`: load a suite, run it, score and store every result, route for review.

    import harness
    result = harness.evaluate("suites/support.yaml", harness.RunConfig(models=("openai:gpt-4o",)))
    result.run_id, result.outcome.status, result.routed.queued

The one entry point behind `harness run` and the pytest plugin, so every way of running a
suite queues the same results for review. Routing runs after the last result is stored and
is uninterruptible: a Ctrl-C (or SIGTERM) meanwhile is raised once the queue is written, so
an interrupted routing never leaves a complete run nobody would review.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.models import CaseResult
from harness.pipeline.runner import RunConfig, RunOutcome, run_suite
from harness.review.routing import RouteReport, route_run
from harness.store import RunStore, open_db
from harness.suites import LoadedSuite, load_suite


@dataclass(frozen=True)
class Evaluation:
    """What one `evaluate` call did: the run (its id, status and counts) and its routing."""

    outcome: RunOutcome
    routed: RouteReport | None  # None when routing was turned off (`route=False`)

    @property
    def run_id(self) -> str:
        return self.outcome.run_id


async def evaluate_async(
    suite: LoadedSuite | str | Path,
    config: RunConfig,
    store: RunStore | str | Path | None = None,
    *,
    route: bool = True,
    on_start: Callable[[str, int], None] | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> Evaluation:
    """`evaluate` for callers already inside an event loop."""
    loaded = suite if isinstance(suite, LoadedSuite) else load_suite(suite)
    run_store = store if isinstance(store, RunStore) else RunStore(open_db(store))
    outcome = await run_suite(loaded, config, run_store, on_start=on_start, on_result=on_result)
    routed = None
    if route:
        with interrupts_deferred():
            routed = route_run(run_store, outcome.run_id, suite=loaded)
    return Evaluation(outcome=outcome, routed=routed)


def evaluate(
    suite: LoadedSuite | str | Path,
    config: RunConfig | None = None,
    store: RunStore | str | Path | None = None,
    *,
    route: bool = True,
    on_start: Callable[[str, int], None] | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> Evaluation:
    """Load (a path) or take (a LoadedSuite) a suite, run it under `config` (default: the
    suite's own models, once each), store every result in `store` (a RunStore, a database
    path, or None for $HARNESS_DB / ./harness.db) and queue for review what the suite's
    routing policy says a person must see. Resumes when `config.resume` names a run."""
    return asyncio.run(evaluate_async(suite, config or RunConfig(), store, route=route,
                                      on_start=on_start, on_result=on_result))


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """SIGINT (and SIGTERM) during the block are held and raised as KeyboardInterrupt
    when it ends; outside the main thread, a plain block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda n, _f: held.append(n)) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if held:
        raise KeyboardInterrupt

"""A real OpenAI-compatible chat-completions server for tests and benchmarks.

Tests exercise the real HTTP path (sockets, keep-alive, status codes, Retry-After, broken
bodies) instead of mocking the client, and the benchmark needs a server cheap enough to take
hundreds of requests a second on two cores, so this is raw asyncio streams with no framework.

Routes: ``POST /v1/chat/completions`` (and ``/chat/completions``), ``POST /v1/messages`` (the
same answers in Anthropic's shape), ``POST /v1/echo`` (any JSON in,
``{"output": {"text": ...}, "received": body}`` out; for the ``http:`` provider),
``GET /v1/models``, and ``GET /_fake/stats`` (counters; not itself counted).

What it answers is steered by markers in the last user message (`harness.testing.markers`) and
by a `FaultPlan` (`harness.testing.faults`). Every request is recorded so tests can assert on
what was actually sent.

Three ways to run it: ``async with FakeOpenAI() as server`` in the current loop;
``with serve_in_thread() as server`` in a background thread (sync tests, benchmarks); or
``python -m harness.testing.fake_openai --port 0 --latency 0.05`` as its own process (prints
its base URL on stdout once listening).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from harness.testing.faults import FaultPlan, FaultRule
from harness.testing.server import FakeOpenAI, RecordedRequest

__all__ = [
    "FakeOpenAI",
    "FaultPlan",
    "FaultRule",
    "MakeFakeOpenAI",
    "RecordedRequest",
    "ServerThread",
    "main",
    "serve_in_thread",
]

MakeFakeOpenAI = Callable[..., FakeOpenAI]  # the type of the `make_fake_openai` test fixture


# ---------------------------------------------------------------------- background thread


class ServerThread:
    """Runs a FakeOpenAI on its own event loop in a daemon thread."""

    def __init__(self, server: FakeOpenAI) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fake-openai", daemon=True)

    def start(self, timeout: float = 10.0) -> FakeOpenAI:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the fake OpenAI server did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the fake OpenAI server failed to start: {self._error}")
        return self.server

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)

    def _run(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.server.start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self.server.stop())
        loop.close()


@contextlib.contextmanager
def serve_in_thread(**options: Any) -> Iterator[FakeOpenAI]:
    """``with serve_in_thread(latency=0.05) as server: ...``; options as for FakeOpenAI."""
    runner = ServerThread(FakeOpenAI(**options))
    runner.start()
    try:
        yield runner.server
    finally:
        runner.stop()


# ---------------------------------------------------------------------- separate process


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--fail-first", type=int, default=0, help="fail the first N requests")
    parser.add_argument("--fail-with", default="500", help="fault for --fail-first")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="random fault probability")
    parser.add_argument("--fault", action="append", help="random fault names (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--api-key", default=None, help="require this bearer token")
    parser.add_argument("--record", action="store_true", help="keep every request in memory")
    return parser.parse_args(argv)


def _server_from_args(args: argparse.Namespace) -> FakeOpenAI:
    plan = FaultPlan(
        fail_first=args.fail_first,
        fail_first_with=args.fail_with,
        random_rate=args.fault_rate,
        random_faults=tuple(args.fault or ["500"]),
        seed=args.seed,
        retry_after=args.retry_after,
    )
    return FakeOpenAI(
        host=args.host,
        port=args.port,
        latency=args.latency,
        faults=plan,
        api_key=args.api_key,
        record=args.record,
    )


async def _serve_forever(server: FakeOpenAI) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with server:
        print(server.base_url, flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the server until SIGINT/SIGTERM; the first stdout line is its base URL."""
    server = _server_from_args(_parse_args(argv))
    asyncio.run(_serve_forever(server))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

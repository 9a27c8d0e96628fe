"""`RateLimit`: how many requests may be in flight, and how often one may start.

It also measures queueing: the time a request waits here (for a slot, then for its start
under the pace) and for a connection of the adapter's pool becomes the completion's
`queue_ms`, kept out of its `latency_ms`. A server that queues requests itself cannot be seen
from here: that wait is part of the latency (run `-j 1` against a one-slot server).

It sits inside Retry on purpose: every retry attempt takes a fresh slot and counts against the
requests-per-minute pace, and a request that is backing off holds no slot while it sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from harness.models import Completion
from harness.providers.base import Provider, Request
from harness.providers.common import POOL_WAIT, elapsed_ms
from harness.providers.wrappers.base import Wrapper


class Pacer:
    """Starts at most `rpm` requests a minute, evenly spaced (no bursts, no busy-waiting).

    Each caller reserves the next free start time, 60/rpm seconds after the previous one, and
    sleeps until it. Reserving is synchronous, so concurrent callers never share a slot. The
    bucket holds one token: after an idle spell the next request starts at once, but a crowd
    that arrives together is still spread out.
    """

    def __init__(
        self,
        rpm: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rpm <= 0:
            raise ValueError("rpm must be positive")
        self.interval = 60.0 / rpm
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")

    async def wait(self) -> None:
        now = self._clock()
        start = max(now, self._next)
        self._next = start + self.interval
        if start > now:
            await self._sleep(start - now)


class RateLimit(Wrapper):
    """At most `concurrency` requests in flight and, optionally, `rpm` starts a minute."""

    def __init__(
        self,
        inner: Provider,
        concurrency: int,
        rpm: float | None = None,
        *,
        pacer: Pacer | None = None,
    ) -> None:
        super().__init__(inner)
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self.pacer = pacer or (Pacer(rpm) if rpm else None)

    async def complete(self, request: Request) -> Completion:
        asked = time.perf_counter()
        # slot first, then pace: pacing while queued for a slot would let starts bunch up
        async with self._slots:
            if self.pacer is not None:
                await self.pacer.wait()
            waited = elapsed_ms(asked)
            box = [0.0]
            token = POOL_WAIT.set(box)
            try:
                completion = await self.inner.complete(request)
            finally:
                POOL_WAIT.reset(token)
        return queued(completion, waited, box[0])


def queued(completion: Completion, waited_ms: float, pool_ms: float) -> Completion:
    """`completion` with the time it queued on our side (a slot, the pace, then a pooled
    connection) as `queue_ms`, and its latency without the pool wait the adapter's clock
    could not tell apart. Only the attempt that answered counts (a retry queues again)."""
    latency = max(0.0, completion.latency_ms - pool_ms)
    queue = (completion.queue_ms or 0.0) + waited_ms + pool_ms
    return completion.model_copy(update={"latency_ms": latency, "queue_ms": queue})

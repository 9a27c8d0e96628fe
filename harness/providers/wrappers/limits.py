"""`RateLimit`: how many requests may be in flight, and how often one may start.

It sits inside Retry on purpose: every retry attempt takes a fresh slot and counts against the
requests-per-minute pace, and a request that is backing off holds no slot while it sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from harness.models import Completion
from harness.providers.base import Provider, Request
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
        # slot first, then pace: pacing while queued for a slot would let starts bunch up
        async with self._slots:
            if self.pacer is not None:
                await self.pacer.wait()
            return await self.inner.complete(request)

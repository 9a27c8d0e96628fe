"""Time-bound and retry a call: `Timeout` and `Retry`.

Adapters only classify failures; these two decide what to do about them, so every provider
gets the same, tested behaviour (bounded attempts, backoff with jitter, Retry-After honoured).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from harness.errors import ProviderError
from harness.models import Completion
from harness.providers.base import Provider, Request
from harness.providers.wrappers.base import Wrapper

log = logging.getLogger("harness.providers")

Sleep = Callable[[float], Awaitable[None]]


class Timeout(Wrapper):
    """Gives each request `seconds` to answer; a late one is a retryable `timeout` error."""

    def __init__(self, inner: Provider, seconds: float) -> None:
        super().__init__(inner)
        self.seconds = seconds

    async def complete(self, request: Request) -> Completion:
        try:
            async with asyncio.timeout(self.seconds):
                return await self.inner.complete(request)
        except TimeoutError as exc:
            raise ProviderError(
                f"{self.name}: no answer within {self.seconds:g} s",
                kind="timeout",
                retryable=True,
            ) from exc


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


class Retry(Wrapper):
    """Retries retryable ProviderErrors with exponential backoff and jitter.

    Waits at least the server's Retry-After (capped at `retry_after_cap`, so a server asking
    for an hour cannot stall a run). The attempt count lands on the result: `attempts` on the
    Completion, `.attempts` on the final ProviderError. `sleep` and `rng` are injectable so
    tests can check the waits without spending them.
    """

    def __init__(
        self,
        inner: Provider,
        max_attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        *,
        retry_after_cap: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(inner)
        self.max_attempts = max(1, max_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.retry_after_cap = retry_after_cap
        self._rng = rng or random.Random()
        self._retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait_for,
            retry=retry_if_exception(_retryable),
            sleep=sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )

    async def complete(self, request: Request) -> Completion:
        attempts = 0

        async def attempt() -> Completion:
            nonlocal attempts
            attempts += 1
            return await self.inner.complete(request)

        try:
            # a copy per call: tenacity keeps per-run state on the object
            completion: Completion = await self._retrying.copy()(attempt)
        except ProviderError as exc:
            exc.attempts = attempts
            raise
        return completion.model_copy(update={"attempts": attempts})

    def backoff(self, attempt: int) -> float:
        """Equal jitter: half of the exponential step is fixed, half random, so retries from
        many concurrent requests spread out but none retries almost at once."""
        step = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return step / 2 + self._rng.uniform(0, step / 2)

    def wait_for(self, state: RetryCallState) -> float:
        """Seconds before the next attempt: the backoff, or Retry-After if that is longer."""
        wait = self.backoff(state.attempt_number)
        error = state.outcome.exception() if state.outcome else None
        hint = getattr(error, "retry_after", None)
        if hint is not None:
            wait = max(wait, min(float(hint), self.retry_after_cap))
        return wait

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info(
            "%s: attempt %d failed (%s); retrying in %.2f s",
            self.name,
            state.attempt_number,
            getattr(error, "kind", "error"),
            wait,
        )

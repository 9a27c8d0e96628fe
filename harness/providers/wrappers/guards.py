"""Stop calling a provider when it is down (`CircuitBreaker`) or the money is spent (`Budget`).

Both turn what would be hundreds of slow, identical failures into an immediate, explained one.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import BudgetExhausted, ProviderError
from harness.models import Completion
from harness.providers.base import Provider, Request
from harness.providers.wrappers.base import Wrapper

# Failures that say the provider itself is unwell. A `client` error (e.g. one case's prompt is
# too long) or an `exception` in a user's function is about that request, so it neither counts
# nor resets the count.
PROVIDER_FAILURES = frozenset(
    {"rate_limit", "server", "timeout", "connection", "malformed", "auth", "config"}
)


def is_provider_failure(error: ProviderError) -> bool:
    return error.kind in PROVIDER_FAILURES


class CircuitBreaker(Wrapper):
    """After `threshold` consecutive provider failures (after retries), fail fast.

    Once open it stays open for the rest of the run: a batch gains nothing from probing a
    provider that failed ten times in a row. A half-open state would go in `_check`.
    """

    def __init__(
        self,
        inner: Provider,
        threshold: int,
        *,
        counts: Callable[[ProviderError], bool] = is_provider_failure,
    ) -> None:
        super().__init__(inner)
        self.threshold = threshold
        self.counts = counts
        self.failures = 0
        self.opened_by: ProviderError | None = None

    @property
    def is_open(self) -> bool:
        return self.opened_by is not None

    async def complete(self, request: Request) -> Completion:
        self._check()
        try:
            completion = await self.inner.complete(request)
        except ProviderError as error:
            self._failed(error)
            raise
        self.failures = 0
        return completion

    def _check(self) -> None:
        if self.opened_by is None:
            return
        cause = self.opened_by
        raise ProviderError(
            f"{self.name}: circuit open after {self.threshold} consecutive failures; "
            f"the last: {cause.kind}: {cause}",
            kind="circuit_open",
            retryable=False,
            status=cause.status,
        )

    def _failed(self, error: ProviderError) -> None:
        if not self.counts(error):
            return
        self.failures += 1
        if self.failures >= self.threshold and self.opened_by is None:
            self.opened_by = error


class Budget:
    """A run's spending limit, shared by every provider stack in the run.

    Checked before each call and charged after it, so concurrent calls already in flight can
    overshoot the limit by at most their own cost.
    """

    def __init__(self, limit_usd: float | None = None) -> None:
        self.limit_usd = limit_usd
        self.spent_usd = 0.0

    def __repr__(self) -> str:
        return f"Budget(limit_usd={self.limit_usd!r}, spent_usd={self.spent_usd:.6f})"

    def add(self, cost: float | None) -> None:
        self.spent_usd += cost or 0.0

    @property
    def exhausted(self) -> bool:
        return self.limit_usd is not None and self.spent_usd >= self.limit_usd

    @property
    def remaining_usd(self) -> float | None:
        return None if self.limit_usd is None else max(0.0, self.limit_usd - self.spent_usd)


class BudgetGuard(Wrapper):
    """Refuses to call once the budget is spent; charges each completion's cost to it."""

    def __init__(self, inner: Provider, budget: Budget) -> None:
        super().__init__(inner)
        self.budget = budget

    async def complete(self, request: Request) -> Completion:
        if self.budget.exhausted:
            raise BudgetExhausted(
                f"budget of ${self.budget.limit_usd:g} spent (${self.budget.spent_usd:.4f}); "
                f"{self.name} was not called"
            )
        completion = await self.inner.complete(request)
        self.budget.add(completion.cost_usd)
        return completion

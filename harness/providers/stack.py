"""`build_stack`: an adapter wrapped in the standard layers, configured by `StackSettings`.

Outermost first: Cached ▸ BudgetGuard ▸ CircuitBreaker ▸ Retry ▸ RateLimit ▸ Timeout ▸ adapter
(see `harness.providers.wrappers` for why this order). DESIGN.md's "rate limit ▸ cache ▸
retry" would make cache hits queue for rate-limit slots and let backing-off retries hold them.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import UsageError
from harness.models import ModelSpec
from harness.providers.base import Provider
from harness.providers.registry import create_provider
from harness.providers.wrappers import (
    Budget,
    BudgetGuard,
    Cached,
    CircuitBreaker,
    RateLimit,
    ResponseCache,
    Retry,
    Timeout,
)


@dataclass(frozen=True)
class StackSettings:
    """How hard to push one provider. Zero or None switches a layer off where noted."""

    timeout_s: float | None = 60.0  # per attempt; None or 0: no timeout
    max_attempts: int = 4  # 1: no retry
    base_delay: float = 0.5
    max_delay: float = 30.0
    concurrency: int = 8
    rpm: float | None = None  # requests started per minute; None: unpaced
    circuit_threshold: int = 10  # consecutive provider failures; 0: no circuit breaker
    retry_after_cap: float = 60.0

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError(f"concurrency must be at least 1, not {self.concurrency}")
        if self.max_attempts < 1:
            raise UsageError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.rpm is not None and self.rpm <= 0:
            raise UsageError(f"rpm must be positive, not {self.rpm}")
        if self.circuit_threshold < 0:
            raise UsageError("circuit_threshold must be 0 (off) or more")


def build_stack(
    spec: ModelSpec,
    settings: StackSettings | None = None,
    *,
    cache: ResponseCache | None = None,
    budget: Budget | None = None,
    adapter: Provider | None = None,
) -> Provider:
    """The full provider for `spec`. `adapter` replaces `create_provider(spec)` (tests)."""
    settings = settings or StackSettings()
    provider = adapter or create_provider(spec)
    scope = getattr(provider, "cache_scope", None)
    per_case = bool(getattr(provider, "cache_per_case", False))
    if settings.timeout_s:
        provider = Timeout(provider, settings.timeout_s)
    provider = RateLimit(provider, settings.concurrency, settings.rpm)
    if settings.max_attempts > 1:
        provider = Retry(
            provider,
            settings.max_attempts,
            settings.base_delay,
            settings.max_delay,
            retry_after_cap=settings.retry_after_cap,
        )
    if settings.circuit_threshold > 0:
        provider = CircuitBreaker(provider, settings.circuit_threshold)
    if budget is not None:
        provider = BudgetGuard(provider, budget)
    if cache is not None:
        provider = Cached(provider, cache, spec.ref, scope=scope, per_case=per_case)
    return provider

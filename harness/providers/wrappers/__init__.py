"""Wrappers around a Provider, one concern each, stacked by `harness.providers.build_stack`.

Outermost first: Cached ▸ BudgetGuard ▸ CircuitBreaker ▸ Retry ▸ RateLimit ▸ Timeout ▸ adapter.
A cache hit waits for nothing and costs nothing; the budget and the circuit see one outcome per
request (after retries); every retry attempt takes its own rate-limit slot and pace, and holds
no slot while it backs off; the timeout bounds one attempt, not the wait for a slot.
"""

from harness.providers.wrappers.base import Wrapper
from harness.providers.wrappers.cache import (
    KEY_SCHEME,
    Cached,
    MemoryCache,
    ResponseCache,
    cache_key,
    canonical_json,
)
from harness.providers.wrappers.guards import (
    PROVIDER_FAILURES,
    Budget,
    BudgetGuard,
    CircuitBreaker,
    is_provider_failure,
)
from harness.providers.wrappers.limits import Pacer, RateLimit
from harness.providers.wrappers.retry import Retry, Sleep, Timeout

__all__ = [
    "KEY_SCHEME",
    "PROVIDER_FAILURES",
    "Budget",
    "BudgetGuard",
    "Cached",
    "CircuitBreaker",
    "MemoryCache",
    "Pacer",
    "RateLimit",
    "ResponseCache",
    "Retry",
    "Sleep",
    "Timeout",
    "Wrapper",
    "cache_key",
    "canonical_json",
    "is_provider_failure",
]

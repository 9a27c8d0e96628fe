"""Model backends behind one small contract (`Provider`), and the layers stacked around them.

- `parse_ref`, `create_provider`, `register_provider`: which adapter serves ``provider:model``;
- `build_stack` with `StackSettings`: that adapter inside cache, budget, circuit breaker,
  retry, rate limit and timeout;
- `harness.providers.wrappers`: the layers themselves, usable one by one.
"""

from harness.providers.base import Provider, Request
from harness.providers.registry import (
    ENTRY_POINT_GROUP,
    ProviderFactory,
    create_provider,
    known_providers,
    parse_ref,
    register_provider,
)
from harness.providers.stack import StackSettings, build_stack
from harness.providers.wrappers import Budget, MemoryCache, ResponseCache

__all__ = [
    "ENTRY_POINT_GROUP",
    "Budget",
    "MemoryCache",
    "Provider",
    "ProviderFactory",
    "Request",
    "ResponseCache",
    "StackSettings",
    "build_stack",
    "create_provider",
    "known_providers",
    "parse_ref",
    "register_provider",
]

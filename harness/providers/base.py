"""The one contract every model backend meets.

A provider maps one request to its wire format and back, and classifies failures by
raising `ProviderError(kind=..., retryable=..., retry_after=...)`. It never loops, sleeps or
caches: retry, timeout, cache, rate limit, circuit breaker and budget are wrappers
(`harness.providers.wrappers`) stacked around it, one concern each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from harness.models import Completion


@dataclass(frozen=True, slots=True)
class Request:
    """One call to a model: the rendered conversation plus what identifies it."""

    model: str  # the part after "provider:", e.g. "gpt-4o-mini"
    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] | None = None
    case_id: str = ""
    repeat: int = 0
    vars: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    """`complete` returns a Completion or raises ProviderError. `name` is "provider:model"."""

    name: str

    async def complete(self, request: Request) -> Completion: ...

    async def aclose(self) -> None: ...

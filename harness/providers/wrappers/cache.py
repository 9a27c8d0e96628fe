"""`Cached`: the response cache, outermost in the stack.

Outermost so that a hit costs nothing: no rate-limit slot, no budget, no retry. The key is a
hash over everything that decides the answer, including the repeat index (repeats exist to
sample the model again, so repeat 1 must not be answered from repeat 0) and a scheme version
(changing what goes into the key bumps it, so old entries are never misread). Only successes
are stored: an error is about that moment, not about the request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from harness.models import Completion
from harness.providers.base import Provider, Request
from harness.providers.wrappers.base import Wrapper

KEY_SCHEME = "v1"


@runtime_checkable
class ResponseCache(Protocol):
    """Storage for completions by key; the SQLite one lives in `harness.store`."""

    def get(self, key: str) -> Completion | None: ...

    def put(self, key: str, completion: Completion) -> None: ...


class MemoryCache:
    """A dict-backed ResponseCache for tests and one-off runs."""

    def __init__(self) -> None:
        self.data: dict[str, Completion] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Completion | None:
        found = self.data.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: str, completion: Completion) -> None:
        self.data[key] = completion


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, so equal requests hash equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def cache_key(provider_ref: str, request: Request, scope: Mapping[str, Any] | None = None,
              *, per_case: bool = False) -> str:
    """sha256 hex of the canonical JSON of what decides the answer.

    `scope` is what the adapter adds beyond the request (the base URL it talks to, the hash
    of a `python:` model's code); it is left out of the key when None, so keys stay stable
    for adapters that have none. An adapter that gains a scope needs no new scheme: its new
    keys hold a `scope` its old ones lack, so an old entry is never read as a new one.
    """
    payload: dict[str, Any] = {
        "scheme": KEY_SCHEME,
        "provider": provider_ref,
        "model": request.model,
        "messages": request.messages,
        "params": request.params,
        "tools": request.tools,
        "repeat": request.repeat,
    }
    if scope is not None:
        payload["scope"] = dict(scope)
    if per_case:  # the system sees the case itself (python:, http: body templates)
        payload["case"] = {"id": request.case_id, "vars": request.vars}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


class Cached(Wrapper):
    """Answers from `cache` when it can; stores every success.

    A hit comes back with ``cached=True`` and ``attempts=0`` (no request was made this time)
    and the ``latency_ms`` the original call took, so latency figures describe the model, and
    a report can leave hits out of them by looking at `cached`.
    """

    def __init__(
        self,
        inner: Provider,
        cache: ResponseCache,
        provider_ref: str,
        *,
        scope: Mapping[str, Any] | None = None,
        per_case: bool = False,
    ) -> None:
        super().__init__(inner)
        self.cache = cache
        self.provider_ref = provider_ref
        self.scope = scope
        self.per_case = per_case

    async def complete(self, request: Request) -> Completion:
        key = cache_key(self.provider_ref, request, self.scope, per_case=self.per_case)
        hit = self.cache.get(key)
        if hit is not None:
            return hit.model_copy(update={"cached": True, "attempts": 0})
        completion = await self.inner.complete(request)
        self.cache.put(key, completion)
        return completion

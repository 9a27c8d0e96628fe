"""`python:package.module:function`: the system under test is the user's own code.

Lets a team evaluate a whole pipeline (retrieval, prompt assembly, post-processing) rather than
a bare model. The function gets one dict ``{"messages", "vars", "case_id", "repeat",
"params"}`` and returns a string, or a dict with ``text`` and optionally ``tool_calls``,
``usage``, ``cost_usd``, ``refused``, ``finish_reason`` (a `Completion` is accepted as is).
Sync functions run in a worker thread so they cannot stall the event loop.

Failures are data: an exception in the user's function becomes
``ProviderError(kind="exception")`` naming the exception, and a wrong return type
``kind="malformed"``. Neither is retryable: the same code on the same input fails the same way.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from pydantic import ValidationError

from harness.errors import ProviderConfigError, ProviderError
from harness.models import Completion, ModelSpec, ToolCall, Usage
from harness.providers.base import Request
from harness.providers.common import cost_usd, elapsed_ms, parse_arguments

RESULT_KEYS = frozenset(
    {"text", "tool_calls", "usage", "cost_usd", "refused", "finish_reason", "model"}
)


def load_function(target: str) -> Callable[..., Any]:
    """Import ``package.module:function``; every way it can fail is a ProviderConfigError."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ProviderConfigError(
            f"python:{target}: write python:package.module:function (a colon before the function)"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ProviderConfigError(f"python:{target}: cannot import {module_name}: {exc}") from exc
    function: Any = module
    for part in attr.split("."):
        function = getattr(function, part, None)
    if not callable(function):
        raise ProviderConfigError(f"python:{target}: {module_name} has no function {attr!r}")
    return cast(Callable[..., Any], function)


class PythonProvider:
    """Calls the user's function once per request."""

    def __init__(self, spec: ModelSpec) -> None:
        self.name = spec.ref
        self.options = dict(spec.options)
        self.function = load_function(spec.ref.partition(":")[2])

    def __repr__(self) -> str:
        return f"PythonProvider(name={self.name!r})"

    async def complete(self, request: Request) -> Completion:
        payload = {
            "messages": request.messages,
            "vars": request.vars,
            "case_id": request.case_id,
            "repeat": request.repeat,
            "params": request.params,
        }
        started = time.perf_counter()
        try:
            result = await self._call(payload)
        except Exception as exc:  # the user's code failed: recorded, not raised as a crash
            raise ProviderError(
                f"{self.name}: {type(exc).__name__}: {exc}", kind="exception"
            ) from exc
        return to_completion(self.name, result, elapsed_ms(started), self.options)

    async def _call(self, payload: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(self.function):
            return await self.function(payload)
        result = await asyncio.to_thread(self.function, payload)
        return await result if inspect.isawaitable(result) else result

    async def aclose(self) -> None:
        return None


def to_completion(
    provider: str, result: Any, latency_ms: float, options: Mapping[str, Any]
) -> Completion:
    """The user's return value as a Completion; anything unusable is malformed."""
    if isinstance(result, Completion):
        return result.model_copy(update={"latency_ms": latency_ms})
    if isinstance(result, str):
        return Completion(text=result, latency_ms=latency_ms)
    if not isinstance(result, dict) or not isinstance(result.get("text"), str):
        raise _malformed(
            provider, f"expected str or dict with a 'text' string, got {_kind(result)}"
        )
    unknown = set(result) - RESULT_KEYS
    if unknown:
        raise _malformed(provider, f"unknown keys {sorted(unknown)}")
    try:
        return _from_dict(result, latency_ms, options)
    except (ValidationError, TypeError, ValueError) as exc:
        raise _malformed(provider, str(exc).splitlines()[0]) from exc


def _from_dict(result: dict[str, Any], latency_ms: float, options: Mapping[str, Any]) -> Completion:
    usage = Usage(**result["usage"]) if result.get("usage") is not None else None
    calls = tuple(_tool_call(c) for c in result.get("tool_calls") or ())
    return Completion(
        text=result["text"],
        tool_calls=calls,
        usage=usage,
        latency_ms=latency_ms,
        refused=bool(result.get("refused", False)),
        finish_reason=result.get("finish_reason"),
        cost_usd=cost_usd(usage, options, result.get("cost_usd")),
        model=result.get("model"),
    )


def _tool_call(raw: Any) -> ToolCall:
    if isinstance(raw, ToolCall):
        return raw
    if not isinstance(raw, dict):
        raise TypeError(f"a tool call must be a dict, got {_kind(raw)}")
    name = raw.get("name")
    if not isinstance(name, str):
        raise TypeError("a tool call needs a 'name' string")
    return ToolCall(id=raw.get("id"), name=name, arguments=parse_arguments(raw.get("arguments")))


def _kind(value: Any) -> str:
    return type(value).__name__


def _malformed(provider: str, why: str) -> ProviderError:
    return ProviderError(f"{provider}: malformed return value: {why}", kind="malformed")

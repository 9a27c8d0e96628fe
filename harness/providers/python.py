"""`python:package.module:function`: the system under test is the user's own code.

Lets a team evaluate a whole pipeline (retrieval, prompt assembly, post-processing) rather than
a bare model. The function gets one dict ``{"messages", "vars", "case_id", "repeat",
"params"}`` and returns a string, or a dict with ``text`` and optionally ``tool_calls``,
``usage``, ``cost_usd``, ``refused``, ``finish_reason`` (a `Completion` is accepted as is).
Sync functions run in a worker thread so they cannot stall the event loop.

Failures are data: an exception in the user's function becomes
``ProviderError(kind="exception")`` naming the exception, and a wrong return type
``kind="malformed"``. Neither is retryable: the same code on the same input fails the same way.
What comes back is read as strictly as a server's answer: token counts must be counts (0 to a
billion), a cost finite and non-negative, an integer tool-call id becomes its string, and every
string is cleaned of lone surrogates (`harness.textsafe`).

The response cache key holds a hash of the code (`harness.providers.codehash`): an edited
function, or an edited module of the same project it imports, is called again, not replayed.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from harness.errors import ProviderConfigError, ProviderError
from harness.models import Completion, ModelSpec, ToolCall, Usage
from harness.providers.base import Request
from harness.providers.classify import PARSE_ERRORS, BadAnswer, describe
from harness.providers.codehash import code_scope
from harness.providers.common import (
    cost_usd,
    elapsed_ms,
    finish_completion,
    parse_arguments,
    reported_cost,
    show,
    token_count,
    tool_call_id,
)
from harness.providers.pyimport import import_user_module
from harness.textsafe import clean_text

USAGE_KEYS = frozenset({"prompt_tokens", "completion_tokens"})

RESULT_KEYS = frozenset(
    {"text", "tool_calls", "usage", "cost_usd", "refused", "finish_reason", "model"}
)


def load_function(target: str) -> Callable[..., Any]:
    """Import ``package.module:function``; every way it can fail is a ProviderConfigError.

    The module is looked for next to the suite, then in the working directory, then on
    sys.path (`harness.providers.pyimport`)."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ProviderConfigError(
            f"python:{target}: write python:package.module:function (a colon before the function)"
        )
    try:
        module = import_user_module(module_name)
    except ProviderConfigError as exc:
        raise ProviderConfigError(f"python:{target}: {exc}") from exc
    except ImportError as exc:
        raise ProviderConfigError(
            f"python:{target}: cannot import {module_name}: {exc} (looked in the suite's "
            f"folder, then {os.getcwd()}, then sys.path)") from exc
    except Exception as exc:  # the module itself failed while importing
        raise ProviderConfigError(
            f"python:{target}: importing {module_name} failed: {type(exc).__name__}: "
            f"{_said(exc)}") from exc
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
        target = spec.ref.partition(":")[2]
        self.function = load_function(target)
        self._code = code_scope(self.function, target.partition(":")[0])

    def __repr__(self) -> str:
        return f"PythonProvider(name={self.name!r})"

    # The function is given the case id and vars, so two cases with the same messages are
    # two calls: their answers are never shared through the cache.
    cache_per_case = True

    @property
    def cache_scope(self) -> dict[str, Any]:
        """The code decides the answer: a hash of it (see `harness.providers.codehash`), so
        an edited model, or a helper it imports, is called again rather than replayed."""
        return dict(self._code)

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
                clean_text(f"{self.name}: {type(exc).__name__}: {_said(exc)}"), kind="exception"
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
        completion = result.model_copy(update={"latency_ms": latency_ms})
    elif isinstance(result, str):  # no usage: only a `free` price makes its cost known (0)
        completion = Completion(text=result, latency_ms=latency_ms,
                                cost_usd=cost_usd(None, options))
    elif not isinstance(result, dict) or not isinstance(result.get("text"), str):
        raise _malformed(
            provider, f"expected str or dict with a 'text' string, got {_kind(result)}"
        )
    elif unknown := set(result) - RESULT_KEYS:
        raise _malformed(provider, f"unknown keys {sorted(map(str, unknown))}")
    else:
        completion = _checked(provider, lambda: _from_dict(result, latency_ms, options))
    return _checked(provider, lambda: finish_completion(completion))


def _checked(provider: str, build: Any) -> Completion:
    """`build()`, with whatever it raises about the value recorded as malformed."""
    try:
        completion: Completion = build()
    except BadAnswer as exc:
        raise _malformed(provider, str(exc)) from exc
    except RecursionError as exc:
        raise _malformed(provider, describe(exc)) from exc
    except PARSE_ERRORS as exc:
        lines = _said(exc).splitlines()
        raise _malformed(provider, lines[0] if lines else type(exc).__name__) from exc
    return completion


def _said(exc: BaseException) -> str:
    """str(exc), even when the user's exception has a broken __str__."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - any failure here must not replace the real one
        return "(its message cannot be shown)"


def _usage(raw: Any) -> Usage | None:
    if raw is None or isinstance(raw, Usage):
        return raw
    if not isinstance(raw, Mapping):
        raise BadAnswer(f"usage is {show(raw)}, not a dict")
    unknown = set(raw) - USAGE_KEYS
    if unknown:
        raise BadAnswer(f"usage has unknown keys {sorted(map(str, unknown))}")
    return Usage(
        prompt_tokens=token_count(raw.get("prompt_tokens"), "usage.prompt_tokens"),
        completion_tokens=token_count(raw.get("completion_tokens"), "usage.completion_tokens"),
    )


def _from_dict(result: dict[str, Any], latency_ms: float, options: Mapping[str, Any]) -> Completion:
    usage = _usage(result.get("usage"))
    calls = tuple(_tool_call(c, i) for i, c in enumerate(result.get("tool_calls") or ()))
    return Completion(
        text=result["text"],
        tool_calls=calls,
        usage=usage,
        latency_ms=latency_ms,
        refused=bool(result.get("refused", False)),
        finish_reason=result.get("finish_reason"),
        cost_usd=cost_usd(usage, options, reported_cost(result.get("cost_usd"), "cost_usd")),
        model=result.get("model"),
    )


def _tool_call(raw: Any, index: int) -> ToolCall:
    if isinstance(raw, ToolCall):
        return raw
    if not isinstance(raw, dict):
        raise TypeError(f"a tool call must be a dict, got {_kind(raw)}")
    name = raw.get("name")
    if not isinstance(name, str):
        raise TypeError("a tool call needs a 'name' string")
    call_id = tool_call_id(raw.get("id"), f"tool_calls[{index}].id")
    return ToolCall(id=call_id, name=name, arguments=parse_arguments(raw.get("arguments")))


def _kind(value: Any) -> str:
    return type(value).__name__


def _malformed(provider: str, why: str) -> ProviderError:
    return ProviderError(clean_text(f"{provider}: malformed return value: {why}"), kind="malformed")

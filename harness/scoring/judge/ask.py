"""Asking a judge model for a JSON verdict: the client cache, strict validation, bounded retry.

A judge answer is accepted only when it parses as one JSON object AND validates against the
verdict's JSON Schema (plus any semantic check the caller adds). An invalid answer is shown
back to the judge with the error, at most `retries` times; after that the verdict is missing
and the caller reports `unscored`: a judge that cannot answer never becomes a default score.
Every attempt (prompt, raw answer, error, tokens, cost) is kept for the audit trail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.errors import ProviderError
from harness.models import Completion, ModelSpec
from harness.providers import StackSettings, build_stack, parse_ref
from harness.providers.base import Provider, Request

if TYPE_CHECKING:  # jsonschema costs ~0.15 s to import; only a judge needs it
    from jsonschema import Draft202012Validator

_FENCED = re.compile(r"^\s*```[a-zA-Z]*\s*\n(.*?)\n?```\s*$", re.DOTALL)
_DECODER = json.JSONDecoder()

# Judge clients are cached per model, and per event loop because HTTP clients belong to the
# loop that opened them; a finished loop's entry disappears with it.
_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Provider]] = (
    weakref.WeakKeyDictionary()
)


def judge_provider(spec: ModelSpec, settings: StackSettings | None = None) -> Provider:
    """The provider stack for a judge model, built once per model and event loop."""
    loop = asyncio.get_running_loop()
    clients = _CLIENTS.setdefault(loop, {})
    key = spec.model_dump_json()
    if key not in clients:
        clients[key] = build_stack(spec, settings or StackSettings())
    return clients[key]


async def close_judges() -> None:
    """Close the judge clients opened in the running loop (offline scoring calls this)."""
    clients = _CLIENTS.pop(asyncio.get_running_loop(), {})
    for provider in clients.values():
        with contextlib.suppress(Exception):  # closing must not hide the real outcome
            await provider.aclose()


@dataclass
class Attempt:
    raw: str | None
    error: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"raw": self.raw, "error": self.error, "cost_usd": self.cost_usd,
                "tokens": [self.prompt_tokens, self.completion_tokens]}


@dataclass
class JsonAnswer:
    """A validated verdict (or None), with every attempt that led to it."""

    prompt: list[dict[str, Any]]
    data: dict[str, Any] | None = None
    error: str | None = None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def cost_usd(self) -> float | None:
        costs = [a.cost_usd for a in self.attempts]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    def as_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "attempts": [a.as_dict() for a in self.attempts],
                "valid": self.data is not None, "error": self.error, "cost_usd": self.cost_usd}


def extract_json(text: str) -> Any:
    """The JSON object in an answer: the whole text, a fenced block, or the first {...}."""
    body = text.strip()
    fenced = _FENCED.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        return json.loads(body)
    except ValueError:
        start = body.find("{")
        if start < 0:
            raise ValueError("no JSON object in the answer") from None
        value, _ = _DECODER.raw_decode(body[start:])
        return value


def verdict_error(
    text: str, validator: Draft202012Validator, check: Callable[[dict[str, Any]], str | None] | None
) -> tuple[dict[str, Any] | None, str | None]:
    """(verdict, None) when the answer is acceptable, else (None, why not)."""
    try:
        data = extract_json(text)
    except ValueError as exc:
        return None, f"not JSON: {exc}"
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/" + "/".join(map(str, errors[0].path))
        return None, f"does not match the verdict schema at {where}: {errors[0].message}"
    problem = check(data) if check is not None else None
    return (None, problem) if problem else (data, None)


async def ask_json(
    provider: Provider,
    spec: ModelSpec,
    messages: list[dict[str, Any]],
    schema: dict[str, Any],
    *,
    params: dict[str, Any],
    retries: int,
    sample: int = 0,
    check: Callable[[dict[str, Any]], str | None] | None = None,
) -> JsonAnswer:
    """Ask until a valid verdict or `retries` corrections are spent; provider errors end it."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    answer = JsonAnswer(prompt=messages)
    conversation = list(messages)
    for _ in range(retries + 1):
        request = Request(model=parse_ref(spec.ref)[1], messages=conversation, params=params,
                          repeat=sample)
        try:
            completion = await provider.complete(request)
        except ProviderError as exc:
            answer.error = f"judge model error ({exc.kind}): {exc}"
            return answer
        data, error = verdict_error(completion.text, validator, check)
        answer.attempts.append(_attempt(completion, error, spec))
        if data is not None:
            answer.data, answer.error = data, None
            return answer
        answer.error = f"invalid verdict: {error}"
        conversation = [*conversation, {"role": "assistant", "content": completion.text},
                        {"role": "user", "content": _correction(error or "")}]
    return answer


def _correction(error: str) -> str:
    return (f"That reply was not a valid verdict ({error}). Reply again with the JSON object "
            "only, in exactly the requested format.")


def _attempt(completion: Completion, error: str | None, spec: ModelSpec) -> Attempt:
    usage = completion.usage
    cost = completion.cost_usd
    if cost is None and usage is not None:
        from harness.providers.pricing import cost_usd

        cost = cost_usd(spec.ref, usage, spec.options)
    return Attempt(
        raw=completion.text, error=error,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        cost_usd=cost,
    )

"""`ScriptedProvider`: a Provider that answers from a script, with no I/O at all.

For tests of the runner and of the wrappers, where the HTTP path is beside the point: each call
takes the next step of the script (a text, a Completion, an exception to raise, or a function
of the request), and every request is kept so a test can assert what was asked.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from harness.models import Completion, ModelSpec
from harness.providers.base import Request

Answer = str | Completion | BaseException
Step = Answer | Callable[[Request], Answer | Awaitable[Answer]]


class ScriptedProvider:
    """Answers call k with step k of `script`, then with `default` once the script runs out."""

    def __init__(
        self,
        script: Iterable[Step] = (),
        *,
        name: str = "fake:model",
        default: Step = "ok",
        delay: float = 0.0,
    ) -> None:
        self.name = name
        self._script = iter(script)
        self.default = default
        self.delay = delay
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    @property
    def calls(self) -> int:
        return len(self.requests)

    async def complete(self, request: Request) -> Completion:
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._answer(next(self._script, self.default), request)
        finally:
            self.in_flight -= 1

    async def _answer(self, step: Step, request: Request) -> Completion:
        answer: Answer | Awaitable[Answer] = (
            step(request) if callable(step) and not isinstance(step, BaseException) else step
        )
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, Completion):
            return answer
        return Completion(text=str(answer))

    async def aclose(self) -> None:
        self.closed = True


def scripted_from_spec(spec: ModelSpec) -> ScriptedProvider:
    """A provider factory (``f(spec) -> Provider``) answering ``options.reply`` every time."""
    return ScriptedProvider(name=spec.ref, default=str(spec.options.get("reply", "ok")))


def user_request(
    text: str, *, model: str = "test-model", system: str | None = None, **fields: Any
) -> Request:
    """A Request whose conversation is one user message (after an optional system prompt)."""
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    return Request(model=model, messages=messages, **fields)

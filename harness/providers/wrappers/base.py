"""The shape every wrapper shares: hold an inner provider, look like it from outside."""

from __future__ import annotations

from harness.models import Completion
from harness.providers.base import Provider, Request


class Wrapper:
    """A Provider around an inner Provider; subclasses add exactly one concern to `complete`.

    `name` is copied from the inner provider so errors, logs and results name the model, not
    the wrapper; `aclose` reaches the adapter through every layer.
    """

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name = inner.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"

    async def complete(self, request: Request) -> Completion:
        return await self.inner.complete(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

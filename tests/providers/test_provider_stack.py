"""build_stack: the layers, their order, and the whole stack against the fake server."""

from __future__ import annotations

import pytest

from harness.errors import UsageError
from harness.models import ModelSpec
from harness.providers import Budget, MemoryCache, StackSettings, build_stack
from harness.providers.base import Provider
from harness.providers.wrappers import (
    BudgetGuard,
    Cached,
    CircuitBreaker,
    RateLimit,
    Retry,
    Timeout,
    Wrapper,
)
from harness.testing.fake_openai import FakeOpenAI, MakeFakeOpenAI
from harness.testing.fake_provider import ScriptedProvider, user_request
from harness.testing.faults import FaultPlan

SPEC = ModelSpec(ref="fake:model")


def layers(provider: Provider) -> list[type]:
    found = []
    while isinstance(provider, Wrapper):
        found.append(type(provider))
        provider = provider.inner
    return [*found, type(provider)]


def test_the_full_stack_order() -> None:
    stack = build_stack(SPEC, cache=MemoryCache(), budget=Budget(1.0), adapter=ScriptedProvider())
    assert layers(stack) == [
        Cached, BudgetGuard, CircuitBreaker, Retry, RateLimit, Timeout, ScriptedProvider,
    ]  # fmt: skip


def test_layers_switch_off() -> None:
    settings = StackSettings(timeout_s=None, max_attempts=1, circuit_threshold=0)
    stack = build_stack(SPEC, settings, adapter=ScriptedProvider())
    assert layers(stack) == [RateLimit, ScriptedProvider]


@pytest.mark.parametrize(
    "bad", [{"concurrency": 0}, {"max_attempts": 0}, {"rpm": 0}, {"circuit_threshold": -1}]
)
def test_settings_are_validated(bad: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        StackSettings(**bad)  # type: ignore[arg-type]


async def test_name_and_aclose_reach_through_every_layer() -> None:
    adapter = ScriptedProvider(name="fake:model")
    stack = build_stack(SPEC, cache=MemoryCache(), budget=Budget(1.0), adapter=adapter)
    assert stack.name == "fake:model"
    await stack.aclose()
    assert adapter.closed


async def test_the_whole_stack_against_the_server(fake_openai: FakeOpenAI, openai_key: str) -> None:
    fake_openai.faults = FaultPlan(fail_first=2, fail_first_with="503")
    spec = ModelSpec(
        ref="openai:gpt-test",
        base_url=fake_openai.base_url,
        options={"pricing": {"input_per_mtok": 1.0, "output_per_mtok": 1.0}},
    )
    settings = StackSettings(timeout_s=2, base_delay=0.01, max_delay=0.02, concurrency=2)
    cache, budget = MemoryCache(), Budget(limit_usd=1.0)
    stack = build_stack(spec, settings, cache=cache, budget=budget)
    first = await stack.complete(user_request("hi", model="gpt-test"))
    again = await stack.complete(user_request("hi", model="gpt-test"))
    await stack.aclose()
    assert (first.text, first.attempts, first.cached) == ("echo: hi", 3, False)
    assert (again.text, again.attempts, again.cached) == ("echo: hi", 0, True)
    assert fake_openai.count == 3  # two failures, one success, no call for the hit
    assert budget.spent_usd == pytest.approx(first.cost_usd)  # the hit cost nothing


async def test_the_cache_key_includes_the_server(
    make_fake_openai: MakeFakeOpenAI, openai_key: str
) -> None:
    servers = [make_fake_openai(), make_fake_openai()]
    cache = MemoryCache()
    for server in servers:
        spec = ModelSpec(ref="openai:m", base_url=server.base_url)
        stack = build_stack(spec, cache=cache)
        await stack.complete(user_request("same question", model="m"))
        await stack.aclose()
    assert [s.count for s in servers] == [1, 1]

"""CircuitBreaker and BudgetGuard."""

from __future__ import annotations

import pytest

from harness.errors import BudgetExhausted, ProviderError
from harness.models import Completion
from harness.providers.wrappers import Budget, BudgetGuard, CircuitBreaker
from harness.testing.fake_provider import ScriptedProvider, Step, user_request


def failure(kind: str = "server") -> ProviderError:
    return ProviderError(f"fake:model: {kind} trouble", kind=kind, retryable=kind == "server")


async def outcomes(wrapper: CircuitBreaker, n: int) -> list[str]:
    kinds = []
    for _ in range(n):
        try:
            kinds.append((await wrapper.complete(user_request("x"))).text)
        except ProviderError as error:
            kinds.append(error.kind)
    return kinds


async def test_the_circuit_opens_after_threshold_failures_and_then_fails_fast() -> None:
    inner = ScriptedProvider(default=failure())
    breaker = CircuitBreaker(inner, threshold=3)
    assert await outcomes(breaker, 6) == ["server"] * 3 + ["circuit_open"] * 3
    assert inner.calls == 3 and breaker.is_open


async def test_the_open_circuit_names_the_provider_and_the_cause() -> None:
    breaker = CircuitBreaker(ScriptedProvider(default=failure()), threshold=1)
    await outcomes(breaker, 1)
    with pytest.raises(ProviderError) as caught:
        await breaker.complete(user_request("x"))
    error = caught.value
    assert (error.kind, error.retryable) == ("circuit_open", False)
    assert "fake:model" in str(error) and "server trouble" in str(error)


async def test_a_success_resets_the_count() -> None:
    script: list[Step] = [failure(), failure(), "ok", failure(), failure(), "ok"]
    breaker = CircuitBreaker(ScriptedProvider(script), threshold=3)
    assert await outcomes(breaker, 6) == ["server", "server", "ok", "server", "server", "ok"]
    assert not breaker.is_open


async def test_request_specific_failures_do_not_count() -> None:
    breaker = CircuitBreaker(ScriptedProvider(default=failure("client")), threshold=2)
    assert await outcomes(breaker, 4) == ["client"] * 4


def test_budget_arithmetic() -> None:
    budget = Budget(limit_usd=1.0)
    budget.add(0.4)
    budget.add(None)
    assert (budget.spent_usd, budget.remaining_usd, budget.exhausted) == (0.4, 0.6, False)
    budget.add(0.6)
    assert budget.exhausted
    assert not Budget().exhausted  # no limit


async def test_budget_guard_charges_costs_and_stops_calls_once_spent() -> None:
    priced = Completion(text="paid", cost_usd=0.006)
    inner = ScriptedProvider(default=priced)
    budget = Budget(limit_usd=0.01)
    guard = BudgetGuard(inner, budget)
    await guard.complete(user_request("1"))
    await guard.complete(user_request("2"))
    assert budget.spent_usd == pytest.approx(0.012)
    with pytest.raises(BudgetExhausted, match="budget"):
        await guard.complete(user_request("3"))
    assert inner.calls == 2


async def test_unknown_costs_add_nothing() -> None:
    budget = Budget(limit_usd=0.01)
    await BudgetGuard(ScriptedProvider(), budget).complete(user_request("x"))
    assert budget.spent_usd == 0.0

"""Retry and Timeout: bounded attempts, backoff, Retry-After, attempt counts."""

from __future__ import annotations

import asyncio
import random

import pytest

from harness.errors import ProviderError
from harness.providers.base import Provider
from harness.providers.openai import OpenAIProvider
from harness.providers.wrappers import Retry, Timeout
from harness.testing.fake_openai import FakeOpenAI
from harness.testing.fake_provider import ScriptedProvider, user_request
from harness.testing.faults import FaultPlan


def server_error(retry_after: float | None = None) -> ProviderError:
    return ProviderError("p: HTTP 500", kind="server", retryable=True, retry_after=retry_after)


class Sleeps:
    """An injectable sleep that records the waits instead of spending them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def retry(inner: Provider, sleeps: Sleeps, **kwargs: object) -> Retry:
    options: dict[str, object] = {"max_attempts": 4, "base_delay": 0.1, "max_delay": 1.0}
    options.update(kwargs)
    return Retry(inner, sleep=sleeps, rng=random.Random(0), **options)  # type: ignore[arg-type]


async def test_retries_until_success_and_counts_attempts() -> None:
    inner = ScriptedProvider([server_error(), server_error(), "third time"])
    sleeps = Sleeps()
    completion = await retry(inner, sleeps).complete(user_request("x"))
    assert (completion.text, completion.attempts, inner.calls) == ("third time", 3, 3)
    assert len(sleeps.waits) == 2


async def test_first_time_success_is_one_attempt() -> None:
    completion = await retry(ScriptedProvider(), Sleeps()).complete(user_request("x"))
    assert completion.attempts == 1


async def test_attempts_are_bounded_and_recorded_on_the_error() -> None:
    inner = ScriptedProvider(default=server_error())
    with pytest.raises(ProviderError) as caught:
        await retry(inner, Sleeps(), max_attempts=3).complete(user_request("x"))
    assert (caught.value.kind, caught.value.attempts, inner.calls) == ("server", 3, 3)


async def test_non_retryable_errors_are_not_retried() -> None:
    inner = ScriptedProvider([ProviderError("bad", kind="client"), "never"])
    sleeps = Sleeps()
    with pytest.raises(ProviderError) as caught:
        await retry(inner, sleeps).complete(user_request("x"))
    assert (caught.value.attempts, inner.calls, sleeps.waits) == (1, 1, [])


async def test_other_exceptions_pass_straight_through() -> None:
    inner = ScriptedProvider([ValueError("a bug"), "never"])
    with pytest.raises(ValueError):
        await retry(inner, Sleeps()).complete(user_request("x"))
    assert inner.calls == 1


async def test_retry_after_is_a_floor_for_the_wait() -> None:
    inner = ScriptedProvider([server_error(retry_after=5.0), "ok"])
    sleeps = Sleeps()
    await retry(inner, sleeps).complete(user_request("x"))
    assert sleeps.waits == [5.0]


async def test_retry_after_is_capped() -> None:
    inner = ScriptedProvider([server_error(retry_after=3600.0), "ok"])
    sleeps = Sleeps()
    await retry(inner, sleeps, retry_after_cap=60.0).complete(user_request("x"))
    assert sleeps.waits == [60.0]


async def test_backoff_grows_with_jitter_and_stays_under_max_delay() -> None:
    inner = ScriptedProvider(default=server_error())
    sleeps = Sleeps()
    with pytest.raises(ProviderError):
        await retry(inner, sleeps, max_attempts=6, base_delay=0.1, max_delay=0.5).complete(
            user_request("x")
        )
    steps = [0.1, 0.2, 0.4, 0.5, 0.5]
    assert len(sleeps.waits) == 5
    for wait, step in zip(sleeps.waits, steps, strict=True):
        assert step / 2 <= wait <= step


async def test_concurrent_calls_count_their_own_attempts() -> None:
    def answer(request: object) -> str | ProviderError:
        text = request.messages[-1]["content"]  # type: ignore[attr-defined]
        tries[text] = tries.get(text, 0) + 1
        return "ok" if tries[text] >= int(text) else server_error()

    tries: dict[str, int] = {}
    wrapper = retry(ScriptedProvider(default=answer), Sleeps())
    results = await asyncio.gather(*(wrapper.complete(user_request(str(n))) for n in (1, 2, 3)))
    assert [c.attempts for c in results] == [1, 2, 3]


async def test_real_retry_after_from_the_server_is_waited(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.faults = FaultPlan.at({1: "429"}, retry_after=0.3)
    wrapper = Retry(openai_provider, max_attempts=3, base_delay=0.01, max_delay=0.02)
    completion = await wrapper.complete(user_request("x"))
    first, second = fake_openai.requests
    assert completion.attempts == 2
    assert second.received_at - first.received_at >= 0.29


async def test_a_non_retryable_server_answer_is_sent_once(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    with pytest.raises(ProviderError):
        await retry(openai_provider, Sleeps()).complete(user_request("[[fault:400]]"))
    assert fake_openai.count == 1


async def test_once_500_recovers_on_the_second_attempt(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    completion = await retry(openai_provider, Sleeps()).complete(user_request("[[fault:once-500]]"))
    assert completion.attempts == 2 and fake_openai.count == 2


async def test_timeout_turns_a_slow_call_into_a_retryable_error() -> None:
    async def slow(request: object) -> str:
        await asyncio.sleep(5)
        return "too late"

    with pytest.raises(ProviderError) as caught:
        await Timeout(ScriptedProvider([slow]), 0.05).complete(user_request("x"))
    assert (caught.value.kind, caught.value.retryable) == ("timeout", True)
    assert "0.05 s" in str(caught.value)


async def test_timeout_then_retry_against_a_hanging_server(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.faults = FaultPlan.at({1: "hang"})
    wrapper = retry(Timeout(openai_provider, 0.2), Sleeps())
    completion = await wrapper.complete(user_request("x"))
    assert completion.attempts == 2 and completion.text == "echo: x"

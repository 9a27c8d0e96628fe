"""RateLimit: concurrency really bounded (counted by the server), requests evenly paced."""

from __future__ import annotations

import asyncio

import pytest

from harness.providers.openai import OpenAIProvider
from harness.providers.wrappers import Pacer, RateLimit
from harness.testing.fake_openai import FakeOpenAI
from harness.testing.fake_provider import ScriptedProvider, user_request


async def fire(provider: RateLimit | OpenAIProvider, n: int) -> None:
    await asyncio.gather(*(provider.complete(user_request(f"q{i}")) for i in range(n)))


async def test_without_a_limit_requests_overlap(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.latency = 0.05
    await fire(openai_provider, 12)
    assert fake_openai.max_in_flight > 3  # so the bound below is the limiter's doing


async def test_concurrency_is_bounded_at_the_server(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.latency = 0.05
    await fire(RateLimit(openai_provider, concurrency=3), 12)
    assert fake_openai.count == 12
    assert fake_openai.max_in_flight == 3


async def test_rpm_spaces_request_starts_at_the_server(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    await fire(RateLimit(openai_provider, concurrency=10, rpm=600), 5)  # one per 0.1 s
    arrivals = sorted(r.received_at for r in fake_openai.requests)
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    # starts are spread out, not bunched (server-side timestamps jitter by a few ms)
    assert min(gaps) >= 0.06
    assert 0.37 <= arrivals[-1] - arrivals[0] < 1.5


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def test_pacer_spreads_a_crowd_evenly() -> None:
    clock = FakeClock()
    pacer = Pacer(120, clock=clock, sleep=clock.sleep)  # one per 0.5 s
    await asyncio.gather(*(pacer.wait() for _ in range(4)))
    assert clock.sleeps == pytest.approx([0.5, 1.0, 1.5])  # the first starts at once


async def test_pacer_does_not_save_up_a_burst_while_idle() -> None:
    clock = FakeClock()
    pacer = Pacer(60, clock=clock, sleep=clock.sleep)
    await pacer.wait()
    clock.now += 600  # ten idle minutes
    await pacer.wait()
    await pacer.wait()
    assert clock.sleeps == [1.0]


async def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        RateLimit(ScriptedProvider(), concurrency=0)
    with pytest.raises(ValueError):
        Pacer(0)

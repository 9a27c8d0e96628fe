"""Queueing apart from latency (issue 13, item 7): the time a request waits on our own side
(a concurrency slot, `--rpm` pacing, a free pooled connection) is `queue_ms`, and is not
counted in `latency_ms`. Real HTTP against the loopback test server.

The bounds are loose on purpose (they tell a 0.3 s answer from one that waited for two
others, 0.9 s); speed figures live in bench/, not here."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness.models import ModelSpec
from harness.providers import StackSettings, build_stack
from harness.testing.fake_provider import user_request

SERVICE_S = 0.3


async def at_once(
    server: Any, settings: StackSettings, n: int = 3, **options: Any
) -> list[Any]:
    spec = ModelSpec(ref="openai:m", base_url=server.base_url, options=options)
    stack = build_stack(spec, settings)
    try:
        return await asyncio.gather(
            *(stack.complete(user_request(f"q{i}", case_id=f"c{i}")) for i in range(n))
        )
    finally:
        await stack.aclose()


@pytest.fixture
def slow_server(make_fake_openai: Any, openai_key: str) -> Any:
    return make_fake_openai(latency=SERVICE_S)


@pytest.mark.parametrize(("n", "connections"), [(3, 1), (10, 8)])
async def test_waiting_for_a_pooled_connection_is_queueing_not_latency(
    slow_server: Any, n: int, connections: int
) -> None:
    # more requests in flight than connections: the rest wait in the pool. That wait used to
    # be counted as the model's latency (0.6 s and more for a 0.3 s answer).
    settings = StackSettings(concurrency=n, max_attempts=1)
    answers = await at_once(slow_server, settings, n, max_connections=connections)
    latencies = sorted(a.latency_ms for a in answers)
    assert latencies[-1] < SERVICE_S * 1000 * 1.8, latencies
    queues = sorted(a.queue_ms for a in answers)
    assert queues[0] < SERVICE_S * 1000 * 0.5, queues
    assert queues[-1] > SERVICE_S * 1000 * 0.8, queues
    assert slow_server.max_in_flight == connections


async def test_waiting_for_a_concurrency_slot_is_queueing(slow_server: Any) -> None:
    settings = StackSettings(concurrency=1, max_attempts=1)
    answers = await at_once(slow_server, settings)
    queues = sorted(a.queue_ms for a in answers)
    assert queues[-1] > SERVICE_S * 1000 * 1.5, queues
    assert max(a.latency_ms for a in answers) < SERVICE_S * 1000 * 1.8


async def test_a_request_that_never_waits_has_a_small_queue_time(slow_server: Any) -> None:
    settings = StackSettings(concurrency=3, max_attempts=1)
    answers = await at_once(slow_server, settings)
    assert all(a.queue_ms is not None and a.queue_ms < SERVICE_S * 1000 * 0.5 for a in answers)
    assert slow_server.max_in_flight == 3

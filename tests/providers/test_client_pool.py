"""ClientPool: one client while traffic is light, more small ones as concurrency grows."""

from __future__ import annotations

import asyncio

import httpx

from harness.providers.common import ClientPool


async def slow_ok(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(0.02)
    return httpx.Response(200, json={"auth": request.headers.get("authorization")})


def pool(**kwargs: int) -> ClientPool:
    return ClientPool(
        headers={"Authorization": "Bearer sk-secret"},
        transport=httpx.MockTransport(slow_ok),
        **kwargs,
    )


async def burst(clients: ClientPool, n: int) -> list[httpx.Response]:
    return await asyncio.gather(*(clients.post("http://127.0.0.1:1/x") for _ in range(n)))


async def test_sequential_requests_use_one_client() -> None:
    clients = pool()
    for _ in range(5):
        await clients.post("http://127.0.0.1:1/x")
    assert "shards=1/" in repr(clients)
    await clients.aclose()


async def test_shards_grow_with_concurrency_up_to_the_limit() -> None:
    clients = pool(max_connections=24, shard_connections=8)
    responses = await burst(clients, 20)
    assert "shards=3/3" in repr(clients)
    await burst(clients, 60)
    assert "shards=3/3" in repr(clients)
    assert all(r.json() == {"auth": "Bearer sk-secret"} for r in responses)
    await clients.aclose()


def test_repr_hides_the_headers() -> None:
    assert "sk-secret" not in repr(pool())

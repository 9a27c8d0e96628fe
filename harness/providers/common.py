"""Small pieces every adapter needs: the HTTP client, secrets from the environment, cost.

Kept here so each adapter file is only its wire mapping.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import time
from collections.abc import Mapping
from typing import Any

import httpx

from harness.errors import ProviderConfigError
from harness.models import Usage

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Generous on purpose: the Timeout wrapper enforces the per-request limit, so the client's own
# limit only catches a request that the wrapper somehow did not.
CLIENT_TIMEOUT = httpx.Timeout(600.0, connect=30.0)
MAX_CONNECTIONS = 128
SHARD_CONNECTIONS = 8


class ClientPool:
    """The HTTP/1.1 connections of one provider, as a few small httpx clients.

    Why not one client with a 128-connection pool: httpcore's pool re-scans every waiting
    request against every connection on each request, so past ~32 concurrent requests one
    client spends more CPU on bookkeeping than on HTTP (measured on the fake server at 64
    concurrent: ~110 req/s with one client, ~800 with 8-connection shards). Shards are added
    only when every existing one is full, so a low-concurrency run uses a single client; all
    share one TLS context. Total capacity: `max_connections` (default 128).
    """

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        max_connections: int = MAX_CONNECTIONS,
        shard_connections: int = SHARD_CONNECTIONS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._headers = dict(headers or {})
        self._shard_connections = max(1, shard_connections)
        self._max_shards = max(1, -(-max_connections // self._shard_connections))
        self._transport = transport
        self._clients: list[httpx.AsyncClient] = []
        self._busy: list[int] = []
        self._tls: ssl.SSLContext | None = None
        self._add_shard()  # now, so the first request's latency does not include TLS setup

    def __repr__(self) -> str:  # headers hold keys: never shown
        return f"ClientPool(shards={len(self._clients)}/{self._max_shards})"

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        shard = self._pick()
        self._busy[shard] += 1
        try:
            return await self._clients[shard].request(method, url, **kwargs)
        finally:
            self._busy[shard] -= 1

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def aclose(self) -> None:
        clients, self._clients, self._busy = self._clients, [], []
        for client in clients:
            await client.aclose()

    def _pick(self) -> int:
        """The least busy shard, or a new one when all are full and there is room."""
        if self._clients:
            shard = min(range(len(self._busy)), key=self._busy.__getitem__)
            full = self._busy[shard] >= self._shard_connections
            if not full or len(self._clients) >= self._max_shards:
                return shard
        return self._add_shard()

    def _add_shard(self) -> int:
        self._clients.append(self._new_client())
        self._busy.append(0)
        return len(self._clients) - 1

    def _new_client(self) -> httpx.AsyncClient:
        if self._tls is None and self._transport is None:
            self._tls = httpx.create_ssl_context()
        size = self._shard_connections
        return httpx.AsyncClient(
            headers=self._headers,
            timeout=CLIENT_TIMEOUT,
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            transport=self._transport,
            verify=self._tls or True,
        )


def make_client(
    options: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ClientPool:
    """The connection pool of one provider; `options.max_connections` sizes it (default 128)."""
    size = max(1, int(options.get("max_connections", MAX_CONNECTIONS)))
    return ClientPool(headers=headers, max_connections=size, transport=transport)


def env_value(name: str, env: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if env is None else env).get(name)
    return value or None


def api_key(
    options: Mapping[str, Any], default_env: str, env: Mapping[str, str] | None = None
) -> str | None:
    """The key from the variable named by `options.api_key_env` (keys never live in files)."""
    return env_value(str(options.get("api_key_env") or default_env), env)


def resolve_headers(
    headers: Mapping[str, Any] | None, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Header values with ``${NAME}`` replaced from the environment; a missing one is an error."""
    resolved = {}
    for name, value in (headers or {}).items():
        resolved[str(name)] = _ENV_REF.sub(lambda m: _required_env(m.group(1), env), str(value))
    return resolved


def _required_env(name: str, env: Mapping[str, str] | None) -> str:
    value = env_value(name, env)
    if value is None:
        raise ProviderConfigError(f"environment variable {name} is not set (used in a header)")
    return value


def cost_usd(
    usage: Usage | None, options: Mapping[str, Any], reported: Any = None, *, ref: str | None = None
) -> float | None:
    """The server's own cost when it reports one, else pricing x usage, else unknown (None).

    Pricing is `options.pricing`, else (when the adapter passes its `ref`) the price table of
    `harness.pricing` (HARNESS_PRICES, then built-in list prices).
    """
    if isinstance(reported, int | float) and not isinstance(reported, bool):
        return float(reported)
    pricing = options.get("pricing")
    if ref is not None and usage is not None and not isinstance(pricing, Mapping):
        from harness.pricing import cost_usd as table_cost

        return table_cost(ref, usage)
    if usage is None or not isinstance(pricing, Mapping):
        return None
    per_in = float(pricing.get("input_per_mtok", 0.0))
    per_out = float(pricing.get("output_per_mtok", 0.0))
    return (usage.prompt_tokens * per_in + usage.completion_tokens * per_out) / 1_000_000


def parse_arguments(raw: Any) -> Any:
    """Tool-call arguments as JSON when they parse; else the raw value, kept as evidence."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def usage_from(data: Any, prompt_key: str, completion_key: str) -> Usage | None:
    """A Usage from a provider's usage object, None when it sent none."""
    if not isinstance(data, Mapping):
        return None
    return Usage(
        prompt_tokens=int(data.get(prompt_key) or 0),
        completion_tokens=int(data.get(completion_key) or 0),
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a `time.perf_counter()` reading)."""
    return (time.perf_counter() - started) * 1000.0

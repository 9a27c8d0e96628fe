"""Small pieces every adapter needs: the HTTP client, secrets from the environment, cost,
and the defensive readers of answer fields.

Kept here so each adapter file is only its wire mapping. The readers raise `BadAnswer`
naming the field; the adapter's `reading_answer` block turns that into a `malformed` error,
and `finish_completion` is the last step of every adapter (clean text, bounded values).
"""

from __future__ import annotations

import json
import math
import os
import re
import reprlib
import ssl
import time
import zlib
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import httpx

from harness.errors import ProviderConfigError
from harness.models import Completion, ToolCall, Usage
from harness.providers.classify import BadAnswer, BodyError
from harness.textsafe import MAX_DEPTH, TooDeep, clean_json, clean_optional, clean_text

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Generous on purpose: the Timeout wrapper enforces the per-request limit, so the client's own
# limit only catches a request that the wrapper somehow did not.
CLIENT_TIMEOUT = httpx.Timeout(600.0, connect=30.0)
MAX_CONNECTIONS = 128
SHARD_CONNECTIONS = 8
# Decoded bytes of one answer; more is a `malformed` error. Option `max_response_bytes`
# (per provider) wins over the HARNESS_MAX_RESPONSE_BYTES environment variable.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
MAX_RESPONSE_ENV = "HARNESS_MAX_RESPONSE_BYTES"
# Of a non-2xx answer only this much is read: enough for the error message (cut to 300
# characters anyway); the status decides the error, so the rest is not worth waiting for.
MAX_ERROR_BODY_BYTES = 64 * 1024
# More tokens than this in one answer is no real count.
MAX_TOKEN_COUNT = 10**9
_ENCODED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
# Set by the RateLimit wrapper around each attempt: a one-item list that `ClientPool.request`
# adds its wait for a free connection to (in ms), so that wait is reported as queueing and
# not as the model's latency. A list, not a float, so a copied context (a task made by
# asyncio.wait_for) still adds to the same one.
POOL_WAIT: ContextVar[list[float] | None] = ContextVar("harness_pool_wait", default=None)


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
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._headers = dict(headers or {})
        self.max_response_bytes = max_response_bytes
        # a pool smaller than a shard is one shard of that size (`max_connections: 1` means one)
        self._shard_connections = max(1, min(shard_connections, max_connections))
        self._max_shards = max(1, -(-max_connections // self._shard_connections))
        self._transport = transport
        self._clients: list[httpx.AsyncClient] = []
        self._busy: list[int] = []
        self._tls: ssl.SSLContext | None = None
        self._add_shard()  # now, so the first request's latency does not include TLS setup

    def __repr__(self) -> str:  # headers hold keys: never shown
        return f"ClientPool(shards={len(self._clients)}/{self._max_shards})"

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The whole answer, its body read as a stream and decoded at most
        `max_response_bytes` far: a larger one raises `BodyError` without being held in
        memory (a 200 KB gzip bomb is never inflated to its 200 MB)."""
        box = POOL_WAIT.get()
        if box is not None:
            kwargs["extensions"] = {**(kwargs.get("extensions") or {}), "trace": _PoolTimer(box)}
        shard = self._pick()
        self._busy[shard] += 1
        try:
            async with self._clients[shard].stream(method, url, **kwargs) as response:
                if response.is_success:
                    content = await read_capped(response, self.max_response_bytes)
                else:
                    limit = min(self.max_response_bytes, MAX_ERROR_BODY_BYTES)
                    content = await read_capped(response, limit, truncate=True)
            return _read_response(response, content)
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


class _PoolTimer:
    """An httpcore `trace` callback timing the wait for a connection: httpcore traces nothing
    while a request waits in its pool, so its first event (connecting, or sending on a
    kept-alive connection) marks the moment the request got one."""

    def __init__(self, box: list[float]) -> None:
        self.box = box
        self.asked = time.perf_counter()
        self.seen = False

    async def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        if not self.seen:
            self.seen = True
            self.box[0] += elapsed_ms(self.asked)


async def read_capped(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """The decoded body, at most `limit` bytes of it; more raises `BodyError` (or, with
    `truncate`, is left unread).

    gzip and deflate are inflated here, `limit` bytes at a time, so even one network chunk of
    a compression bomb never decodes past the cap; other encodings (br, zstd, stacked ones)
    go through httpx's decoders, checked chunk by chunk.
    """
    if response.is_stream_consumed:  # already read (a transport that answers in memory)
        content = response.content
        if len(content) > limit and not truncate:
            raise BodyError(_too_large(limit))
        return content[:limit]
    encoding = response.headers.get("content-encoding", "").strip().lower()
    parts: list[bytes] = []
    total = 0
    inflate = _Inflater(encoding) if encoding in ("gzip", "x-gzip", "deflate") else None
    if inflate is None and encoding not in ("", "identity"):
        chunks = response.aiter_bytes()  # httpx decodes
    else:
        chunks = response.aiter_raw()
    async for raw in chunks:
        for piece in inflate.feed(raw, limit - total + 1) if inflate else (raw,):
            total += len(piece)
            if total > limit:
                if truncate:
                    parts.append(piece[: len(piece) - (total - limit)])
                    return b"".join(parts)
                raise BodyError(_too_large(limit))
            parts.append(piece)
    return b"".join(parts)


def _too_large(limit: int) -> str:
    return f"the body is over the {limit:,}-byte limit (max_response_bytes); not read further"


class _Inflater:
    """gzip / deflate decoding with bounded output per step (zlib's max_length)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.raw_deflate = False  # "deflate" is zlib-wrapped by the spec, raw in practice too
        wbits = zlib.MAX_WBITS | 16 if encoding != "deflate" else zlib.MAX_WBITS
        self.decompressor = zlib.decompressobj(wbits)
        self.started = False

    def feed(self, data: bytes, room: int) -> list[bytes]:
        out: list[bytes] = []
        while data and not self.decompressor.eof:
            try:
                piece = self.decompressor.decompress(data, max(1, room))
            except zlib.error as exc:
                if self.encoding == "deflate" and not self.started and not self.raw_deflate:
                    self.raw_deflate = True
                    self.decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise BodyError(f"the {self.encoding} body cannot be decoded ({exc})") from exc
            self.started = True
            stalled = not piece and self.decompressor.unconsumed_tail == data
            data = self.decompressor.unconsumed_tail
            if stalled:
                break
            out.append(piece)
            room -= len(piece)
            if room <= 0:
                break  # over the cap: the caller stops here
        return out


def _read_response(streamed: httpx.Response, content: bytes) -> httpx.Response:
    """A plain, fully read Response holding the decoded `content` of a streamed one."""
    headers = [(k, v) for k, v in streamed.headers.multi_items() if k not in _ENCODED_HEADERS]
    return httpx.Response(
        streamed.status_code,
        headers=headers,
        content=content,
        request=streamed.request,
        extensions=streamed.extensions,
    )


def make_client(
    options: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    env: Mapping[str, str] | None = None,
) -> ClientPool:
    """The connection pool of one provider; `options.max_connections` sizes it (default 128),
    `options.max_response_bytes` caps each answer (default: HARNESS_MAX_RESPONSE_BYTES, else
    10 MiB)."""
    size = max(1, int(options.get("max_connections", MAX_CONNECTIONS)))
    return ClientPool(
        headers=headers,
        max_connections=size,
        transport=transport,
        max_response_bytes=max_response_bytes(options, env),
    )


def max_response_bytes(options: Mapping[str, Any], env: Mapping[str, str] | None = None) -> int:
    """The size cap for one provider: its option, else the environment, else 10 MiB."""
    value: Any = options.get("max_response_bytes")
    source = "option max_response_bytes"
    if value is None:
        value, source = env_value(MAX_RESPONSE_ENV, env), MAX_RESPONSE_ENV
    if value is None:
        return MAX_RESPONSE_BYTES
    try:
        number = int(value) if not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ProviderConfigError(f"{source} must be a positive number of bytes, not {value!r}")
    return number


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

    Pricing is `options.pricing` (a mapping, ``"IN,OUT"`` or `free`: see
    `harness.providers.pricing.parse_price`; a malformed one is a `UsageError`, never a silent
    zero),
    else (when the adapter passes its `ref`) the price table of `harness.providers.pricing`
    (HARNESS_PRICES, then built-in list prices). A reported cost that is not a finite,
    non-negative number raises `BadAnswer` (see `reported_cost`).
    """
    from harness.providers import pricing

    cost = reported_cost(reported)
    if cost is not None:
        return cost
    own = pricing.own_price(options, ref or "the model")
    if own is not None:
        return 0.0 if own.is_free else None if usage is None else own.cost(usage)
    return None if ref is None else pricing.cost_usd(ref, usage)


def parse_arguments(raw: Any) -> Any:
    """Tool-call arguments as JSON when they parse; else the raw value, kept as evidence.

    JSON nesting deeper than `harness.textsafe.MAX_DEPTH` counts as not parsing: the string
    is kept, since the parsed value could not be stored.
    """
    if not isinstance(raw, str):
        return raw
    try:
        parsed = json.loads(raw)
        return clean_json(parsed)
    except (ValueError, RecursionError):  # TooDeep is a ValueError
        return raw


def usage_from(data: Any, prompt_key: str, completion_key: str) -> Usage | None:
    """A Usage from a provider's usage object, None when it sent none (absent or null).

    A usage that is there but unreadable raises `BadAnswer`: the counts feed the cost budget,
    so garbage must not pass as "unknown" (which the budget would charge as nothing).
    """
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise BadAnswer(f"usage is {show(data)}, not an object")
    return Usage(
        prompt_tokens=token_count(data.get(prompt_key), f"usage.{prompt_key}"),
        completion_tokens=token_count(data.get(completion_key), f"usage.{completion_key}"),
    )


def show(value: Any) -> str:
    """A short, printable, ASCII-safe rendering of a value for an error message."""
    return clean_text(_SHORT.repr(value))


_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlevel = 3


def token_count(value: Any, field: str) -> int:
    """A token count: an integer from 0 to `MAX_TOKEN_COUNT`; absent (None) counts 0.

    Lenient where the meaning is plain (12.0, "12"), `BadAnswer` for anything else ("abc",
    1e400, NaN, [1], -3, true).
    """
    if value is None:
        return 0
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.isascii() and value.strip().isdigit():
        digits = value.strip()
        number = int(digits) if len(digits) <= 12 else None
    if number is None:
        raise BadAnswer(f"{field} is {show(value)}, not an integer")
    if not 0 <= number <= MAX_TOKEN_COUNT:
        raise BadAnswer(f"{field} is {show(value)}, not a token count (0 to {MAX_TOKEN_COUNT:,})")
    return number


def reported_cost(value: Any, field: str = "usage.cost") -> float | None:
    """A cost the server (or a user's function) reported: None when absent, else a finite,
    non-negative number (a numeric string is accepted). Anything else raises `BadAnswer`:
    a negative or NaN cost must not pass as free, nor refund the budget."""
    if value is None:
        return None
    cost: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        cost = float(value)
    elif isinstance(value, str) and len(value) <= 40:
        try:
            cost = float(value)
        except ValueError:
            cost = None
    if cost is None or not math.isfinite(cost) or cost < 0:
        raise BadAnswer(f"{field} is {show(value)}, not a non-negative number of dollars")
    return cost


def tool_call_id(value: Any, field: str) -> str | None:
    """A tool call's id: a string; an integer is accepted as its decimal string ("7")."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadAnswer(f"{field} is {show(value)}, not a string")


def text_of(value: Any, field: str) -> str:
    """A text field: a string; absent (None) is empty. Anything else raises `BadAnswer`,
    since the text is what gets scored and a number is not text the model sent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise BadAnswer(f"{field} is {show(value)}, not a string")


def optional_text(value: Any) -> str | None:
    """A descriptive string field (finish_reason, model): kept when a string, else None."""
    return value if isinstance(value, str) else None


def finish_completion(completion: Completion) -> Completion:
    """The last step of every adapter: every string cleaned (`harness.textsafe`), and values
    that would poison the store or the budget refused with `BadAnswer` (arguments nested past
    `MAX_DEPTH`, negative or non-finite cost, token counts out of range)."""
    calls = tuple(_finish_call(call, i) for i, call in enumerate(completion.tool_calls))
    if completion.usage is not None:
        token_count(completion.usage.prompt_tokens, "usage.prompt_tokens")
        token_count(completion.usage.completion_tokens, "usage.completion_tokens")
    cost = completion.cost_usd
    if cost is not None and (not math.isfinite(cost) or cost < 0):
        raise BadAnswer(f"cost_usd is {show(cost)}, not a non-negative number of dollars")
    return completion.model_copy(
        update={
            "text": clean_text(completion.text),
            "tool_calls": calls,
            "finish_reason": clean_optional(completion.finish_reason),
            "model": clean_optional(completion.model),
        }
    )


def _finish_call(call: ToolCall, index: int) -> ToolCall:
    try:
        arguments = clean_json(call.arguments)
    except TooDeep as exc:
        raise BadAnswer(
            f"tool call {index} ({show(call.name)}): arguments nest deeper than {MAX_DEPTH} levels"
        ) from exc
    update = {"id": clean_optional(call.id), "name": clean_text(call.name), "arguments": arguments}
    return call.model_copy(update=update)


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a `time.perf_counter()` reading)."""
    return (time.perf_counter() - started) * 1000.0

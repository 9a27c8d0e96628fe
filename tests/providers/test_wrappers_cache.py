"""The response cache: hits, misses, what is in the key, errors never stored."""

from __future__ import annotations

import hashlib
import json

import pytest

from harness.errors import ProviderError
from harness.models import Completion
from harness.providers.base import Request
from harness.providers.openai import OpenAIProvider
from harness.providers.wrappers import Cached, MemoryCache, ResponseCache, cache_key
from harness.testing.fake_openai import FakeOpenAI
from harness.testing.fake_provider import ScriptedProvider, user_request


def cached(inner: ScriptedProvider | OpenAIProvider, cache: MemoryCache | None = None) -> Cached:
    return Cached(inner, cache or MemoryCache(), "fake:model")


async def test_a_miss_calls_and_a_hit_does_not() -> None:
    stored = Completion(text="fresh", latency_ms=123.0, attempts=2)
    inner = ScriptedProvider([stored, "second call"])
    wrapper = cached(inner)
    first = await wrapper.complete(user_request("x"))
    second = await wrapper.complete(user_request("x"))
    assert first == stored
    assert inner.calls == 1
    assert second.text == "fresh" and second.cached is True
    assert second.attempts == 0  # a hit made no request
    assert second.latency_ms == 123.0  # the original call's latency


async def test_errors_are_never_cached() -> None:
    cache = MemoryCache()
    inner = ScriptedProvider([ProviderError("down", kind="server", retryable=True), "ok"])
    wrapper = cached(inner, cache)
    with pytest.raises(ProviderError):
        await wrapper.complete(user_request("x"))
    assert cache.data == {}
    assert (await wrapper.complete(user_request("x"))).text == "ok"
    assert inner.calls == 2


async def test_the_repeat_index_is_part_of_the_key() -> None:
    inner = ScriptedProvider(["repeat 0", "repeat 1"])
    wrapper = cached(inner)
    texts = [(await wrapper.complete(user_request("x", repeat=r))).text for r in (0, 1, 0, 1)]
    assert texts == ["repeat 0", "repeat 1", "repeat 0", "repeat 1"]
    assert inner.calls == 2


def test_the_key_pins_scheme_and_fields() -> None:
    request = Request(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        params={"temperature": 0},
        tools=None,
        repeat=1,
    )
    payload = {
        "scheme": "v1",
        "provider": "openai:m",
        "model": "m",
        "messages": [{"content": "hi", "role": "user"}],
        "params": {"temperature": 0},
        "tools": None,
        "repeat": 1,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    assert cache_key("openai:m", request) == hashlib.sha256(canonical.encode()).hexdigest()


def test_what_changes_the_key_and_what_does_not() -> None:
    base = user_request("hi", params={"temperature": 0, "max_tokens": 5})
    key = cache_key("openai:m", base)
    reordered = user_request("hi", params={"max_tokens": 5, "temperature": 0})
    assert cache_key("openai:m", reordered) == key
    assert cache_key("openai:m", user_request("hi", params={"temperature": 0, "max_tokens": 5},
                                              case_id="other", vars={"a": 1})) == key  # fmt: skip
    different = [
        cache_key("openai:other", base),
        cache_key("openai:m", user_request("hello", params=base.params)),
        cache_key("openai:m", user_request("hi", params={"temperature": 1, "max_tokens": 5})),
        cache_key("openai:m", user_request("hi", params=base.params, model="other")),
        cache_key("openai:m", user_request("hi", params=base.params, tools=[{"type": "x"}])),
        cache_key("openai:m", base, scope={"base_url": "http://127.0.0.1:1/v1"}),
    ]
    assert key not in different and len(set(different)) == len(different)


def test_memory_cache_meets_the_protocol() -> None:
    assert isinstance(MemoryCache(), ResponseCache)


async def test_a_hit_sends_nothing_to_the_server(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    wrapper = cached(openai_provider)
    await wrapper.complete(user_request("once"))
    hit = await wrapper.complete(user_request("once"))
    assert hit.cached and hit.text == "echo: once"
    assert fake_openai.count == 1

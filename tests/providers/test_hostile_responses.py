"""Odd answers are a `malformed` error for that call (or a lenient value), never a crash.

Each hostile body comes from the real loopback server (`harness.testing.hostile`, steered by a
``[[fault:hostile-...]]`` marker) through each HTTP adapter: OpenAI-compatible, Anthropic
(the server's ``/v1/messages`` route) and generic ``http:`` (its ``/v1/echo`` route). The
Python provider reads a user's return value the same way.
"""

from __future__ import annotations

import json
import math
import sqlite3
import textwrap
import tracemalloc
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ProviderConfigError, ProviderError
from harness.models import Completion, ModelSpec
from harness.providers.anthropic import AnthropicProvider
from harness.providers.base import Provider
from harness.providers.http import HttpProvider
from harness.providers.openai import OpenAIProvider
from harness.providers.python import PythonProvider
from harness.providers.stack import StackSettings, build_stack
from harness.providers.wrappers import MemoryCache
from harness.testing.fake_openai import FakeOpenAI
from harness.testing.fake_provider import user_request
from harness.testing.hostile import HOSTILE
from harness.textsafe import clean_json, clean_text

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object"}},
}
LIMIT = 10 * 1024 * 1024
Make = Callable[..., Provider]


def openai(server: FakeOpenAI, **options: Any) -> Provider:
    spec = ModelSpec(ref="openai:gpt-test", base_url=server.base_url, options=options)
    return OpenAIProvider(spec)


def anthropic(server: FakeOpenAI, **options: Any) -> Provider:
    spec = ModelSpec(ref="anthropic:claude-test", base_url=server.url, options=options)
    return AnthropicProvider(spec)


def http(server: FakeOpenAI, **options: Any) -> Provider:
    options.setdefault("response_path", "output.text")
    return HttpProvider(ModelSpec(ref=f"http:{server.base_url}/echo", options=options))


ADAPTERS: dict[str, Make] = {"openai": openai, "anthropic": anthropic, "http": http}
CHAT_ADAPTERS = {k: ADAPTERS[k] for k in ("openai", "anthropic")}


@pytest.fixture
async def providers(fake_openai: FakeOpenAI) -> AsyncIterator[Callable[..., Provider]]:
    made: list[Provider] = []

    def make(kind: str, **options: Any) -> Provider:
        provider = ADAPTERS[kind](fake_openai, **options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()


async def call(provider: Provider, fault: str | None) -> Completion:
    marker = f" [[fault:{fault}]]" if fault else ""
    return await provider.complete(user_request(f"weather?{marker}", tools=[WEATHER_TOOL]))


async def malformed(provider: Provider, fault: str | None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await call(provider, fault)
    assert caught.value.kind == "malformed", str(caught.value)
    return caught.value


def storable(completion: Completion) -> None:
    """What the store does with a completion must work: JSON dump, UTF-8, SQLite."""
    dumped = completion.model_dump_json()
    dumped.encode("utf-8")
    db = sqlite3.connect(":memory:")
    db.execute("create table t (text, json)")
    db.execute("insert into t values (?, ?)", (completion.text, dumped))


# ---------------------------------------------------------------------- lenient values


@pytest.mark.parametrize("kind", CHAT_ADAPTERS)
async def test_an_integer_tool_call_id_becomes_its_string(providers: Make, kind: str) -> None:
    completion = await call(providers(kind), "hostile-tool-id-int")
    (tool_call,) = completion.tool_calls
    assert (tool_call.id, tool_call.name, tool_call.arguments) == (
        "7",
        "get_weather",
        {"city": "Oslo"},
    )


# ---------------------------------------------------------------------- malformed fields


async def test_an_integer_content_part_text_is_malformed(providers: Make) -> None:
    error = await malformed(providers("openai"), "hostile-part-text-int")
    assert "choices[0].message.content[1].text is 7, not a string" in str(error)


async def test_an_integer_text_block_is_malformed_on_anthropic(providers: Make) -> None:
    error = await malformed(providers("anthropic"), "hostile-part-text-int")
    assert "content[0].text is 7, not a string" in str(error)


async def test_an_integer_at_the_http_response_path_is_its_json_text(providers: Make) -> None:
    completion = await call(providers("http"), "hostile-part-text-int")
    assert completion.text == "7"  # documented: non-string values are sent on as JSON text


TOKEN_CASES = [
    ("hostile-tokens-abc", "is 'abc', not an integer"),
    ("hostile-tokens-inf", "is inf, not an integer"),
    ("hostile-tokens-list", "is [1], not an integer"),
    ("hostile-tokens-negative", "is -5, not a token count"),
    ("hostile-tokens-bigint", "is 1000000000000000000000000000000, not a token count"),
]


@pytest.mark.parametrize(("fault", "why"), TOKEN_CASES)
async def test_garbage_token_counts_are_malformed(providers: Make, fault: str, why: str) -> None:
    error = await malformed(providers("openai"), fault)
    assert f"usage.prompt_tokens {why}" in str(error)


@pytest.mark.parametrize(("fault", "why"), TOKEN_CASES)
async def test_garbage_token_counts_are_malformed_on_anthropic(
    providers: Make, fault: str, why: str
) -> None:
    error = await malformed(providers("anthropic"), fault)
    assert f"usage.input_tokens {why}" in str(error)


@pytest.mark.parametrize(
    ("fault", "shown"), [("hostile-cost-negative", "-1.5"), ("hostile-cost-nan", "nan")]
)
async def test_a_negative_or_nan_cost_is_malformed(providers: Make, fault: str, shown: str) -> None:
    error = await malformed(providers("openai"), fault)
    assert f"usage.cost is {shown}, not a non-negative number" in str(error)


@pytest.mark.parametrize("kind", ADAPTERS)
async def test_200000_deep_json_is_malformed(providers: Make, kind: str) -> None:
    error = await malformed(providers(kind), "hostile-deep-json")
    assert "nests too deeply" in str(error)


async def test_deeply_nested_string_arguments_are_kept_as_the_raw_string(providers: Make) -> None:
    completion = await call(providers("openai"), "hostile-deep-arguments")
    (tool_call,) = completion.tool_calls
    assert isinstance(tool_call.arguments, str) and tool_call.arguments.startswith('{"city": [[[')
    storable(completion)


async def test_deeply_nested_object_arguments_are_malformed(providers: Make) -> None:
    error = await malformed(providers("anthropic"), "hostile-deep-arguments")
    assert "arguments nest deeper than 64 levels" in str(error)


# ---------------------------------------------------------------------- text sanitised


async def test_lone_surrogates_are_replaced_everywhere_on_openai(providers: Make) -> None:
    completion = await call(providers("openai"), "hostile-surrogate")
    assert completion.text == "before \ufffd after"
    assert (completion.finish_reason, completion.model) == ("stop\ufffd", "fake\ufffd")
    (tool_call,) = completion.tool_calls
    assert (tool_call.id, tool_call.name) == ("call_\ufffd", "get_\ufffdweather")
    assert tool_call.arguments == {"city": "Os\ufffdlo"}
    storable(completion)


async def test_lone_surrogates_are_replaced_everywhere_on_anthropic(providers: Make) -> None:
    completion = await call(providers("anthropic"), "hostile-surrogate")
    assert completion.text == "before \ufffd after"
    assert (completion.finish_reason, completion.model) == ("end_turn\ufffd", "fake\ufffd")
    (tool_call,) = completion.tool_calls
    assert tool_call.arguments == {"city": "Os\ufffdlo"} and tool_call.id == "call_\ufffd"
    storable(completion)


async def test_lone_surrogates_are_replaced_on_http(providers: Make) -> None:
    completion = await call(providers("http"), "hostile-surrogate")
    assert completion.text == "before \ufffd after"
    storable(completion)


@pytest.mark.parametrize("kind", ADAPTERS)
async def test_a_surrogate_in_an_error_message_is_replaced(providers: Make, kind: str) -> None:
    with pytest.raises(ProviderError) as caught:
        await call(providers(kind), "hostile-error-surrogate")
    assert caught.value.kind == "server" and "upstream \ufffd broke" in str(caught.value)
    str(caught.value).encode("utf-8")


@pytest.mark.parametrize("kind", ADAPTERS)
async def test_a_deep_json_error_body_is_still_classified_by_status(
    providers: Make, kind: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        await call(providers(kind), "hostile-error-deep")
    assert (caught.value.kind, caught.value.status) == ("server", 500)


# ---------------------------------------------------------------------- size cap


@pytest.mark.parametrize("kind", ADAPTERS)
async def test_a_gzip_bomb_stops_at_the_cap_without_inflating(providers: Make, kind: str) -> None:
    provider = providers(kind)
    await provider.complete(user_request("warm up"))  # connection and TLS-free setup first
    tracemalloc.start()
    try:
        error = await malformed(provider, "hostile-gzip-bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"over the {LIMIT:,}-byte limit" in str(error)
    assert peak < 4 * LIMIT, f"peak {peak:,} bytes: the body was inflated past the cap"
    assert (await provider.complete(user_request("still there?"))).text  # the next call works


@pytest.mark.parametrize("kind", ADAPTERS)
async def test_a_plain_body_over_the_cap_is_malformed(providers: Make, kind: str) -> None:
    error = await malformed(providers(kind), "hostile-huge")
    assert f"over the {LIMIT:,}-byte limit" in str(error)


async def test_the_cap_is_an_option(providers: Make) -> None:
    big = providers("openai", max_response_bytes=20 * 1024 * 1024)
    assert len((await call(big, "hostile-huge")).text) == 12 * 1024 * 1024
    small = providers("openai", max_response_bytes=100)
    error = await malformed(small, None)
    assert "over the 100-byte limit" in str(error)


async def test_the_cap_comes_from_the_environment_when_no_option_sets_it(
    providers: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_MAX_RESPONSE_BYTES", "200")
    error = await malformed(providers("anthropic"), None)
    assert "over the 200-byte limit" in str(error)
    assert (await call(providers("anthropic", max_response_bytes=10_000), None)).text


@pytest.mark.parametrize("value", [0, -1, "lots", True])
def test_a_bad_cap_is_a_config_error(fake_openai: FakeOpenAI, value: object) -> None:
    with pytest.raises(ProviderConfigError, match="max_response_bytes"):
        openai(fake_openai, max_response_bytes=value)


# ---------------------------------------------------------------------- never a crash


# What each adapter reads: usage and cost mean nothing to `http:`, nor cost to Anthropic.
IGNORED = {
    "anthropic": ("hostile-cost-",),
    "http": (
        "hostile-cost-",
        "hostile-tokens-",
        "hostile-tool-id",
        "hostile-part-text",
        "hostile-deep-arguments",
    ),
}
RELEVANT = [
    (kind, fault)
    for kind in ADAPTERS
    for fault in sorted(HOSTILE)
    if not fault.startswith(IGNORED.get(kind, ("-",)))
]


@pytest.mark.parametrize(("kind", "fault"), RELEVANT)
async def test_no_hostile_answer_escapes_as_another_exception_or_passes_as_honest(
    providers: Make, kind: str, fault: str
) -> None:
    try:
        completion = await call(providers(kind), fault)
    except ProviderError as error:
        assert error.kind in {"malformed", "server"}
        assert clean_text(str(error)) == str(error)
    else:
        storable(completion)
        assert len(completion.text) <= LIMIT
        cost = completion.cost_usd
        assert cost is None or (math.isfinite(cost) and cost >= 0)
        usage = completion.usage
        assert usage is None or 0 <= usage.total_tokens <= 10**10


async def test_the_stack_records_the_error_and_the_next_case_runs(
    fake_openai: FakeOpenAI,
) -> None:
    spec = ModelSpec(ref="openai:gpt-test", base_url=fake_openai.base_url)
    cache = MemoryCache()
    settings = StackSettings(max_attempts=2, base_delay=0.0)
    stack = build_stack(spec, settings, cache=cache, adapter=openai(fake_openai))
    with pytest.raises(ProviderError) as caught:
        await call(stack, "hostile-tokens-abc")
    assert (caught.value.kind, caught.value.attempts) == ("malformed", 2)
    cleaned = await call(stack, "hostile-surrogate")
    assert cleaned.text == "before \ufffd after"
    for stored in cache.data.values():
        storable(stored)
    assert (await stack.complete(user_request("next case"))).text == "echo: next case"
    await stack.aclose()


# ---------------------------------------------------------------------- python provider

USER_MODULE = """
def bad_tokens(payload):
    return {"text": "x", "usage": {"prompt_tokens": "abc", "completion_tokens": 1}}

def inf_tokens(payload):
    return {"text": "x", "usage": {"prompt_tokens": float("inf")}}

def nan_cost(payload):
    return {"text": "x", "cost_usd": float("nan")}

def negative_cost(payload):
    return {"text": "x", "cost_usd": -2}

def int_tool_id(payload):
    return {"text": "", "tool_calls": [{"id": 7, "name": "f", "arguments": "{}"}]}

def surrogate(payload):
    return {"text": "a\\ud800b", "finish_reason": "stop\\udfff"}

def surrogate_error(payload):
    raise ValueError("bad \\ud800 input")

def deep_arguments(payload):
    value = []
    for _ in range(300):
        value = [value]
    return {"text": "", "tool_calls": [{"name": "f", "arguments": value}]}
"""


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "harness_hostile_fns.py").write_text(textwrap.dedent(USER_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))


def python(function: str) -> PythonProvider:
    return PythonProvider(ModelSpec(ref=f"python:harness_hostile_fns:{function}"))


@pytest.mark.usefixtures("user_module")
@pytest.mark.parametrize(
    ("function", "why"),
    [
        ("bad_tokens", "usage.prompt_tokens is 'abc', not an integer"),
        ("inf_tokens", "usage.prompt_tokens is inf, not an integer"),
        ("nan_cost", "cost_usd is nan, not a non-negative number"),
        ("negative_cost", "cost_usd is -2, not a non-negative number"),
        ("deep_arguments", "arguments nest deeper than 64 levels"),
    ],
)
async def test_python_return_values_are_read_strictly(function: str, why: str) -> None:
    with pytest.raises(ProviderError) as caught:
        await python(function).complete(user_request("x"))
    assert caught.value.kind == "malformed" and why in str(caught.value)


@pytest.mark.usefixtures("user_module")
async def test_python_int_tool_id_and_surrogates_are_cleaned() -> None:
    completion = await python("int_tool_id").complete(user_request("x"))
    assert completion.tool_calls[0].id == "7"
    completion = await python("surrogate").complete(user_request("x"))
    assert (completion.text, completion.finish_reason) == ("a\ufffdb", "stop\ufffd")
    storable(completion)
    with pytest.raises(ProviderError) as caught:
        await python("surrogate_error").complete(user_request("x"))
    assert caught.value.kind == "exception" and "bad \ufffd input" in str(caught.value)


# ---------------------------------------------------------------------- the helper


def test_clean_text_and_clean_json() -> None:
    assert clean_text("ok") == "ok" and clean_text("a\ud800\x00") == "a\ufffd\x00"
    assert clean_text("\ud83d\ude00") == "\U0001f600"  # a proper pair is its character
    assert clean_json({"k\udfff": ["\ud800", 1, None]}) == {"k\ufffd": ["\ufffd", 1, None]}
    deep = json.loads("[" * 100 + "]" * 100)
    with pytest.raises(ValueError, match="deeper than 64"):
        clean_json(deep)

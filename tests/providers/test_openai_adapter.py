"""The OpenAI adapter end to end against the real loopback server."""

from __future__ import annotations

import json

import httpx
import pytest

from harness.errors import ProviderConfigError, ProviderError
from harness.models import ModelSpec, Usage
from harness.providers.openai import OpenAIProvider
from harness.testing.fake_openai import FakeOpenAI, MakeFakeOpenAI
from harness.testing.fake_provider import user_request

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object"}},
}


async def test_text_usage_model_and_latency(openai_provider: OpenAIProvider) -> None:
    completion = await openai_provider.complete(user_request("hello world", model="gpt-test"))
    assert completion.text == "echo: hello world"
    assert completion.usage == Usage(prompt_tokens=2, completion_tokens=3)
    assert completion.finish_reason == "stop"
    assert completion.model == "gpt-test"
    assert completion.latency_ms > 0
    assert (completion.cost_usd, completion.refused, completion.tool_calls) == (None, False, ())


async def test_authorization_header_is_sent(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI, openai_key: str
) -> None:
    fake_openai.api_key = openai_key  # the server now rejects anything else
    await openai_provider.complete(user_request("hi"))
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {openai_key}"


async def test_params_pass_through_and_none_is_dropped(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    params = {"temperature": 0, "max_tokens": 50, "seed": 7, "top_p": 0.9, "stop": ["\n"]}
    await openai_provider.complete(user_request("hi", params={**params, "logprobs": None}))
    body = fake_openai.requests[0].json
    assert {k: body[k] for k in params} == params
    assert "logprobs" not in body and body["model"] == "test-model"


async def test_tool_calls_come_back_parsed(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    request = user_request(
        'weather? [[tool:get_weather {"city": "Oslo"}]] [[tool:broken {not json]]',
        tools=[WEATHER_TOOL],
        params={"tool_choice": "auto"},
    )
    completion = await openai_provider.complete(request)
    first, second = completion.tool_calls
    assert (first.name, first.arguments, first.id) == ("get_weather", {"city": "Oslo"}, "call_1_0")
    assert (second.name, second.arguments) == ("broken", "{not json")  # kept raw as evidence
    assert completion.finish_reason == "tool_calls"
    body = fake_openai.requests[0].json
    assert body["tools"] == [WEATHER_TOOL] and body["tool_choice"] == "auto"


@pytest.mark.parametrize("fmt", [{"type": "json_object"}, "json"])
async def test_json_mode_passes_through(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI, fmt: object
) -> None:
    completion = await openai_provider.complete(user_request("hi", params={"response_format": fmt}))
    assert json.loads(completion.text) == {"reply": "echo: hi"}
    assert fake_openai.requests[0].json["response_format"] == {"type": "json_object"}


async def test_refusal_field_and_content_filter_are_refusals(
    openai_provider: OpenAIProvider,
) -> None:
    refusal = await openai_provider.complete(user_request("[[refusal:I can't help with that]]"))
    assert refusal.refused and refusal.text == "I can't help with that"
    filtered = await openai_provider.complete(user_request("[[finish:content_filter]]"))
    assert filtered.refused and filtered.finish_reason == "content_filter"
    normal = await openai_provider.complete(user_request("fine"))
    assert not normal.refused


async def test_cost_from_pricing(fake_openai: FakeOpenAI, openai_key: str) -> None:
    pricing = {"input_per_mtok": 2.0, "output_per_mtok": 10.0}
    spec = ModelSpec(ref="openai:m", base_url=fake_openai.base_url, options={"pricing": pricing})
    provider = OpenAIProvider(spec)
    completion = await provider.complete(user_request("one two three"))  # 3 in, 4 out
    await provider.aclose()
    assert completion.cost_usd == pytest.approx((3 * 2.0 + 4 * 10.0) / 1e6)


async def test_server_reported_cost_wins_over_pricing(
    make_fake_openai: MakeFakeOpenAI, openai_key: str
) -> None:
    server = make_fake_openai(cost_per_token=0.001)
    options = {"pricing": {"input_per_mtok": 1.0, "output_per_mtok": 1.0}}
    provider = OpenAIProvider(ModelSpec(ref="openai:m", base_url=server.base_url, options=options))
    completion = await provider.complete(user_request("a b"))  # 2 in, 3 out
    await provider.aclose()
    assert completion.cost_usd == pytest.approx(0.005)


async def test_base_url_from_environment(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    provider = OpenAIProvider(ModelSpec(ref="openai:m"))  # no key: fine for a custom server
    completion = await provider.complete(user_request("env"))
    await provider.aclose()
    assert completion.text == "echo: env"
    assert "authorization" not in fake_openai.requests[0].headers


async def test_key_env_name_comes_from_options(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_GATEWAY_KEY", "gw-secret")
    spec = ModelSpec(
        ref="openai:m", base_url=fake_openai.base_url, options={"api_key_env": "MY_GATEWAY_KEY"}
    )
    provider = OpenAIProvider(spec)
    await provider.complete(user_request("x"))
    await provider.aclose()
    assert fake_openai.requests[0].headers["authorization"] == "Bearer gw-secret"


def test_the_real_api_without_a_key_is_a_config_error() -> None:
    with pytest.raises(ProviderConfigError, match="OPENAI_API_KEY"):
        OpenAIProvider(ModelSpec(ref="openai:gpt-4o"))


async def test_the_key_never_appears_in_errors_or_repr(openai_key: str) -> None:
    def leaky_server(request: httpx.Request) -> httpx.Response:
        message = f"Incorrect API key provided: {request.headers['authorization'][7:]}"
        return httpx.Response(401, json={"error": {"message": message}})

    spec = ModelSpec(ref="openai:m", base_url="http://127.0.0.1:9/v1")
    provider = OpenAIProvider(spec, transport=httpx.MockTransport(leaky_server))
    with pytest.raises(ProviderError) as caught:
        await provider.complete(user_request("x"))
    await provider.aclose()
    error = caught.value
    assert (error.kind, error.retryable, error.status) == ("auth", False, 401)
    assert "Incorrect API key provided: ***" in str(error)
    for text in (str(error), repr(error), repr(provider), repr(vars(error))):
        assert openai_key not in text

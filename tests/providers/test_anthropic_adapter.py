"""The Anthropic adapter's mapping, both ways, through httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from harness.errors import ProviderConfigError, ProviderError
from harness.models import ModelSpec, ToolCall, Usage
from harness.providers.anthropic import AnthropicProvider, build_body, map_messages
from harness.providers.base import Request

KEY = "sk-ant-test-secret"
ANSWER = {
    "id": "msg_1",
    "type": "message",
    "model": "claude-test-1",
    "content": [
        {"type": "text", "text": "Let me check. "},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
        {"type": "text", "text": "Done."},
    ],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 11, "output_tokens": 7, "cache_read_input_tokens": 4},
}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers with a fixed response and keeps the requests."""

    def __init__(
        self, status: int = 200, body: Any = ANSWER, headers: dict[str, str] | None = None
    ):
        self.status, self.body, self.headers = status, body, headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body, headers=self.headers)

    @property
    def sent(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)


def make_provider(
    handler: Handler, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> AnthropicProvider:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    spec = ModelSpec(ref="anthropic:claude-test", options=options)
    return AnthropicProvider(spec, transport=httpx.MockTransport(handler))


async def call(provider: AnthropicProvider, request: Request) -> Any:
    try:
        return await provider.complete(request)
    finally:
        await provider.aclose()


CONVERSATION: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "system", "content": "Use tools."},
    {"role": "user", "content": "Weather in Oslo?"},
    {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}},
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "-3 C"},
    {"role": "user", "content": "And tomorrow?"},
]  # fmt: skip


def test_messages_lift_the_system_prompt_and_map_tool_turns() -> None:
    system, messages = map_messages(CONVERSATION)
    assert system == "Be brief.\n\nUse tools."
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"city": "Oslo"}},
    ]
    assert messages[2]["content"] == [  # the tool result and the next user turn, merged
        {"type": "tool_result", "tool_use_id": "c1", "content": "-3 C"},
        {"type": "text", "text": "And tomorrow?"},
    ]


def test_body_params_and_tools() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather now",
            "parameters": {"type": "object"},
        },
    }
    params = {
        "temperature": 0,
        "stop": "END",
        "seed": 3,
        "tool_choice": "required",
    }
    request = Request(
        model="claude-test",
        messages=[{"role": "user", "content": "hi"}],
        params=params,
        tools=[tool],
    )
    body = build_body(request)
    assert body["max_tokens"] == 1024
    assert body["temperature"] == 0 and body["stop_sequences"] == ["END"]
    assert "seed" not in body and "system" not in body
    assert body["tool_choice"] == {"type": "any"}
    assert body["tools"] == [
        {"name": "get_weather", "description": "Weather now", "input_schema": {"type": "object"}}
    ]


def test_explicit_max_tokens_wins() -> None:
    body = build_body(Request(model="m", messages=[], params={"max_tokens": 50}))
    assert body["max_tokens"] == 50


async def test_request_headers_url_and_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    provider = make_provider(recorder, monkeypatch)
    completion = await call(provider, Request(model="claude-test", messages=CONVERSATION))
    sent = recorder.requests[0]
    assert str(sent.url) == "https://api.anthropic.com/v1/messages"
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert recorder.sent["system"] == "Be brief.\n\nUse tools."
    assert completion.text == "Let me check. Done."
    assert completion.tool_calls == (
        ToolCall(id="toolu_1", name="get_weather", arguments={"city": "Oslo"}),
    )
    assert completion.usage == Usage(prompt_tokens=15, completion_tokens=7)
    assert (completion.finish_reason, completion.model, completion.refused) == (
        "tool_use", "claude-test-1", False,
    )  # fmt: skip


async def test_refusal_stop_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {**ANSWER, "content": [{"type": "text", "text": "No."}], "stop_reason": "refusal"}
    completion = await call(make_provider(Recorder(body=answer), monkeypatch), Request("m", []))
    assert completion.refused and completion.text == "No."


async def test_pricing_gives_a_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    pricing = {"input_per_mtok": 3.0, "output_per_mtok": 15.0}
    provider = make_provider(Recorder(), monkeypatch, pricing=pricing)
    completion = await call(provider, Request("m", []))
    assert completion.cost_usd == pytest.approx((15 * 3.0 + 7 * 15.0) / 1e6)


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [(529, "server", True), (500, "server", True), (429, "rate_limit", True),
     (401, "auth", False), (400, "client", False)],
)  # fmt: skip
async def test_errors(
    monkeypatch: pytest.MonkeyPatch, status: int, kind: str, retryable: bool
) -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    recorder = Recorder(status, body, headers={"retry-after": "12"})
    with pytest.raises(ProviderError) as caught:
        await call(make_provider(recorder, monkeypatch), Request("m", []))
    error = caught.value
    assert (error.kind, error.retryable, error.status) == (kind, retryable, status)
    assert "Overloaded" in str(error) and KEY not in str(error)
    assert error.retry_after == 12.0


async def test_missing_content_is_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ProviderError) as caught:
        await call(make_provider(Recorder(body={"type": "message"}), monkeypatch), Request("m", []))
    assert (caught.value.kind, caught.value.retryable) == ("malformed", True)


async def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:8080/v1")
    recorder = Recorder()
    await call(make_provider(recorder, monkeypatch), Request("m", []))
    assert str(recorder.requests[0].url) == "http://127.0.0.1:8080/v1/messages"


def test_the_real_api_without_a_key_is_a_config_error() -> None:
    with pytest.raises(ProviderConfigError, match="ANTHROPIC_API_KEY"):
        AnthropicProvider(ModelSpec(ref="anthropic:claude-test"))


# ---------------------------------------------------------------------- JSON mode


def json_request(response_format: Any, **fields: Any) -> Request:
    return Request(model="claude-test", messages=[{"role": "user", "content": "hi"}],
                   params={"response_format": response_format}, **fields)


@pytest.mark.parametrize("response_format", ["json", {"type": "json_object"}])
def test_json_mode_becomes_one_forced_tool(response_format: Any) -> None:
    """response_format was dropped without a word: a JSON check then failed on prose."""
    body = build_body(json_request(response_format))
    assert "response_format" not in body
    assert body["tool_choice"] == {"type": "tool", "name": "json_answer"}
    assert body["tools"][0]["name"] == "json_answer"
    assert body["tools"][0]["input_schema"] == {"type": "object"}


def test_a_json_schema_is_the_forced_tools_input_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    body = build_body(json_request({"type": "json_schema",
                                    "json_schema": {"name": "x", "schema": schema}}))
    assert body["tools"][0]["input_schema"] == schema


def test_plain_text_format_changes_nothing() -> None:
    body = build_body(json_request({"type": "text"}))
    assert "tools" not in body and "tool_choice" not in body


@pytest.mark.parametrize("response_format", [{"type": "xml"}, 3, {"type": "json_schema"}])
def test_an_unusable_response_format_is_a_config_error(response_format: Any) -> None:
    with pytest.raises(ProviderError) as caught:
        build_body(json_request(response_format))
    assert (caught.value.kind, caught.value.retryable) == ("config", False)


def test_json_mode_with_tools_is_refused() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.raises(ProviderError) as caught:
        build_body(json_request("json", tools=[tool]))
    assert caught.value.kind == "config" and "tools" in str(caught.value)


async def test_json_mode_answer_is_the_tools_input_over_http(fake_openai: Any) -> None:
    provider = AnthropicProvider(
        ModelSpec(ref="anthropic:claude-test", base_url=fake_openai.base_url)
    )
    request = Request(
        model="claude-test",
        messages=[{"role": "user", "content": '[[tool:json_answer {"answer": 42}]]'}],
        params={"response_format": "json"},
    )
    try:
        completion = await provider.complete(request)
    finally:
        await provider.aclose()
    assert json.loads(completion.text) == {"answer": 42}
    assert completion.tool_calls == ()
    sent = fake_openai.requests[0].json
    assert sent["tool_choice"] == {"type": "tool", "name": "json_answer"}

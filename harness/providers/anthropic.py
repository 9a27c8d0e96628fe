"""`anthropic:MODEL`: Anthropic's Messages API.

Suites speak OpenAI-shaped messages and tools, so this adapter translates both ways: the
system prompt is lifted out of the messages, tool calls and results become tool_use /
tool_result blocks, consecutive same-role turns are merged (the API wants them alternating),
and parameters the API would reject (seed, response_format...) are dropped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from harness.errors import ProviderConfigError
from harness.models import Completion, ModelSpec, ToolCall, Usage
from harness.providers.base import Request
from harness.providers.classify import (
    BadAnswer,
    BodyError,
    error_for_transport,
    malformed,
    raise_for_answer,
    reading_answer,
)
from harness.providers.common import (
    api_key,
    cost_usd,
    elapsed_ms,
    env_value,
    finish_completion,
    make_client,
    optional_text,
    parse_arguments,
    resolve_headers,
    show,
    text_of,
    token_count,
    tool_call_id,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024
DROPPED_PARAMS = frozenset(
    {
        "seed",
        "response_format",
        "n",
        "frequency_penalty",
        "presence_penalty",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "user",
        "parallel_tool_calls",
    }
)
PROMPT_TOKEN_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
RENAMED_PARAMS = {"stop": "stop_sequences", "max_completion_tokens": "max_tokens"}


class AnthropicProvider:
    """The Messages API over one pooled HTTP client. Never retries; see the wrappers."""

    def __init__(
        self,
        spec: ModelSpec,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = spec.ref
        self.model = spec.ref.partition(":")[2]
        self.options = dict(spec.options)
        base = spec.base_url or env_value("ANTHROPIC_BASE_URL", env) or DEFAULT_BASE_URL
        self.url = base.rstrip("/").removesuffix("/v1") + "/v1/messages"
        self._key = api_key(self.options, "ANTHROPIC_API_KEY", env)
        if self._key is None and base == DEFAULT_BASE_URL:
            key_env = self.options.get("api_key_env") or "ANTHROPIC_API_KEY"
            raise ProviderConfigError(f"{self.name}: set {key_env} to call the Anthropic API")
        headers = resolve_headers(self.options.get("headers"), env)
        headers["anthropic-version"] = str(self.options.get("anthropic_version", API_VERSION))
        if self._key:
            headers["x-api-key"] = self._key
        self._client = make_client(self.options, headers=headers, transport=transport, env=env)

    def __repr__(self) -> str:
        return f"AnthropicProvider(name={self.name!r}, url={self.url!r})"

    @property
    def cache_scope(self) -> dict[str, Any]:
        return {"base_url": self.url}

    async def complete(self, request: Request) -> Completion:
        body = build_body(request, default_model=self.model)
        started = time.perf_counter()
        try:
            response = await self._client.post(self.url, json=body)
        except (httpx.HTTPError, BodyError) as exc:
            raise error_for_transport(self.name, exc) from exc
        latency = elapsed_ms(started)
        raise_for_answer(self.name, response, secrets=[self._key or ""])
        with reading_answer(self.name, response.status_code):
            return parse_answer(self.name, response.json(), latency, self.options)

    async def aclose(self) -> None:
        await self._client.aclose()


# ---------------------------------------------------------------------- request mapping


def build_body(request: Request, *, default_model: str = "") -> dict[str, Any]:
    """The Messages API body for an OpenAI-shaped request."""
    system, messages = map_messages(request.messages)
    body: dict[str, Any] = {"model": request.model or default_model, "messages": messages}
    body.update(map_params(request.params))
    body.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [map_tool(tool) for tool in request.tools]
    return body


def map_params(params: Mapping[str, Any]) -> dict[str, Any]:
    mapped: dict[str, Any] = {}
    for key, value in params.items():
        if key in DROPPED_PARAMS or value is None:
            continue
        key = RENAMED_PARAMS.get(key, key)
        if key == "stop_sequences" and isinstance(value, str):
            value = [value]
        if key == "tool_choice":
            value = map_tool_choice(value)
        mapped[key] = value
    return mapped


def map_tool_choice(choice: Any) -> Any:
    """OpenAI's tool_choice ("auto", "required", "none", a named function) in Anthropic's form."""
    named = {"auto": "auto", "required": "any", "any": "any", "none": "none"}
    if isinstance(choice, str) and choice in named:
        return {"type": named[choice]}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"type": "tool", "name": choice["function"].get("name")}
    return choice


def map_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool as an Anthropic tool; Anthropic-shaped tools pass through."""
    if "input_schema" in tool:
        return dict(tool)
    function = tool.get("function", tool)
    mapped = {
        "name": function.get("name"),
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        mapped["description"] = function["description"]
    return mapped


def map_messages(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """(system prompt, alternating user/assistant messages with content blocks)."""
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(_plain_text(message.get("content")))
        elif role == "tool":
            _append(out, "user", [_tool_result(message)])
        elif role == "assistant" and message.get("tool_calls"):
            _append(out, "assistant", _assistant_blocks(message))
        else:
            _append(out, "assistant" if role == "assistant" else "user", message.get("content"))
    return ("\n\n".join(s for s in system if s) or None), out


def _append(out: list[dict[str, Any]], role: str, content: Any) -> None:
    if out and out[-1]["role"] == role:
        out[-1]["content"] = _blocks(out[-1]["content"]) + _blocks(content)
    else:
        out.append({"role": role, "content": content if content is not None else ""})


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, list):
        return list(content)
    return [{"type": "text", "text": content or ""}]


def _plain_text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return content or ""


def _tool_result(message: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "tool_result",
        "tool_use_id": message.get("tool_call_id"),
        "content": _plain_text(message.get("content")),
    }


def _assistant_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks = _blocks(message["content"]) if message.get("content") else []
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        arguments = parse_arguments(function.get("arguments"))
        blocks.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": arguments if isinstance(arguments, dict) else {},
            }
        )
    return blocks


# ---------------------------------------------------------------------- answer mapping


def parse_answer(
    provider: str, data: Any, latency_ms: float, options: Mapping[str, Any]
) -> Completion:
    """A Completion from a Messages API answer; missing content is malformed (retryable).

    Any field it cannot use raises malformed too (naming the field), so a caller need not
    wrap it; a text block whose `text` is not a string is malformed, an integer tool id is
    taken as its string.
    """
    with reading_answer(provider):
        return _parse_answer(provider, data, latency_ms, options)


def _parse_answer(
    provider: str, data: Any, latency_ms: float, options: Mapping[str, Any]
) -> Completion:
    if not isinstance(data, dict) or not isinstance(data.get("content"), list):
        raise malformed(provider, "no content blocks")
    blocks = [(i, b) for i, b in enumerate(data["content"]) if isinstance(b, dict)]
    stop_reason = optional_text(data.get("stop_reason"))
    usage = _usage(data.get("usage"))
    texts = [text_of(b.get("text"), f"content[{i}].text") for i, b in blocks if _is(b, "text")]
    completion = Completion(
        text="".join(texts),
        tool_calls=tuple(_tool_call(b, i) for i, b in blocks if _is(b, "tool_use")),
        usage=usage,
        latency_ms=latency_ms,
        refused=stop_reason == "refusal",
        finish_reason=stop_reason,
        cost_usd=cost_usd(usage, options, ref=provider),
        model=optional_text(data.get("model")),
    )
    return finish_completion(completion)


def _is(block: Mapping[str, Any], kind: str) -> bool:
    return block.get("type") == kind


def _tool_call(block: Mapping[str, Any], index: int) -> ToolCall:
    name = block.get("name")
    if not isinstance(name, str):
        raise BadAnswer(f"content[{index}].name is {show(name)}, not a string")
    arguments = block.get("input")
    if isinstance(arguments, str):
        arguments = parse_arguments(arguments)
    call_id = tool_call_id(block.get("id"), f"content[{index}].id")
    return ToolCall(id=call_id, name=name, arguments=arguments)


def _usage(raw: Any) -> Usage | None:
    """Prompt tokens include cache writes and reads: they were all read by the model."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadAnswer(f"usage is {show(raw)}, not an object")
    prompt = sum(token_count(raw.get(key), f"usage.{key}") for key in PROMPT_TOKEN_KEYS)
    output = token_count(raw.get("output_tokens"), "usage.output_tokens")
    return Usage(prompt_tokens=prompt, completion_tokens=output)

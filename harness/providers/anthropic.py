"""`anthropic:MODEL`: Anthropic's Messages API.

Suites speak OpenAI-shaped messages and tools, so this adapter translates both ways: the
system prompt is lifted out of the messages, tool calls and results become tool_use /
tool_result blocks, consecutive same-role turns are merged (the API wants them alternating),
and parameters the API has no equivalent for (seed, n, logprobs...) are dropped.

`response_format` (JSON mode, `json` or `{"type": "json_object"}`, or `{"type": "json_schema",
"json_schema": {"schema": ...}}`) has no Messages API parameter, so it becomes what Anthropic
documents for JSON output: one tool whose input schema is the wanted JSON, which the model is
made to call; its input comes back as the answer's text. With the suite's own tools as well
it is refused (the forced call would keep the model from choosing them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from harness.errors import ProviderConfigError, ProviderError
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
JSON_TOOL = "json_answer"
DROPPED_PARAMS = frozenset(
    {
        "seed",
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


def effective_base_url(spec: ModelSpec, env: Mapping[str, str] | None = None) -> str:
    """The server a spec's requests go to: its `base_url`, else `ANTHROPIC_BASE_URL`, else
    Anthropic's, without a trailing `/v1` (what a run records as the model's endpoint)."""
    base = spec.base_url or env_value("ANTHROPIC_BASE_URL", env) or DEFAULT_BASE_URL
    return base.rstrip("/").removesuffix("/v1")


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
        self.url = effective_base_url(spec, env) + "/v1/messages"
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
        json_mode = body.get("tool_choice") == {"type": "tool", "name": JSON_TOOL}
        with reading_answer(self.name, response.status_code):
            return parse_answer(
                self.name, response.json(), latency, self.options, json_mode=json_mode
            )

    async def aclose(self) -> None:
        await self._client.aclose()


# ---------------------------------------------------------------------- request mapping


def build_body(request: Request, *, default_model: str = "") -> dict[str, Any]:
    """The Messages API body for an OpenAI-shaped request."""
    system, messages = map_messages(request.messages)
    body: dict[str, Any] = {"model": request.model or default_model, "messages": messages}
    params = dict(request.params)
    schema = json_schema_of(params.pop("response_format", None))
    body.update(map_params(params))
    body.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [map_tool(tool) for tool in request.tools]
    if schema is not None:
        if request.tools:
            raise ProviderError(
                "anthropic: response_format (JSON mode) cannot be combined with tools: the "
                "Messages API has no JSON mode, and the forced JSON tool would keep the model "
                "from choosing the suite's tools; drop one of them",
                kind="config",
            )
        body["tools"] = [
            {
                "name": JSON_TOOL,
                "description": "Give your whole answer as this tool's input, as JSON.",
                "input_schema": schema,
            }
        ]
        body["tool_choice"] = {"type": "tool", "name": JSON_TOOL}
    return body


def json_schema_of(response_format: Any) -> dict[str, Any] | None:
    """The JSON schema an OpenAI-style `response_format` asks for; None for plain text.
    Anything else is a config error, not a silently ignored parameter."""
    if response_format is None:
        return None
    kind = response_format if isinstance(response_format, str) else (
        response_format.get("type") if isinstance(response_format, Mapping) else None
    )
    if kind == "text":
        return None
    if kind in ("json", "json_object"):
        return {"type": "object"}
    if kind == "json_schema" and isinstance(response_format, Mapping):
        wrapper = response_format.get("json_schema")
        schema = wrapper.get("schema") if isinstance(wrapper, Mapping) else None
        if isinstance(schema, Mapping):
            return dict(schema)  # a root object, as OpenAI's structured outputs require
    raise ProviderError(
        f"anthropic: response_format {show(response_format)} is not one of 'json', "
        "{type: json_object}, {type: json_schema, json_schema: {schema: ...}} or {type: text}",
        kind="config",
    )


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
    provider: str,
    data: Any,
    latency_ms: float,
    options: Mapping[str, Any],
    *,
    json_mode: bool = False,
) -> Completion:
    """A Completion from a Messages API answer; missing content is malformed (retryable).

    Any field it cannot use raises malformed too (naming the field), so a caller need not
    wrap it; a text block whose `text` is not a string is malformed, an integer tool id is
    taken as its string. In JSON mode the forced tool's input is the answer's text.
    """
    with reading_answer(provider):
        completion = _parse_answer(provider, data, latency_ms, options)
        return _json_answer(provider, completion) if json_mode else completion


def _json_answer(provider: str, completion: Completion) -> Completion:
    calls = [c for c in completion.tool_calls if c.name == JSON_TOOL]
    if not calls:
        if completion.refused:
            return completion
        raise malformed(provider, f"JSON mode: the answer did not call the {JSON_TOOL} tool")
    arguments = calls[0].arguments
    text = json.dumps(arguments, ensure_ascii=False)
    return completion.model_copy(update={"text": text, "tool_calls": ()})


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

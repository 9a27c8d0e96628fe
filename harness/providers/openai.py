"""`openai:MODEL`: any OpenAI-compatible chat-completions server.

Requests are already OpenAI-shaped, so the mapping is thin: params and tools pass through
untouched (the server is the authority on what it accepts), and the answer is read
defensively because "OpenAI-compatible" servers differ in what they omit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from harness.errors import ProviderConfigError
from harness.models import Completion, ModelSpec, ToolCall
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
    tool_call_id,
    usage_from,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
REFUSAL_FINISH = "content_filter"


def effective_base_url(spec: ModelSpec, env: Mapping[str, str] | None = None) -> str:
    """The server a spec's requests go to: its `base_url`, else `OPENAI_BASE_URL`, else
    OpenAI's (what a run records as the model's endpoint)."""
    return (spec.base_url or env_value("OPENAI_BASE_URL", env) or DEFAULT_BASE_URL).rstrip("/")


class OpenAIProvider:
    """Chat completions over one pooled HTTP client. Never retries; see the wrappers."""

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
        self.base_url = effective_base_url(spec, env)
        self._key = api_key(self.options, "OPENAI_API_KEY", env)
        if self._key is None and self.base_url == DEFAULT_BASE_URL:
            key_env = self.options.get("api_key_env") or "OPENAI_API_KEY"
            raise ProviderConfigError(f"{self.name}: set {key_env} to call the OpenAI API")
        headers = resolve_headers(self.options.get("headers"), env)
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        self._client = make_client(self.options, headers=headers, transport=transport, env=env)

    def __repr__(self) -> str:
        return f"OpenAIProvider(name={self.name!r}, base_url={self.base_url!r})"

    @property
    def cache_scope(self) -> dict[str, Any]:
        """What besides the request decides the answer: the server it goes to."""
        return {"base_url": self.base_url}

    async def complete(self, request: Request) -> Completion:
        body = self._body(request)
        started = time.perf_counter()
        try:
            response = await self._client.post(f"{self.base_url}/chat/completions", json=body)
        except (httpx.HTTPError, BodyError) as exc:
            raise error_for_transport(self.name, exc) from exc
        latency = elapsed_ms(started)
        raise_for_answer(self.name, response, secrets=[self._key or ""])
        with reading_answer(self.name, response.status_code):
            return self._completion(_json(self.name, response), latency)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _body(self, request: Request) -> dict[str, Any]:
        body: dict[str, Any] = {"model": request.model or self.model, "messages": request.messages}
        body.update({k: v for k, v in request.params.items() if v is not None})
        if body.get("response_format") == "json":  # shorthand for JSON mode in suite params
            body["response_format"] = {"type": "json_object"}
        if request.tools:
            body["tools"] = request.tools
        return body

    def _completion(self, data: dict[str, Any], latency: float) -> Completion:
        """The answer as a Completion; any field it cannot use raises (see `reading_answer`)."""
        choice, message = _first_choice(self.name, data)
        finish = optional_text(choice.get("finish_reason"))
        refusal = message.get("refusal")
        if refusal is not None and not isinstance(refusal, str):
            raise BadAnswer(f"choices[0].message.refusal is {show(refusal)}, not a string")
        usage = usage_from(data.get("usage"), "prompt_tokens", "completion_tokens")
        reported = data["usage"].get("cost") if isinstance(data.get("usage"), dict) else None
        completion = Completion(
            text=_text(message.get("content")) or refusal or "",
            tool_calls=_tool_calls(self.name, message.get("tool_calls")),
            usage=usage,
            latency_ms=latency,
            refused=bool(refusal) or finish == REFUSAL_FINISH,
            finish_reason=finish,
            cost_usd=cost_usd(usage, self.options, reported, ref=self.name),
            model=optional_text(data.get("model")),
        )
        return finish_completion(completion)


def _json(provider: str, response: httpx.Response) -> dict[str, Any]:
    """The parsed body; not JSON (or nested too deeply to parse) raises, read as malformed."""
    data = response.json()
    if not isinstance(data, dict):
        raise malformed(provider, "the body is not a JSON object", response.status_code)
    return data


def _first_choice(provider: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise malformed(provider, "no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise malformed(provider, "the choice has no message")
    return choices[0], message


def _text(content: Any) -> str:
    """Content as text: a string, or the text parts of a list of content parts.

    A part whose `text` is not a string (an int, say) is malformed rather than coerced: the
    text is what gets scored, and 7 is not text the model sent. Parts without text (images)
    and non-object parts are skipped.
    """
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise BadAnswer(f"choices[0].message.content is {show(content)}, not a string or parts")
    return "".join(
        text_of(part.get("text"), f"choices[0].message.content[{i}].text")
        for i, part in enumerate(content)
        if isinstance(part, dict)
    )


def _tool_calls(provider: str, raw: Any) -> tuple[ToolCall, ...]:
    if not raw:
        return ()
    if not isinstance(raw, list):
        raise malformed(provider, "tool_calls is not a list")
    calls = []
    for i, item in enumerate(raw):
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise malformed(provider, "a tool call has no function name")
        call_id = tool_call_id(item.get("id"), f"choices[0].message.tool_calls[{i}].id")
        arguments = parse_arguments(function.get("arguments"))
        calls.append(ToolCall(id=call_id, name=function["name"], arguments=arguments))
    return tuple(calls)

"""What the fake server answers: a pure function of the request body.

Deterministic so a test can predict the exact answer, tokens and cost from what it sent, and so
the response cache and repeat logic can be checked against real bytes.
"""

from __future__ import annotations

import json
import time
from typing import Any

from harness.testing.markers import Markers

JSON_FORMATS = ("json_object", "json_schema")


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or a list of OpenAI content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def request_text(body: Any) -> str:
    """The text that markers are read from: `prompt`, else the last user message."""
    if not isinstance(body, dict):
        return ""
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        return prompt
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def word_count(text: str) -> int:
    return len(text.split())


def chat_completion(
    body: dict[str, Any], markers: Markers, text: str, number: int, cost_per_token: float | None
) -> dict[str, Any]:
    """An OpenAI chat.completion object answering `body`."""
    message, finish, out_words = _message(body, markers, text, number)
    prompt_words = sum(word_count(content_text(m.get("content"))) for m in _messages(body))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_words,
        "completion_tokens": out_words,
        "total_tokens": prompt_words + out_words,
    }
    if cost_per_token is not None:
        usage["cost"] = round((prompt_words + out_words) * cost_per_token, 12)
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model") or "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": markers.finish or finish}],
        "usage": usage,
    }


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body.get("messages") or [] if isinstance(m, dict)]


def _message(
    body: dict[str, Any], markers: Markers, text: str, number: int
) -> tuple[dict[str, Any], str, int]:
    """(message, finish_reason, completion word count)."""
    if markers.refusal is not None:
        message = {"role": "assistant", "content": None, "refusal": markers.refusal}
        return message, "stop", word_count(markers.refusal)
    if markers.tools and body.get("tools"):
        calls = [_tool_call(t.name, t.arguments, number, i) for i, t in enumerate(markers.tools)]
        words = sum(word_count(t.arguments) for t in markers.tools)
        return {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls", words
    reply, finish = reply_text(body, markers, text)
    return {"role": "assistant", "content": reply}, finish, word_count(reply)


def _tool_call(name: str, arguments: str, number: int, index: int) -> dict[str, Any]:
    return {
        "id": f"call_{number}_{index}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def reply_text(body: dict[str, Any], markers: Markers, text: str) -> tuple[str, str]:
    """(text, finish_reason): the reply marker or an echo, cut to max_tokens, JSON if asked."""
    reply = markers.reply if markers.reply is not None else "echo: " + text
    finish = "stop"
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(limit, int) and 0 < limit < word_count(reply):
        reply, finish = " ".join(reply.split()[:limit]), "length"
    if _wants_json(body):
        reply = _as_json(reply)
    return reply, finish


def _wants_json(body: dict[str, Any]) -> bool:
    fmt = body.get("response_format")
    return isinstance(fmt, dict) and fmt.get("type") in JSON_FORMATS


def _as_json(reply: str) -> str:
    try:
        json.loads(reply)
        return reply
    except ValueError:
        return json.dumps({"reply": reply})


def error_body(status: int, message: str) -> dict[str, Any]:
    kinds = {401: "invalid_request_error", 429: "rate_limit_exceeded"}
    return {
        "error": {"message": message, "type": kinds.get(status, "server_error"), "code": status}
    }


def anthropic_message(answer: dict[str, Any]) -> dict[str, Any]:
    """The same answer in the shape of Anthropic's Messages API (``POST /v1/messages``)."""
    choice = answer["choices"][0]
    message = choice["message"]
    blocks: list[dict[str, Any]] = []
    text = message.get("content") or message.get("refusal")
    if text:
        blocks.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or []:
        try:
            arguments = json.loads(call["function"]["arguments"])
        except ValueError:
            arguments = {}
        blocks.append(
            {
                "type": "tool_use",
                "id": call["id"],
                "name": call["function"]["name"],
                "input": arguments if isinstance(arguments, dict) else {},
            }
        )
    stops = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
    finish = choice.get("finish_reason")
    stop = "refusal" if message.get("refusal") else stops.get(finish, finish)
    usage = {
        "input_tokens": answer["usage"]["prompt_tokens"],
        "output_tokens": answer["usage"]["completion_tokens"],
    }
    return {
        "id": str(answer["id"]).replace("chatcmpl", "msg"),
        "type": "message",
        "role": "assistant",
        "model": answer["model"],
        "content": blocks,
        "stop_reason": stop,
        "usage": usage,
    }

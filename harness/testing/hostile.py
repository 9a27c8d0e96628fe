"""Hostile answers: 200s (and a few errors) whose bodies are valid HTTP but odd inside.

Each is a fault name for the fake server (``[[fault:hostile-tokens-abc]]`` in a prompt, or a
`FaultRule`), applied to the answer the server would have sent, in whichever shape the route
speaks (OpenAI chat completion, Anthropic message, or the ``/v1/echo`` answer of the
``http:`` provider). They reproduce the answers that used to crash a whole run:

- ``hostile-tool-id-int``: a tool call whose ``id`` is the integer 7;
- ``hostile-part-text-int``: content as parts, one whose ``text`` is the integer 7;
- ``hostile-tokens-abc`` / ``-inf`` / ``-list`` / ``-negative`` / ``-bigint``: the prompt
  token count is ``"abc"``, the literal ``1e400``, ``[1]``, ``-5`` or ``10**30``;
- ``hostile-cost-negative`` / ``hostile-cost-nan``: ``usage.cost`` is ``-1.5`` or ``NaN``;
- ``hostile-deep-json``: 200,000 nested arrays (``json.loads`` raises RecursionError);
- ``hostile-surrogate``: a lone ``\\ud800`` escape in the text, finish reason, model, a
  tool call's name, id and arguments;
- ``hostile-deep-arguments``: tool-call arguments nested 300 levels (parse fine, cannot be
  stored by pydantic's serialiser);
- ``hostile-gzip-bomb``: ~200 MB of JSON text gzip-compressed to ~200 KB;
- ``hostile-huge``: a plain (uncompressed) 12 MB answer;
- ``hostile-error-surrogate`` / ``hostile-error-deep``: a 500 whose error message has a lone
  surrogate, or whose body is 200,000-deep JSON.
"""

from __future__ import annotations

import copy
import functools
import json
import zlib
from collections.abc import Callable
from typing import Any

DEEP = 200_000
BOMB_BYTES = 200 * 1024 * 1024
HUGE_BYTES = 12 * 1024 * 1024
DEEP_ARGUMENTS = 300
_RAW = "\x00hostile-raw\x00"  # replaced by a literal in the encoded body

Hostile = tuple[int, bytes, list[tuple[str, str]]]  # status, body, extra headers


def _shape(answer: dict[str, Any]) -> str:
    if "choices" in answer:
        return "openai"
    if answer.get("type") == "message":
        return "anthropic"
    return "echo"


def _encode(answer: Any, raw: str = "") -> bytes:
    """JSON with `ensure_ascii` (so a lone surrogate goes out as its ``\\ud800`` escape) and
    the `_RAW` placeholder, where used, replaced by a literal JSON cannot spell (1e400)."""
    body = json.dumps(answer)
    if raw:
        body = body.replace(json.dumps(_RAW), raw)
    return body.encode("ascii")


def _ok(answer: Any, raw: str = "") -> Hostile:
    return 200, _encode(answer, raw), []


def _tool_call(answer: dict[str, Any], call_id: Any, name: str, arguments: str) -> None:
    """Give the answer (a copy) one tool call with these fields, in its own shape."""
    shape = _shape(answer)
    if shape == "openai":
        message = answer["choices"][0]["message"]
        function = {"name": name, "arguments": arguments}
        message["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
        answer["choices"][0]["finish_reason"] = "tool_calls"
    elif shape == "anthropic":
        block = {"type": "tool_use", "id": call_id, "name": name, "input": json.loads(arguments)}
        answer["content"].append(block)
        answer["stop_reason"] = "tool_use"
    else:
        answer["output"]["tool_call"] = {"id": call_id, "name": name, "arguments": arguments}


def _set_text(answer: dict[str, Any], text: Any) -> None:
    shape = _shape(answer)
    if shape == "openai":
        answer["choices"][0]["message"]["content"] = text
    elif shape == "anthropic":
        answer["content"] = [{"type": "text", "text": text}]
    else:
        answer["output"]["text"] = text


def _set_prompt_tokens(answer: dict[str, Any], value: Any) -> None:
    if _shape(answer) == "anthropic":
        answer["usage"]["input_tokens"] = value
    elif _shape(answer) == "openai":
        answer["usage"]["prompt_tokens"] = value
    else:
        answer["usage"] = {"prompt_tokens": value}


def _usage(answer: dict[str, Any]) -> dict[str, Any]:
    return answer.setdefault("usage", {})


# ---------------------------------------------------------------------- the modes


def tool_id_int(answer: dict[str, Any]) -> Hostile:
    _tool_call(answer, 7, "get_weather", '{"city": "Oslo"}')
    return _ok(answer)


def part_text_int(answer: dict[str, Any]) -> Hostile:
    if _shape(answer) == "openai":
        answer["choices"][0]["message"]["content"] = [
            {"type": "text", "text": "the answer is "},
            {"type": "text", "text": 7},
        ]
    else:
        _set_text(answer, 7)
    return _ok(answer)


def _tokens(value: Any, raw: str = "") -> Callable[[dict[str, Any]], Hostile]:
    def mode(answer: dict[str, Any]) -> Hostile:
        _set_prompt_tokens(answer, value)
        return _ok(answer, raw)

    return mode


def _cost(value: Any, raw: str = "") -> Callable[[dict[str, Any]], Hostile]:
    def mode(answer: dict[str, Any]) -> Hostile:
        _usage(answer)["cost"] = value
        return _ok(answer, raw)

    return mode


def deep_json(answer: dict[str, Any]) -> Hostile:
    return 200, b'{"choices": ' + b"[" * DEEP + b"]" * DEEP + b"}", []


def surrogate(answer: dict[str, Any]) -> Hostile:
    _set_text(answer, "before \ud800 after")
    _tool_call(answer, "call_\udfff", "get_\ud800weather", '{"city": "Os\ud800lo"}')
    if _shape(answer) == "openai":
        answer["choices"][0]["finish_reason"] = "stop\ud800"
        answer["model"] = "fake\ud800"
    elif _shape(answer) == "anthropic":
        answer["stop_reason"] = "end_turn\ud800"
        answer["model"] = "fake\ud800"
    return _ok(answer)


def deep_arguments(answer: dict[str, Any]) -> Hostile:
    nested = "[" * DEEP_ARGUMENTS + "]" * DEEP_ARGUMENTS
    _tool_call(answer, "call_deep", "get_weather", '{"city": ' + nested + "}")
    return _ok(answer)


def _frame(answer: dict[str, Any]) -> tuple[bytes, bytes]:
    """The encoded answer split around its text, so a test can put any text in between."""
    marker = "\x01hostile-text\x01"
    template = copy.deepcopy(answer)
    _set_text(template, marker)
    before, _, after = _encode(template).decode().partition(json.dumps(marker)[1:-1])
    return before.encode(), after.encode()


@functools.lru_cache(maxsize=4)
def _bomb(before: bytes, after: bytes, size: int) -> bytes:
    """gzip of before + "a" * size + after, built a megabyte at a time (about 200 KB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [packer.compress(before)]
    block = b"a" * (1024 * 1024)
    for _ in range(size // len(block)):
        parts.append(packer.compress(block))
    parts.append(packer.compress(after))
    parts.append(packer.flush())
    return b"".join(parts)


def gzip_bomb(answer: dict[str, Any]) -> Hostile:
    before, after = _frame(answer)
    return 200, _bomb(before, after, BOMB_BYTES), [("Content-Encoding", "gzip")]


def huge(answer: dict[str, Any]) -> Hostile:
    before, after = _frame(answer)
    return 200, before + b"a" * HUGE_BYTES + after, []


def error_surrogate(answer: dict[str, Any]) -> Hostile:
    return 500, _encode({"error": {"message": "upstream \ud800 broke", "code": 500}}), []


def error_deep(answer: dict[str, Any]) -> Hostile:
    return 500, b'{"error": ' + b"[" * DEEP + b"]" * DEEP + b"}", []


HOSTILE: dict[str, Callable[[dict[str, Any]], Hostile]] = {
    "hostile-tool-id-int": tool_id_int,
    "hostile-part-text-int": part_text_int,
    "hostile-tokens-abc": _tokens("abc"),
    "hostile-tokens-inf": _tokens(_RAW, "1e400"),
    "hostile-tokens-list": _tokens([1]),
    "hostile-tokens-negative": _tokens(-5),
    "hostile-tokens-bigint": _tokens(10**30),
    "hostile-cost-negative": _cost(-1.5),
    "hostile-cost-nan": _cost(_RAW, "NaN"),
    "hostile-deep-json": deep_json,
    "hostile-surrogate": surrogate,
    "hostile-deep-arguments": deep_arguments,
    "hostile-gzip-bomb": gzip_bomb,
    "hostile-huge": huge,
    "hostile-error-surrogate": error_surrogate,
    "hostile-error-deep": error_deep,
}


def hostile_answer(fault: str, answer: dict[str, Any]) -> Hostile:
    """(status, body, headers) of hostile mode `fault` applied to a copy of `answer`."""
    return HOSTILE[fault](copy.deepcopy(answer))

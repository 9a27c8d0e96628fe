"""Markers that steer the fake server from inside a prompt.

A test writes its intent into the message it sends (``[[fault:429]]``, ``[[reply:Paris]]``,
``[[tool:get_weather {"city": "Oslo"}]]``), so one server serves every test without being
reconfigured, and the request body alone says what the answer will be.

Recognised markers (all optional, any number of them in one message):

- ``[[reply:TEXT]]``: answer exactly TEXT (default: ``"echo: " + message``);
- ``[[fault:NAME]]``: fail this request (see `harness.testing.faults`);
- ``[[tool:NAME {json}]]``: answer with a tool call (only when the request declares tools);
  the text after NAME is sent verbatim as the arguments string, ``{}`` when absent;
- ``[[sleep:SECONDS]]``: add this much latency to this request;
- ``[[finish:REASON]]``: report this finish_reason (e.g. ``content_filter``);
- ``[[refusal:TEXT]]``: answer with OpenAI's ``refusal`` field instead of content.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_SIMPLE = re.compile(r"\[\[(reply|fault|sleep|finish|refusal):(.*?)\]\]", re.DOTALL)
_TOOL_START = re.compile(r"\[\[tool:([A-Za-z0-9_.\-]+)\s*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class ToolMarker:
    name: str
    arguments: str  # verbatim, so a test can send arguments that are not valid JSON


@dataclass(frozen=True)
class Markers:
    reply: str | None = None
    fault: str | None = None
    sleep: float = 0.0
    finish: str | None = None
    refusal: str | None = None
    tools: tuple[ToolMarker, ...] = field(default_factory=tuple)


def parse_markers(text: str) -> Markers:
    """Read every marker in `text`; the first of each simple kind wins."""
    found: dict[str, str] = {}
    for match in _SIMPLE.finditer(text):
        found.setdefault(match.group(1), match.group(2))
    return Markers(
        reply=found.get("reply"),
        fault=found["fault"].strip() if "fault" in found else None,
        sleep=_float_or_zero(found.get("sleep")),
        finish=found.get("finish"),
        refusal=found.get("refusal"),
        tools=tuple(_tool_markers(text)),
    )


def _float_or_zero(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else 0.0
    except ValueError:
        return 0.0


def _tool_markers(text: str) -> list[ToolMarker]:
    """Tool markers, reading a JSON object with a real decoder so `]]` inside it is fine."""
    tools = []
    for match in _TOOL_START.finditer(text):
        rest = text[match.end() :]
        tools.append(ToolMarker(match.group(1), _tool_arguments(rest)))
    return tools


def _tool_arguments(rest: str) -> str:
    if rest.startswith("]]"):
        return "{}"
    if rest.startswith("{"):
        try:
            _, end = _DECODER.raw_decode(rest)
            return rest[:end]
        except json.JSONDecodeError:
            pass
    end = rest.find("]]")
    return (rest if end < 0 else rest[:end]).strip() or "{}"

"""Shared test data for tests/suites: a stand-in check registry and realistic files.

Kept out of conftest.py so tests can import it by a name no other test folder uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Write = Callable[[str, str], Path]  # the `write` fixture: (relative path, text) -> path


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None


class Contains(_Params):
    type: Literal["contains"]
    value: str | list[str]
    case_sensitive: bool = False


class Equals(_Params):
    type: Literal["equals"]
    value: str


class Regex(_Params):
    type: Literal["regex"]
    pattern: str


class Grounding(_Params):
    type: Literal["grounding"]
    threshold: float = Field(default=0.9, ge=0, le=1)


class Pii(_Params):
    type: Literal["pii"]
    severity: Literal["low", "high", "critical"] = "high"


class Refusal(_Params):
    type: Literal["refusal"]
    expect: Literal["answer", "refuse", "auto"] = "auto"


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    text: str
    points: float = 1


class Judge(_Params):
    type: Literal["judge"]
    model: str | None = None
    criteria: list[Criterion]
    threshold: float = 0.7


STAND_IN = {m.model_fields["type"].annotation.__args__[0]: m  # type: ignore[union-attr]
            for m in (Contains, Equals, Regex, Grounding, Pii, Refusal, Judge)}



def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line of `path` containing `needle`."""
    hits = [n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text]
    return hits[occurrence - 1]


SUITE = """
# yaml-language-server: $schema=../harness/suites/schema/suite.schema.json
suite: shop-assistant         # stable name
version: 2
description: Answers order questions from the shop's policy pages.
owner: shop-team
risk: medium
model: openai:gpt-4o-mini
params: {temperature: 0, max_tokens: 300}
prompt:
  system: Use only the passages given. Say "I don't know" when they do not answer.
  template: |
    Passages:
    {% for doc in context %}[{{ loop.index }}] {{ doc }}
    {% endfor %}
    Question: {{ question }}
rubric: ../rubrics/grounded.yaml
checks:
  - {type: pii, severity: critical}
cases:
  - id: return-period
    vars: {question: "How many days do I have to return shoes?"}
    context: ["Shoes can be returned within 60 days if unworn."]
    expected: 60 days
    checks: [{type: contains, value: "60 days"}]
    tags: [returns, critical]
  - id: gift-wrap
    vars: {question: "Do you gift wrap?"}
    context: "Gift wrapping costs 3 euros per item."
    checks:
      - {type: regex, pattern: "3 euros?"}
  - from: cases/orders.jsonl
"""

RUBRIC = """
rubric: grounded
version: 1
checks:
  - {type: grounding, threshold: 0.9}
  - {type: refusal, expect: auto}
  - type: judge
    model: openai:gpt-4o
    criteria:
      - {id: complete, text: Answers every part of the question, points: 2}
      - {id: invents, text: States a rule the passages do not contain, points: -3}
    threshold: 0.7
slo:
  right_first_time: {min: 0.9}
  latency.p95_ms: {max: 3000}
review:
  sample_rate: 0.1
"""

ORDERS = [
    {"id": "track-order", "vars": {"question": "Where is my parcel?"},
     "context": ["Tracking links are sent by email once the parcel leaves the warehouse."]},
    {"id": "cancel-order", "vars": {"question": "Can I cancel after shipping?"},
     "context": ["Orders cannot be cancelled once shipped; return them instead."],
     "answerable": True, "checks": [{"type": "contains", "value": "return"}]},
    {"id": "loyalty", "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Points for {{ amount }} euros?"}],
     "vars": {"amount": 20}, "context": ["One point per euro spent."]},
]




def write_shop(root: Path) -> Path:
    """Write the realistic suite, its rubric and its JSONL cases under `root`."""
    files = {
        "rubrics/grounded.yaml": RUBRIC,
        "suites/cases/orders.jsonl": "".join(json.dumps(row) + "\n" for row in ORDERS),
        "suites/shop.yaml": SUITE,
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"), encoding="utf-8")
    return root / "suites/shop.yaml"

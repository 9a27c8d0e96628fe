"""`tool_calls`: did the model call the right tools, with arguments its tools accept?

Two questions, each optional, answered per call so the evidence shows exactly what went wrong:

- expected calls (`calls`): each must be matched by its own actual call with the same name and,
  when given, the same values for the listed arguments (other arguments are free); `ordered`
  asks for them in that order; calls beyond the expected ones fail unless `allow_extra`;
- schema validity: every actual call must name a tool the case declares (`tools`, OpenAI
  function format) and carry JSON arguments valid against that tool's `parameters` schema.

```yaml
- type: tool_calls
  calls: [{name: get_weather, arguments: {city: Oslo}}]
```

`calls: []` states that no tool may be called. With no expectation and no tool schemas there
is nothing to check, which is `unscored`, never a pass.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from pydantic import BaseModel, ConfigDict, Field

from harness.models import Score, ToolCall
from harness.scoring.base import CheckParams, ScoreContext, make_score
from harness.scoring.registry import register


class ExpectedCall(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Tool (function) name.")
    arguments: dict[str, Any] | None = Field(
        default=None, description="Argument values that must match; unlisted ones are free."
    )


class ToolCallsParams(CheckParams):
    calls: list[ExpectedCall | str] | None = Field(
        default=None,
        description="Expected calls (a name, or {name, arguments}); [] means no call at all.",
    )
    ordered: bool = Field(default=False, description="Expected calls must come in this order.")
    allow_extra: bool = Field(default=False, description="Accept calls beyond the expected.")
    validate_arguments: bool = Field(
        default=True, description="Check each call's arguments against its tool's JSON Schema."
    )

    def expected(self) -> list[ExpectedCall] | None:
        if self.calls is None:
            return None
        return [ExpectedCall(name=c) if isinstance(c, str) else c for c in self.calls]


def tool_schemas(tools: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """name -> parameters schema, from OpenAI (`function.parameters`), flat or Anthropic
    (`input_schema`) tool declarations."""
    schemas: dict[str, dict[str, Any]] = {}
    for tool in tools or []:
        spec = tool.get("function") if isinstance(tool.get("function"), Mapping) else tool
        name = spec.get("name")
        if isinstance(name, str):
            schema = spec.get("parameters") or spec.get("input_schema") or {}
            schemas[name] = schema if isinstance(schema, dict) else {}
    return schemas


def argument_errors(call: ToolCall, schemas: dict[str, dict[str, Any]]) -> list[str]:
    """Why this call's arguments are unacceptable; empty when they are fine."""
    if call.name not in schemas:
        return [f"tool {call.name!r} is not declared (declared: {sorted(schemas)})"]
    arguments = {} if call.arguments is None else call.arguments
    if not isinstance(arguments, dict):
        return [f"arguments are not a JSON object: {str(arguments)[:200]!r}"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (DeprecationWarning, FutureWarning))
            cls = validator_for(schemas[call.name], default=Draft202012Validator)
            validator = cls(schemas[call.name], format_checker=cls.FORMAT_CHECKER)
            errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
    except SchemaError as exc:
        return [f"the tool's schema is invalid: {exc.message}"]
    return [f"/{'/'.join(map(str, e.path))}: {e.message}" for e in errors][:10]


def matches(call: ToolCall, want: ExpectedCall) -> bool:
    if call.name != want.name:
        return False
    if not want.arguments:
        return True
    given = call.arguments if isinstance(call.arguments, dict) else {}
    return all(k in given and given[k] == v for k, v in want.arguments.items())


def match_calls(
    calls: tuple[ToolCall, ...], wanted: list[ExpectedCall], ordered: bool
) -> dict[int, int]:
    """expected index -> actual call index, as many as can be matched (each call used once)."""
    if ordered:
        pairs, start = {}, 0
        for w, want in enumerate(wanted):
            found = next((i for i in range(start, len(calls)) if matches(calls[i], want)), None)
            if found is not None:
                pairs[w], start = found, found + 1
        return pairs
    return _bipartite(calls, wanted)


def _bipartite(calls: tuple[ToolCall, ...], wanted: list[ExpectedCall]) -> dict[int, int]:
    """Maximum matching by augmenting paths; lists are short, so simple beats clever."""
    owner: dict[int, int] = {}  # call index -> expected index

    def place(w: int, seen: set[int]) -> bool:
        for i, call in enumerate(calls):
            if i not in seen and matches(call, wanted[w]):
                seen.add(i)
                if i not in owner or place(owner[i], seen):
                    owner[i] = w
                    return True
        return False

    for w in range(len(wanted)):
        place(w, set())
    return {w: i for i, w in owner.items()}


@register
class ToolCalls:
    type: ClassVar[str] = "tool_calls"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[CheckParams]] = ToolCallsParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, ToolCallsParams)
        calls = ctx.completion.tool_calls
        wanted = params.expected()
        schemas = tool_schemas(ctx.case.tools) if params.validate_arguments else {}
        if wanted is None and not schemas:
            return make_score(ctx, self, "unscored", None,
                              "nothing to check: no expected calls and no tool schemas")
        if wanted is None and not calls:
            return make_score(ctx, self, "not_applicable", None, "no tool call to validate")
        pairs = match_calls(calls, wanted or [], params.ordered) if wanted is not None else {}
        entries = [_entry(i, c, schemas, pairs) for i, c in enumerate(calls)]
        problems = _problems(calls, wanted, pairs, entries, params)
        checks = (len(wanted) if wanted is not None else 0) + (len(calls) if schemas else 0)
        evidence = {
            "calls": entries,
            "missing": [w.model_dump(exclude_none=True) for i, w in enumerate(wanted or [])
                        if i not in pairs],
        }
        if not problems:
            return make_score(ctx, self, "pass", 1.0, _summary(calls, wanted), evidence=evidence)
        share = max(0.0, 1 - len(problems) / max(checks, len(problems), 1))
        reason = problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        return make_score(ctx, self, "fail", share, reason, evidence=evidence)


def _entry(
    index: int, call: ToolCall, schemas: dict[str, dict[str, Any]], pairs: dict[int, int]
) -> dict[str, Any]:
    matched = next((w for w, i in pairs.items() if i == index), None)
    errors = argument_errors(call, schemas) if schemas else []
    return {"index": index, "name": call.name, "arguments": call.arguments,
            "errors": errors, "matched": matched}


def _problems(
    calls: tuple[ToolCall, ...],
    wanted: list[ExpectedCall] | None,
    pairs: dict[int, int],
    entries: list[dict[str, Any]],
    params: ToolCallsParams,
) -> list[str]:
    problems = [f"call {e['index']} {e['name']}: {e['errors'][0]}" for e in entries if e["errors"]]
    if wanted is None:
        return problems
    order = " in order" if params.ordered else ""
    problems += [f"expected call {_describe(w)}{order} not made" for i, w in enumerate(wanted)
                 if i not in pairs]
    if not params.allow_extra:
        used = set(pairs.values())
        problems += [f"unexpected call {c.name}" for i, c in enumerate(calls) if i not in used]
    return problems


def _describe(want: ExpectedCall) -> str:
    return f"{want.name}({want.arguments})" if want.arguments else want.name


def _summary(calls: tuple[ToolCall, ...], wanted: list[ExpectedCall] | None) -> str:
    if not calls:
        return "no tool called, as expected"
    names = ", ".join(c.name for c in calls)
    return f"{len(calls)} call(s) as expected: {names}" if wanted is not None else (
        f"{len(calls)} call(s) with valid arguments: {names}"
    )

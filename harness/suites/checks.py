"""Validate each check as written (`type` + params) against the registered check types.

`CheckSpec` accepts any parameters so that it does not need to know every check type; the
type's own params model is where a typo in a parameter becomes an error. Doing it at load
time means `harness check` catches it, not the hundredth case of a paid run.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.suites.problems import LineOf, Problem, describe, from_validation
from harness.suites.yamlio import Loc, format_loc

CheckTypes = Mapping[str, type[BaseModel]]


def check_problems(
    checks: Any, *, types: CheckTypes | None, path: str, prefix: Loc, line_of: LineOf
) -> list[Problem]:
    """Problems in a raw `checks:` list found at `prefix`; none when the registry is absent."""
    if types is None or not isinstance(checks, list):
        return []
    problems: list[Problem] = []
    for j, raw in enumerate(checks):
        problems += _one_check(raw, types, path=path, loc=(*prefix, j), line_of=line_of)
    return problems


def _one_check(
    raw: Any, types: CheckTypes, *, path: str, loc: Loc, line_of: LineOf
) -> list[Problem]:
    if not isinstance(raw, dict):
        message = f"expected a mapping, got {describe(raw)}"
        return [Problem(path, line_of(loc), format_loc(loc), message)]
    kind = raw.get("type")
    model = types.get(kind) if isinstance(kind, str) else None
    if model is None:
        type_loc = (*loc, "type")
        return [Problem(path, line_of(type_loc), format_loc(type_loc), unknown_type(kind, types))]
    try:
        model.model_validate(raw)
    except ValidationError as exc:
        return from_validation(
            exc.errors(), raw, path=path, line_of=line_of, prefix=loc, model=model
        )
    return []


def unknown_type(kind: Any, types: CheckTypes) -> str:
    """"unknown check type 'containz' (did you mean 'contains'?) (known: contains, ...)"."""
    from harness.scoring.registry import plugin_problem

    if isinstance(kind, str) and (problem := plugin_problem(kind)):
        return f"unknown check type {kind!r}: {problem}"  # a plugin of that name is broken
    known = sorted(types)
    close = difflib.get_close_matches(str(kind), known, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown check type {kind!r}{hint} (known: {', '.join(known)})"

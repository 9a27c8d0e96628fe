"""Turn pydantic's validation errors into short, located messages a person can act on.

Pydantic reports a location as a tuple that mixes data keys with the names of union
branches (`("version", "int")`, `("cases", 0, "Case", "id")`), and one mistake in a
union field yields one error per branch. Users wrote data, not types: we strip the branch
names, keep the branch the data was evidently meant for, phrase the message in terms of
the file ("unknown field 'tempreature'", "expected a list, got a string"), and attach
the line from the YAML index.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from harness.errors import FileError
from harness.models import NAME_PATTERN
from harness.suites.yamlio import Loc, format_loc

MAX_LISTED = 5
NAME_RULE = "use letters, digits, '_', '.' or '-', starting with a letter or digit"


@dataclass(frozen=True)
class Problem:
    """One located mistake in one file."""

    path: str
    line: int | None
    field: str | None
    message: str

    def where(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise the first problem as a FileError; list a few more so one pass fixes several."""
    if not problems:
        return
    first, rest = problems[0], problems[1:]
    message = first.message
    for extra in rest[: MAX_LISTED - 1]:
        field = f" [{extra.field}]" if extra.field else ""
        message += f"\n  also {extra.where()}:{field} {extra.message}"
    if len(rest) >= MAX_LISTED:
        message += f"\n  (and {len(rest) - MAX_LISTED + 1} more)"
    raise FileError(first.path, message, line=first.line, field=first.field)


LineOf = Callable[[Loc], "int | None"]


def from_validation(
    errors: Sequence[Any],
    data: Any,
    *,
    path: str,
    line_of: LineOf,
    prefix: Loc = (),
    model: type[BaseModel] | None = None,
) -> list[Problem]:
    """Located problems for pydantic `errors` about `data` (which sits at `prefix`).

    `model` is the model `data` was validated as; it only feeds "did you mean" hints.
    """
    problems = []
    for err in _drop_typo_twins(_resolve_unions([_Err.make(e, data) for e in errors]), model):
        loc = (*prefix, *err.loc)
        message = _message(err, _known_fields(model, err.loc))
        problems.append(Problem(path, line_of(loc), format_loc(loc) or None, message))
    return problems


def _drop_typo_twins(errors: list[_Err], model: type[BaseModel] | None) -> list[_Err]:
    """`reff: x` is one mistake, not two: keep "unknown field 'reff' (did you mean 'ref'?)"
    and drop the "missing required field 'ref'" it causes."""
    twins = set()
    for err in errors:
        if err.type == "extra_forbidden" and err.loc:
            close = _closest(str(err.loc[-1]), _known_fields(model, err.loc))
            if close:
                twins.add((*err.loc[:-1], close))
    return [e for e in errors if not (e.type == "missing" and e.loc in twins)]


# --------------------------------------------------------------------------- unions


@dataclass(frozen=True)
class _Err:
    """A pydantic error with its location split into data keys and union branch names."""

    loc: Loc  # keys and indexes into the data only
    branches: tuple[tuple[int, str], ...]  # (position in loc, branch name)
    type: str
    msg: str
    input: Any
    ctx: dict[str, Any]

    @classmethod
    def make(cls, raw: Any, data: Any) -> _Err:
        loc, branches = _split_loc(tuple(raw["loc"]), data, raw["type"])
        return cls(loc, branches, raw["type"], raw["msg"], raw.get("input"), raw.get("ctx") or {})


def _split_loc(loc: Loc, data: Any, kind: str) -> tuple[Loc, tuple[tuple[int, str], ...]]:
    """Walk `loc` through `data`: segments that are not keys there are union branch names."""
    keys: list[str | int] = []
    branches: list[tuple[int, str]] = []
    node: Any = data
    for i, part in enumerate(loc):
        is_last = i == len(loc) - 1
        if _has(node, part):
            keys.append(part)
            node = node[part]
        elif isinstance(part, str) and not (is_last and kind == "missing") and part != "[key]":
            branches.append((len(keys), part))
        else:
            keys.append(part)
            node = None
    return tuple(keys), tuple(branches)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _resolve_unions(errors: list[_Err]) -> list[_Err]:
    """Keep, at each union, the branch the data was meant for; merge pure type mismatches."""
    while True:
        group = _first_union_group(errors)
        if group is None:
            return errors
        at, members = group
        replacement = _pick_branch(at, members)
        first = errors.index(members[0])
        rest = [e for e in errors if e not in members]
        errors = rest[:first] + replacement + rest[first:]


def _first_union_group(errors: list[_Err]) -> tuple[Loc, list[_Err]] | None:
    """The errors that share the first remaining union point (same data location)."""
    for err in errors:
        if err.branches:
            pos = err.branches[0][0]
            at = err.loc[:pos]
            members = [e for e in errors if e.branches and e.branches[0][0] == pos
                       and e.loc[:pos] == at]
            return at, members
    return None


def _pick_branch(at: Loc, members: list[_Err]) -> list[_Err]:
    """Branches that got past the type check are what the user meant; prefer the fewest errors."""
    by_branch: dict[str, list[_Err]] = {}
    for err in members:
        by_branch.setdefault(err.branches[0][1], []).append(err)
    deep = {name: errs for name, errs in by_branch.items() if any(e.loc != at for e in errs)}
    if not deep:
        return [_merged_type_error(at, members)]
    best = min(deep.values(), key=len)
    return [_Err(e.loc, e.branches[1:], e.type, e.msg, e.input, e.ctx) for e in best]


def _merged_type_error(at: Loc, members: list[_Err]) -> _Err:
    """`version: [1]` fails int and str: say "expected an integer or a string" once."""
    wanted: list[str] = []
    for err in members:
        phrase = _expected_phrase(err)
        if phrase not in wanted:
            wanted.append(phrase)
    msg = "expected " + " or ".join(wanted)
    return _Err(at, (), "union_type", msg, members[0].input, {})


# --------------------------------------------------------------------------- wording

_TYPE_PHRASES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "none_required": "null",
}


def _expected_phrase(err: _Err) -> str:
    """What the value should have been, in a few words."""
    if err.type in _TYPE_PHRASES:
        return _TYPE_PHRASES[err.type]
    if err.type == "literal_error":
        return f"one of {err.ctx.get('expected', '')}"
    msg = err.msg
    for lead in ("Input should be ", "Input should have "):
        if msg.startswith(lead):
            return msg[len(lead):]
    return msg


def _message(err: _Err, known: list[str]) -> str:
    """One human sentence for one error."""
    name = err.loc[-1] if err.loc else ""
    if err.type == "extra_forbidden":
        return f"unknown field '{name}'" + _suggest(str(name), known)
    if err.type == "missing":
        return f"missing required field '{name}'"
    if err.type == "union_type":
        return f"{err.msg}, got {describe(err.input)}"
    if err.type in _TYPE_PHRASES or err.type == "literal_error":
        return f"expected {_expected_phrase(err)}, got {describe(err.input)}"
    if err.type == "too_short":
        return f"needs at least {err.ctx.get('min_length')} item(s), got {describe(err.input)}"
    if err.type == "value_error":
        return err.msg.removeprefix("Value error, ")
    if err.type == "string_pattern_mismatch" and err.ctx.get("pattern") == NAME_PATTERN:
        return f"{describe(err.input)} is not a valid name: {NAME_RULE}"
    if err.type == "string_pattern_mismatch":
        return f"{describe(err.input)} does not match the pattern {err.ctx.get('pattern')}"
    return _lower_first(err.msg)


def _suggest(name: str, known: list[str]) -> str:
    close = _closest(name, known)
    return f" (did you mean '{close}'?)" if close else ""


def _closest(name: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def describe(value: Any, preview: bool = True) -> str:
    """A value's kind in file terms, with a short preview for scalars (`preview=False`:
    the kind alone, for text that may not be the user's to show)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "an empty list" if not value else "a list"
    if not preview:
        return "text" if isinstance(value, str) else (
            "an integer" if isinstance(value, int) else "a number")
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return repr(shown)
    return f"{value!r} ({'an integer' if isinstance(value, int) else 'a number'})"


# --------------------------------------------------------------------------- suggestions


def _known_fields(model: type[BaseModel] | None, loc: Loc) -> list[str]:
    """Field names valid next to `loc[-1]`, for "did you mean" on an unknown field."""
    if model is None or not loc:
        return []
    found: list[str] = []
    for candidate in (a for t in _types_at(model, loc[:-1]) for a in _alternatives(t)):
        if _is_model(candidate):
            found += [f.alias or n for n, f in candidate.model_fields.items()]
    return found


def _types_at(root: Any, loc: Loc) -> list[Any]:
    """The types a value at `loc` inside `root` may have (several through unions)."""
    current = [root]
    for part in loc:
        current = [t for c in current for t in _step(c, part)]
    return current


def _step(tp: Any, part: str | int) -> list[Any]:
    out: list[Any] = []
    for cand in _alternatives(tp):
        origin = typing.get_origin(cand)
        if isinstance(part, int) and origin in (list, tuple):
            out.append(typing.get_args(cand)[0])
        elif isinstance(part, str) and origin is dict:
            out.append(typing.get_args(cand)[1])
        elif isinstance(part, str) and _is_model(cand):
            out += [f.annotation for n, f in cand.model_fields.items() if part in (n, f.alias)]
    return out


def _alternatives(tp: Any) -> list[Any]:
    """Unwrap `X | Y`, Optional and Annotated into the plain alternatives."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return [a for arg in typing.get_args(tp) for a in _alternatives(arg)]
    if origin is typing.Annotated:
        return _alternatives(typing.get_args(tp)[0])
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)

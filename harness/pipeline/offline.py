"""Offline scoring: run one check over rows of existing outputs (e.g. production logs).

`harness score CHECK --input IN.jsonl` is a thin layer over `score_rows`. A row is
``{"id", "input"?, "output", "context"?, "expected"?, ...}``; every other field is case data,
routed by name so logged traffic can be scored by the same scorers as a suite:

- completion fields (`output`, `tool_calls`, `usage`, `latency_ms`, `cost_usd`, `refused`,
  `finish_reason`, `cached`) describe what the model returned;
- a field named like a parameter of the check (`schema` for `json`, `instruction_id_list` and
  `kwargs` for `instructions`...) overrides that parameter for this row only; `type`, `id`,
  `model` and `base_url` never do (a log's `model` is the model that answered, not a judge);
- a field of `Case` (`answerable`, `expect`, `canary`, `tags`, `tools`, `messages`, ...) goes to
  the case (a name that is both, like `expect`, goes to both);
- anything else lands in `case.metadata`.

Failure is data: a row whose fields do not validate, or whose scorer cannot decide, becomes an
`unscored` output row with the reason. Only input that is not rows at all (a line that is not
a JSON object) stops the stream, as a `FileError` naming the file and line.

Rows are read, scored and written one at a time with a bounded window of rows in flight, so
memory is constant and judge-type scorers overlap their model calls; output keeps input order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from harness import jsonlines
from harness.errors import FileError, UsageError
from harness.models import Case, CheckSpec, Completion, Score, ToolCall, Usage
from harness.scoring.base import (
    CheckParams,
    ScoreContext,
    Scorer,
    close_open_judges,
    score_safely,
)
from harness.scoring.registry import get_scorer, validate_check

COMPLETION_FIELDS = frozenset(
    {"output", "tool_calls", "usage", "latency_ms", "cost_usd", "refused", "finish_reason",
     "cached"}
)
CASE_FIELDS = frozenset(Case.model_fields) - {"id", "checks"}
NEVER_PARAMS = frozenset({"type", "id", "model", "base_url"})
DEFAULT_CONCURRENCY = 8
_BAD_ID_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")

CheckLike = str | CheckSpec | Mapping[str, Any]


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class BoundCheck:
    """A validated check: its scorer, its base params and the names a row may override."""

    scorer: Scorer
    params: CheckParams | None  # None: required parameters must come with each row
    spec: dict[str, Any]  # the check as written, with --set applied (base of row overrides)
    param_names: frozenset[str]

    @property
    def name(self) -> str:
        return str(self.spec.get("id") or self.spec["type"])


def parse_check(check: CheckLike) -> dict[str, Any]:
    """A check as a mapping: a type name, inline YAML/JSON (`{type: json}`), or a YAML file."""
    if isinstance(check, CheckSpec):
        return check.model_dump(exclude_none=True)
    if isinstance(check, Mapping):
        return dict(check)
    text = check.strip()
    if text.startswith("{"):
        return _mapping_from_yaml(text, "the check")
    path = Path(text)
    if text.endswith((".yaml", ".yml", ".json")) or (path.suffix and path.is_file()):
        if not path.is_file():
            raise UsageError(f"check file {text} does not exist")
        return _mapping_from_yaml(path.read_text(encoding="utf-8"), text)
    return {"type": text}


def _mapping_from_yaml(text: str, where: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or "type" not in data:
        raise UsageError(f"{where}: a check must be a mapping with a `type`")
    return data


def bind_check(check: CheckLike, settings: Mapping[str, Any] | None = None) -> BoundCheck:
    """Validate the check with `settings` (from `--set`) applied; a mistake is a UsageError."""
    spec = {**parse_check(check), **dict(settings or {})}
    scorer = get_scorer(str(spec.get("type")))
    params: CheckParams | None = None
    try:
        params = validate_check(CheckSpec.model_validate(spec))
    except ValidationError as exc:
        # Parameters only missing may come with each row (e.g. instruction_id_list).
        if any(e["type"] != "missing" for e in exc.errors()):
            raise UsageError(f"check {spec['type']!r}: {_first_error(exc)}") from exc
    return BoundCheck(scorer, params, spec, _param_names(scorer.Params))


def _param_names(model: type[CheckParams]) -> frozenset[str]:
    names = set()
    for name, info in model.model_fields.items():
        names.add(name)
        if info.alias:
            names.add(info.alias)
    return frozenset(names - NEVER_PARAMS)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "(row)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"[{where}] {first.get('msg', '')}{more}"


def parse_setting(item: str) -> tuple[str, Any]:
    """`key=value` with the value read as a YAML scalar or JSON (`3`, `true`, `[1, 2]`)."""
    import yaml

    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"--set expects key=value, got {item!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, dict | list) and raw.strip()[:1] not in ("{", "["):
        value = raw  # `pattern=a: b` means the text, not a block mapping
    return key.strip(), value


# --------------------------------------------------------------------------- one row


class RowProblem(Exception):
    """A row that cannot be scored as given; becomes an `unscored` output row."""


@dataclass(frozen=True)
class PreparedRow:
    row_id: Any
    context: ScoreContext | None
    problem: str | None = None


def split_row(row: Mapping[str, Any], bound: BoundCheck) -> tuple[dict, dict, dict, dict]:
    """(completion fields, param overrides, case fields, metadata) of one row."""
    completion, overrides, case, metadata = {}, {}, {}, {}
    for key, value in row.items():
        if key == "id":
            continue
        if key in COMPLETION_FIELDS:
            completion[key] = value
            continue
        routed = False
        if key in bound.param_names:
            overrides[key], routed = value, True
        if key in CASE_FIELDS:
            case[key], routed = value, True
        if not routed:
            metadata[key] = value
    return completion, overrides, case, metadata


def prepare_row(row: Mapping[str, Any], number: int, bound: BoundCheck) -> PreparedRow:
    """Build the ScoreContext of one row, or the reason it cannot be scored."""
    row_id = row.get("id", f"row-{number}")
    try:
        completion_f, overrides, case_f, metadata = split_row(row, bound)
        params = _row_params(bound, overrides)
        case = _row_case(row_id, case_f, metadata)
        completion = _row_completion(completion_f, bound.scorer)
    except RowProblem as exc:
        return PreparedRow(row_id, None, str(exc))
    except Exception as exc:  # noqa: BLE001 - odd data must not stop the stream
        return PreparedRow(row_id, None, f"cannot read the row: {type(exc).__name__}: {exc}")
    return PreparedRow(row_id, ScoreContext(case=case, check=params, completion=completion))


def _row_params(bound: BoundCheck, overrides: dict[str, Any]) -> CheckParams:
    if not overrides and bound.params is not None:
        return bound.params
    try:
        return validate_check(CheckSpec.model_validate({**bound.spec, **overrides}))
    except ValidationError as exc:
        raise RowProblem(f"invalid check parameter in the row: {_first_error(exc)}") from exc


def _row_case(row_id: Any, fields: dict[str, Any], metadata: dict[str, Any]) -> Case:
    data = {**fields, "id": case_id(row_id)}
    given = fields.get("metadata")
    if metadata and (given is None or isinstance(given, Mapping)):
        data["metadata"] = {**metadata, **(given or {})}
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise RowProblem(f"invalid case field in the row: {_first_error(exc)}") from exc


def case_id(row_id: Any) -> str:
    """A valid Case id for any row id (the output row keeps the original)."""
    text = _BAD_ID_CHARS.sub("_", str(row_id))
    return text if text[:1].isalnum() else f"r{text}"


def _row_completion(fields: dict[str, Any], scorer: Scorer) -> Completion:
    output = fields.get("output")
    if output is None and getattr(scorer, "needs_output", True) and "tool_calls" not in fields:
        raise RowProblem("the row has no `output`")
    if output is None:
        output = ""
    data: dict[str, Any] = {
        "text": output if isinstance(output, str) else json.dumps(output, ensure_ascii=False),
        "tool_calls": tuple(_tool_call(c) for c in fields.get("tool_calls") or ()),
    }
    for key in ("latency_ms", "cost_usd", "refused", "finish_reason", "cached"):
        if fields.get(key) is not None:
            data[key] = fields[key]
    try:
        if isinstance(fields.get("usage"), Mapping):
            data["usage"] = Usage.model_validate(
                {k: fields["usage"].get(k) or 0 for k in ("prompt_tokens", "completion_tokens")}
            )
        return Completion.model_validate(data)
    except ValidationError as exc:
        raise RowProblem(f"invalid completion field in the row: {_first_error(exc)}") from exc


def _tool_call(raw: Any) -> ToolCall:
    """A logged tool call, flat ``{name, arguments}`` or OpenAI's ``{function: {...}}``."""
    if not isinstance(raw, Mapping):
        raise RowProblem(f"a tool call must be an object, got {type(raw).__name__}")
    function = raw.get("function") if isinstance(raw.get("function"), Mapping) else raw
    name = function.get("name")
    if not isinstance(name, str):
        raise RowProblem("a tool call has no `name`")
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        with contextlib.suppress(ValueError):  # kept raw: tool_calls reports it as not JSON
            arguments = json.loads(arguments)
    return ToolCall(id=raw.get("id"), name=name, arguments=arguments)


def output_row(row_id: Any, check: str, score: Score) -> dict[str, Any]:
    return {
        "id": row_id,
        "check": check,
        "outcome": score.outcome,
        "score": score.score,
        "confidence": score.confidence,
        "reason": score.reason,
        "details": score.evidence,
        "scorer_version": score.scorer_version,
    }


def problem_row(row_id: Any, bound: BoundCheck, reason: str) -> dict[str, Any]:
    return {
        "id": row_id, "check": bound.name, "outcome": "unscored", "score": None,
        "confidence": 0.0, "reason": reason, "details": {},
        "scorer_version": bound.scorer.version,
    }


async def score_one(prepared: PreparedRow, bound: BoundCheck) -> dict[str, Any]:
    if prepared.context is None:
        return problem_row(prepared.row_id, bound, prepared.problem or "cannot score the row")
    score = await score_safely(bound.scorer, prepared.context)
    return output_row(prepared.row_id, bound.name, score)


# --------------------------------------------------------------------------- streams


async def ascore_rows(
    check: CheckLike,
    rows: Iterable[Mapping[str, Any]],
    *,
    settings: Mapping[str, Any] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> AsyncIterator[dict[str, Any]]:
    """Score rows with up to `concurrency` in flight; yields output rows in input order."""
    if concurrency < 1:
        raise UsageError("concurrency must be at least 1")
    bound = bind_check(check, settings)
    window: deque[asyncio.Task[dict[str, Any]]] = deque()
    source = enumerate(rows, start=1)
    try:
        while True:
            try:
                number, row = next(source)
            except StopIteration:
                break
            except Exception:  # bad input: finish the rows before it, then stop
                while window:
                    yield await window.popleft()
                raise
            window.append(asyncio.ensure_future(score_one(_prepare_any(row, number, bound), bound)))
            if len(window) >= concurrency:
                yield await window.popleft()
        while window:
            yield await window.popleft()
    finally:
        for task in window:
            task.cancel()
        await close_open_judges()


def _prepare_any(row: Any, number: int, bound: BoundCheck) -> PreparedRow:
    if not isinstance(row, Mapping):
        return PreparedRow(f"row-{number}", None, "the row is not a JSON object")
    return prepare_row(row, number, bound)


def score_rows(
    check: str | CheckSpec | dict[str, Any],
    rows: Iterable[dict[str, Any]],
    *,
    settings: dict[str, Any] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Iterator[dict[str, Any]]:
    """Synchronous `ascore_rows` on a private event loop (do not call from inside a loop).

    Output rows are handed over in small batches (up to `BATCH_ROWS`, or what is ready after
    `BATCH_SECONDS`), because entering the event loop once per row costs more than a fast
    check itself; memory stays bounded by the batch and the concurrency window.
    """
    loop = asyncio.new_event_loop()
    stream = ascore_rows(check, rows, settings=settings, concurrency=concurrency)
    try:
        while True:
            batch, done, error = loop.run_until_complete(_next_batch(stream))
            yield from batch
            if error is not None:
                raise error
            if done:
                return
    finally:
        loop.run_until_complete(stream.aclose())
        loop.close()


BATCH_ROWS = 256
BATCH_SECONDS = 0.1


async def _next_batch(
    stream: AsyncIterator[dict[str, Any]],
) -> tuple[list[dict[str, Any]], bool, Exception | None]:
    """(up to BATCH_ROWS output rows, finished?, the error that ended the stream, if any):
    rows scored before bad input are handed over before the error is raised."""
    batch: list[dict[str, Any]] = []
    deadline = time.monotonic() + BATCH_SECONDS
    while len(batch) < BATCH_ROWS and (not batch or time.monotonic() < deadline):
        try:
            batch.append(await stream.__anext__())
        except StopAsyncIteration:
            return batch, True, None
        except Exception as exc:  # noqa: BLE001 - re-raised by the caller after the batch
            return batch, True, exc
    return batch, False, None


def read_jsonl(stream: IO[str], name: str) -> Iterator[dict[str, Any]]:
    """Rows of a JSONL stream; blank lines skipped; bad JSON is a FileError with the line."""
    lines = iter(stream)
    number = 0
    while True:
        number += 1
        try:
            line = next(lines)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise FileError(name, f"not UTF-8 text ({exc.reason})", line=number) from None
        if not line.strip():
            continue
        try:
            row = jsonlines.loads(line)
        except ValueError as exc:
            raise FileError(name, f"not valid JSON: {exc}", line=number) from exc
        if not isinstance(row, dict):
            raise FileError(name, f"a row must be a JSON object, got {type(row).__name__}",
                            line=number)
        yield row


def write_jsonl(rows: Iterable[dict[str, Any]], stream: IO[str]) -> dict[str, int]:
    """Write rows as they come (flushing each); returns the count per outcome."""
    counts: dict[str, int] = {}
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        stream.flush()
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return counts


__all__ = [
    "BoundCheck", "ascore_rows", "bind_check", "parse_check", "parse_setting", "read_jsonl",
    "score_rows", "write_jsonl",
]

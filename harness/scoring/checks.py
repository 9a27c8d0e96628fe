"""Deterministic checks: string matching, JSON (with JSON Schema), length, latency, cost.

They are cheap and exact, so their confidence is 1.0. Text checks take their value from
the check, or from the case's `expected` when the check names none; with neither they are
`unscored` rather than a silent pass.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any, ClassVar, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from pydantic import Field, PrivateAttr, field_validator

from harness.models import Score
from harness.providers.pricing import PRICE_REMEDY
from harness.scoring._patterns import FLAGS as PATTERN_FLAGS
from harness.scoring._patterns import PatternTimeout, compile_pattern
from harness.scoring._patterns import search as search_pattern
from harness.scoring.base import CheckParams, ScoreContext, make_score, passed
from harness.scoring.registry import register


class TextParams(CheckParams):
    value: str | list[str] | None = Field(
        default=None, description="Text to look for; a list means all of them. Default: expected."
    )
    negate: bool = Field(default=False, alias="not", description="Pass when it does NOT match.")


def _wanted(ctx: ScoreContext, value: str | list[str] | None) -> list[str] | None:
    """The strings a text check looks for: its own value, else the case's expected."""
    if value is None:
        value = ctx.case.expected
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


class _TextCheck:
    """Shared logic of contains / icontains / equals: per-value match, negation, evidence."""

    type: ClassVar[str]
    version: ClassVar[str] = "1"
    Params: ClassVar[type[CheckParams]] = TextParams

    def match(self, text: str, wanted: str) -> bool:
        raise NotImplementedError

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, TextParams)
        wanted = _wanted(ctx, params.value)
        if wanted is None:
            return make_score(
                ctx, self, "unscored", None, "no value given and the case has no expected"
            )
        text = ctx.completion.text
        found = [w for w in wanted if self.match(text, w)]
        missing = [w for w in wanted if w not in found]
        if params.negate:
            share = 1 - len(found) / len(wanted)
            reason = f"must not {self.type} {found!r}" if found else f"none of {wanted!r} present"
            return make_score(
                ctx, self, passed(not found), share, reason, evidence={"found": found}
            )
        share = len(found) / len(wanted)
        reason = f"missing {missing!r}" if missing else f"{self.type} {wanted!r}"
        return make_score(
            ctx,
            self,
            passed(not missing),
            share,
            reason,
            evidence={"found": found, "missing": missing},
        )


@register
class Contains(_TextCheck):
    type = "contains"

    def match(self, text: str, wanted: str) -> bool:
        return wanted in text


@register
class IContains(_TextCheck):
    type = "icontains"

    def match(self, text: str, wanted: str) -> bool:
        return wanted.casefold() in text.casefold()


@register
class Equals(_TextCheck):
    """Exact match after stripping surrounding whitespace (what a person would call equal)."""

    type = "equals"

    def match(self, text: str, wanted: str) -> bool:
        return text.strip() == wanted.strip()


class RegexParams(CheckParams):
    pattern: str = Field(description="Python regular expression, searched anywhere in the output.")
    flags: list[Literal["ignorecase", "multiline", "dotall"]] = Field(default_factory=list)
    negate: bool = Field(default=False, alias="not", description="Pass when it does NOT match.")
    timeout_s: float | None = Field(
        default=None, gt=0, le=3600,
        description="Seconds one search may take (default 1, HARNESS_PATTERN_TIMEOUT); past "
        "it the row is unscored.")
    _compiled: Any = PrivateAttr()

    @field_validator("pattern")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        compile_pattern(value)  # ValueError names the problem
        return value

    def model_post_init(self, __context: Any) -> None:
        flags = 0
        for name in self.flags:
            flags |= PATTERN_FLAGS[name]
        self._compiled = compile_pattern(self.pattern, flags)


@register
class Regex:
    """Searched with the `regex` engine under a time limit (`_patterns.py`): a pattern that
    backtracks without end on a hostile output leaves that row unscored, not the run hung."""

    type: ClassVar[str] = "regex"
    version: ClassVar[str] = "2"
    Params: ClassVar[type[CheckParams]] = RegexParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, RegexParams)
        try:
            match = search_pattern(params._compiled, ctx.completion.text, params.timeout_s)
        except PatternTimeout as exc:
            return make_score(ctx, self, "unscored", None, str(exc), confidence=0.0,
                              evidence={"timeout_s": exc.seconds})
        ok = (match is None) if params.negate else (match is not None)
        evidence = {"span": [match.start(), match.end()], "match": match.group(0)} if match else {}
        if params.negate:
            reason = f"forbidden pattern matched {match.group(0)!r}" if match else "pattern absent"
        else:
            reason = f"matched {match.group(0)!r}" if match else f"no match for /{params.pattern}/"
        return make_score(ctx, self, passed(ok), float(ok), reason, evidence=evidence)


class JsonParams(CheckParams):
    schema_: dict[str, Any] | None = Field(
        default=None, alias="schema", description="JSON Schema the parsed output must satisfy."
    )
    allow_fences: bool = Field(
        default=True, description="Accept one surrounding ```json code fence, as models often add."
    )
    formats: bool = Field(
        default=True,
        description="Assert `format` (date, email, uri...) as strict validators do; a format "
        "whose checker is not installed is not checked.",
    )
    _validator: Validator | None = PrivateAttr(default=None)

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                with warnings.catch_warnings():  # the metaschema checks patterns as regexes
                    warnings.simplefilter("ignore", FutureWarning)
                    _validator_class(value).check_schema(value)
            except SchemaError as exc:
                raise ValueError(f"invalid JSON Schema: {exc.message}") from exc
        return value

    def model_post_init(self, __context: Any) -> None:
        if self.schema_ is not None:
            cls = _validator_class(self.schema_)
            checker = cls.FORMAT_CHECKER if self.formats else None
            self._validator = cls(self.schema_, format_checker=checker)


def _validator_class(schema: dict[str, Any]) -> type[Validator]:
    """The validator of the draft the schema declares in `$schema` (default 2020-12): a
    draft-04 schema's `dependencies` means nothing to a 2020-12 validator."""
    with warnings.catch_warnings():  # an unknown $schema falls back to 2020-12
        warnings.simplefilter("ignore", DeprecationWarning)
        return validator_for(schema, default=Draft202012Validator)  # type: ignore[no-any-return]


_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)


def _strip_fence(text: str) -> str:
    match = _FENCE.match(text)
    return match.group(1) if match else text


@register
class Json:
    type: ClassVar[str] = "json"
    version: ClassVar[str] = "2"  # 2: the schema's own draft; `format` asserted
    Params: ClassVar[type[CheckParams]] = JsonParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, JsonParams)
        text = _strip_fence(ctx.completion.text) if params.allow_fences else ctx.completion.text
        try:
            data = json.loads(text)
        except ValueError as exc:
            return make_score(ctx, self, "fail", 0.0, f"not valid JSON: {exc}")
        if params._validator is None:
            return make_score(ctx, self, "pass", 1.0, "valid JSON")
        with warnings.catch_warnings():  # the `regex` format warns about odd patterns
            warnings.simplefilter("ignore", FutureWarning)
            errors = sorted(params._validator.iter_errors(data), key=lambda e: list(e.path))
        if not errors:
            return make_score(ctx, self, "pass", 1.0, "valid JSON matching the schema")
        found = [{"path": "/" + "/".join(map(str, e.path)), "message": e.message} for e in errors]
        first = found[0]
        reason = f"schema violation at {first['path']}: {first['message']}"
        if len(found) > 1:
            reason += f" (and {len(found) - 1} more)"
        return make_score(ctx, self, "fail", 0.0, reason, evidence={"errors": found[:20]})


class MaxWordsParams(CheckParams):
    value: int = Field(ge=0, description="Most words allowed.")


@register
class MaxWords:
    type: ClassVar[str] = "max_words"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[CheckParams]] = MaxWordsParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, MaxWordsParams)
        words = len(ctx.completion.text.split())
        ok = words <= params.value
        return make_score(
            ctx,
            self,
            passed(ok),
            float(ok),
            f"{words} words (max {params.value})",
            evidence={"words": words},
        )


class MaxParams(CheckParams):
    max: float = Field(ge=0, description="Upper bound (inclusive).")


@register
class LatencyMs:
    type: ClassVar[str] = "latency_ms"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[CheckParams]] = MaxParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, MaxParams)
        if ctx.completion.cached:
            return make_score(ctx, self, "not_applicable", None, "served from cache; no latency")
        latency = ctx.completion.latency_ms
        ok = latency <= params.max
        return make_score(
            ctx,
            self,
            passed(ok),
            float(ok),
            f"{latency:.0f} ms (max {params.max:g})",
            evidence={"latency_ms": latency},
        )


@register
class CostUsd:
    type: ClassVar[str] = "cost_usd"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[CheckParams]] = MaxParams

    async def score(self, ctx: ScoreContext) -> Score:
        params = ctx.check
        assert isinstance(params, MaxParams)
        cost = ctx.completion.cost_usd
        if cost is None:
            return make_score(
                ctx,
                self,
                "unscored",
                None,
                f"no cost known for {ctx.model or 'the model'}: {PRICE_REMEDY}",
            )
        ok = cost <= params.max
        return make_score(
            ctx,
            self,
            passed(ok),
            float(ok),
            f"${cost:.6f} (max ${params.max:g})",
            evidence={"cost_usd": cost},
        )

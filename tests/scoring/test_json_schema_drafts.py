"""The json check validates with the draft a schema declares and asserts `format`."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest

from harness.models import Case, CheckSpec, Completion, Score
from harness.scoring.base import ScoreContext, score_safely
from harness.scoring.registry import get_scorer, validate_check


async def check(schema: dict[str, Any], value: Any, **params: Any) -> Score:
    spec = CheckSpec(type="json", schema=schema, **params)
    ctx = ScoreContext(case=Case(id="c"), check=validate_check(spec),
                       completion=Completion(text=json.dumps(value)))
    return await score_safely(get_scorer("json"), ctx)


DRAFT4 = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "dependencies": {"street": ["city"]},
}


async def test_a_draft_04_schema_is_validated_as_draft_04() -> None:
    assert (await check(DRAFT4, {"street": "Main St"})).outcome == "fail"
    assert (await check(DRAFT4, {"street": "Main St", "city": "Oslo"})).outcome == "pass"


async def test_formats_are_asserted_unless_switched_off() -> None:
    schema = {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}
    failed = await check(schema, {"day": "2024/12/31"})
    assert failed.outcome == "fail" and "is not a 'date'" in failed.reason
    assert (await check(schema, {"day": "2024-12-31"})).outcome == "pass"
    assert (await check(schema, {"day": "2024/12/31"}, formats=False)).outcome == "pass"


@pytest.mark.skipif(importlib.util.find_spec("rfc3986_validator") is None,
                    reason="jsonschema[format-nongpl] is not installed")
async def test_uri_format_with_the_format_extra() -> None:
    schema = {"properties": {"u": {"format": "uri"}}}
    assert (await check(schema, {"u": "not-a-uri"})).outcome == "fail"
    assert (await check(schema, {"u": "https://example.org/x"})).outcome == "pass"

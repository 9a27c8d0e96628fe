"""tool_calls: expected names and argument values, schema validity, evidence per call."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from harness.models import Case, CheckSpec, Completion, Score, ToolCall
from harness.scoring.base import ScoreContext, score_safely
from harness.scoring.registry import get_scorer, validate_check

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
TIME = {"name": "get_time", "parameters": {"type": "object", "properties": {}}}  # flat form


async def score(made: list[tuple[str, Any]], tools: list | None = None, **check: Any) -> Score:
    params = validate_check(CheckSpec(type="tool_calls", **check))
    completion = Completion(text="", tool_calls=tuple(ToolCall(name=n, arguments=a)
                                                      for n, a in made))
    case = Case(id="c", tools=tools)
    ctx = ScoreContext(case=case, check=params, completion=completion)
    return await score_safely(get_scorer("tool_calls"), ctx)


async def test_expected_call_with_valid_arguments_passes() -> None:
    result = await score([("get_weather", {"city": "Oslo"})], [WEATHER],
                         calls=[{"name": "get_weather", "arguments": {"city": "Oslo"}}])
    assert (result.outcome, result.score) == ("pass", 1.0)
    assert result.evidence["calls"][0] == {
        "index": 0, "name": "get_weather", "arguments": {"city": "Oslo"}, "errors": [],
        "matched": 0,
    }


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"city": 3}, "/city: 3 is not of type 'string'"),
        ({}, "'city' is a required property"),
        ({"city": "Oslo", "unit": "k"}, "/unit: 'k' is not one of"),
        ('{"city": "Os', "not a JSON object"),
    ],
)
async def test_arguments_are_validated_against_the_tool_schema(arguments: Any, error: str) -> None:
    result = await score([("get_weather", arguments)], [WEATHER])
    assert result.outcome == "fail"
    assert error in result.evidence["calls"][0]["errors"][0]
    assert error in result.reason


async def test_wrong_or_undeclared_tool_fails() -> None:
    result = await score([("get_time", {})], [WEATHER], calls=["get_weather"])
    assert result.outcome == "fail"
    assert "not declared" in result.evidence["calls"][0]["errors"][0]
    assert result.evidence["missing"] == [{"name": "get_weather"}]


async def test_order_is_optional_unless_asked() -> None:
    made = [("get_time", {}), ("get_weather", {"city": "Oslo"})]
    wanted = ["get_weather", "get_time"]
    assert (await score(made, [WEATHER, TIME], calls=wanted)).outcome == "pass"
    ordered = await score(made, [WEATHER, TIME], calls=wanted, ordered=True)
    assert ordered.outcome == "fail" and "in order" in ordered.reason


async def test_expected_argument_values_must_match() -> None:
    result = await score([("get_weather", {"city": "Bergen"})], [WEATHER],
                         calls=[{"name": "get_weather", "arguments": {"city": "Oslo"}}])
    assert result.outcome == "fail" and "not made" in result.reason
    assert result.score == 0.0  # the one expectation unmet, the one call unexpected
    half = await score([("get_weather", {"city": "Oslo"})], [WEATHER, TIME],
                       calls=["get_weather", "get_time"])
    assert half.outcome == "fail"
    assert half.score == pytest.approx(2 / 3)  # 1 of 2 expected made, the 1 call valid


async def test_matching_uses_each_call_once_and_finds_the_best_pairing() -> None:
    made = [("get_weather", {"city": "Oslo"}), ("get_weather", {"city": "Rome"})]
    wanted = [{"name": "get_weather"}, {"name": "get_weather", "arguments": {"city": "Oslo"}}]
    assert (await score(made, [WEATHER], calls=wanted)).outcome == "pass"
    once = await score(made[:1], [WEATHER], calls=wanted)
    assert once.outcome == "fail"


async def test_extra_calls_fail_unless_allowed() -> None:
    made = [("get_weather", {"city": "Oslo"}), ("get_time", {})]
    strict = await score(made, [WEATHER, TIME], calls=["get_weather"])
    assert strict.outcome == "fail" and "unexpected call get_time" in strict.reason
    lenient = await score(made, [WEATHER, TIME], calls=["get_weather"], allow_extra=True)
    assert lenient.outcome == "pass"


async def test_no_call_expected() -> None:
    assert (await score([], [WEATHER], calls=[])).outcome == "pass"
    assert (await score([("get_time", {})], [TIME], calls=[])).outcome == "fail"


async def test_nothing_to_check_is_not_a_pass() -> None:
    assert (await score([("x", {})], None)).outcome == "unscored"
    assert (await score([], [WEATHER])).outcome == "not_applicable"


async def test_names_only_without_schemas() -> None:
    result = await score([("lookup", "raw text")], None, calls=["lookup"])
    assert result.outcome == "pass"


def test_unknown_parameter_fails_at_load_time() -> None:
    with pytest.raises(ValidationError, match="order"):
        validate_check(CheckSpec(type="tool_calls", order=True))

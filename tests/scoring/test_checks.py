"""Deterministic checks: each outcome, negation, evidence, and load-time validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from harness.models import Case, CheckSpec, Completion
from harness.scoring.base import ScoreContext, score_safely
from harness.scoring.registry import check_types, get_scorer, validate_check


async def run_check(text: str, check: dict, *, expected=None, **completion) -> object:
    spec = CheckSpec(**check)
    params = validate_check(spec)
    case = Case(id="c1", expected=expected)
    ctx = ScoreContext(case=case, check=params, completion=Completion(text=text, **completion))
    return await score_safely(get_scorer(spec.type), ctx)


def test_builtins_registered() -> None:
    assert {
        "contains",
        "icontains",
        "equals",
        "regex",
        "json",
        "max_words",
        "latency_ms",
        "cost_usd",
    } <= set(check_types())


@pytest.mark.parametrize(
    ("check", "text", "outcome"),
    [
        ({"type": "contains", "value": "30 days"}, "within 30 days.", "pass"),
        ({"type": "contains", "value": "30 days"}, "within 30 Days.", "fail"),
        ({"type": "icontains", "value": "30 days"}, "within 30 Days.", "pass"),
        ({"type": "contains", "value": ["x", "y"]}, "nothing", "fail"),
        ({"type": "contains", "value": "refund", "not": True}, "no refunds", "fail"),
        ({"type": "contains", "value": "refund", "not": True}, "sorry", "pass"),
        ({"type": "equals", "value": "Paris"}, "  Paris\n", "pass"),
        ({"type": "equals", "value": "Paris"}, "Paris.", "fail"),
        ({"type": "regex", "pattern": r"\b\d{5}\b"}, "zip 12345", "pass"),
        (
            {"type": "regex", "pattern": "don't know", "flags": ["ignorecase"]},
            "I DON'T KNOW",
            "pass",
        ),
        ({"type": "regex", "pattern": "secret", "not": True}, "the secret is", "fail"),
        ({"type": "max_words", "value": 3}, "one two three", "pass"),
        ({"type": "max_words", "value": 2}, "one two three", "fail"),
    ],
)
async def test_text_checks(check: dict, text: str, outcome: str) -> None:
    score = await run_check(text, check)
    assert score.outcome == outcome, score.reason
    assert score.score == (1.0 if outcome == "pass" else 0.0)


async def test_contains_partial_share_and_evidence() -> None:
    score = await run_check("a + c", {"type": "contains", "value": ["a", "b", "c", "d"]})
    assert score.outcome == "fail"
    assert score.score == 0.5
    assert score.evidence == {"found": ["a", "c"], "missing": ["b", "d"]}
    assert "missing ['b', 'd']" in score.reason


async def test_contains_defaults_to_expected_and_is_unscored_without_it() -> None:
    assert (await run_check("it is 42", {"type": "contains"}, expected=42)).outcome == "pass"
    unscored = await run_check("it is 42", {"type": "contains"})
    assert unscored.outcome == "unscored"
    assert unscored.score is None
    assert "no value" in unscored.reason


SCHEMA = {
    "type": "object",
    "properties": {"intent": {"enum": ["refund", "other"]}, "order": {"type": "string"}},
    "required": ["intent"],
    "additionalProperties": False,
}


async def test_json_with_schema() -> None:
    ok = await run_check('{"intent": "refund"}', {"type": "json", "schema": SCHEMA})
    assert ok.outcome == "pass"
    fenced = await run_check(
        '```json\n{"intent": "other"}\n```', {"type": "json", "schema": SCHEMA}
    )
    assert fenced.outcome == "pass"
    bad = await run_check('{"intent": "cancel", "x": 1}', {"type": "json", "schema": SCHEMA})
    assert bad.outcome == "fail"
    assert len(bad.evidence["errors"]) == 2
    assert "(and 1 more)" in bad.reason
    broken = await run_check('{"intent": ', {"type": "json"})
    assert broken.outcome == "fail"
    assert "not valid JSON" in broken.reason
    strict = await run_check("```json\n{}\n```", {"type": "json", "allow_fences": False})
    assert strict.outcome == "fail"


async def test_latency_and_cost() -> None:
    assert (
        await run_check("x", {"type": "latency_ms", "max": 100}, latency_ms=99)
    ).outcome == "pass"
    assert (
        await run_check("x", {"type": "latency_ms", "max": 100}, latency_ms=101)
    ).outcome == "fail"
    cached = await run_check("x", {"type": "latency_ms", "max": 1}, latency_ms=50, cached=True)
    assert cached.outcome == "not_applicable"
    assert (
        await run_check("x", {"type": "cost_usd", "max": 0.01}, cost_usd=0.001)
    ).outcome == "pass"
    unknown = await run_check("x", {"type": "cost_usd", "max": 0.01})
    assert unknown.outcome == "unscored"


@pytest.mark.parametrize(
    "check",
    [
        {"type": "regex", "pattern": "("},
        {"type": "json", "schema": {"type": "nonsense"}},
        {"type": "contains", "valeu": "x"},
        {"type": "max_words", "value": -1},
        {"type": "regex", "pattern": "a", "flags": ["global"]},
    ],
)
def test_bad_params_rejected_at_load(check: dict) -> None:
    with pytest.raises(ValidationError):
        validate_check(CheckSpec(**check))


def test_unknown_type() -> None:
    with pytest.raises(KeyError):
        validate_check(CheckSpec(type="containz"))


async def test_crashing_scorer_is_unscored_not_pass() -> None:
    class Boom:
        type = "boom"
        version = "0"
        Params = None

        async def score(self, ctx):
            raise RuntimeError("kaput")

    params = validate_check(CheckSpec(type="contains", value="x"))
    ctx = ScoreContext(case=Case(id="c"), check=params, completion=Completion(text="x"))
    score = await score_safely(Boom(), ctx)  # type: ignore[arg-type]
    assert score.outcome == "unscored"
    assert "RuntimeError: kaput" in score.reason
    assert score.confidence == 0.0

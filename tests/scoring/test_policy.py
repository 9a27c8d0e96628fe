"""`policy`: forbidden phrases, patterns and topics from a rubric, with spans."""

from __future__ import annotations

import pytest

from harness.models import Case, CheckSpec, Completion
from harness.scoring.base import ScoreContext, score_safely
from harness.scoring.registry import get_scorer, validate_check


async def run_policy(text: str, **params: object):
    check = validate_check(CheckSpec(type="policy", **params))
    ctx = ScoreContext(case=Case(id="c1"), check=check, completion=Completion(text=text))
    return await score_safely(get_scorer("policy"), ctx)


async def test_phrase_matches_any_case_and_spacing_on_word_boundaries() -> None:
    score = await run_policy("We offer GUARANTEED\n  returns!", phrases=["guaranteed returns"])
    assert score.outcome == "fail" and score.score == 0.0
    match = score.evidence["matches"][0]
    assert match["span"] == [9, 29] and match["rule"] == "guaranteed returns"
    assert (await run_policy("unguaranteed returnsx", phrases=["guaranteed returns"])).outcome \
        == "pass"


async def test_pattern_and_flags() -> None:
    assert (await run_policy("50% OFF today", patterns=[r"\d+% off"])).outcome == "fail"
    assert (await run_policy("50% OFF today", patterns=[r"\d+% off"], ignorecase=False)).outcome \
        == "pass"


async def test_topic_needs_min_distinct_keywords() -> None:
    topic = {"name": "dosage", "keywords": ["dosage", "mg", "prescription"], "min_hits": 2}
    one = await run_policy("Check the dosage on the box.", topics=[topic])
    assert one.outcome == "pass"
    two = await run_policy("The dosage is 200 mg twice a day.", topics=[topic])
    assert two.outcome == "fail"
    assert {m["rule"] for m in two.evidence["matches"]} == {"dosage:dosage", "dosage:mg"}


async def test_clean_text_passes() -> None:
    score = await run_policy("Refunds take 5 days.", phrases=["wire the money"])
    assert score.outcome == "pass" and score.evidence == {"matches": []}


@pytest.mark.parametrize("params", [{}, {"patterns": ["("]}, {"topics": [{"name": "x"}]}])
def test_invalid_policies_are_rejected_at_load_time(params: dict) -> None:
    with pytest.raises(ValueError):
        validate_check(CheckSpec(type="policy", **params))

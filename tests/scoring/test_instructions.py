"""IFEval instructions: every id passes and fails where it should; params fail at load time."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from pydantic import ValidationError

from harness.models import Case, CheckSpec, Completion, Score
from harness.scoring.base import ScoreContext, score_safely
from harness.scoring.ifeval import text
from harness.scoring.ifeval.instructions import INSTRUCTION_IDS
from harness.scoring.registry import get_scorer, validate_check

HAS_LANGDETECT = importlib.util.find_spec("langdetect") is not None
LONG_EN = "this is a plain english sentence about the weather and the garden today"

# (instruction id, kwargs, a response that follows it, one that does not)
CASES: list[Any] = [
    ("keywords:existence", {"keywords": ["tea", "C++"]}, "I like TEA and C++.", "I like tea."),
    ("keywords:frequency", {"keyword": "war", "frequency": 2, "relation": "at least"},
     "War is war.", "War is bad."),
    ("keywords:frequency", {"keyword": "war", "frequency": 2, "relation": "less than"},
     "War is bad.", "War is war."),
    ("keywords:forbidden_words", {"forbidden_words": ["bad"]}, "A badge.", "Not Bad at all."),
    ("keywords:letter_frequency", {"letter": "z", "let_frequency": 2, "let_relation": "at least"},
     "Zoo zebra", "Zoo"),
    pytest.param(
        "language:response_language", {"language": "de"},
        "Das ist ein kurzer Satz auf Deutsch, den jeder verstehen kann.",
        "This is a short sentence in English that anyone can understand.",
        marks=pytest.mark.skipif(not HAS_LANGDETECT, reason="langdetect is not installed"),
    ),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "less than"},
     "One. Two, said Mr. Smith.", "One. Two. Three!"),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "One\n***\nTwo", "One\n***\n"
     "***\nTwo"),
    ("length_constraints:number_words", {"num_words": 3, "relation": "at least"},
     "one two, three", "one two"),
    ("length_constraints:nth_paragraph_first_word",
     {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"},
     "First.\n\n\"Then, second.", "First.\n\nNow second."),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "[a] and [b]", "[a] only"),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hi.\n\nP.S. bye", "Hi."),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "Hi.\nP.P.S bye", "Hi. PS"),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* a\n- b", "* a\n* b\n* c"),
    ("detectable_format:constrained_response", {}, "My answer is maybe.", "Maybe."),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2},
     "*one* and **two**", "*one* and ** **"),
    ("detectable_format:multiple_sections", {"section_spliter": "SECTION", "num_sections": 2},
     "SECTION 1\na\nSECTION 2\nb", "SECTION 1\na"),
    ("detectable_format:json_format", {}, '```json\n{"a": 1}\n```', "{'a': 1}"),
    ("detectable_format:title", {}, "<<My Poem>>\nroses", "My Poem\nroses"),
    ("combination:two_responses", {}, "Yes.\n******\nNo.", "Yes.\n******\nYes."),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Say hi."}, "say hi. Hi!", "Hi! Say hi."),
    ("startend:end_checker", {"end_phrase": "Any questions?"}, 'Done. "Any questions?"',
     "Any questions? Done."),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "at least"},
     "The USA and the UK.", "The USA and the uk."),
    ("change_case:english_capital", {}, LONG_EN.upper(), LONG_EN.upper() + " Oops"),
    ("change_case:english_lowercase", {}, LONG_EN, LONG_EN + " Oops"),
    ("punctuation:no_comma", {}, "No commas here.", "One, two."),
    ("startend:quotation", {}, '"Quoted."', '"Half quoted.'),
]


def check_spec(ids: list[str], kwargs: list[dict[str, Any]] | None, **extra: Any) -> CheckSpec:
    return CheckSpec(type="instructions", instruction_id_list=ids, kwargs=kwargs, **extra)


async def score(output: str, ids: list[str], kwargs: list[dict] | None = None, **extra) -> Score:
    params = validate_check(check_spec(ids, kwargs, **extra))
    ctx = ScoreContext(case=Case(id="c"), check=params, completion=Completion(text=output))
    return await score_safely(get_scorer("instructions"), ctx)


def test_the_whole_ifeval_vocabulary_is_covered() -> None:
    assert len(INSTRUCTION_IDS) == 25
    ids = {c.values[0] if hasattr(c, "values") else c[0] for c in CASES}
    assert ids == set(INSTRUCTION_IDS)


@pytest.mark.parametrize(("instruction", "kwargs", "good", "bad"), CASES)
async def test_each_instruction(instruction: str, kwargs: dict, good: str, bad: str) -> None:
    passed = await score(good, [instruction], [kwargs])
    assert passed.outcome == "pass", passed.reason
    failed = await score(bad, [instruction], [kwargs])
    assert (failed.outcome, failed.score) == ("fail", 0.0), failed.reason
    assert failed.evidence["instructions"][0]["followed"] is False


async def test_several_instructions_give_a_share_and_evidence_each() -> None:
    result = await score(
        "hello, world",
        ["punctuation:no_comma", "change_case:english_lowercase", "detectable_format:title"],
    )
    assert result.outcome == "fail"
    assert result.score == pytest.approx(1 / 3)
    followed = [e["followed"] for e in result.evidence["instructions"]]
    assert followed == [False, True, False]
    assert "punctuation:no_comma" in result.reason and "1 commas" in result.reason


async def test_empty_response_follows_nothing() -> None:
    result = await score("   ", ["punctuation:no_comma"])
    assert result.outcome == "fail"


async def test_loose_mode_forgives_a_preamble_line() -> None:
    answer = 'Sure, here it is:\n{"a": 1}'
    strict = await score(answer, ["detectable_format:json_format"])
    loose = await score(answer, ["detectable_format:json_format"], mode="loose")
    assert (strict.outcome, loose.outcome) == ("fail", "pass")
    assert "loose" in loose.evidence["instructions"][0]["detail"]


async def test_without_a_language_detector_language_is_unscored(monkeypatch) -> None:
    def missing() -> None:
        raise text.NoDetector("langdetect is not installed")

    monkeypatch.setattr(text, "_detector", missing)
    result = await score("Hallo Welt", ["language:response_language"], [{"language": "de"}])
    assert result.outcome == "unscored" and "langdetect" in result.reason
    # ... but a certain failure elsewhere still fails the check
    mixed = await score("Hallo, Welt", ["language:response_language", "punctuation:no_comma"],
                        [{"language": "de"}, {}])
    assert mixed.outcome == "fail"


def test_sentence_counting_follows_punkt_conventions() -> None:
    assert text.count_sentences("Dr. Who met J. R. Smith. They left!") == 2
    assert text.count_sentences("* one\n* two\n* three") == 1  # line breaks alone do not split
    assert text.count_sentences('He said "stop." Then he went?') == 2
    assert text.count_words("It's 3.5 km") == 5


@pytest.mark.parametrize(
    ("ids", "kwargs", "message"),
    [
        (["punctuation:no_coma"], None, "did you mean 'punctuation:no_comma'"),
        (["punctuation:no_comma", "startend:quotation"], [{}], "kwargs has 1 entries"),
        (["length_constraints:number_words"], [{"num_words": 5}], "relation"),
        (["length_constraints:number_words"], [{"num_words": 5, "relation": "at most"}],
         "relation"),
        (["punctuation:no_comma"], [{"surprise": 1}], "surprise"),
        ([], None, "at least 1"),
    ],
)
def test_bad_instructions_fail_at_load_time(ids: list[str], kwargs: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_check(check_spec(ids, kwargs))


def test_null_kwargs_as_in_padded_ifeval_copies_are_ignored() -> None:
    padded = {"num_words": 5, "relation": "at least", "num_highlights": None}
    params = validate_check(check_spec(["length_constraints:number_words"], [padded]))
    assert params is not None

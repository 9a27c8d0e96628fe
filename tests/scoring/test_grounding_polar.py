"""The polar-answer signal: a "yes"/"no" asserts the yes/no question it answers."""

from __future__ import annotations

import asyncio

import pytest

from harness.models import Case, Completion, Score
from harness.scoring import ScoreContext, get_scorer
from harness.scoring._grounding.polar import polar_question, polar_word
from harness.scoring.grounding import GroundingParams

PASSAGES = ["The museum opens at nine and closes at five. Entry for children is free."]
COPIED = "Yes! The museum opens at nine and closes at five."


def grade(output: str, question: str | None) -> Score:
    case = Case(id="c", input=question, context=PASSAGES)
    ctx = ScoreContext(
        case=case, check=GroundingParams(type="grounding"), completion=Completion(text=output)
    )
    return asyncio.run(get_scorer("grounding").score(ctx))


def names(score: Score) -> set[str]:
    return {s["name"] for c in score.evidence["claims"] for s in c["signals"]}


@pytest.mark.parametrize(
    ("answer", "word"), [("Yes! It opens.", "Yes"), ("nope, sorry", "nope"), ("Yesterday", None)]
)
def test_polar_word(answer: str, word: str | None) -> None:
    assert polar_word(answer) == word


@pytest.mark.parametrize(
    ("user_input", "question"),
    [
        ("Nice. Is the museum open on Mondays?", "Is the museum open on Mondays?"),
        (
            "oh wow i did not know that do you like modern sculpture?",
            "do you like modern sculpture?",
        ),
        ("When does the museum open?", None),  # not a yes/no question
        ("The museum is lovely. Don't you agree?", None),  # points back: one content word
        ("The museum is lovely.", None),  # no question at all
        (None, None),
    ],
)
def test_polar_question(user_input: str | None, question: str | None) -> None:
    assert polar_question(user_input) == question


def test_yes_to_a_question_the_passages_do_not_address_fails() -> None:
    score = grade(COPIED, "Have you ever painted the museum's garden?")
    assert score.outcome == "fail"
    assert "unsupported_polar_answer" in names(score)
    signal = score.evidence["claims"][0]["signals"][0]
    assert COPIED[slice(*signal["span"])] == "Yes"


def test_yes_to_a_question_the_passages_address_passes() -> None:
    score = grade(COPIED, "Does the museum close at five?")
    assert score.outcome == "pass"
    assert "unsupported_polar_answer" not in names(score)


def test_no_polar_word_or_no_question_leaves_the_verdict_alone() -> None:
    assert grade(COPIED[5:], "Have you ever painted the museum's garden?").outcome == "pass"
    assert grade(COPIED, None).outcome == "pass"

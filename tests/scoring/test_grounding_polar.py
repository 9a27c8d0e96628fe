"""The polar-answer signal: a "yes"/"no" asserts what it answers."""

from __future__ import annotations

import asyncio

import pytest

from harness.models import Case, Completion, Score
from harness.scoring import ScoreContext, get_scorer
from harness.scoring.grounding.check import GroundingParams
from harness.scoring.grounding.polar import Target, polar_target, polar_word

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
    ("user_input", "target"),
    [
        ("Nice. Is the museum open on Mondays?", Target("Is the museum open on Mondays?")),
        ("do you know if it opens on mondays", Target("it opens on mondays")),  # no "?"
        ("is the museum open on mondays", Target("is the museum open on mondays")),
        ("Don't forget the museum garden tour.", None),  # an imperative, not a question
        (
            "oh wow i did not know that does it close at five?",
            Target("does it close at five?"),
        ),
        # put to the assistant: a yes answers about the speaker
        ("Do you like modern sculpture?", Target("Do you like modern sculpture?", True)),
        (
            "oh wow i did not know that do you like modern sculpture?",
            Target("do you like modern sculpture?", True),
        ),
        # "do you know if X?" asks about X
        ("Do you know if the museum closes at five?", Target("the museum closes at five?")),
        ("Do you remember which museum opened first?", None),  # a wh-question inside
        ("Can you tell me about the museum garden?", None),  # a request: "sure" complies
        ("When does the museum open?", None),  # not a yes/no question
        ("The museum is lovely. Don't you agree?", None),  # points back: one content word
        ("The museum is lovely.", None),  # no question: a yes there mostly means "I hear you"
        (None, None),
    ],
)
def test_polar_target(user_input: str | None, target: Target | None) -> None:
    assert polar_target(user_input) == target


def test_yes_to_a_question_the_passages_do_not_address_fails() -> None:
    score = grade(COPIED, "Is the museum garden open to dogs?")
    assert score.outcome == "fail"
    assert "unsupported_polar_answer" in names(score)
    signal = score.evidence["claims"][0]["signals"][0]
    assert COPIED[slice(*signal["span"])] == "Yes"


def test_yes_to_a_question_the_passages_address_passes() -> None:
    score = grade(COPIED, "Does the museum close at five?")
    assert score.outcome == "pass"
    assert "unsupported_polar_answer" not in names(score)


def test_no_polar_word_or_no_question_leaves_the_verdict_alone() -> None:
    assert grade(COPIED[5:], "Is the museum garden open to dogs?").outcome == "pass"
    assert grade(COPIED, None).outcome == "pass"


def test_yes_to_a_question_about_the_speaker_fails_even_when_the_rest_is_copied() -> None:
    score = grade(COPIED, "Have you ever painted the museum's garden?")
    assert score.outcome == "fail"
    assert "speaker_polar_answer" in names(score)


def test_sure_to_a_request_is_not_an_assertion() -> None:
    assert (
        grade(
            "Sure! The museum opens at nine and closes at five.",
            "Can you tell me when the museum opens?",
        ).outcome
        == "pass"
    )

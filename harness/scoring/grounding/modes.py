"""Claim verdicts in each mode: offline (lexical), embedding (lexical + MiniLM), llm (judge).

Every mode returns one ClaimVerdict per claim, or a reason it could not decide; the
offline verdict is always computed, because it gives every mode its evidence span.
"""

from __future__ import annotations

from dataclasses import replace

from harness.providers.base import Provider
from harness.scoring.grounding.claims import Claim
from harness.scoring.grounding.embed import (
    SIMILARITY_BOUNDARY,
    EmbeddingUnavailable,
    Encoder,
    best_similarity,
    default_encoder,
)
from harness.scoring.grounding.evidence import ContextIndex
from harness.scoring.grounding.llm import ask_judge
from harness.scoring.grounding.offline import judge_claim, scaled
from harness.scoring.grounding.verdicts import ClaimVerdict, Signal

HARD = frozenset(
    {
        "unsupported_number",
        "unsupported_name",
        "negation",
        "citation_out_of_range",
        "wrong_citation",
        "speaker_statement",
    }
)
AGREE_SUPPORT = 0.95  # judge and lexical evidence agree
DISAGREE_SUPPORT = 0.75  # the judge decides alone


class Undecided(Exception):
    """The mode could not reach a verdict; the message is the `unscored` reason."""

    def __init__(self, reason: str, audit: dict | None = None) -> None:
        super().__init__(reason)
        self.audit = audit or {}


def offline(claims: list[Claim], index: ContextIndex) -> list[ClaimVerdict]:
    """The hand-written rule of scorer version 3 (mode `rules`)."""
    return [judge_claim(c, index) for c in claims]


def learned(claims: list[Claim], index: ContextIndex, mode: str) -> list[ClaimVerdict]:
    """Learned verdicts (mode `offline`: lexical features; `embedding`: with MiniLM)."""
    from harness.scoring.grounding import learned as model

    semantic = None
    if mode == "embedding":
        try:
            from harness.scoring.grounding.semantic import _model, semantic_features

            _model()
        except EmbeddingUnavailable as exc:
            raise Undecided(str(exc)) from exc
        semantic = semantic_features
    return model.learned_verdicts(claims, index, len(claims), mode, semantic)


def embedding(
    claims: list[Claim], index: ContextIndex, encoder: Encoder | None = None
) -> list[ClaimVerdict]:
    try:
        encoder = encoder or default_encoder()
    except EmbeddingUnavailable as exc:
        raise Undecided(str(exc)) from exc
    lexical = offline(claims, index)
    sims = best_similarity(encoder, [c.text for c in claims], index)
    return [_rescue(v, sim) for v, sim in zip(lexical, sims, strict=True)]


def _rescue(
    verdict: ClaimVerdict, sim: tuple[float, int | None, tuple[int, int] | None]
) -> ClaimVerdict:
    cosine, passage, span = sim
    details = {**verdict.details, "similarity": round(cosine, 3)}
    hard = any(s.name in HARD for s in verdict.signals)
    emb_support = scaled(max(cosine, 0.0), SIMILARITY_BOUNDARY)
    if hard or verdict.supported or emb_support < 0.5:
        return replace(verdict, details=details)
    signal = Signal(
        "similar_meaning",
        f"cosine {cosine:.2f} to passage {passage + 1 if passage is not None else '?'}",
    )
    return replace(
        verdict,
        support=emb_support,
        passage=passage,
        passage_span=span,
        signals=(*verdict.signals, signal),
        details=details,
    )


async def llm(
    claims: list[Claim], index: ContextIndex, judge: Provider, model: str
) -> tuple[list[ClaimVerdict], dict]:
    """Judge verdicts; confidence is higher where the lexical evidence agrees."""
    lexical = offline(claims, index)
    result = await ask_judge(judge, model, claims, list(index.passages))
    if result.verdicts is None:
        raise Undecided(result.error or "judge gave no verdict", result.audit)
    out = []
    for lex, jv in zip(lexical, result.verdicts, strict=True):
        agree = lex.supported == jv.supported
        strength = AGREE_SUPPORT if agree else DISAGREE_SUPPORT
        support = strength if jv.supported else 1.0 - strength
        passage = jv.passage if jv.passage is not None else lex.passage
        span = lex.passage_span if passage == lex.passage else (0, len(index.passages[passage]))
        signals = (Signal("judge", jv.reason),) + (() if agree else (Signal("lexical_disagrees"),))
        out.append(
            replace(
                lex,
                support=support,
                passage=passage,
                passage_span=span,
                evidence_text=index.passages[passage][span[0] : span[1]]
                if passage is not None
                else "",
                signals=signals,
                details={**lex.details, "lexical": "supported" if lex.supported else "unsupported"},
            )
        )
    return out, result.audit

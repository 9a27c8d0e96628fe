"""The offline (lexical) decision for one claim: a few thresholds and hard signals.

A claim is supported when
- enough of its content words are in the passages (recall >= MIN_RECALL, rising towards
  1 the more the claim copies the passages word for word: one new word in a copied
  sentence is how an edited fact looks, while a paraphrase changes many words),
- its neighbouring content words also sit near each other there (smoothed n-gram
  overlap >= MIN_PAIRS), so facts recombined from different places do not pass,
- a simple fact (at most SIMPLE_FACT content words) is stated within one sentence
  (sentence recall >= MIN_SENTENCE), and
- no hard signal fires: a number or name no passage contains, a negation the evidence
  lacks, or a first-person statement with words the passages lack (about the speaker,
  which no passage can support; under `attribution: all`, any first-person statement:
  "I know it is the largest state" wraps a fact in the speaker's own claim).

The thresholds were chosen on half of the development samples and checked on the other
half (bench/accuracy_grounding.py); they are few on purpose so they carry to new data.
"""

from __future__ import annotations

import re

from harness.scoring.grounding.claims import Claim
from harness.scoring.grounding.evidence import ClaimEvidence, ContextIndex, gather
from harness.scoring.grounding.text import Token
from harness.scoring.grounding.verdicts import ClaimVerdict, Signal

MIN_RECALL = 0.75
MIN_PAIRS = 0.3
MIN_SENTENCE = 0.8
SIMPLE_FACT = 8
COPY_FROM = 0.5  # n-gram overlap above which a claim counts as (partly) copied
COPY_WEIGHT = 0.5  # how far a fully copied claim's required recall moves towards 1
HARD_SUPPORT = 0.15  # support left when a hard signal fires: a fail, fairly sure
SOFT_SUPPORT = 0.35  # for first-person statements: a fail, less sure

_FIRST_PERSON = re.compile(r"\b(?:I|my|me|mine|myself)\b", re.IGNORECASE)
# "you are / you have / you must be": about the person spoken to. Not "you can" or "you
# have to": in "you can return items within 30 days" the "you" is anyone.
_LISTENER = re.compile(
    r"\byou\s*(?:'re|’re|are|were|'ve|’ve|have|had|did|do|must|seem|look|sound)\b(?!\s+to\b)",
    re.IGNORECASE,
)


def scaled(value: float, boundary: float) -> float:
    """Map [0, boundary, 1] onto [0, 0.5, 1], so margins are comparable across measures."""
    if boundary >= 1.0:
        return 1.0 if value >= 1.0 else 0.5 * value
    if value >= boundary:
        return 0.5 + 0.5 * (value - boundary) / (1.0 - boundary)
    return 0.5 * value / boundary if boundary > 0 else 0.5


def judge_claim(claim: Claim, index: ContextIndex) -> ClaimVerdict:
    """Verdict for one claim: against its cited passages when it cites, else all of them."""
    return judge_claim_evidence(claim, index)[0]


def judge_claim_evidence(
    claim: Claim, index: ContextIndex
) -> tuple[ClaimVerdict, ClaimEvidence | None]:
    """The rule's verdict and the evidence it read (None for a citation out of range)."""
    n = len(index.passages)
    if claim.citations:
        bad = [c for c in claim.citations if not 1 <= c <= n]
        if bad:
            return _out_of_range(claim, bad, n), None
        cited = [c - 1 for c in claim.citations]
        verdict, ev = _lexical_evidence(claim, index, cited)
        if not verdict.supported:
            return _check_elsewhere(claim, index, verdict), ev
        return verdict, ev
    return _lexical_evidence(claim, index, None)


def _out_of_range(claim: Claim, bad: list[int], n: int) -> ClaimVerdict:
    text = ", ".join(f"[{c}]" for c in bad)
    signal = Signal("citation_out_of_range", f"cites {text}; there are {n} passages")
    return ClaimVerdict(claim, 0.0, signals=(signal,))


def _check_elsewhere(claim: Claim, index: ContextIndex, verdict: ClaimVerdict) -> ClaimVerdict:
    """A claim its cited passage does not support: say so, and name a passage that does."""
    anywhere = _lexical(claim, index, None)
    if not anywhere.supported or anywhere.passage is None:
        return verdict
    note = Signal(
        "wrong_citation", f"passage {anywhere.passage + 1} supports it, not the cited one"
    )
    return ClaimVerdict(
        claim,
        min(verdict.support, HARD_SUPPORT),
        verdict.passage,
        verdict.passage_span,
        verdict.evidence_text,
        (note, *verdict.signals),
        verdict.missing,
        verdict.details,
    )


def _lexical(claim: Claim, index: ContextIndex, allowed: list[int] | None) -> ClaimVerdict:
    return _lexical_evidence(claim, index, allowed)[0]


def _lexical_evidence(
    claim: Claim, index: ContextIndex, allowed: list[int] | None
) -> tuple[ClaimVerdict, ClaimEvidence]:
    ev = gather(claim, index, allowed)
    support, signals = _support(claim, ev)
    window = ev.window
    passage = window.passage if window else None
    span = (window.start, window.end) if window else None
    text = index.passages[window.passage][window.start : window.end] if window else ""
    verdict = ClaimVerdict(
        claim,
        support,
        passage,
        span,
        text,
        tuple(signals),
        tuple(t.text for t in ev.missing),
        {"recall": round(ev.recall, 3), "ngram_overlap": round(_pairs(ev), 3)},
    )
    return verdict, ev


def _pairs(ev: ClaimEvidence) -> float:
    """Laplace-smoothed share of neighbouring pairs found together (one pair says little)."""
    return (ev.pairs_found + 1) / (ev.pairs + 2)


def required_recall(pairs: float) -> float:
    """MIN_RECALL for a paraphrase, more for a claim that copies the passages."""
    copied = max(0.0, (pairs - COPY_FROM) / (1.0 - COPY_FROM))
    return MIN_RECALL + (1.0 - MIN_RECALL) * COPY_WEIGHT * copied


def _support(claim: Claim, ev: ClaimEvidence) -> tuple[float, list[Signal]]:
    if not ev.checked:
        return 1.0, []
    signals: list[Signal] = []
    need = required_recall(_pairs(ev))
    measures = [scaled(ev.recall, need), scaled(_pairs(ev), MIN_PAIRS)]
    if ev.recall < need:
        signals.append(
            Signal("low_recall", f"{len(ev.found)}/{len(ev.checked)} content words found")
        )
    if _pairs(ev) < MIN_PAIRS:
        signals.append(
            Signal("low_ngram_overlap", f"{ev.pairs_found}/{ev.pairs} word pairs found together")
        )
    if len(ev.checked) <= SIMPLE_FACT:
        measures.append(scaled(ev.sentence_recall, MIN_SENTENCE))
        if ev.sentence_recall < MIN_SENTENCE and ev.recall >= MIN_RECALL:
            signals.append(Signal("scattered", "its words are spread over different sentences"))
    support = min(measures)
    hard = _hard_signals(claim, ev)
    if hard:
        support = min(support, HARD_SUPPORT)
    elif _about_speaker(claim, ev):
        signals.append(Signal("speaker_statement", "about the people talking, not the passages"))
        support = min(support, SOFT_SUPPORT)
    return support, hard + signals


def _about_speaker(claim: Claim, ev: ClaimEvidence) -> bool:
    """A first-person statement that says more than the passages; when strict, any
    statement about the speaker or about the listener ("you are right", "you must be good")."""
    if claim.strict:
        return bool(_FIRST_PERSON.search(claim.text) or _LISTENER.search(claim.text))
    return bool(ev.missing) and bool(_FIRST_PERSON.search(claim.text))


def _hard_signals(claim: Claim, ev: ClaimEvidence) -> list[Signal]:
    out = [_token_signal("unsupported_number", claim, t) for t in ev.missing_numbers]
    out += [_token_signal("unsupported_name", claim, t) for t in ev.missing_names]
    if ev.negation_unsupported:
        out.append(Signal("negation", "the claim negates; its best evidence does not"))
    return out


def _token_signal(name: str, claim: Claim, token: Token) -> Signal:
    return Signal(name, token.text, (claim.start + token.start, claim.start + token.end))

"""Features of one claim against the passages, for the learned grounding model.

Every feature is lexical evidence a reviewer can read (word recall, pairs of words found
together, numbers, names and negations the passages lack, the hand-written rule's support),
so the learned model decides from the same evidence the verdict shows. The `[ml]` mode adds
meaning-level features from MiniLM (see `semantic.py`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from harness.scoring.grounding.claims import Claim
from harness.scoring.grounding.evidence import ClaimEvidence, ContextIndex
from harness.scoring.grounding.text import stem
from harness.scoring.grounding.verdicts import ClaimVerdict

_FIRST_PERSON = re.compile(r"\b(?:I|my|me|mine|myself|we|our|us)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours)\b", re.IGNORECASE)
_HEDGE = re.compile(r"\b(?:may|might|could|possibly|likely|probably|perhaps|suggests?|"
                    r"approximately|about|around|estimated)\b", re.IGNORECASE)
_QUANT = re.compile(r"\b(?:all|every|only|never|always|none|most|first|last|largest|"
                    r"smallest|biggest|best|worst|highest|lowest|more|less|fewer|"
                    r"majority|entire|each|both|many|several)\b", re.IGNORECASE)
_CAUSAL = re.compile(r"\b(?:because|due to|caused?|leads? to|result(?:s|ed)? in|"
                     r"therefore|thus|so that|since)\b", re.IGNORECASE)
_OPINION = re.compile(r"\b(?:great|good|bad|amazing|love|like|think|believe|feel|"
                      r"interesting|important|recommend|should|must)\b", re.IGNORECASE)

RULE_SIGNALS = ("low_recall", "low_ngram_overlap", "scattered", "speaker_statement",
                "unsupported_number", "unsupported_name", "negation", "wrong_citation",
                "citation_out_of_range", "question", "unsupported_polar_answer",
                "speaker_polar_answer")

# Each model feature with the direction it may act in (+1 raises P(unsupported), -1 lowers
# it, 0 either): monotonic constraints keep the trees from learning a data set's accidents.
# Shape features (claim length, passage length, claim position) are computed for the
# evidence but left out of the model: their relation to the label flips between data sets.
MONOTONIC: dict[str, int] = {
    "rule_support": -1, "recall": -1, "window_recall": -1, "sentence_recall": -1,
    "pair_recall": -1, "pairs_smoothed": -1, "n_missing": 1, "missing_share": 1,
    "missing_chars_share": 1, "missing_long": 1, "missing_capitalized": 1,
    "n_missing_numbers": 1, "n_missing_names": 1, "n_scattered_names": 1, "negated": 0,
    "negation_unsupported": 1, "first_person": 0, "second_person": 0, "hedge": 0,
    "quantifier": 0, "quantifier_missing": 1, "causal": 0, "opinion": 0, "question": 0,
    "citations": 0, "strict": 0,
    **{f"sig_{name}": 1 for name in RULE_SIGNALS},
}
LEXICAL_FEATURES = tuple(MONOTONIC)


def claim_features(
    claim: Claim, ev: ClaimEvidence, verdict: ClaimVerdict, index: ContextIndex, n_claims: int,
) -> dict[str, float]:
    text = claim.text
    checked = ev.checked
    missing = ev.missing
    n = len(checked)
    missing_chars = sum(len(t.text) for t in missing)
    all_chars = sum(len(t.text) for t in checked) or 1
    numbers = [t for t in checked if t.is_number]
    names = [t for t in claim.tokens[1:] if t.is_capitalized and not t.is_number]
    quant_missing = any(stem(m.group(0)) not in index.keys for m in _QUANT.finditer(text))
    signals = {s.name for s in verdict.signals}
    out = {
        "rule_support": verdict.support,
        "n_content": float(n),
        "log_chars": math.log1p(len(text)),
        "recall": ev.recall,
        "window_recall": ev.window_recall,
        "sentence_recall": ev.sentence_recall,
        "pair_recall": ev.pair_recall,
        "pairs_smoothed": (ev.pairs_found + 1) / (ev.pairs + 2),
        "n_missing": float(len(missing)),
        "missing_share": len(missing) / n if n else 0.0,
        "missing_chars_share": missing_chars / all_chars,
        "missing_long": float(sum(1 for t in missing if len(t.text) >= 7)),
        "missing_capitalized": float(sum(1 for t in missing if t.is_capitalized)),
        "n_missing_numbers": float(len(ev.missing_numbers)),
        "n_missing_names": float(len(ev.missing_names)),
        "n_scattered_names": float(len(ev.scattered_names)),
        "n_numbers": float(len(numbers)),
        "n_names": float(len(names)),
        "negated": float(any(t.lower in ("not", "no", "never") or t.lower.endswith("n't")
                             for t in claim.tokens)),
        "negation_unsupported": float(ev.negation_unsupported),
        "first_person": float(bool(_FIRST_PERSON.search(text))),
        "second_person": float(bool(_SECOND_PERSON.search(text))),
        "hedge": float(bool(_HEDGE.search(text))),
        "quantifier": float(bool(_QUANT.search(text))),
        "quantifier_missing": float(quant_missing),
        "causal": float(bool(_CAUSAL.search(text))),
        "opinion": float(bool(_OPINION.search(text))),
        "question": float(claim.question),
        "citations": float(len(claim.citations)),
        "log_passage_tokens": math.log1p(sum(len(p) for p in index.passages) / 5),
        "n_passages": float(len(index.passages)),
        "claim_index": float(claim.index),
        "n_claims": float(n_claims),
        "strict": float(claim.strict),
    }
    for name in RULE_SIGNALS:
        out[f"sig_{name}"] = float(name in signals)
    return out


def answer_features(verdicts: Sequence[ClaimVerdict]) -> dict[str, float]:
    """The answer model's inputs: the learned claims' probabilities (worst, runner-up,
    mean, noisy-or), the hand-written rule's view of the worst claim, meaning-level
    agreement when the embedding mode computed it, and whether the whole turn must be
    attributable (`attribution: all`)."""
    ps = sorted((1.0 - v.support for v in verdicts), reverse=True)
    rule = [1.0 - float(v.details.get("rule_support", v.support)) for v in verdicts]
    n = len(ps)
    sims = [float(v.details["similarity"]) for v in verdicts if "similarity" in v.details]
    aligns = [float(v.details["content_alignment"]) for v in verdicts
              if "content_alignment" in v.details]
    return {
        "max_logit": _logit(ps[0]),
        "second_logit": _logit(ps[1]) if n > 1 else _logit(ps[0]) - 2.0,
        "mean_logit": sum(_logit(p) for p in ps) / n,
        "noisy_or": _logit(1 - math.prod(1 - p for p in ps)),
        "share_unsupported": sum(p >= 0.5 for p in ps) / n,
        "log_claims": math.log(n),
        "rule_max_logit": _logit(max(rule)),
        "rule_share_unsupported": sum(p >= 0.5 for p in rule) / n,
        "strict": float(any(v.claim.strict for v in verdicts)),
        "min_similarity": min(sims) if sims else 0.0,
        "min_alignment": min(aligns) if aligns else 0.0,
    }


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


ANSWER_FEATURES = ("max_logit", "second_logit", "mean_logit", "noisy_or",
                   "share_unsupported", "log_claims", "rule_max_logit",
                   "rule_share_unsupported", "strict")
SEMANTIC_ANSWER_FEATURES = ("min_similarity", "min_alignment")

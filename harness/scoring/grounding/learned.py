"""The learned grounding decision: a claim model, then an answer model, both calibrated.

For each claim the hand-written rule still gathers the lexical evidence (best window,
missing words, numbers, names, negations) and its signals; `features.py` turns that
evidence into numbers, and a gradient-boosted tree ensemble trained on public NLI,
fact-verification and faithfulness data plus synthetic corruptions
(`training/grounding.py`) gives the calibrated probability that the claim is unsupported.
The answer model reads the claims' probabilities and returns the calibrated probability
that the answer is not grounded. Mode `offline` uses lexical features only (pure Python,
the core install); mode `embedding` adds MiniLM meaning-level features (`semantic.py`,
the `[ml]` extra) through models trained with them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from harness.scoring.grounding.claims import Claim
from harness.scoring.grounding.evidence import ContextIndex, words_only
from harness.scoring.grounding.features import answer_features, claim_features
from harness.scoring.grounding.offline import judge_claim_evidence
from harness.scoring.grounding.verdicts import ClaimVerdict, Signal
from harness.scoring.learned.model import LearnedModel, load

PACKAGE = "harness.scoring.grounding"
MODES = ("offline", "embedding")
MODELS = {
    # mode -> (claim model, answer model)
    "offline": ("model_claims_lexical.json", "model_answers_lexical.json"),
    "embedding": ("model_claims_semantic.json", "model_answers_semantic.json"),
}
# Semantic features for a batch of (claim, verdict) against one context.
SemanticFeatures = Callable[[Sequence[Claim], Sequence[ClaimVerdict], ContextIndex],
                            list[dict[str, float]]]


def models(mode: str) -> tuple[LearnedModel, LearnedModel]:
    claim_file, answer_file = MODELS[mode]
    return load(PACKAGE, claim_file), load(PACKAGE, answer_file)


def claim_feature_rows(
    claims: Sequence[Claim], index: ContextIndex, n_claims: int,
    semantic: SemanticFeatures | None = None,
) -> tuple[list[ClaimVerdict], list[dict[str, float]]]:
    """The rule's verdict and the model's features for each claim (training uses this too)."""
    verdicts: list[ClaimVerdict] = []
    rows: list[dict[str, float]] = []
    for claim in claims:
        verdict, ev = judge_claim_evidence(claim, index)
        verdicts.append(verdict)
        if ev is None:  # citation out of range: decided by definition
            rows.append({})
            continue
        rows.append(claim_features(claim, ev, verdict, index, n_claims))
    if semantic is not None and claims:
        extra = semantic(claims, verdicts, index)
        rows = [{**r, **e} if r else r for r, e in zip(rows, extra, strict=True)]
    return verdicts, rows


def learned_verdicts(
    claims: Sequence[Claim], index: ContextIndex, n_claims: int, mode: str,
    semantic: SemanticFeatures | None = None,
) -> list[ClaimVerdict]:
    claim_model, _ = models(mode)
    verdicts, rows = claim_feature_rows(claims, index, n_claims, semantic)
    out = []
    for verdict, row in zip(verdicts, rows, strict=True):
        if not row:
            out.append(verdict)
            continue
        p = strict_floor(verdict, claim_model.probability(row))
        verbatim = is_verbatim(verdict.claim, index) and not any(
            sig.name in DEFINITIONAL for sig in verdict.signals)
        details = {**verdict.details, "p_unsupported": round(p, 3),
                   "rule_support": round(verdict.support, 3)}
        if verbatim:
            details["verbatim"] = True
        for key in ("similarity", "token_alignment", "content_alignment"):
            if key in row:
                details[key] = round(row[key], 3)
        signals = verdict.signals
        rule_says = verdict.supported
        if rule_says != (p < 0.5):
            signals = (*signals, Signal("model_overrules_rule",
                                        f"learned model: P(unsupported) = {p:.2f}"))
        out.append(replace(verdict, support=1.0 - p, signals=signals, details=details))
    return out


# An answer whose every claim is one or more whole sentences of a passage, word for word, is
# grounded by definition; what is left is the chance that a copy was misread (a sentence split
# in the wrong place). The claims keep the model's own probabilities: one copied sentence says
# nothing about the others.
VERBATIM_P = 0.02
def is_verbatim(claim: Claim, index: ContextIndex) -> bool:
    """Is the claim a run of whole sentences of one passage, word for word?"""
    wanted = words_only(claim.text)
    return len(wanted.split()) >= 3 and wanted in index.sentence_runs


def answer_probability(verdicts: Sequence[ClaimVerdict], text: str, mode: str) -> float:
    """Calibrated probability that the answer is not grounded in the passages."""
    _, answer_model = models(mode)
    p = answer_model.probability(answer_features(verdicts))
    if verdicts and all(v.details.get("verbatim") for v in verdicts):
        p = min(p, VERBATIM_P)  # every claim is a passage's own sentences, word for word
    floors = [1.0 - v.support for v in verdicts
              if any(sig.name in DEFINITIONAL for sig in v.signals)]
    return max([p, *floors])


# Signals that fail a claim by definition rather than by evidence: a citation of a passage
# that does not exist or does not hold the claim, a question or a statement about the
# speaker where the whole turn must be attributable, a yes/no answer asserting what the
# passages do not. The learned answer model cannot overrule them.
DEFINITIONAL = frozenset({"citation_out_of_range", "wrong_citation", "question",
                          "unsupported_polar_answer", "speaker_polar_answer"})


def strict_floor(verdict: ClaimVerdict, p: float) -> float:
    """Under `attribution: all`, a statement about the speaker or listener is
    unattributable by definition (AIS): the rule's verdict stands as a floor."""
    if verdict.claim.strict and any(s.name == "speaker_statement" for s in verdict.signals):
        return max(p, 1.0 - verdict.support)
    return p

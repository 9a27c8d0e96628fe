"""The shipped prompt-injection classifier (v3): windows of the text, each scored by a
logistic model over hashed word n-grams and the intent rules, combined into a calibrated
probability for the whole text. Pure-Python inference.

Why windows: an instruction injected into a long tool output or e-mail is a sentence or
two among benign text. Scoring the whole text dilutes it (and makes length itself a cue:
attack documents were longer than clean ones); scoring every window of a few sentences and
taking the most suspicious one finds it wherever it sits, and gives its span as evidence.
The combiner reads the worst window, the runner-up, the whole text and the document rules
(`injection_rules.py`), with separate weights for the user's own input and for data
(`document=True`: passages, e-mails, tool results), where instructions to the assistant
are themselves the attack.

Weights and calibration live in `injection_model.json`, written by
`training/injection.py` from public data (training/DATA_CARD.md).
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from harness.scoring.learned.model import Calibration, sigmoid
from harness.scoring.safety.injection_rules import (
    DOCUMENT_FEATURES,
    FEATURES,
    RuleHits,
    rule_hits,
)
from harness.scoring.safety.normalize import base64_blobs, deobfuscate

WORD = re.compile(r"[a-z0-9][a-z0-9']*|[^\sa-z0-9]")
BREAK = re.compile(r"(?<=[.!?:;])\s+|\n+")
MODEL_FILE = "injection_model.json"
CHUNK = 240  # characters per chunk; a window is two neighbouring chunks
MAX_CHARS = 60_000  # longer texts are scored on their first 60,000 characters
COMBINE = ("max_window", "second_window", "whole", "log_windows", "rules")
# What one match of each intent rule means on its own (from what the rule names, set by
# hand in version 1): the combiner weighs their sum, so intent the public data rarely shows
# ("ignore your previous instructions" in an e-mail) still counts.
RULE_PRIOR = {
    "override": 3.0, "reveal_prompt": 2.5, "exfiltration": 2.0, "link_exfil": 2.0,
    "fake_system": 2.0, "unrestricted": 2.0, "addressed_to_ai": 2.0, "secrecy": 1.5,
    "hidden_markup": 1.0, "invisible_chars": 1.0, "role_override": 1.5, "task_hijack": 1.5,
    "tool_abuse": 1.5, "must_comply": 0.5, "policy_talk": 0.5, "jailbreak_frame": 0.5,
    "ai_self": 0.5,
}


@dataclass(frozen=True, slots=True)
class InjectionVerdict:
    probability: float
    hits: RuleHits
    window: tuple[int, int] | None  # span of the most suspicious window
    window_probability: float  # that window's own (uncalibrated) score


def ngram_features(text: str, buckets: int) -> dict[int, float]:
    """Binary word unigrams and bigrams hashed into `buckets`, L2-normalised (crc32, not
    the per-process salted `hash()`, so training and inference agree)."""
    words = [w for w in WORD.findall(text.lower()) if w[0].isalnum()]
    grams = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    if not grams:
        return {}
    keys = {zlib.crc32(g.encode()) % buckets for g in grams}
    value = 1 / math.sqrt(len(keys))
    return dict.fromkeys(keys, value)


def windows(text: str) -> list[tuple[int, int]]:
    """Spans of overlapping windows: chunks of about CHUNK characters cut at sentence or
    line breaks, and each window two neighbouring chunks."""
    text = text[:MAX_CHARS]
    cuts = [0]
    last = 0
    for m in BREAK.finditer(text):
        if m.end() - last >= CHUNK:
            cuts.append(m.end())
            last = m.end()
    while len(text) - cuts[-1] > 2 * CHUNK:  # no break at all: cut every CHUNK
        cuts.append(cuts[-1] + CHUNK)
    cuts.append(len(text))
    chunks = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    if len(chunks) <= 1:
        return chunks or [(0, len(text))]
    return [(chunks[i][0], chunks[i + 1][1]) for i in range(len(chunks) - 1)]


@lru_cache(maxsize=1)
def load_model() -> dict[str, Any]:
    text = resources.files("harness.scoring.safety").joinpath(MODEL_FILE).read_text("utf-8")
    model: dict[str, Any] = json.loads(text)
    window = model["window"]
    window["ngram_weights"] = {int(k): v for k, v in window["ngram_weights"].items()}
    window["buckets"] = model["buckets"]
    model["_calibration"] = {k: Calibration.from_json(v)
                             for k, v in model.get("calibration", {}).items()}
    return model


def window_logit(text: str, model: dict[str, Any]) -> tuple[float, float]:
    """(learned logit, rule-prior score) of one window (`model`: `load_model()["window"]`)."""
    values = rule_hits(text).values
    logit = model["bias"] + sum(
        model["rule_weights"].get(n, 0.0) * values[n] for n in FEATURES)
    weights = model["ngram_weights"]
    logit += sum(weights.get(k, 0.0) * v
                 for k, v in ngram_features(text, model["buckets"]).items())
    return logit, sum(RULE_PRIOR.get(n, 0.0) * values[n] for n in FEATURES)


def combine_features(text: str, model: dict[str, Any]) -> tuple[dict[str, float], tuple[int, int]]:
    spans = windows(text)
    scored = [window_logit(text[a:b], model) for a, b in spans]
    logits = [s[0] for s in scored]
    order = sorted(range(len(logits)), key=lambda i: -logits[i])
    best = order[0]
    whole = window_logit(text[:MAX_CHARS], model)[0] if len(spans) > 1 else logits[best]
    feats = {
        "rules": max(s[1] for s in scored),
        "max_window": logits[best],
        "second_window": logits[order[1]] if len(order) > 1 else logits[best] - 2.0,
        "whole": whole,
        "log_windows": math.log(len(spans)),
    }
    return feats, spans[best]


def predict(
    text: str, model: dict[str, Any] | None = None, *, document: bool = False,
    normalize: bool = True,
) -> InjectionVerdict:
    """Calibrated probability that `text` is a prompt-injection or jailbreak attempt.
    `document`: the text is data the application retrieved (a passage, an e-mail, a tool
    result), where instructions to the assistant are themselves the attack; the user's own
    input is scored without those rules.

    `normalize` (default): also score the views that undo obfuscation (`normalize.py`: NFKC,
    format characters, look-alikes, spaced letters, leetspeak) and the decoded text of each
    base64 blob, and return the most suspicious verdict, its spans mapped back to `text`.
    The model is the same; only what it reads is added to."""
    model = model or load_model()
    verdict = _predict(text, model, document)
    if not normalize or not text.strip():
        return verdict
    head = text[:MAX_CHARS]
    view = deobfuscate(head)
    if view.changed:
        other = _predict(view.text, model, document)
        if other.probability > verdict.probability:
            verdict = _mapped(other, view.span)
    for start, end, decoded in base64_blobs(head):
        other = _predict(decoded, model, document)
        if other.probability > verdict.probability:
            verdict = _mapped(other, lambda a, b, s=start, e=end: (s, e))
    return verdict


def _mapped(verdict: InjectionVerdict, span: Callable[[int, int], tuple[int, int]]
            ) -> InjectionVerdict:
    hits = RuleHits(verdict.hits.values,
                    [(name, *span(a, b)) for name, a, b in verdict.hits.spans])
    window = span(*verdict.window) if verdict.window is not None else None
    return InjectionVerdict(verdict.probability, hits, window, verdict.window_probability)


def _predict(text: str, model: dict[str, Any], document: bool) -> InjectionVerdict:
    hits = rule_hits(text[:MAX_CHARS], document=document)
    if not text.strip():
        return InjectionVerdict(0.0, hits, None, 0.0)
    side = "document" if document else "input"
    feats, span = combine_features(text, model["window"])
    head = model["combine"][side]
    logit = head["bias"] + sum(head["weights"][n] * feats[n] for n in COMBINE)
    if document:
        logit += sum(head.get("document_weights", {}).get(n, 0.0) * hits.values.get(n, 0.0)
                     for n in DOCUMENT_FEATURES)
    raw = sigmoid(logit)
    calibration = model["_calibration"].get(side)
    p = calibration(raw) if calibration else raw
    return InjectionVerdict(p, hits, span, sigmoid(feats["max_window"]))

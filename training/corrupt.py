"""Synthetic claims from plain passages: supported ones, and minimal corruptions of them.

For a sentence of a passage: the sentence itself or a trimmed part of it (supported), and
edits that make it unsupported: a name or number swapped for another one (from the same
passage: intrinsic, or from another: extrinsic), a negation added or removed, a quantity or
direction word flipped ("more" -> "less", "before" -> "after"), an unsupported clause
appended, or halves of two different sentences joined. Each example says which edit made it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")
NUMBER = re.compile(r"\b\d[\d,.]*\b")
AUX = re.compile(r"\b(is|was|are|were|has|have|had|can|will|would|does|did|should)\b")
NEG = re.compile(r"\b(is|was|are|were|has|have|had|can|will|would|does|did|should) not\b|"
                 r"\b(isn't|wasn't|aren't|weren't|hasn't|haven't|can't|won't|doesn't|didn't)\b")
FLIPS = {
    "more": "less", "less": "more", "before": "after", "after": "before", "increase": "decrease",
    "decrease": "increase", "increased": "decreased", "decreased": "increased", "first": "last",
    "last": "first", "largest": "smallest", "smallest": "largest", "higher": "lower",
    "lower": "higher", "above": "below", "below": "above", "won": "lost", "lost": "won",
    "early": "late", "late": "early", "north": "south", "south": "north", "east": "west",
    "west": "east", "rise": "fall", "rose": "fell", "fell": "rose", "older": "younger",
    "younger": "older", "most": "least", "least": "most", "always": "rarely", "many": "few",
    "positive": "negative", "negative": "positive", "allowed": "banned", "support": "oppose",
    "supported": "opposed", "agreed": "refused", "accepted": "rejected", "rejected": "accepted",
}
UNNEG = {"isn't": "is", "wasn't": "was", "aren't": "are", "weren't": "were", "hasn't": "has",
         "haven't": "have", "can't": "can", "won't": "will", "doesn't": "does", "didn't": "did"}


def sentences(passage: str, min_words: int = 6, max_words: int = 45) -> list[str]:
    out = []
    for s in SENT.split(passage.strip()):
        s = s.strip()
        if min_words <= len(s.split()) <= max_words and s[-1:] in ".!?":
            out.append(s)
    return out


def _swap(pattern: re.Pattern[str], s: str, pool: list[str], rng: random.Random) -> str | None:
    found = [m for m in pattern.finditer(s)]
    if not found:
        return None
    m = rng.choice(found)
    options = [p for p in pool if p != m.group(0) and p.lower() not in s.lower()]
    if not options:
        return None
    return s[: m.start()] + rng.choice(options) + s[m.end():]


def _number(s: str, pool: list[str], rng: random.Random) -> str | None:
    found = [m for m in NUMBER.finditer(s)]
    if not found:
        return None
    m = rng.choice(found)
    value = m.group(0).rstrip(".,")
    others = [p for p in pool if p != value and p not in s]
    if others and rng.random() < 0.5:
        new = rng.choice(others)
    elif value.isdigit():
        v = int(value)
        if 1900 < v < 2100:  # a year: a near one
            new = str(v + rng.choice([-3, -2, -1, 1, 2, 5, 10]))
        else:
            step = max(1, round(v * rng.choice([0.1, 0.25, 0.5, 1])))
            new = str(max(0, v + rng.choice([-1, 1]) * step))
        if new == value:
            return None
    else:
        return None
    return s[: m.start()] + new + s[m.start() + len(value):]


def _negate(s: str, rng: random.Random) -> str | None:
    m = NEG.search(s)
    if m:
        if m.group(1):
            return s[: m.start()] + m.group(1) + s[m.end():]
        return s[: m.start()] + UNNEG[m.group(2)] + s[m.end():]
    found = list(AUX.finditer(s))
    if not found:
        return None
    m = rng.choice(found)
    return s[: m.end()] + " not" + s[m.end():]


def _flip(s: str, rng: random.Random) -> str | None:
    words = [m for m in re.finditer(r"\b[a-z]+\b", s) if m.group(0) in FLIPS]
    if not words:
        return None
    m = rng.choice(words)
    return s[: m.start()] + FLIPS[m.group(0)] + s[m.end():]


def _append(s: str, other: str) -> str | None:
    clause = other.rstrip(".!?")
    if not clause:
        return None
    clause = clause[0].lower() + clause[1:] if not clause[:2].isupper() else clause
    return s.rstrip(".!?") + ", and " + clause + "."


def _splice(s: str, other: str) -> str | None:
    a, b = s.split(), other.split()
    if len(a) < 8 or len(b) < 8:
        return None
    return " ".join(a[: len(a) // 2] + b[len(b) // 2:])


def _trim(s: str) -> str | None:
    parts = re.split(r",\s+(?:which|who|where|while|and|but)\s+|\s+\(|;\s+", s, maxsplit=1)
    if len(parts) > 1 and len(parts[0].split()) >= 5:
        return parts[0].rstrip(",;") + "."
    return None


def corruptions(passage: str, other: str, rng: random.Random) -> Iterator[tuple[str, int, str]]:
    """(claim, label, how) for sentences of `passage`; `other` is an unrelated passage."""
    sents = sentences(passage)
    others = sentences(other)
    if not sents:
        return
    names = list({m.group(0) for m in NAME.finditer(passage)})
    names_other = list({m.group(0) for m in NAME.finditer(other)})
    numbers = list({m.group(0).rstrip(".,") for m in NUMBER.finditer(passage)})
    for s in rng.sample(sents, min(3, len(sents))):
        yield s, 0, "copy"
        trimmed = _trim(s)
        if trimmed:
            yield trimmed, 0, "trim"
        edits = [
            ("name_intrinsic", lambda s=s: _swap(NAME, s, names, rng)),
            ("name_extrinsic", lambda s=s: _swap(NAME, s, names_other, rng)),
            ("number", lambda s=s: _number(s, numbers, rng)),
            ("negation", lambda s=s: _negate(s, rng)),
            ("flip", lambda s=s: _flip(s, rng)),
            ("append", lambda s=s: _append(s, rng.choice(others)) if others else None),
            ("splice", lambda s=s: _splice(s, rng.choice([x for x in sents if x != s] or others
                                                          or [s]))),
        ]
        rng.shuffle(edits)
        made = 0
        for how, fn in edits:
            new = fn()
            if new and new != s:
                yield new, 1, how
                made += 1
                if made == 2:
                    break

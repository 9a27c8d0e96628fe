"""Forbidden patterns, phrases and topics declared in a rubric, found with their spans.

Phrases match case-insensitively on word boundaries and tolerate any run of whitespace
between words, so "wire  the\nmoney" still matches "wire the money". A topic is a keyword
list with a minimum number of distinct keywords, so one incidental word does not make a
topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from harness.scoring._patterns import finditer
from harness.scoring.safety.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    keywords: tuple[str, ...]
    min_hits: int = 1


@lru_cache(maxsize=1024)
def phrase_regex(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.split()]
    body = r"\s+".join(words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def match_phrases(text: str, phrases: tuple[str, ...], severity: Severity) -> list[Finding]:
    return [
        Finding("PHRASE", m.start(), m.end(), m.group(0), 1.0, severity, phrase)
        for phrase in phrases
        for m in phrase_regex(phrase).finditer(text)
    ]


def match_patterns(text: str, patterns: tuple[Any, ...], severity: Severity
                   ) -> list[Finding]:
    """Every match of the user's patterns (compiled by `_patterns.compile_pattern`), each
    pattern's scan under the time limit: PatternTimeout when one runs out of time."""
    return [
        Finding("PATTERN", m.start(), m.end(), m.group(0), 1.0, severity, pattern.pattern)
        for pattern in patterns
        for m in finditer(pattern, text)
        if m.end() > m.start()
    ]


def match_topic(text: str, topic: Topic, severity: Severity) -> list[Finding]:
    """All keyword hits of a topic, or none when fewer distinct keywords than `min_hits`."""
    hits = [
        Finding("TOPIC", m.start(), m.end(), m.group(0), 1.0, severity, f"{topic.name}:{word}")
        for word in topic.keywords
        for m in phrase_regex(word).finditer(text)
    ]
    distinct = {h.detector for h in hits}
    return sorted(hits, key=lambda h: h.start) if len(distinct) >= topic.min_hits else []

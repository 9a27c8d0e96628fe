"""Abstention: answers that decline ("I don't know", "the passages do not say").

An abstaining sentence asserts nothing about the world, so it is not a claim; whether
abstaining was right depends on the case (`answerable`), which the scorer decides.
"""

from __future__ import annotations

import re

_Q = "[’']?"  # an optional apostrophe, straight or curly
_NEG = (
    rf"(?:do not|does not|did not|don{_Q}t|doesn{_Q}t|didn{_Q}t|cannot|can{_Q}t|could not"
    rf"|couldn{_Q}t|am unable to|is no|are no|isn{_Q}t|aren{_Q}t)"
)
_SOURCE = (
    r"(?:(?:the|these|those|my|provided|given|available)\s+){1,2}"
    r"(?:passages?|context|documents?|sources?|information|texts?|materials?"
    r"|help[- ]centre articles?)"
)
_UNSAID = (
    r"(?:mentioned|stated|specified|provided|covered|given|included|listed|described|addressed)"
)
_SAY = r"(?:say|mention|contain|specify|cover|include|state|tell|provide|address|answer)"
_HAVE_INFO = r"have (?:that|this|enough|any|the) (?:information|details?|data)"

_PATTERNS = [
    rf"\bI\s+{_NEG}\s+(?:really\s+)?(?:know|{_HAVE_INFO})",
    r"\bI[’']?m\s+(?:not sure|unsure|afraid I (?:don[’']?t|do not) know)",
    r"\bnot (?:sure|certain)\b",
    rf"\b(?:I|we)\s+{_NEG}\s+(?:find|see|determine|answer|tell|say|confirm|verify)\b",
    r"\bunable to (?:find|determine|answer|say|tell|confirm|verify)\b",
    r"\b(?:no|not enough|insufficient) (?:information|details?|data|mention)\b",
    r"\bnot (?:in|part of|covered by|included in|available in) " + _SOURCE,
    rf"\b(?:is|are|was|were)\s+not\s+{_UNSAID}\b",
    rf"\b(?:isn{_Q}t|aren{_Q}t|wasn{_Q}t)\s+{_UNSAID}\b",
    _SOURCE + rf"\s+{_NEG}\s+{_SAY}",
    r"\bthere (?:is|was|are) no (?:mention|information|details?|data)\b",
    r"\bcannot be (?:determined|answered|found)\b",
]
_ABSTAIN = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def abstains(sentence: str) -> bool:
    """Does this sentence decline to answer?"""
    return _ABSTAIN.search(sentence) is not None


def first_abstention(text: str) -> tuple[int, int] | None:
    """Span of the first abstaining phrase in `text`, for the evidence."""
    match = _ABSTAIN.search(text)
    return (match.start(), match.end()) if match else None

"""Split an answer into claims (sentences) and read the citations each one carries.

Sentences come from nupunkt (a maintained Punkt implementation that ships its model, so no
download). A sentence made only of citation markers ("... 30 days. [1]") belongs to the
sentence before it. Sentences without a content word ("Sure!", "Thanks.") assert nothing,
so they are never claims, and neither are short reactions ("That's true!"); questions are
not claims either, unless the caller asks for every sentence (`attribution: all`, where a
question must be attributable too, and so cannot be).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from harness.scoring.grounding.text import Token, is_content, tokenize

REACTION_WORDS = 3  # a reaction is at most this many words ("That's terrible!")
_CITATION = re.compile(r"\[(\d+(?:\s*[,;–-]\s*\d+)*)\]")
_ONLY_CITATIONS = re.compile(r"^\s*(?:\[\d+(?:\s*[,;–-]\s*\d+)*\]\s*[.,;]?\s*)+$")


@dataclass(frozen=True, slots=True)
class Claim:
    """One sentence of the answer: its span in the output and what it cites (1-based)."""

    index: int
    text: str
    start: int
    end: int
    citations: tuple[int, ...] = ()
    tokens: tuple[Token, ...] = field(default=(), repr=False)  # offsets relative to the claim
    question: bool = False  # kept only when every sentence must be attributable
    strict: bool = False  # every sentence must be attributable (`attribution: all`)


@cache
def _tokenizer() -> Any:
    import nupunkt

    return nupunkt.load("default")


_GLUED = re.compile(r"(?<=[a-z0-9)\"”’])[.!?](?=[A-Z][a-z])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, also splitting at blank-line paragraphs,
    list items, and sentences glued together without a space ("in 1987.Hot Rod is")."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for block in re.split(r"(\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s))", text):
        if block and not block.isspace():
            for s, e in _tokenizer().span_tokenize(block):
                spans += _unglue(block, offset + s, offset + e, offset)
        offset += len(block)
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _unglue(block: str, start: int, end: int, offset: int) -> list[tuple[int, int]]:
    cuts = [m.end() + offset for m in _GLUED.finditer(block, start - offset, end - offset)]
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def citations_in(text: str) -> tuple[int, ...]:
    """Passage numbers cited as [2] or [1, 3] or [2-4]."""
    found: list[int] = []
    for match in _CITATION.finditer(text):
        found += _expand(match.group(1))
    return tuple(dict.fromkeys(found))


def _expand(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", group):
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            lo, hi = int(bounds[0]), int(bounds[1])
            numbers += list(range(lo, hi + 1)) if 0 < hi - lo < 50 else [lo, hi]
        elif part.isdigit():
            numbers.append(int(part))
    return numbers


_LIST_MARKER = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*•])\s")


def strip_citations(text: str) -> str:
    """The sentence with citation and list markers ("[2]", "1. ") blanked out; same length,
    so offsets still hold, and a list number is not mistaken for a fact."""
    text = _LIST_MARKER.sub(lambda m: " " * len(m.group(0)), text)
    return _CITATION.sub(lambda m: " " * len(m.group(0)), text)


def split_claims(text: str, *, every_sentence: bool = False) -> list[Claim]:
    """The claims of an answer, in order, with offsets into `text`.

    When the answer has several sentences, a short one whose only content word is an
    ordinary word ("That's terrible!", "I agree.") is a reaction, not a claim; a
    one-sentence answer is always checked, since a bare "Faarooq" or "alcohol" is the whole
    answer. With `every_sentence`, questions are kept too (marked), and every claim is
    strict.
    """
    sentences = []
    for start, end in _merge_citation_only(text, sentence_spans(text)):
        sentence = text[start:end]
        tokens = tuple(tokenize(strip_citations(sentence)))
        content = [t for t in tokens if is_content(t)]
        question = sentence.rstrip().endswith("?")
        if content and (every_sentence or not question):
            sentences.append((start, end, tokens, content, question))
    if len(sentences) > 1:
        sentences = [s for s in sentences if not _reaction(s[2], s[3])] or sentences
    return [
        Claim(
            i,
            text[start:end],
            start,
            end,
            citations_in(text[start:end]),
            tokens,
            question,
            strict=every_sentence,
        )
        for i, (start, end, tokens, _, question) in enumerate(sentences)
    ]


def _reaction(tokens: tuple[Token, ...], content: list[Token]) -> bool:
    """One ordinary content word in a short sentence; "you have a license as well" has one
    content word too, but says something checkable, and is longer."""
    only = content[0]
    return (
        len(content) == 1
        and len(tokens) <= REACTION_WORDS
        and not only.is_number
        and not (only.is_capitalized and only.start > 0)
    )


def _merge_citation_only(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and _ONLY_CITATIONS.match(text[start:end]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged

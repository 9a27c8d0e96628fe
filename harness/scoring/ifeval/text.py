"""Counting words, sentences and capitalised words the way IFEval's checker counts them.

The published checker counts words with the regex ``\\w+``, sentences with NLTK's Punkt model
and capitalised words with NLTK's Treebank tokenizer. Punkt needs a model download, which the
harness never does at run time, so `count_sentences` reimplements the part of Punkt's
behaviour that decides counts: a sentence ends at ``.``, ``?`` or ``!`` (optionally followed by
closing quotes or brackets) before whitespace, except after a known abbreviation or an
initial; line breaks alone never end a sentence.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_WORD = re.compile(r"\w+")

# Punkt marks a period as a sentence break unless the word before it is a learned
# abbreviation. These are the common English ones (lower case, without the final period).
_ABBREVIATION_TEXT = """
    mr mrs ms dr prof sr jr st vs etc e.g i.e u.s u.k u.n a.m p.m inc ltd co corp dept
    est approx no nos vol fig figs al gen col lt sgt capt rev hon gov sen rep pres ave blvd
    rd mt ft jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
"""
ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
# A sentence end: terminal punctuation, optional closers, then whitespace (or the end).
_SENTENCE_END = re.compile(r"[.?!]+[\"'”’)\]}*]*(?=\s)")
_TOKEN_BEFORE = re.compile(r"(\S+)$")
_CONTRACTION = re.compile(r"(?i)(n't|'s|'re|'ve|'ll|'d|'m)$")
_PUNCT_EDGES = "\"'“”‘’()[]{}<>,;:.!?*_`"


def count_words(text: str) -> int:
    """Words as IFEval counts them: runs of word characters."""
    return len(_WORD.findall(text))


def split_sentences(text: str) -> list[str]:
    """Sentences by Punkt's rule of thumb (see the module docstring)."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if _is_abbreviation(text[start : match.start()], text[match.start() : match.end()]):
            continue
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def count_sentences(text: str) -> int:
    return len(split_sentences(text))


def _is_abbreviation(before: str, ending: str) -> bool:
    """True when a lone period closes an abbreviation or an initial, not a sentence."""
    if not ending.startswith(".") or ending.startswith(".."):
        return False
    match = _TOKEN_BEFORE.search(before)
    if match is None:
        return False
    word = match.group(1).lstrip(_PUNCT_EDGES).lower()
    if word in ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isalpha()  # an initial: "J. R. R. Tolkien"


def word_tokens(text: str) -> list[str]:
    """Tokens close to NLTK's Treebank tokenizer: punctuation and contractions split off."""
    tokens: list[str] = []
    for raw in text.split():
        word = raw.strip(_PUNCT_EDGES)
        if not word:
            continue
        match = _CONTRACTION.search(word)
        if match and match.start() > 0:
            tokens += [word[: match.start()], word[match.start() :]]
        else:
            tokens.append(word)
    return tokens


# --------------------------------------------------------------------------- language


class NoDetector(Exception):
    """No language detector is installed (`langdetect`, an optional dependency)."""


@cache
def _detector() -> Any:
    try:
        from langdetect import DetectorFactory, detect_langs
    except ImportError as exc:
        raise NoDetector("langdetect is not installed (pip install langdetect)") from exc
    DetectorFactory.seed = 0  # langdetect is random unless seeded; verdicts must repeat
    return detect_langs


def detect_language(text: str) -> tuple[str | None, float]:
    """(ISO 639-1 code, probability), or (None, 0.0) when the text has no language features.

    Raises NoDetector when langdetect is absent, so callers can say so instead of guessing.
    """
    detect_langs = _detector()
    from langdetect.lang_detect_exception import LangDetectException

    try:
        best = detect_langs(text)[0]
    except (LangDetectException, IndexError):
        return None, 0.0
    return str(best.lang), float(best.prob)

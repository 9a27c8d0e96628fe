"""Tokens for lexical evidence: words and numbers with offsets, a light stem, number values.

Both the claim and the passages go through the same normalisation, so consistency matters
more than linguistics: a crude suffix stripper lets "evaluated" meet "evaluation", and
number words meet digits ("six" and "6"), which is where copied-but-edited facts hide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*(?:st|nd|rd|th|s)?|[^\W\d_]+(?:['’][^\W\d_]+)*")
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th|s)$")

STOPWORDS = _wordset(
    """a an the and or but if then than so as of to in on at by for with from into onto over
    under about above below between during before after since until while through across
    is are was were be been being am do does did doing done has have had having will would
    shall should can could may might must it its it's this that these those there here
    i me my mine we us our ours you your yours he him his she her hers they them their theirs
    who whom whose which what when where why how also very just too only even still yet
    all any some each every both either more most much many such other another same own
    up down out off again once one's s t ll re ve d m o y yes oh well okay ok really
    like get got go goes going went make made let lets say says said thing things way
    lot lots quite rather pretty sure know think yeah yep yup hey hmm um uh wow
    cool great nice anyway actually basically hello hi thanks thank please sorry"""
)

# Words that frame a claim rather than assert it ("the document discusses", "they say"):
# an answer or summary describing its source uses them freely, so they need no support.
FRAME_WORDS = _wordset(
    """document text passage passages article context source summary conversation
    discussion dialogue email mail letter podcast episode speaker speakers author authors
    participant participants group meeting discuss discusses discussed discussing mention
    mentions mentioned mentioning state states stated stating note notes noted noting
    describe describes described describing explain explains explained explaining
    report reports reported reporting suggest suggests suggested suggesting
    talk talks talked talking ask asks asked asking tell tells told telling
    include includes included including provide provides provided providing
    according overall also various answer answers question questions"""
)

NEGATIONS = _wordset(
    """not no never none nobody nothing neither nor cannot without n't nt hardly
    barely lack lacks lacked"""
)

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "dozen": 12,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "twice": 2,
    "half": 0.5,
    "once": 1,
}
# Words that are numbers only sometimes ("one of them", "a second look", "once upon"):
# they match digits in passages but never raise an unsupported-number signal on their own.
WEAK_NUMBER_WORDS = frozenset({"one", "second", "once", "half", "first"})

_SUFFIXES = (
    "ments",
    "ingly",
    "ings",
    "ment",
    "ness",
    "ions",
    "ing",
    "ion",
    "ies",
    "ied",
    "ers",
    "est",
    "ly",
    "ed",
    "es",
    "er",
    "s",
    "e",
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word or number of a text, with where it is and how it compares."""

    text: str
    start: int
    end: int
    key: str  # stem for words, canonical value for numbers
    is_number: bool
    is_capitalized: bool

    @property
    def lower(self) -> str:
        return self.text.lower()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, deterministic suffix stripper (one suffix, stem kept at 3+ letters)."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


@lru_cache(maxsize=65536)
def number_key(text: str) -> str | None:
    """Canonical value of a numeric token or number word, e.g. "1,000" -> "1000"."""
    low = text.lower()
    if low in _UNITS:
        return _canonical(float(_UNITS[low]))
    if not text[0].isdigit():
        return None
    text = _ORDINAL.sub("", text)  # "2nd" -> "2", "1990s" -> "1990"
    if ":" in text:
        return text
    plain = text.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text) else text
    try:
        return _canonical(float(plain.replace(",", ".")))
    except ValueError:
        return text


def _canonical(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


@lru_cache(maxsize=65536)
def word_info(word: str) -> tuple[str, bool]:
    """(key, is a negation) of one word: the fast path for indexing long passages."""
    num = number_key(word)
    if num is not None:
        return num, False
    low = word.lower().replace("’", "'")
    return stem(word), low in NEGATIONS or low.endswith("n't")


def scan(text: str) -> list[tuple[int, str, bool]]:
    """(start, key, is a negation) for every word and number of `text`."""
    out = []
    for match in _TOKEN.finditer(text):
        key, negation = word_info(match.group(0))
        out.append((match.start(), key, negation))
    return out


def tokenize(text: str) -> list[Token]:
    """Every word and number in `text` with character offsets."""
    tokens = []
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        num = number_key(word)
        tokens.append(
            Token(
                text=word,
                start=match.start(),
                end=match.end(),
                key=num if num is not None else stem(word),
                is_number=num is not None,
                is_capitalized=word[0].isupper(),
            )
        )
    return tokens


_CLITIC = re.compile(r"'(s|re|ve|m|d|ll)$")


def is_content(token: Token) -> bool:
    """Does this token carry a fact worth checking (not a function word)?"""
    low = token.lower.replace("’", "'")
    if token.is_number:
        return low not in WEAK_NUMBER_WORDS  # "one of", "at first": rarely a checkable fact
    if low.endswith("n't") or low in NEGATIONS:
        return False  # negation is its own signal, not a word to find
    low = _CLITIC.sub("", low)  # "that's" -> "that", "i've" -> "i"
    return len(low) > 1 and low not in STOPWORDS and low not in FRAME_WORDS


def is_negation(token: Token) -> bool:
    low = token.lower.replace("’", "'")
    return low in NEGATIONS or low.endswith("n't")

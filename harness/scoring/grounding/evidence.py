"""Lexical evidence for one claim against the passages: the best window and what is missing.

The passages are indexed once per context (sentences with their token keys, and where each
key occurs). For a claim, each content token is resolved against the context vocabulary
(same key, or a close spelling by rapidfuzz); every window of one or two consecutive
sentences is scored by how many of the claim's tokens it holds, and the best one is the
evidence span a reviewer sees. Beyond word recall, pairs of neighbouring claim words are
looked for near each other in a passage (n-gram overlap, which notices facts recombined
from different places), and the hard signals are collected: numbers and names no passage
contains, and a negation the evidence does not have.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from harness.scoring.grounding.claims import Claim, sentence_spans
from harness.scoring.grounding.text import (
    STOPWORDS,
    WEAK_NUMBER_WORDS,
    Token,
    is_content,
    is_negation,
    scan,
)

FUZZY_MIN_LEN = 5
FUZZY_CUTOFF = 85.0
MAX_WINDOW = 2
NEAR = 3  # two claim neighbours count as an n-gram match when this close in a passage
PASSAGE_STRIDE = 10_000_000  # word positions of passage i start at i * stride


@dataclass(frozen=True, slots=True)
class Sentence:
    passage: int
    start: int
    end: int
    keys: frozenset[str]
    negated: bool


@dataclass(frozen=True)
class ContextIndex:
    """The passages, cut into sentences, with the vocabulary and key positions of each."""

    passages: tuple[str, ...]
    sentences: tuple[Sentence, ...]
    passage_keys: tuple[frozenset[str], ...]
    keys: frozenset[str]
    positions: dict[str, tuple[int, ...]] = field(repr=False)
    vocab: tuple[str, ...] = field(repr=False)

    def resolve(self, token: Token) -> str | None:
        """The context key this claim token matches: its own, a close spelling, or None."""
        if token.key in self.keys:
            return token.key
        if token.is_number or len(token.key) < FUZZY_MIN_LEN:
            return None
        return _fuzzy(token.key, self.vocab)

    @cached_property
    def sentence_runs(self) -> frozenset[str]:
        """Every run of one to four consecutive sentences of a passage, as `words_only`
        text: what a word-for-word copy of the passages looks like (built once per index)."""
        by_passage: dict[int, list[str]] = {}
        for s in self.sentences:
            text = self.passages[s.passage][s.start:s.end]
            by_passage.setdefault(s.passage, []).append(words_only(text))
        return frozenset(" ".join(run[i:j]) for run in by_passage.values()
                         for i in range(len(run)) for j in range(i + 1, min(i + 5, len(run) + 1)))


_NOT_WORD = re.compile(r"\W+")


def words_only(text: str) -> str:
    """Words only: case, spacing and punctuation do not make a copy a different text."""
    return _NOT_WORD.sub(" ", text).strip().lower()


def _fuzzy(key: str, vocab: tuple[str, ...]) -> str | None:
    from rapidfuzz import fuzz, process

    found = process.extractOne(key, vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return found[0] if found else None


@lru_cache(maxsize=256)
def index_context(passages: tuple[str, ...]) -> ContextIndex:
    """Index passages once; a suite scores many samples against the same context."""
    sentences: list[Sentence] = []
    passage_keys = []
    positions: dict[str, list[int]] = {}
    for i, passage in enumerate(passages):
        words = scan(passage)
        passage_keys.append(frozenset(key for _, key, _ in words))
        base = i * PASSAGE_STRIDE
        for n, (_, key, _) in enumerate(words):
            positions.setdefault(key, []).append(base + n)
        sentences += _sentences(i, passage, words)
    keys = frozenset(positions)
    vocab = tuple(sorted(k for k in keys if len(k) >= FUZZY_MIN_LEN))
    frozen = {k: tuple(v) for k, v in positions.items()}
    return ContextIndex(passages, tuple(sentences), tuple(passage_keys), keys, frozen, vocab)


def _sentences(passage: int, text: str, words: list[tuple[int, str, bool]]) -> list[Sentence]:
    out = []
    j = 0
    for start, end in sentence_spans(text):
        keys: set[str] = set()
        negated = False
        while j < len(words) and words[j][0] < end:
            if words[j][0] >= start:
                keys.add(words[j][1])
                negated = negated or words[j][2]
            j += 1
        out.append(Sentence(passage, start, end, frozenset(keys), negated))
    return out


@dataclass(frozen=True)
class Window:
    """The best evidence span: passage index and character offsets into that passage."""

    passage: int
    start: int
    end: int
    negated: bool


@dataclass(frozen=True)
class ClaimEvidence:
    """What the passages say about one claim; the raw material of its verdict."""

    checked: tuple[Token, ...]  # content tokens that need support
    found: tuple[Token, ...]  # of those, the ones an allowed passage holds
    in_window: int  # of those, how many the best window holds
    in_sentence: int  # of those, how many the best single sentence holds
    pairs: int  # neighbouring content pairs in the claim
    pairs_found: int  # of those, found close together in one passage
    window: Window | None
    missing_numbers: tuple[Token, ...]
    missing_names: tuple[Token, ...]
    scattered_names: tuple[Token, ...]  # names found, but not in the best window
    negation_unsupported: bool  # the claim negates; its evidence does not

    @property
    def missing(self) -> tuple[Token, ...]:
        found = set(self.found)
        return tuple(t for t in self.checked if t not in found)

    @property
    def recall(self) -> float:
        return len(self.found) / len(self.checked) if self.checked else 1.0

    @property
    def window_recall(self) -> float:
        return self.in_window / len(self.checked) if self.checked else 1.0

    @property
    def sentence_recall(self) -> float:
        """Of the words found, the share one sentence holds: 1.0 means stated in one place."""
        return self.in_sentence / len(self.found) if self.found else 1.0

    @property
    def pair_recall(self) -> float:
        return self.pairs_found / self.pairs if self.pairs else self.recall


def gather(
    claim: Claim, index: ContextIndex, allowed: Sequence[int] | None = None
) -> ClaimEvidence:
    """Evidence for `claim` from the passages in `allowed` (0-based; all when None)."""
    passages = list(range(len(index.passages)) if allowed is None else allowed)
    pool: frozenset[str] = frozenset().union(*(index.passage_keys[i] for i in passages))
    checked = tuple(t for t in claim.tokens if is_content(t))
    resolved = {t: _resolve_in(t, index, pool) for t in checked}
    found = tuple(t for t in checked if resolved[t] is not None)
    hits = frozenset(k for k in resolved.values() if k is not None)
    window, in_window = _best_window(index, hits, set(passages))
    sentence_hits = _best_sentence(index, hits, set(passages))
    pairs, pairs_found = _pairs(checked, resolved, index, set(passages))
    negated = any(is_negation(t) for t in claim.tokens)
    names = [t for t in _names(claim) if t in resolved]
    return ClaimEvidence(
        checked=checked,
        found=found,
        in_window=sum(1 for t in found if resolved[t] in in_window),
        in_sentence=sum(1 for t in found if resolved[t] in sentence_hits),
        pairs=pairs,
        pairs_found=pairs_found,
        window=window,
        missing_numbers=tuple(t for t in checked if _hard_number(t) and resolved[t] is None),
        missing_names=tuple(t for t in names if resolved[t] is None),
        scattered_names=tuple(
            t for t in names if resolved[t] is not None and resolved[t] not in in_window
        ),
        negation_unsupported=(negated and not (window is not None and window.negated))
        or _opposite_in_window(claim, index, window),
    )


# A word whose negative the evidence uses instead ("used" / "unused", "valid" / "invalid"):
# the claim then says the opposite of its evidence, as an unmatched "not" would.
_NEGATIVE_PREFIXES = ("un", "non", "non-", "in", "im", "il", "ir", "dis")
_IN_FORMS = ("able", "ible", "ent", "ant", "ive", "al", "ate", "ete", "ect", "ed", "ar", "id",
             "ure", "ite")


def _opposite_in_window(claim: Claim, index: ContextIndex, window: Window | None) -> bool:
    if window is None:
        return False
    evidence = index.passages[window.passage][window.start:window.end].lower()
    words = set(_WORDS.findall(evidence))
    said = set(_WORDS.findall(claim.text.lower()))  # "non-GAAP" is one word here
    for t in claim.tokens:
        w = t.lower
        if t.is_number or len(w) < 4 or w in words:
            continue
        for prefix in _NEGATIVE_PREFIXES:
            if prefix + w in words and prefix + w not in said and (
                    prefix in ("un", "non", "non-") or w.endswith(_IN_FORMS)):
                return True
    return False


_WORDS = re.compile(r"[a-z][a-z-]*")


def _resolve_in(token: Token, index: ContextIndex, pool: frozenset[str]) -> str | None:
    key = index.resolve(token)
    return key if key is not None and key in pool else None


def _hard_number(token: Token) -> bool:
    return token.is_number and token.lower not in WEAK_NUMBER_WORDS


def _names(claim: Claim) -> list[Token]:
    """Capitalised words that are names: not opening the sentence, unless the claim is a
    short answer fragment or a multi-word name starts it ("Joe Manganiello was born")."""
    words = [t for t in claim.tokens if not t.is_number]
    names = [t for t in words[1:] if t.is_capitalized and t.text != "I"]
    if words and words[0].is_capitalized and words[0].lower not in STOPWORDS:
        short = len(words) <= 4
        if short or (len(words) > 1 and words[1].is_capitalized):
            names.insert(0, words[0])
    return names


def _best_window(
    index: ContextIndex, hits: frozenset[str], passages: set[int]
) -> tuple[Window | None, frozenset[str]]:
    """The window of up to MAX_WINDOW sentences holding most of the claim's words."""
    best: Window | None = None
    best_hits: frozenset[str] = frozenset()
    sents = index.sentences
    for i, first in enumerate(sents):
        if first.passage not in passages:
            continue
        keys: frozenset[str] = frozenset()
        negated = False
        for j in range(i, min(i + MAX_WINDOW, len(sents))):
            if sents[j].passage != first.passage:
                break
            keys |= sents[j].keys
            negated = negated or sents[j].negated
            inside = hits & keys
            if best is None or len(inside) > len(best_hits):
                best, best_hits = Window(first.passage, first.start, sents[j].end, negated), inside
    return best, best_hits


def _best_sentence(index: ContextIndex, hits: frozenset[str], passages: set[int]) -> frozenset[str]:
    """The claim's matched keys that the single best sentence holds."""
    return max(
        (hits & s.keys for s in index.sentences if s.passage in passages),
        key=len,
        default=frozenset(),
    )


def _pairs(
    checked: tuple[Token, ...],
    resolved: dict[Token, str | None],
    index: ContextIndex,
    passages: set[int],
) -> tuple[int, int]:
    """Neighbouring content-word pairs of the claim, and how many sit close in a passage."""
    total = found = 0
    for a, b in zip(checked, checked[1:], strict=False):
        total += 1
        ka, kb = resolved[a], resolved[b]
        if ka is not None and kb is not None and _near(index, ka, kb, passages):
            found += 1
    return total, found


def _near(index: ContextIndex, ka: str, kb: str, passages: set[int]) -> bool:
    pa, pb = index.positions[ka], index.positions[kb]
    if len(pa) * len(pb) > 4096:
        return True  # very common words: treat as near rather than spend the time
    return any(0 < abs(x - y) <= NEAR and x // PASSAGE_STRIDE in passages for x in pa for y in pb)

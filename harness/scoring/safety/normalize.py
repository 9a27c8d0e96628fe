"""Views of a text that undo common obfuscations, with a map back to the original characters.

An attacker hides a value or an instruction from pattern matching by writing it in a way a
reader (or a model) still understands: full-width or otherwise compatibility characters
("ｊｏｈｎ＠ｇｍａｉｌ．ｃｏｍ"), zero-width or other format characters between letters
("ig\u200bnore"), Cyrillic or Greek look-alikes ("іgnоrе" with Cyrillic і, о, е), spaced
letters ("i g n o r e"), leetspeak ("1gn0r3"), base64 with "decode this". Detectors run on
these views as well as on the text itself, and every view keeps, for each of its characters,
the index of the original character it came from, so a finding in a view is reported (and
redacted) on the original characters.

- `fold`: HTML character references decoded ("alice&#64;example.com"), NFKC per character,
  format characters (Unicode category Cf) next to a letter, digit or e-mail punctuation dropped
  (a joiner between emoji stays), and the letters of a word that can be written entirely in
  Latin look-alikes folded to Latin: a mixed-script word ("іgnоrе" with Cyrillic і, о, е)
  always, a word all in Cyrillic/Greek look-alikes only when the text has no other Cyrillic or
  Greek letter (so "как" in Russian text, whose other words have letters with no Latin twin (и,
  л, д, λ, ω...), stays as it is and ordinary non-English text reads the same). ASCII text with no
  character reference is returned as is.
- `deobfuscate`: `fold`, then runs of single spaced letters joined ("i g n o r e" -> "ignore",
  words split where the gap is wider or at the words of a small vocabulary), and leetspeak
  folded in words that mix letters with the digits and symbols that stand for letters.
  A short lexicon also rewrites an instruction in French, German, Spanish, Italian or
  Portuguese word by word in English, in texts with one of its imperative verbs.
- `base64_blobs`: runs of base64 of at least 16 characters that decode to mostly printable
  UTF-8 text, each with its span.

All are linear in the text; the fast paths (ASCII text, nothing spaced or leet) cost one
regex scan each.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from dataclasses import dataclass
from html.entities import html5

# Cyrillic and Greek letters that look like Latin ones (Unicode's confusables, the common
# ones), lower and upper case.
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ո": "n", "ս": "u",
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "Һ": "H", "І": "I", "Ї": "I", "Ј": "J", "К": "K",
    "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S",
    "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Latin letters outside ASCII that stand in for ASCII ones
    "ı": "i", "ȷ": "j", "ℓ": "l",
}
_FOLD_TABLE = str.maketrans(_LOOKALIKES)
_WORD = re.compile(r"[^\W\d_]+")
# Leetspeak: digits and symbols that stand for letters, inside a word with letters.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
         "$": "s", "!": "i", "|": "l", "9": "g"}
_LEET_TABLE = str.maketrans(_LEET)
_LEET_TABLE_L = str.maketrans({**_LEET, "1": "l", "!": "l"})
# A word of letters and leet characters ("1gn0r3", "pr3v10us", "4ll") is folded when it
# folds to a word of the vocabulary below (so "4th", "mp3", "gr8" stay as they are).
_LEET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@$!|")
# Four or more single letters separated by one kind of gap ("i g n o r e", "i-g-n-o-r-e",
# "i.g.n.o.r.e"); a wider gap (two spaces, " / ") separates words.
_SPACED = re.compile(r"(?<![\w])(?:[A-Za-z](?: |\.|-|_|\*|\u00a0)){3,}[A-Za-z](?![\w])"
                     r"(?:(?:\s{2,}|\s*[/|]\s*|\s{1,3})(?:[A-Za-z](?: |\.|-|_|\*)){1,}[A-Za-z]"
                     r"(?![\w]))*")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
MAX_BLOBS = 8
# Words the spaced-letter segmentation knows (an instruction's words and the glue between).
_VOCAB_WORDS = (
    "a about above access account admin all allow always an and answer any are as ask "
    "assistant at be before bypass by can chat code command commands confidential context "
    "credentials data delete developer disable disregard do document earlier email emails "
    "every everything execute file files filter filters for forget forward from full give "
    "guidelines have hidden history i ignore in instead instructions is it jailbreak key keys "
    "leak me message messages mode my new no not now of on or original output override "
    "password passwords previous print prior private prompt prompts reply reveal rules safety "
    "say secret secrets security send show system tell that the them these this to token "
    "tokens tool unrestricted up user users what with without you your guaranteed returns "
    "risk free wire money cure profit ignoring instruction rule restrictions limits act "
    "pretend roleplay dan unfiltered uncensored reveal print repeat disclose decode follow "
    "obey comply must now following above below admin root sudo hack hacked exploit"
)
_VOCAB = frozenset(_VOCAB_WORDS.split())


@dataclass(frozen=True, slots=True)
class View:
    """A rewritten text and, for each of its characters, the original index it came from.
    `index` is empty when the view is the original text itself."""

    text: str
    index: tuple[int, ...] | list[int] = ()
    # Where a view character's source ends, when one character stands for several (an HTML
    # character reference); empty means index[i] + 1.
    ends: tuple[int, ...] | list[int] = ()

    @property
    def changed(self) -> bool:
        return bool(self.index)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view's span [start, end)."""
        if not self.index:
            return start, end
        index = self.index
        if end <= start:
            pos = index[start] if start < len(index) else (index[-1] + 1 if index else 0)
            return pos, pos
        return index[start], (self.ends[end - 1] if self.ends else index[end - 1] + 1)


def _identity(text: str) -> View:
    return View(text)


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _unescape_entities(text: str) -> View:
    """HTML character references decoded ("alice&#64;example.com", "&commat;"), each decoded
    character mapped to the reference's first character; unknown names stay as written."""
    if "&" not in text or _ENTITY.search(text) is None:
        return _identity(text)
    chars: list[str] = []
    index: list[int] = []
    ends: list[int] = []
    last = 0
    for m in _ENTITY.finditer(text):
        ref = m.group()
        decoded = html.unescape(ref) if ref[1] == "#" else html5.get(ref[1:], ref)
        if decoded == ref:
            continue
        chars.append(text[last:m.start()])
        index.extend(range(last, m.start()))
        ends.extend(range(last + 1, m.start() + 1))
        chars.append(decoded)
        index.extend([m.start()] * len(decoded))
        ends.extend([m.end()] * len(decoded))
        last = m.end()
    if last == 0:
        return _identity(text)
    chars.append(text[last:])
    index.extend(range(last, len(text)))
    ends.extend(range(last + 1, len(text) + 1))
    return View("".join(chars), index, ends)


def fold(text: str) -> View:
    """HTML character references decoded, then NFKC, no format characters, look-alike words
    in Latin (see the module docstring)."""
    entities = _unescape_entities(text)
    if not entities.changed:
        return _fold(text)
    folded = _fold(entities.text)
    if not folded.changed:
        return entities
    first, ends = entities.index, entities.ends
    return View(folded.text, [first[i] for i in folded.index], [ends[i] for i in folded.index])


def _fold(text: str) -> View:
    if text.isascii() or (_SUSPECT.search(text) is None
                          and unicodedata.is_normalized("NFKC", text)):
        return _identity(text)
    chars: list[str] = []
    index: list[int] = []
    last = 0
    for m in _NON_ASCII.finditer(text):
        start = m.start()
        if start > last:
            chars.append(text[last:start])
            index.extend(range(last, start))
        for i in range(start, m.end()):
            c = text[i]
            if unicodedata.category(c) == "Cf":
                if _word_next_to(text, i):
                    continue  # "ig\u200bnore"; a joiner between emoji stays
                chars.append(c)
                index.append(i)
                continue
            n = unicodedata.normalize("NFKC", c)
            if len(n) == 1 and unicodedata.combining(n) and i > 0 and text[i - 1].isascii():
                continue  # a combining mark on a Latin letter ("i\u0307gnore")
            chars.append(n)
            index.extend([i] * len(n))
        last = m.end()
    if last < len(text):
        chars.append(text[last:])
        index.extend(range(last, len(text)))
    out = "".join(chars)
    if not out.isascii() and _LOOKALIKE.search(out):
        # A word all in look-alikes ("как") is folded only in a text with no other Cyrillic
        # or Greek letter: in Russian or Greek text it is a word, not a disguise.
        native = any(c not in _LOOKALIKES for c in _SCRIPT.findall(out))
        out = _WORD.sub(_fold_mixed if native else _fold_word, out)
    if out == text:
        return _identity(text)
    return View(out, index)


_SCRIPT = re.compile("[\u0370-\u03ff\u0400-\u052f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_CF = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u08e2\u180e\u200b-\u200f\u202a-\u202e"
       "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
       "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
       "\U000e0020-\U000e007f")
_LOOKALIKE = re.compile("[" + "".join(sorted(_LOOKALIKES)) + "]")
_SUSPECT = re.compile("[" + _CF + "".join(sorted(_LOOKALIKES)) + "]")


def _word_next_to(text: str, i: int) -> bool:
    """Whether the nearest characters before or after `i` that are not format characters
    include a letter, digit or e-mail/URL punctuation."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(text) and unicodedata.category(text[j]) == "Cf":
            j += step
        if 0 <= j < len(text) and (text[j].isalnum() or text[j] in "@._-:/"):
            return True
    return False


def _fold_mixed(m: re.Match[str]) -> str:
    word = m.group(0)
    if word.isascii() or not any(c.isascii() for c in word):
        return word
    return _fold_word(m)


def _fold_word(m: re.Match[str]) -> str:
    word = m.group(0)
    if word.isascii():
        return word
    folded = word.translate(_FOLD_TABLE)
    return folded if folded.isascii() else word


def deobfuscate(text: str, base: View | None = None) -> View:
    """`fold`, then spaced letters joined and leetspeak folded (see the module docstring)."""
    view = base if base is not None else fold(text)
    current = view.text
    index = list(view.index) if view.index else None
    pieces: list[str] = []
    origins: list[int] = []
    last = 0
    edits = 0
    for m in _edits(current):
        start, end, replacement = m
        if start < last:
            continue
        pieces.append(current[last:start])
        origins.extend(range(last, start))
        pieces.append(replacement[0])
        origins.extend(replacement[1])
        last = end
        edits += 1
    if not edits:
        return view
    pieces.append(current[last:])
    origins.extend(range(last, len(current)))
    out = "".join(pieces)
    mapped = [index[o] for o in origins] if index is not None else origins
    ends = [view.ends[o] for o in origins] if view.ends else ()
    return View(out, mapped, ends)


# An instruction to the assistant in French, German, Spanish, Italian or Portuguese, word by
# word in English ("Ignorez toutes les instructions précédentes" -> "ignore all the
# instructions previous"), so the English model and rules can read it. Only texts with one of
# the imperative verbs below are rewritten at all, and only the words listed.
_FOREIGN_VERB = re.compile(
    r"\b(?=[ioevmdr])(?:ignorez|ignorer|oubliez|oublie|ignoriere|ignorieren|ignorier|vergiss|vergessen|"
    r"missachte|ignora|ignoren|ignorar|olvida|olvide|olvidad|ignorate|dimentica|dimenticate|"
    r"esque[cç]a|esque[cç]am|r[ée]v[ée]lez|verrate|revela|revele|rivela)\b")
_FOREIGN_STEMS = ("ignor", "oubli", "vergi", "vergess", "missacht", "olvid", "diment",
                  "esque", "révél", "revel", "verrat", "rivel")
_LEXICON = {
    # French
    "ignorez": "ignore", "ignorer": "ignore", "oubliez": "forget", "oublie": "forget",
    "toutes": "all", "tous": "all", "les": "the", "consignes": "instructions",
    "précédentes": "previous", "précédents": "previous", "antérieures": "previous",
    "règles": "rules", "révélez": "reveal", "révèle": "reveal", "affichez": "print",
    "montrez": "show", "votre": "your", "vos": "your", "ton": "your", "tes": "your",
    "et": "and", "système": "system", "invite": "prompt", "mot": "password",
    "envoyez": "send", "donnez": "give", "moi": "me",
    # German
    "ignoriere": "ignore", "ignorieren": "ignore", "ignorier": "ignore", "vergiss": "forget",
    "vergessen": "forget", "missachte": "ignore", "alle": "all", "allen": "all",
    "vorherigen": "previous", "vorherige": "previous", "bisherigen": "previous",
    "früheren": "previous", "anweisungen": "instructions", "anweisung": "instructions",
    "instruktionen": "instructions", "regeln": "rules", "zeige": "reveal", "zeig": "reveal",
    "verrate": "reveal", "gib": "give", "deinen": "your", "deine": "your", "dein": "your",
    "und": "and", "systemprompt": "system prompt", "passwort": "password", "mir": "me",
    # Spanish
    "ignora": "ignore", "ignoren": "ignore", "ignorar": "ignore", "olvida": "forget",
    "olvide": "forget", "olvidad": "forget", "todas": "all", "todos": "all", "las": "the",
    "los": "the", "instrucciones": "instructions", "anteriores": "previous",
    "previas": "previous", "reglas": "rules", "revela": "reveal", "revele": "reveal",
    "muestra": "show", "tu": "your", "tus": "your", "y": "and", "sistema": "system",
    "contraseña": "password", "envía": "send", "dame": "give me",
    # Italian
    "ignorate": "ignore", "dimentica": "forget", "dimenticate": "forget", "tutte": "all",
    "tutti": "all", "le": "the", "istruzioni": "instructions", "precedenti": "previous",
    "regole": "rules", "rivela": "reveal", "mostra": "show", "tuo": "your", "tua": "your",
    "tuoi": "your", "e": "and",
    # Portuguese
    "esqueça": "forget", "esqueca": "forget", "esqueçam": "forget", "instruções": "instructions",
    "regras": "rules", "mostre": "show", "seu": "your", "sua": "your", "suas": "your",
    "senha": "password",
}
_FOREIGN_WORD = re.compile(r"[^\W\d_]+")


def _edits(text: str) -> list[tuple[int, int, tuple[str, list[int]]]]:
    found: list[tuple[int, int, tuple[str, list[int]]]] = []
    lowered = text.lower()
    if any(stem in lowered for stem in _FOREIGN_STEMS) and _FOREIGN_VERB.search(lowered):
        for m in _FOREIGN_WORD.finditer(text):
            english = _LEXICON.get(m.group(0).lower())
            if english is not None:
                found.append((m.start(), m.end(),
                              (english, [m.start()] * len(english))))
    if " " in text or "." in text or "-" in text or "_" in text or "*" in text:
        for m in _SPACED.finditer(text):
            found.append((m.start(), m.end(), _join_spaced(m.group(0), m.start())))
    last = -1
    for hint in _LEET_HINT.finditer(text):
        start, end = hint.start(), hint.end()
        if start < last:
            continue
        while start > 0 and text[start - 1] in _LEET_CHARS:
            start -= 1
        while end < len(text) and text[end] in _LEET_CHARS:
            end += 1
        last = end
        word = text[start:end]
        if len(word) < 3 or word.isalpha() or len(word) > 20:
            continue
        folded = word.translate(_LEET_TABLE)
        if folded.lower() not in _VOCAB:
            folded = word.translate(_LEET_TABLE_L)
            if folded.lower() not in _VOCAB:
                continue
        found.append((start, end, (folded, list(range(start, end)))))
    found.sort(key=lambda e: e[0])
    return found


# A leet character next to a letter: where a leet word may be.
_LEET_HINT = re.compile(r"[A-Za-z][013457@$!|9]|[013457@$!|9][A-Za-z]")


def _join_spaced(run: str, offset: int) -> tuple[str, list[int]]:
    """The letters of a spaced run, as words: split at the wider gaps, then (within a group of
    letters) at the vocabulary's words when they cover it."""
    groups: list[list[int]] = [[]]
    i = 0
    n = len(run)
    while i < n:
        c = run[i]
        if c.isalpha():
            groups[-1].append(i)
            i += 1
            continue
        j = i
        while j < n and not run[j].isalpha():
            j += 1
        if j - i > 1 and groups[-1]:
            groups.append([])
        i = j
    letters: list[str] = []
    origins: list[int] = []
    for g, group in enumerate(groups):
        if not group:
            continue
        if g and letters:
            letters.append(" ")
            origins.append(offset + group[0])
        word = "".join(run[k] for k in group)
        cuts = _segment(word.lower())
        for k, pos in enumerate(group):
            if k and k in cuts:
                letters.append(" ")
                origins.append(offset + pos)
            letters.append(run[pos])
            origins.append(offset + pos)
    return "".join(letters), origins


def _segment(word: str) -> set[int]:
    """Cut positions that split `word` into vocabulary words (fewest words), or none."""
    n = len(word)
    if n > 200:
        return set()
    best: list[tuple[int, int] | None] = [None] * (n + 1)
    best[0] = (0, -1)
    for end in range(1, n + 1):
        for start in range(max(0, end - 14), end):
            prev = best[start]
            if prev is not None and word[start:end] in _VOCAB:
                cand = (prev[0] + 1, start)
                if best[end] is None or cand[0] < best[end][0]:  # type: ignore[index]
                    best[end] = cand
    if best[n] is None:
        return set()
    cuts: set[int] = set()
    pos = n
    while pos > 0:
        entry = best[pos]
        assert entry is not None
        start = entry[1]
        if start > 0:
            cuts.add(start)
        pos = start
    return cuts


def base64_blobs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded text) of each base64 run that decodes to printable UTF-8 text."""
    blobs: list[tuple[int, int, str]] = []
    for m in _BASE64.finditer(text):
        raw = m.group(0)
        if raw.isalpha() or raw.isdigit() or raw.islower() and "=" not in raw:
            continue  # a word, a number, a slug: not base64
        body = raw.rstrip("=")
        if len(body) % 4 == 1:
            continue
        padded = body + "=" * (-len(body) % 4)
        try:
            if "-" in padded or "_" in padded:
                data = base64.urlsafe_b64decode(padded)
            else:
                data = base64.b64decode(padded, validate=True)
            decoded = data.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if len(decoded) < 8:
            continue
        printable = sum(c.isprintable() or c in "\n\t\r" for c in decoded)
        letters = sum(c.isalpha() or c == " " for c in decoded)
        if printable / len(decoded) < 0.95 or letters / len(decoded) < 0.6:
            continue
        blobs.append((m.start(), m.end(), decoded))
        if len(blobs) >= MAX_BLOBS:
            break
    return blobs


__all__ = ["View", "base64_blobs", "deobfuscate", "fold"]

"""Find personal data in text, with Presidio's entity names and character spans.

Each recognizer is a cheap regex that proposes candidates and a validator that must agree
(Luhn for cards, mod-97 for IBANs, Google's `phonenumbers` for phones, `ipaddress` for IPs).
Two rules keep false alarms down on ordinary text full of links, handles and numbers:
- URLs are not PII here, and nothing inside a URL is reported (Presidio flags URLs, which is
  most of its false alarms on social-media text);
- weak shapes (a bare 7-digit number, a 12-digit Luhn-valid number) count only next to a
  context word ("phone", "card", "SSN"...).
PERSON needs an NER model, which is optional (see `ner.py`); postal addresses are found for
the common "number + street name + street type" shape only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote_plus

from harness.scoring.safety.findings import Claims, Finding, Severity, resolve_overlaps
from harness.scoring.safety.normalize import fold
from harness.scoring.safety.phones import find_phones
from harness.scoring.safety.validators import (
    card_prefix_ok,
    iban_ok,
    ip_ok,
    luhn_ok,
    ssn_ok,
)

SEVERITY: dict[str, Severity] = {
    "US_SSN": "critical",
    "CREDIT_CARD": "critical",
    "IBAN_CODE": "high",
    "US_PASSPORT": "high",
    "US_DRIVER_LICENSE": "high",
    "EMAIL_ADDRESS": "medium",
    "PHONE_NUMBER": "medium",
    "STREET_ADDRESS": "medium",
    "IP_ADDRESS": "low",
    "PERSON": "low",
}
# Per call: findings itemised in the `pii` check's evidence and the guard's reasons, and
# distinct phone candidates validated with `phonenumbers` (past them, layout alone: the
# `SHAPE_ONLY` detector). Neither cap hides a finding from a verdict or a redaction.
MAX_FINDINGS = 1000
SHAPE_ONLY = "shape-only"
PATTERN_TYPES = frozenset(
    {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS",
     "STREET_ADDRESS"}
)

URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}(?![\w-])"
)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD = re.compile(r"(?<![\w.+\-#$/])\d(?:[ -]?\d){11,18}(?![\w-]|\.\d)")
SSN = re.compile(r"(?<![\w.+\-#$/])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-]|\.\d)")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])")
STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Circle|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Crescent|Close|Gardens|Alley"
)
ADDRESS = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?(?: [A-Z][A-Za-z'-]+\.?){{1,4}} (?:{STREET_TYPES})\b\.?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit)\.? ?#?\w{1,6})?"
)

# `(?=[a-z])` before the words (all start with a letter): same matches, found faster.
CARD_CONTEXT = re.compile(
    r"\b(?=[a-z])(?:card|credit|debit|cc|visa|master ?card|amex|american express|discover|maestro|"
    r"payment|pay|paid|charge[ds]?|billing|number is|card no|declined|checkout|deposit|"
    r"purchase|refund|transaction|expir\w*)\b",
    re.IGNORECASE,
)
SSN_CONTEXT = re.compile(r"\b(?=[a-z])(?:ssn|social security|social sec|ss#|ss no)\b",
                         re.IGNORECASE)
DIGIT = re.compile(r"\d")
VERSION_BEFORE = re.compile(r"(?:\bv|version|release|build)\s*$", re.IGNORECASE)


# Spelled-out e-mail addresses ("john dot doe at gmail dot com", "john [at] gmail [dot] com",
# "john(at)gmail(dot)com", "john AT gmail DOT com", "john @ gmail.com"), found around each
# "at": the local part to its left, a domain with a known top-level domain to its right.
_BRACKET_AT = r"\s*[\[({<]\s*at\s*[\])}>]\s*"
AT_SEP = re.compile(r"(?<=\s)(?:at|AT|At)(?=\s)|[\[({<]\s*at\s*[\])}>]|@")
_SPACES = re.compile(r"\s*")
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+(?:dot|DOT|Dot)\s+|\.)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
TLDS = (r"com|net|org|edu|gov|mil|int|io|co|uk|de|fr|es|it|nl|ru|cn|jp|in|au|ca|br|info|biz|"
        r"me|us|eu|ch|se|no|dk|fi|pl|be|at|ai|dev|app|xyz|email|mail|online|site|tech|ie|nz|"
        r"za|mx|kr|tv|cc")
DOMAIN_RIGHT = re.compile(rf"(?:{_LABEL}{_DOT})+(?i:{TLDS})(?![\w-])", re.IGNORECASE)
_LOCAL = r"[A-Za-z0-9_%+-]{1,64}"
LOCAL_LEFT = re.compile(rf"(?<![\w.%+-]){_LOCAL}(?:{_DOT}{_LOCAL}){{0,4}}$", re.IGNORECASE)
SPELLED_HINT = re.compile(r"(?i)\bat\b|\s@|@\s")
# Words before a bare " at " that make it the preposition ("look at google dot com").
_NOT_LOCAL_WORDS = (
    "a an the and or but if so to of in on is are was were be been being am it its this that "
    "these those there here me us you him her them we they i he she my your our their look "
    "looking looked looks meet meeting met arrive arrived arriving stay staying stayed work "
    "works worked working be live lives lived living available online sign signed log logged "
    "visit visited see seen saw find found go went going come came buy bought sold shop "
    "shopping apply applied job jobs post posted read book booked order ordered register "
    "registered home office school store site page website team staff price sale sales"
)
NOT_LOCAL = frozenset(_NOT_LOCAL_WORDS.split())
_DOT_WORD = re.compile(r"\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+", re.IGNORECASE)


def _spelled_emails(text: str) -> Iterable[Finding]:
    if not SPELLED_HINT.search(text):
        return
    for sep in AT_SEP.finditer(text):
        word = sep.group(0)
        start = sep.start()
        while start > 0 and text[start - 1].isspace():
            start -= 1
        end = _SPACES.match(text, sep.end()).end()
        if word == "@" and start == sep.start() and end == sep.end():
            continue  # a plain address: the e-mail recognizer's
        right = DOMAIN_RIGHT.match(text, end)
        if right is None:
            continue
        left = LOCAL_LEFT.search(text, max(0, start - 200), start)
        if left is None:
            continue
        bare = word.lower() == "at" and word != "AT"
        spelled_dot = _DOT_WORD.search(right.group(0)) or _DOT_WORD.search(left.group(0))
        if bare:
            last = re.split(r"\W+", left.group(0))[-1].lower()
            if last in NOT_LOCAL or left.group(0).lower() in NOT_LOCAL:
                continue
            if not spelled_dot and "." not in left.group(0) and not right.group(0).endswith(
                    (".com", ".net", ".org", ".edu", ".io")):
                continue
        yield _finding("EMAIL_ADDRESS", left.start(), right.end(), text, 0.85, "spelled-out")


_AT_ANY = re.compile(rf"{_BRACKET_AT}|\s+at\s+|\s*@\s*", re.IGNORECASE)


def canonical_email(value: str) -> str:
    """john [at] gmail [dot] com, john%40gmail.com, John@Gmail.com: john@gmail.com."""
    value = unquote_plus(value) if "%" in value else value
    if "@" not in value or not EMAIL.fullmatch(value):
        value = re.sub(_DOT, ".", _AT_ANY.sub("@", value, count=1))
    return " ".join(value.casefold().split())


def _query_emails(text: str, url: re.Match[str]) -> Iterable[Finding]:
    """E-mail addresses in a URL's query string, plain or percent-encoded ("%40")."""
    q = url.group(0).find("?")
    if q < 0:
        return
    base = url.start() + q + 1
    for m in QUERY_VALUE.finditer(url.group(0), q + 1):
        raw = m.group(1)
        if "@" not in raw and "%40" not in raw.upper():
            continue
        value = unquote_plus(raw)
        e = EMAIL.search(value)
        if e is not None:
            yield _finding("EMAIL_ADDRESS", base + m.start(1) - q - 1,
                           base + m.end(1) - q - 1, text, 0.9, "url-query")


QUERY_VALUE = re.compile(r"[^&=#?]*=([^&#]*)")


def _near(pattern: re.Pattern[str], text: str, start: int, end: int, width: int = 48) -> bool:
    return pattern.search(text, max(0, start - width), min(len(text), end + 32)) is not None


def _finding(kind: str, m_start: int, m_end: int, text: str, score: float, detector: str
             ) -> Finding:
    return Finding(kind, m_start, m_end, text[m_start:m_end], score, SEVERITY[kind], detector)


def _emails(text: str) -> Iterable[Finding]:
    if "@" not in text:
        return
    for m in EMAIL.finditer(text):
        yield _finding("EMAIL_ADDRESS", m.start(), m.end(), text, 0.95, "regex")


def _ibans(text: str) -> Iterable[Finding]:
    for m in IBAN.finditer(text):
        if iban_ok(m.group(0).replace(" ", "")):
            yield _finding("IBAN_CODE", m.start(), m.end(), text, 0.98, "mod97")


def _cards(text: str) -> Iterable[Finding]:
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not (card_prefix_ok(digits) and luhn_ok(digits)):
            continue
        context = _near(CARD_CONTEXT, text, m.start(), m.end())
        grouped = bool(re.fullmatch(r"\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}", m.group(0)))
        if len(digits) >= 15 or context or grouped:
            score = 0.95 if context or grouped else 0.8
            yield _finding("CREDIT_CARD", m.start(), m.end(), text, score, "luhn")


def _ssns(text: str) -> Iterable[Finding]:
    for m in SSN.finditer(text):
        area, sep, group, serial = m.groups()
        context = _near(SSN_CONTEXT, text, m.start(), m.end())
        if not ssn_ok(area, group, serial) or (sep != "-" and not context):
            continue
        yield _finding("US_SSN", m.start(), m.end(), text, 0.95 if context else 0.75, "regex")


def _ips(text: str) -> Iterable[Finding]:
    if "." in text:
        for m in IPV4.finditer(text):
            before = text[max(0, m.start() - 10):m.start()]
            if ip_ok(m.group(0)) and not VERSION_BEFORE.search(before):
                yield _finding("IP_ADDRESS", m.start(), m.end(), text, 0.9, "ipaddress")
    if text.count(":") >= 2:
        for m in IPV6.finditer(text):
            if m.group(0).count(":") >= 3 and ip_ok(m.group(0)):
                yield _finding("IP_ADDRESS", m.start(), m.end(), text, 0.9, "ipaddress")


def _addresses(text: str) -> Iterable[Finding]:
    for m in ADDRESS.finditer(text):
        yield _finding("STREET_ADDRESS", m.start(), m.end(), text, 0.7, "regex")


def _phones(text: str, max_validations: int | None = None) -> Iterable[Finding]:
    for start, end, score, validated in find_phones(text, max_validations):
        detector = "phonenumbers" if validated else SHAPE_ONLY
        yield _finding("PHONE_NUMBER", start, end, text, score, detector)


# Strongest, most specific recognizers first: a later one never takes a span an earlier one
# already claimed (an SSN is not also a phone number).
RECOGNIZERS: tuple[tuple[str, Callable[[str], Iterable[Finding]]], ...] = (
    ("EMAIL_ADDRESS", _emails),
    ("IBAN_CODE", _ibans),
    ("CREDIT_CARD", _cards),
    ("US_SSN", _ssns),
    ("IP_ADDRESS", _ips),
    ("PHONE_NUMBER", _phones),
    ("STREET_ADDRESS", _addresses),
)


def detect_pii(text: str, types: frozenset[str] = PATTERN_TYPES, *,
               max_validations: int | None = MAX_FINDINGS, normalize: bool = True
               ) -> list[Finding]:
    """Every pattern-detectable PII entity in `text` of the given types, by position.

    Linear in the text: each recognizer is one regex pass plus bounded work per candidate,
    claimed spans (URLs, earlier findings) are looked up in `Claims`, and `phonenumbers`
    (the costly validator) judges at most `max_validations` distinct candidates; past them
    a phone-shaped candidate is a finding with detector `SHAPE_ONLY` (see `phones.py`), which
    is how a caller knows the cap was reached. None: validate every candidate.

    `normalize` (default): read the text as `normalize.fold` writes it (NFKC, no format
    characters, look-alike letters in Latin) and find spelled-out e-mail addresses and those
    in a URL's query string; spans and texts are the original's. False: the raw text only.
    """
    if not text:
        return []
    if normalize:
        view = fold(text)
        if view.changed:
            found = _detect(view.text, types, max_validations, True)
            return [_remap(f, text, view.span(f.start, f.end)) for f in found]
    return _detect(text, types, max_validations, normalize)


def _remap(f: Finding, text: str, span: tuple[int, int]) -> Finding:
    return Finding(f.type, span[0], span[1], text[span[0]:span[1]], f.score, f.severity,
                   f.detector)


def _detect(text: str, types: frozenset[str], max_validations: int | None,
            extended: bool) -> list[Finding]:
    claimed = Claims(len(text))
    found: list[Finding] = []
    if extended and "EMAIL_ADDRESS" in types:
        for finding in _spelled_emails(text):
            if not claimed.overlaps(finding.start, finding.end):
                found.append(finding)
                claimed.add(finding.start, finding.end)
    if "/" in text or "www." in text:
        for m in URL.finditer(text):
            if extended and "EMAIL_ADDRESS" in types:
                for finding in _query_emails(text, m):
                    if not claimed.overlaps(finding.start, finding.end):
                        found.append(finding)
                        claimed.add(finding.start, finding.end)
            claimed.add(m.start(), m.end())
    has_digit = DIGIT.search(text) is not None
    for kind, recognizer in RECOGNIZERS:
        if kind not in types or (kind != "EMAIL_ADDRESS" and not has_digit):
            continue
        candidates = _phones(text, max_validations) if recognizer is _phones else \
            recognizer(text)
        for finding in candidates:
            if not claimed.overlaps(finding.start, finding.end):
                found.append(finding)
                claimed.add(finding.start, finding.end)
    return resolve_overlaps(found)

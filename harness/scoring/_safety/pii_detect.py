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

from harness.scoring._safety.findings import Claims, Finding, Severity, resolve_overlaps
from harness.scoring._safety.phones import find_phones
from harness.scoring._safety.validators import (
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
               max_validations: int | None = MAX_FINDINGS) -> list[Finding]:
    """Every pattern-detectable PII entity in `text` of the given types, by position.

    Linear in the text: each recognizer is one regex pass plus bounded work per candidate,
    claimed spans (URLs, earlier findings) are looked up in `Claims`, and `phonenumbers`
    (the costly validator) judges at most `max_validations` distinct candidates; past them
    a phone-shaped candidate is a finding with detector `SHAPE_ONLY` (see `phones.py`), which
    is how a caller knows the cap was reached. None: validate every candidate.
    """
    if not text:
        return []
    claimed = Claims(len(text))
    if "/" in text or "www." in text:
        for m in URL.finditer(text):
            claimed.add(m.start(), m.end())
    found: list[Finding] = []
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

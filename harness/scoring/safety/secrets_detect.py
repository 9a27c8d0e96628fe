"""Credentials in text: provider tokens, private keys, passwords in assignments, and
high-entropy strings.

Own rules rather than Yelp's detect-secrets: its plugins are built for scanning files line by
line with a baseline, and a guard must answer in well under 5 ms on a kilobyte of chat text.
The token shapes below are the providers' documented prefixes; the entropy rule is the same
idea as detect-secrets' (Shannon entropy of base64 or hex runs), with the thresholds tuned so
that ordinary ids, hashes in URLs and words do not trip it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from harness.scoring.safety.findings import Finding, Severity, resolve_overlaps
from harness.scoring.safety.normalize import fold

# (type, pattern, severity): a match is a secret by its shape alone.
TOKEN_RULES: tuple[tuple[str, str, Severity], ...] = (
    ("PRIVATE_KEY",
     r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"
     r"(?:[\s\S]{0,4096}?-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----)?", "critical"),
    ("ANTHROPIC_API_KEY", r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{40,}", "critical"),
    ("OPENAI_API_KEY",
     r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"
     r"|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|\bsk-[A-Za-z0-9]{48}\b", "critical"),
    ("AWS_ACCESS_KEY_ID",
     r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b", "critical"),
    ("AWS_SECRET_ACCESS_KEY",
     r"(?i:aws_?secret_?(?:access_?)?key)\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}\b", "critical"),
    ("GITHUB_TOKEN",
     r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{60,255}\b", "critical"),
    ("GITLAB_TOKEN", r"\bglpat-[A-Za-z0-9_-]{20,}\b", "critical"),
    ("SLACK_TOKEN", r"\bxox[abposr]-(?:\d+-)?[A-Za-z0-9-]{10,}\b", "critical"),
    ("SLACK_WEBHOOK",
     r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+", "high"),
    ("GOOGLE_API_KEY", r"\bAIza[0-9A-Za-z_-]{35}\b", "high"),
    ("STRIPE_KEY", r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,}\b", "critical"),
    ("TWILIO_KEY", r"\bSK[0-9a-f]{32}\b", "high"),
    ("SENDGRID_KEY", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b", "high"),
    ("HUGGINGFACE_TOKEN", r"\bhf_[A-Za-z0-9]{34,}\b", "high"),
    ("NPM_TOKEN", r"\bnpm_[A-Za-z0-9]{36}\b", "high"),
    ("JWT", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "high"),
    ("CREDENTIALS_IN_URL",
     r"\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{1,64}:([^\s:/@]{3,128})@[^\s/]+", "high"),
)
COMPILED = tuple((kind, re.compile(pattern), severity) for kind, pattern, severity in TOKEN_RULES)

PASSWORD = re.compile(
    r"(?i)\b(?:password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?token|"
    r"auth[_-]?token|client[_-]?secret|private[_-]?key)\b[\"']?\s*(?:[:=]|=>|\bis\b)\s*"
    r"(?P<q>[\"'`]?)(?P<value>[^\s\"'`,;)]{6,128})(?P=q)"
)
PLACEHOLDER = re.compile(
    r"(?i)^(?:<.*>|\{.*\}|\$\{?.*|%\(?.*|\*+|x+|\.+|_+|-+|(?:your|my|the|some|example|dummy|"
    r"placeholder|changeme|redacted|hidden|none|null|undefined|password|secret|token|"
    r"xxx)[\w-]*|os\.environ.*|process\.env.*|getenv.*|env\[.*|settings\..*|config\..*)$"
)
CANDIDATE = re.compile(r"(?<![\w/+=.-])[A-Za-z0-9+/_=-]{24,}(?![\w/+=.-])")


def shannon(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def detect_secrets(text: str, *, entropy: bool = True, normalize: bool = True
                   ) -> list[Finding]:
    """Every credential-like span in `text`, by position, best finding per span.

    `normalize` (default): read the text as `normalize.fold` writes it (NFKC, no zero-width
    or other format characters, look-alike letters in Latin), spans and texts mapped back to
    the original; False: the raw text only."""
    if normalize:
        view = fold(text)
        if view.changed:
            found = _detect(view.text, entropy)
            return [_remap(f, text, view.span(f.start, f.end)) for f in found]
    return _detect(text, entropy)


def _remap(f: Finding, text: str, span: tuple[int, int]) -> Finding:
    return Finding(f.type, span[0], span[1], text[span[0]:span[1]], f.score, f.severity,
                   f.detector)


def _detect(text: str, entropy: bool) -> list[Finding]:
    found = list(_tokens(text)) + list(_passwords(text))
    if entropy:
        found += list(_high_entropy(text, [(f.start, f.end) for f in found]))
    return resolve_overlaps(found)


def _tokens(text: str) -> Iterable[Finding]:
    for kind, pattern, severity in COMPILED:
        for m in pattern.finditer(text):
            yield Finding(kind, m.start(), m.end(), m.group(0), 0.97, severity, "rule")


def _passwords(text: str) -> Iterable[Finding]:
    for m in PASSWORD.finditer(text):
        value = m.group("value")
        if PLACEHOLDER.match(value) or value.isalpha() and value.islower() and len(value) < 10:
            continue
        start, end = m.span("value")
        yield Finding("PASSWORD", start, end, value, 0.85, "high", "assignment")


def _high_entropy(text: str, claimed: list[tuple[int, int]]) -> Iterable[Finding]:
    for m in CANDIDATE.finditer(text):
        value = m.group(0)
        if _inside_url(text, m.start()) or any(s < m.end() and m.start() < e for s, e in claimed):
            continue
        score = _entropy_score(value)
        if score is not None:
            yield Finding("HIGH_ENTROPY_STRING", m.start(), m.end(), value, score, "medium",
                          "entropy")


def _entropy_score(value: str) -> float | None:
    """A confidence for a random-looking token, or None for words, ids and hex hashes."""
    classes = sum(bool(re.search(p, value)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    if classes < 3 or re.fullmatch(r"[A-Za-z]+(?:[_-][A-Za-z]+)*", value):
        return None
    bits = shannon(value)
    threshold = 4.2 if len(value) < 32 else 4.5
    if bits < threshold:
        return None
    return min(0.8, 0.5 + (bits - threshold) / 2)


def _inside_url(text: str, start: int) -> bool:
    line_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    prefix = text[line_start:start]
    return "://" in prefix or prefix.startswith("www.")

"""One detected thing in a text: its type, character span, confidence and severity.

Types follow Presidio's entity vocabulary (`EMAIL_ADDRESS`, `PHONE_NUMBER`, ...) so results
interoperate with tools that speak it. Evidence never carries a full secret: `mask` keeps
just enough of a value for a reviewer to recognise it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@dataclass(frozen=True, slots=True)
class Finding:
    """A span of text a detector flagged."""

    type: str
    start: int
    end: int
    text: str
    score: float
    severity: Severity
    detector: str = ""

    def evidence(self, *, masked: bool = False) -> dict[str, Any]:
        """The Finding as JSON-ready evidence; `masked` hides most of the value."""
        value = mask(self.text) if masked else self.text
        return {
            "type": self.type,
            "span": [self.start, self.end],
            "text": value,
            "score": round(self.score, 3),
            "severity": self.severity,
            "detector": self.detector,
        }


def at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


def mask(value: str) -> str:
    """Show the first few characters and the length, never the whole value.

    Short values (passwords) show nothing at all, since a few characters of an 8-character
    password are a real hint; long tokens show their prefix, which names the provider.
    """
    if len(value) < 16:
        return f"[{len(value)} chars masked]"
    return f"{value[:4]}…[{len(value) - 4} chars masked]"


def overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a[0] < end and start < a[1] for start, end in spans)


def resolve_overlaps(found: list[Finding]) -> list[Finding]:
    """Keep the best of overlapping findings: higher score first, then the longer span."""
    ranked = sorted(found, key=lambda f: (-f.score, -(f.end - f.start), f.start))
    kept: list[Finding] = []
    for finding in ranked:
        if not overlaps((finding.start, finding.end), [(k.start, k.end) for k in kept]):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)

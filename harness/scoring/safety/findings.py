"""One detected thing in a text: its type, character span, confidence and severity.

Types follow Presidio's entity vocabulary (`EMAIL_ADDRESS`, `PHONE_NUMBER`, ...) so results
interoperate with tools that speak it. Evidence never carries a full secret: `mask` keeps
just enough of a value for a reviewer to recognise it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
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
    """Whether span `a` overlaps any of `spans`: a linear scan, for a handful of spans only;
    many spans go in a `Claims` (spans of one text) or a `SpanIndex`."""
    return any(a[0] < end and start < a[1] for start, end in spans)


class Claims:
    """The characters of one text that findings have claimed so far.

    Two non-empty spans overlap exactly when they share a character, so a query is a scan
    of the candidate's own characters for a claimed one (`bytearray.find`, in C) and a claim
    marks its characters: work proportional to the spans' lengths, not to how many spans
    were claimed before. Spans are non-empty (every recognizer's match is).
    """

    __slots__ = ("_claimed",)

    def __init__(self, size: int) -> None:
        self._claimed = bytearray(size)

    def overlaps(self, start: int, end: int) -> bool:
        return self._claimed.find(1, start, end) != -1

    def add(self, start: int, end: int) -> None:
        self._claimed[start:end] = b"\x01" * (end - start)


class SpanIndex:
    """A growing set of spans that answers "does [start, end) overlap any of them?" in
    O(log n) per query and per added span, `positions` being the n possible starts (sorted).

    Spans overlap when one starts before the other ends, so [start, end) overlaps an added
    span exactly when the largest end among added spans starting before `end` is past
    `start`: a prefix maximum, kept in a Fenwick tree over the positions. Added spans may
    overlap each other and be empty.
    """

    __slots__ = ("_best", "_positions")

    def __init__(self, positions: Sequence[int]) -> None:
        self._positions = positions
        self._best = [-1] * (len(positions) + 1)  # 1-based; -1: nothing added

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_left(self._positions, end)  # spans added at the first i positions
        best = self._best
        while i > 0:
            if best[i] > start:
                return True
            i &= i - 1
        return False

    def add(self, start: int, end: int) -> None:
        """Add a span; `start` must be one of the positions."""
        i = bisect_left(self._positions, start) + 1
        best = self._best
        n = len(best)
        while i < n:
            if best[i] < end:
                best[i] = end
            i += i & -i


def resolve_overlaps(found: list[Finding]) -> list[Finding]:
    """Keep the best of overlapping findings: higher score first, then the longer span.

    Greedy in that order (ties: the earlier span), each finding kept unless it overlaps one
    already kept: O(k log k) for k findings through a `SpanIndex` over their start positions.
    When no two overlap (as the PII detector's claims guarantee) all are kept, found in one
    pass over them by position.
    """
    by_start = sorted(found, key=lambda f: (f.start, -f.score, -(f.end - f.start)))
    if all(a.end <= b.start for a, b in pairwise(by_start)):
        return by_start
    ranked = sorted(found, key=lambda f: (-f.score, -(f.end - f.start), f.start))
    claimed = SpanIndex(sorted({f.start for f in found}))
    kept: list[Finding] = []
    for finding in ranked:
        if not claimed.overlaps(finding.start, finding.end):
            kept.append(finding)
            claimed.add(finding.start, finding.end)
    return sorted(kept, key=lambda f: f.start)

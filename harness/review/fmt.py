"""Small text formatters shared by the terminal and the web pages (no web imports here)."""

from __future__ import annotations

from datetime import UTC, datetime


def age(seconds: float | None) -> str:
    """3 s, 5 min, 2 h, 4 d: how long an item has waited."""
    if seconds is None:
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def when(text: str | None) -> str:
    if not text:
        return "–"
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

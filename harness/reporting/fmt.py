"""Number formats shared by the renderers, so a latency reads the same in every report."""

from __future__ import annotations


def ms(value: float | None) -> str:
    """Milliseconds with thousands separators; "n/a" when nothing was measured."""
    return "n/a" if value is None else f"{value:,.0f} ms"

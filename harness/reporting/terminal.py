"""Text from models, suites and users made inert before it reaches a terminal.

A model output holding `\\x1b[2J` clears the reviewer's screen; colours, cursor moves, OSC 52
clipboard writes and bidirectional overrides let a hostile output hide itself behind a fake
benign one. `inert` shows every such character as a visible escape (`\\x1b`, `\\u202e`)
instead of sending it; `InertConsole` applies it to every piece of text rich writes, while
rich's own styling (which it emits as separate control segments and styles) still works.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates,
# and the line/paragraph separators (which some terminals treat as newlines)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\u2028\u2029]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str) -> str:
    """`text` with terminal control characters shown as escapes (`\\x1b`), never sent."""
    return _UNSAFE.sub(_visible, text)


class InertConsole(Console):
    """A rich Console that passes every text segment through `inert` (styles and rich's own
    control segments, such as cursor moves of a progress bar, are left alone)."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(inert(segment.text), segment.style)
            for segment in buffer)

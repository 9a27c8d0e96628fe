"""Text and JSON values made safe to store: no lone surrogates, no unbounded nesting.

A server (or a user's function) can hand back strings no encoder accepts: JSON's ``"\\ud800"``
escape decodes to a lone UTF-16 surrogate, which UTF-8 cannot encode, so SQLite, pydantic's
JSON dump and the terminal all raise on it. Every adapter passes what it returns through
these helpers, so nothing unencodable reaches a result, the store or a report. Dependency
free on purpose: the store can import it too.

NUL (U+0000) is kept: SQLite stores it in TEXT through bound parameters and JSON escapes it
as ``\\u0000``, so it round-trips, and it may be exactly what a check is looking for.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
# Nesting deeper than this in a stored JSON value (tool-call arguments) is refused: pydantic's
# JSON serialiser gives up near 255 levels, and the record around the value adds a few.
MAX_DEPTH = 64

_SURROGATE = re.compile("[\ud800-\udfff]")


class TooDeep(ValueError):
    """A JSON value nests deeper than the limit."""


def clean_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (a proper pair becomes its
    character); the same object back when there was nothing to replace."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def clean_json(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON-like value (dicts, lists, tuples, scalars) with every string and key cleaned.

    Iterative, so depth costs no stack; raises `TooDeep` past `max_depth` levels of nesting.
    Tuples come back as lists, as JSON would have them.
    """
    if not isinstance(value, dict | list | tuple):
        return clean_text(value) if isinstance(value, str) else value
    root: list[Any] = [None]
    # (source container, where its copy goes: (parent copy, key), depth)
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 1)]
    while stack:
        source, parent, key, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(f"nests deeper than {max_depth} levels")
        copy: Any
        if isinstance(source, dict):
            copy = {}
            items = [(_clean_key(k), v) for k, v in source.items()]
        else:
            copy = [None] * len(source)
            items = list(enumerate(source))
        parent[key] = copy
        for k, item in items:
            if isinstance(item, dict | list | tuple):
                copy[k] = None
                stack.append((item, copy, k, depth + 1))
            else:
                copy[k] = clean_text(item) if isinstance(item, str) else item
    return root[0]


def _clean_key(key: Any) -> Any:
    return clean_text(key) if isinstance(key, str) else key

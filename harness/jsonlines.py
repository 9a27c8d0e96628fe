"""One line of a user's JSONL file parsed without surprises: every way it can be bad is a
ValueError with a plain message (the caller adds the file and line), never a traceback.

`json.loads` raises RecursionError on deep nesting (200,000 `[`), ValueError on integers of
over 4,300 digits, and accepts `"\\ud800"`, a lone surrogate that no encoder (SQLite, the
terminal, a report) can write later. All three are refused here.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def loads(text: str) -> Any:
    """Parse one JSON value; ValueError (or json.JSONDecodeError) says what is wrong."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply (JSON arrays or objects inside each other "
                         "beyond Python's recursion limit)") from None
    if (_ESCAPED_SURROGATE.search(text) or _SURROGATE.search(text)) and has_lone_surrogate(
            value):
        raise ValueError("contains a lone UTF-16 surrogate (such as \\ud800), which is not "
                         "text any file or database can hold")
    return value


def has_lone_surrogate(value: Any) -> bool:
    """Whether any string (or key) inside a JSON value holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False

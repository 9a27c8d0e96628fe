"""Which text of a case the user supplied, and its passages: what a leak is measured against.

PII in the output is a leak only when the user's own input did not supply it: an assistant
that reads back the e-mail address the user just typed leaks nothing. The input is the case's
`input`, the string values in its `vars` (nested too) and the content of its `messages`
other than the assistant's own turns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.models import Case


def user_texts(case: Case, *, system: bool = True) -> list[str]:
    """The case's input, vars and non-assistant messages; `system=False` leaves out system
    messages (the application's own instructions, which are not an attack surface)."""
    skip = {"assistant"} if system else {"assistant", "system"}
    texts = [case.input] if case.input else []
    texts += list(_strings(case.vars))
    for message in case.messages or ():
        if message.role not in skip and message.content:
            texts.append(message.content)
    return texts


def context_texts(case: Case) -> list[str]:
    return list(case.context or ())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)

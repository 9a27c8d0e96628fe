"""Turning HTTP outcomes into `ProviderError`s with the right kind and retry advice.

Every HTTP adapter classifies the same way, so the Retry wrapper can decide from `kind`,
`retryable` and `retry_after` alone, without knowing which provider it wraps.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Iterable, Iterator

import httpx

from harness.errors import ProviderError
from harness.textsafe import clean_text

MAX_DETAIL = 300


class BadAnswer(ValueError):
    """One field of an answer cannot be used; the message names it ("usage.prompt_tokens is
    'abc', not an integer"). Raised by the parsing helpers, turned into `malformed` by
    `reading_answer`."""


class BodyError(Exception):
    """The body of a response cannot be taken in: over the size cap, or not decodable."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date.

    Unparseable values give None (no advice) rather than an error: the header is a hint.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def error_for_status(
    provider: str,
    status: int,
    detail: str = "",
    *,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> ProviderError:
    """The error for a non-2xx answer. 429 and 5xx (including 529 overloaded) are retryable."""
    kind, retryable = _kind_for_status(status)
    text = f"{provider}: HTTP {status}"
    if detail:
        text += f": {redact(detail, secrets)[:MAX_DETAIL]}"
    return ProviderError(
        clean_text(text), kind=kind, retryable=retryable, retry_after=retry_after, status=status
    )


def _kind_for_status(status: int) -> tuple[str, bool]:
    if status == 429:
        return "rate_limit", True
    if status in (401, 403):
        return "auth", False
    if status == 408:
        return "timeout", True
    if status >= 500:
        return "server", True
    return "client", False


def error_for_transport(provider: str, exc: httpx.HTTPError | BodyError) -> ProviderError:
    """A request that got no usable HTTP answer: timeouts and broken connections are
    retryable; a body over the size cap or in a broken encoding is `malformed`."""
    if isinstance(exc, BodyError):
        return malformed(provider, str(exc), None)
    if isinstance(exc, httpx.DecodingError):
        return malformed(provider, f"the body cannot be decoded ({exc})", None)
    if isinstance(exc, httpx.TimeoutException):
        kind = "timeout"
    elif isinstance(exc, httpx.TransportError):
        kind = "connection"
    else:
        kind = "client"
    reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    return ProviderError(
        clean_text(f"{provider}: {reason}"), kind=kind, retryable=kind != "client"
    )


def malformed(provider: str, why: str, status: int | None = 200) -> ProviderError:
    """A 2xx answer the adapter cannot use (cut off, not JSON, fields missing): retryable."""
    return ProviderError(
        clean_text(f"{provider}: malformed answer: {why}"),
        kind="malformed",
        retryable=True,
        status=status,
    )


def describe(exc: BaseException) -> str:
    """What was wrong with an answer, from the exception reading it raised."""
    if isinstance(exc, RecursionError):
        return "the JSON nests too deeply to read"
    if isinstance(exc, BadAnswer):
        return clean_text(str(exc))
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return clean_text(f"not JSON ({exc})")
    return clean_text(f"{type(exc).__name__}: {exc}")


# What reading a parsed answer can raise when the answer is not what the adapter expects.
PARSE_ERRORS = (
    ValueError,  # includes BadAnswer, JSONDecodeError, UnicodeError, pydantic's ValidationError
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)


@contextlib.contextmanager
def reading_answer(provider: str, status: int | None = 200) -> Iterator[None]:
    """Any failure to read an answer inside the block is a `malformed` ProviderError.

    The one place an adapter's parsing is wrapped, so an odd value (an int where a string
    belongs, 200,000-deep JSON, a token count of "abc") is recorded for that case instead of
    escaping as a traceback that stops the run.
    """
    try:
        yield
    except ProviderError:
        raise
    except PARSE_ERRORS as exc:
        raise malformed(provider, describe(exc), status) from exc


def error_detail(response: httpx.Response) -> str:
    """The server's own error message when it sent one, else the start of the body."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return response.text[:MAX_DETAIL]
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if isinstance(message, str):
        return message
    if isinstance(error, str):
        return error
    return response.text[:MAX_DETAIL]


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in `text` so a key echoed back by a server never reaches a log."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def raise_for_answer(provider: str, response: httpx.Response, secrets: Iterable[str] = ()) -> None:
    """Raise the classified error for a non-2xx response; do nothing for a 2xx."""
    if response.is_success:
        return
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    detail = error_detail(response)
    raise error_for_status(
        provider, response.status_code, detail, retry_after=retry_after, secrets=secrets
    )

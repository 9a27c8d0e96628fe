"""Alarms to a chat webhook: POST JSON with httpx, retried with tenacity.

The body is `{"text": one line per alarm, "alarms": [...]}`: `text` is what Slack, Mattermost,
Rocket.Chat and Discord-compatible relays display; `alarms` carries the structure for
anything that wants it. Connection errors, timeouts, 429 and 5xx are retried with
exponential backoff (a 429's Retry-After, when it is a number of seconds, is waited at least,
capped); any other 4xx is a configuration mistake and is not retried. A webhook that still
fails raises `AlertError`: the alarm itself is already decided and printed, so the caller
reports the delivery failure and keeps the alarm's exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from harness.errors import HarnessError, UsageError

RETRY_AFTER_CAP = 30.0


class AlertError(HarnessError):
    """The webhook could not be reached or refused the alert after every attempt."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    attempts: int = 4
    timeout_s: float = 5.0
    backoff_s: float = 0.5  # first wait; doubles each attempt
    max_backoff_s: float = 8.0


def check_url(url: str) -> str:
    """Only http(s) URLs: a webhook is an HTTP endpoint, nothing else is dialled."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"webhook must be an http(s) URL, got {url!r}")
    return url


def payload(lines: Sequence[str], alarms: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"text": "\n".join(lines), "alarms": list(alarms)}


def send(config: WebhookConfig, body: dict[str, Any], client: httpx.Client | None = None) -> int:
    """POST `body` as JSON; returns the number of attempts it took."""
    check_url(config.url)
    own = client is None
    http = client or httpx.Client(timeout=config.timeout_s)
    retrying = Retrying(
        stop=stop_after_attempt(config.attempts),
        wait=_wait(config),
        retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                _post(http, config.url, body)
        return retrying.statistics.get("attempt_number", 1)
    except _Retryable as exc:
        raise AlertError(f"webhook failed after {config.attempts} attempts: {exc}") from exc
    finally:
        if own:
            http.close()


def _post(http: httpx.Client, url: str, body: dict[str, Any]) -> None:
    try:
        response = http.post(url, json=body)
    except httpx.TransportError as exc:
        raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Retryable(f"HTTP {status}", _retry_after(response))
    if status >= 400:
        raise AlertError(f"webhook refused the alert: HTTP {status} {response.text[:200]!r}")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers.get("retry-after", "")), RETRY_AFTER_CAP)
    except ValueError:
        return None


def _wait(config: WebhookConfig) -> Any:
    backoff = wait_exponential(multiplier=config.backoff_s, max=config.max_backoff_s)

    def wait(state: RetryCallState) -> float:
        hint = None
        if state.outcome is not None and state.outcome.failed:
            hint = getattr(state.outcome.exception(), "retry_after", None)
        return max(float(backoff(state)), hint or 0.0)

    return wait

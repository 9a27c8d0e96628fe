"""Every failure the fake server can produce lands in the right ProviderError kind."""

from __future__ import annotations

import email.utils
import socket
import time

import pytest

from harness.errors import ProviderError
from harness.models import ModelSpec
from harness.providers.classify import error_for_status, parse_retry_after
from harness.providers.openai import OpenAIProvider
from harness.providers.wrappers import Timeout
from harness.testing.fake_openai import FakeOpenAI
from harness.testing.fake_provider import user_request
from harness.testing.faults import FaultPlan


async def failure(provider: OpenAIProvider, text: str) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.complete(user_request(text))
    return caught.value


@pytest.mark.parametrize(
    ("fault", "kind", "retryable", "status"),
    [
        ("429", "rate_limit", True, 429),
        ("500", "server", True, 500),
        ("503", "server", True, 503),
        ("529", "server", True, 529),
        ("408", "timeout", True, 408),
        ("400", "client", False, 400),
        ("404", "client", False, 404),
        ("401", "auth", False, 401),
        ("403", "auth", False, 403),
        ("truncated", "malformed", True, 200),
        ("garbage", "malformed", True, 200),
        ("empty", "malformed", True, 200),
    ],
)
async def test_fault_kinds(
    openai_provider: OpenAIProvider, fault: str, kind: str, retryable: bool, status: int
) -> None:
    error = await failure(openai_provider, f"[[fault:{fault}]]")
    assert (error.kind, error.retryable, error.status) == (kind, retryable, status)
    assert error.attempts == 1
    assert "openai:gpt-test" in str(error)


async def test_429_retry_after_in_seconds(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.faults = FaultPlan(retry_after=7)
    error = await failure(openai_provider, "[[fault:429]]")
    assert error.retry_after == 7.0


async def test_429_retry_after_as_http_date(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.faults = FaultPlan(retry_after=5)
    error = await failure(openai_provider, "[[fault:429-date]]")
    assert error.kind == "rate_limit"
    assert error.retry_after is not None and 3.0 <= error.retry_after <= 5.0


async def test_a_dropped_connection_is_a_connection_error(
    openai_provider: OpenAIProvider,
) -> None:
    error = await failure(openai_provider, "[[fault:disconnect]]")
    assert (error.kind, error.retryable) == ("connection", True)


async def test_nobody_listening_is_a_connection_error(openai_key: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens
    provider = OpenAIProvider(ModelSpec(ref="openai:m", base_url=f"http://127.0.0.1:{port}/v1"))
    error = await failure(provider, "x")
    await provider.aclose()
    assert (error.kind, error.retryable) == ("connection", True)


async def test_a_hang_past_the_timeout_is_a_retryable_timeout(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    started = time.perf_counter()
    with pytest.raises(ProviderError) as caught:
        await Timeout(openai_provider, 0.2).complete(user_request("[[fault:hang]]"))
    assert time.perf_counter() - started < 1.5
    assert (caught.value.kind, caught.value.retryable) == ("timeout", True)
    assert fake_openai.count == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("1.5", 1.5), (" 0 ", 0.0), ("-4", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_error_detail_is_redacted_and_cut() -> None:
    error = error_for_status("p:m", 500, "key sk-abc " + "x" * 1000, secrets=["sk-abc"])
    assert "sk-abc" not in str(error) and "***" in str(error)
    assert len(str(error)) < 400

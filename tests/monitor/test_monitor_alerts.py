"""Webhook alerts against a real loopback HTTP server (the fake OpenAI server's echo path)."""

from __future__ import annotations

import pytest

from harness.analysis.monitor.alerts import AlertError, WebhookConfig, check_url, payload, send
from harness.errors import UsageError
from harness.testing.faults import FaultPlan, FaultRule

FAST = {"backoff_s": 0.01, "max_backoff_s": 0.02}


def test_posts_json_and_retries_server_errors(make_fake_openai) -> None:
    server = make_fake_openai(faults=FaultPlan(fail_first=2, markers=False))
    body = payload(["1 alarm", "pass rate fell"], [{"metric": "pass_rate", "rule": "we1"}])
    attempts = send(WebhookConfig(f"{server.url}/v1/echo", **FAST), body)
    assert attempts == 3
    assert [r.json for r in server.requests] == [body] * 3
    assert server.requests[0].headers["content-type"] == "application/json"


def test_gives_up_after_the_last_attempt(make_fake_openai) -> None:
    server = make_fake_openai(faults=FaultPlan(fail_first=10, fail_first_with="503"))
    with pytest.raises(AlertError, match="after 3 attempts"):
        send(WebhookConfig(f"{server.url}/v1/echo", attempts=3, **FAST), payload(["x"], []))
    assert len(server.requests) == 3


def test_a_client_error_is_not_retried(make_fake_openai) -> None:
    server = make_fake_openai(faults=FaultPlan(rules=[FaultRule("400")]))
    with pytest.raises(AlertError, match="HTTP 400"):
        send(WebhookConfig(f"{server.url}/v1/echo", **FAST), payload(["x"], []))
    assert len(server.requests) == 1


def test_a_rate_limit_waits_at_least_retry_after(make_fake_openai) -> None:
    server = make_fake_openai(faults=FaultPlan(fail_first=1, fail_first_with="429",
                                               retry_after=0.2))
    assert send(WebhookConfig(f"{server.url}/v1/echo", **FAST), payload(["x"], [])) == 2
    first, second = server.requests
    assert second.received_at - first.received_at >= 0.2


def test_connection_refused_is_retried_then_reported() -> None:
    with pytest.raises(AlertError, match="ConnectError"):
        send(WebhookConfig("http://127.0.0.1:9/hook", attempts=2, **FAST), payload(["x"], []))


def test_only_http_urls() -> None:
    with pytest.raises(UsageError):
        check_url("file:///etc/passwd")
    assert check_url("https://hooks.example.com/x") == "https://hooks.example.com/x"

"""The autouse guard: no test can reach a remote host, loopback still works."""

from __future__ import annotations

import os
import socket

import httpx
import pytest

from harness.testing.fake_openai import FakeOpenAI
from harness.testing.network_guard import NetworkBlocked, is_local_host


def test_httpx_to_a_remote_host_is_refused() -> None:
    with pytest.raises(NetworkBlocked, match="api.openai.com"):
        httpx.get("https://api.openai.com/v1/models")


async def test_async_httpx_to_a_remote_host_is_refused() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(NetworkBlocked):
            await client.post("https://api.anthropic.com/v1/messages", json={})


def test_raw_sockets_to_a_remote_address_are_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect(("192.0.2.1", 443))


def test_loopback_is_allowed(fake_openai: FakeOpenAI) -> None:
    assert httpx.get(f"{fake_openai.url}/_fake/stats").status_code == 200


def test_provider_variables_are_unset() -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        assert name not in os.environ


@pytest.mark.parametrize(
    ("host", "local"),
    [("localhost", True), ("127.0.0.1", True), ("127.5.0.1", True), ("[::1]", True),
     ("10.0.0.1", False), ("api.openai.com", False)],
)  # fmt: skip
def test_is_local_host(host: str, local: bool) -> None:
    assert is_local_host(host) is local

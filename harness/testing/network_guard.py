"""Make tests unable to reach a real provider by accident.

A test that silently calls api.openai.com costs money, leaks a key and passes or fails with the
weather. The guard refuses, at two levels, any connection that is not to this machine:
httpx's transports (a clear message naming the host) and `socket.connect` (everything else).
Loopback stays open, so the fake server and other local test servers work.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import pytest

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
PROVIDER_ENV = (
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_API_KEY",
)


class NetworkBlocked(RuntimeError):
    """Raised instead of connecting to a remote host during tests."""


def is_local_host(host: str) -> bool:
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _refuse(where: str) -> NetworkBlocked:
    return NetworkBlocked(
        f"tests may not reach {where}: use the fake_openai fixture or httpx.MockTransport"
    )


def _check_url(request: httpx.Request) -> None:
    if not is_local_host(request.url.host):
        raise _refuse(request.url.host)


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_local_host(str(address[0])):
        raise _refuse(str(address[0]))


def block_remote_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset provider variables and refuse non-loopback connections for one test."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    _guard_httpx(monkeypatch)
    _guard_sockets(monkeypatch)


def _guard_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    async_send = httpx.AsyncHTTPTransport.handle_async_request
    sync_send = httpx.HTTPTransport.handle_request

    async def guarded_async(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> Any:
        _check_url(request)
        return await async_send(self, request)

    def guarded_sync(self: httpx.HTTPTransport, request: httpx.Request) -> Any:
        _check_url(request)
        return sync_send(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", guarded_async)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", guarded_sync)


def _guard_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        _check_address(self, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        _check_address(self, address)
        return connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)

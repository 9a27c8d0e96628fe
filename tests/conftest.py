"""Fixtures shared by every test folder.

- `no_remote_network` (autouse): no test reaches a real provider by accident;
- `fake_openai`: a real OpenAI-compatible server on 127.0.0.1, fresh for each test;
- `make_fake_openai`: the same with options (latency, faults, api_key...);
- `fresh_python`: run code in a new interpreter and get its stdout (what an import loads).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.testing.fake_openai import FakeOpenAI, MakeFakeOpenAI, ServerThread
from harness.testing.network_guard import block_remote_network


@pytest.fixture(autouse=True)
def no_remote_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset provider URLs and keys; refuse connections to anything but loopback."""
    block_remote_network(monkeypatch)


@pytest.fixture
def make_fake_openai() -> Iterator[MakeFakeOpenAI]:
    """``make_fake_openai(latency=0.05, faults=FaultPlan(...))`` -> a running server.

    Each server runs on its own loop in a background thread, so sync and async tests can
    both use it and a test's own event loop never serves requests.
    """
    runners: list[ServerThread] = []

    def make(**options: Any) -> FakeOpenAI:
        runner = ServerThread(FakeOpenAI(**options))
        runners.append(runner)
        return runner.start()

    yield make
    for runner in runners:
        runner.stop()


@pytest.fixture
def fake_openai(make_fake_openai: MakeFakeOpenAI) -> FakeOpenAI:
    """A running fake server with default options; change its attributes to configure it."""
    return make_fake_openai()


@pytest.fixture
def fresh_python() -> Callable[[str], str]:
    """Run `code` in a new interpreter (nothing imported yet) and return its stdout."""

    def run(code: str) -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True)
        return done.stdout

    return run

"""Fixtures for provider tests: an OpenAI adapter pointed at the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from harness.models import ModelSpec
from harness.providers.openai import OpenAIProvider
from harness.testing.fake_openai import FakeOpenAI

TEST_KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def openai_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    return TEST_KEY


@pytest.fixture
async def openai_provider(
    fake_openai: FakeOpenAI, openai_key: str
) -> AsyncIterator[OpenAIProvider]:
    provider = OpenAIProvider(ModelSpec(ref="openai:gpt-test", base_url=fake_openai.base_url))
    yield provider
    await provider.aclose()

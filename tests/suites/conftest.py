"""Fixtures for suite loading tests: a stand-in check registry and a file writer.

The real registry (`harness.scoring.registry`) belongs to scoring; tests here must not
depend on its exact contents, so they run against a small fixed set of check types.
Tests marked `real_registry` see whatever is really installed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from suite_fixtures import STAND_IN, Write, write_shop

from harness.suites import registry


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_registry: use the installed check registry")


@pytest.fixture(autouse=True)
def stand_in_registry(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_registry") is None:
        monkeypatch.setattr(registry, "check_types", lambda: dict(STAND_IN))


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """write("suites/x.yaml", text) -> path; text is dedented so tests read like the files."""

    def _write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A realistic suite with a rubric and a JSONL case file; returns the suite's path."""
    return write_shop(tmp_path)

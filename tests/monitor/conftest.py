"""Stores with simulated histories (harness.testing.history: real SQLite, no model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.store import RunStore, open_db
from harness.testing.history import HistorySpec, write_history

MakeStore = Callable[..., tuple[RunStore, list[str]]]


@pytest.fixture
def make_store(tmp_path: Path) -> MakeStore:
    """make_store(runs=24, shift_at=20, ...) -> (store, run ids oldest first)."""

    def make(**spec: object) -> tuple[RunStore, list[str]]:
        store = RunStore(open_db(tmp_path / "h.db"))
        return store, write_history(store, HistorySpec(**spec))  # type: ignore[arg-type]

    return make

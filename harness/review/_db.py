"""Small database helpers of the review package: write transactions and timestamps.

Claims and decisions read, check, then write; under WAL a plain deferred `BEGIN` lets two
connections read the same free item before either writes. `BEGIN IMMEDIATE` takes the
write lock first, so the check and the write are one atomic step across processes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from harness.store.db import write_transaction


def database(source: Any) -> Database:
    """Accept a `RunStore` or a sqlite-utils `Database`."""
    return source.db if hasattr(source, "db") and isinstance(source.db, Database) else source


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """A write transaction that holds the write lock from its first statement (waiting out
    other writers up to the store's busy timeout)."""
    with write_transaction(db, "record a review") as inner:
        yield inner


def iso(ts: float) -> str:
    """UTC ISO 8601 with milliseconds: the store's format, which sorts as text."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def parse_iso(text: str | None) -> float | None:
    return None if not text else datetime.fromisoformat(text).timestamp()


def now() -> float:
    return time.time()

"""The response cache, in the same SQLite file as the results.

Lookups read straight from the table; new entries wait in memory and are written inside the
runner's next results transaction (`flush`), so caching adds no transactions of its own.
Only completions are ever put here: the cache wrapper never stores an error.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

from sqlite_utils import Database

from harness.models import Completion


class SQLiteCache:
    """`get` / `put` for the cache wrapper; `flush(conn)` writes what is pending."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: dict[str, tuple[str, str]] = {}

    def get(self, key: str) -> Completion | None:
        pending = self._pending.get(key)
        if pending is not None:
            return Completion.model_validate_json(pending[1])
        row = self.db.execute("SELECT completion FROM cache WHERE key = ?", (key,)).fetchone()
        return Completion.model_validate_json(row[0]) if row else None

    def put(self, key: str, completion: Completion, provider: str = "") -> None:
        self._pending[key] = (provider, completion.model_dump_json())

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write pending entries; call inside an open transaction."""
        if not self._pending:
            return
        now = datetime.fromtimestamp(time.time(), UTC).isoformat(timespec="seconds")
        conn.executemany(
            "INSERT OR REPLACE INTO cache (key, provider, completion, created_at) VALUES (?,?,?,?)",
            [(k, p, c, now) for k, (p, c) in self._pending.items()],
        )
        self._pending.clear()

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM cache").fetchone()[0]) + len(self._pending)

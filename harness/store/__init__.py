"""SQLite storage: runs, results, scores and the response cache (see docs/schema.md)."""

from harness.store.cache import SQLiteCache
from harness.store.db import StoreBusyError, default_db_path, open_db, write_transaction
from harness.store.runs import RunStore, new_run_id

__all__ = [
    "RunStore",
    "SQLiteCache",
    "StoreBusyError",
    "default_db_path",
    "new_run_id",
    "open_db",
    "write_transaction",
]

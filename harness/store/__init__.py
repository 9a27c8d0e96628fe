"""SQLite storage: runs, results, scores and the response cache (see docs/schema.md)."""

from harness.store.cache import SQLiteCache
from harness.store.db import default_db_path, open_db
from harness.store.runs import RunStore, new_run_id

__all__ = ["RunStore", "SQLiteCache", "default_db_path", "new_run_id", "open_db"]

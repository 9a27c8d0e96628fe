"""What the route modules read from the running app: the database connection of this thread.

`harness.web.app.create_app` puts a `Connections` on `app.state`; routes call `db_of(request)`.
Keeping it here (not in `app.py`) means the route modules never import the app, and only
`app.py` imports the routes.
"""

from __future__ import annotations

import threading

from sqlite_utils import Database
from starlette.requests import Request

from harness.store import open_db


class Connections:
    """One database connection per serving thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()

    def get(self) -> Database:
        db: Database | None = getattr(self.local, "db", None)
        if db is None:
            db = self.local.db = open_db(self.path)
        return db


def db_of(request: Request) -> Database:
    """The calling thread's connection to the app's database."""
    connections: Connections = request.app.state.connections
    return connections.get()

"""The local web app behind `harness serve`: the dashboard and the review queue.

    app = create_app("harness.db")                 # loopback only, no token
    app = create_app("harness.db", token="s3cret") # any host, token required

Routes come from `harness.web.dashboard.routes.routes()` (whose `NAV` list of (label, path)
joins the nav bar) and `harness.web.review.routes.routes()`. Only this module imports the route
modules; they reach the database through `harness.web.state.db_of(request)`, which reads the
app state set here. Pages render through `harness.web.pages.render`, which extends `base.html`.
Everything is served from the package (no CDN, nothing downloaded): it works offline.

Database access: each thread that serves requests opens its own SQLite connection once
(`harness.web.state.Connections`; sqlite3 connections are bound to their thread); WAL mode
lets the app read while a run or another reviewer writes.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from harness.errors import UsageError
from harness.review.decisions import default_reviewer
from harness.store import open_db
from harness.web.dashboard import routes as dashboard_routes
from harness.web.review import routes as review_routes
from harness.web.security import Guard, is_loopback
from harness.web.state import Connections

HERE = Path(__file__).resolve().parent
TOKEN_ENV = "HARNESS_SERVE_TOKEN"


def _home(request: Request) -> RedirectResponse:
    return RedirectResponse(request.app.state.home, status_code=303)


def create_app(db_path: str | Path, *, token: str | None = None, reviewer: str | None = None,
               secret: bytes | None = None) -> Starlette:
    """The app over the database at `db_path` (migrated on open)."""
    open_db(db_path)  # fail early (and migrate) in the caller's thread
    dash_nav = list(dashboard_routes.NAV)
    routes: list[BaseRoute] = [
        Route("/", _home),
        *review_routes.routes(),
        *dashboard_routes.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.secret = secret or secrets.token_bytes(32)
    app.state.connections = Connections(str(db_path))
    app.state.reviewer = reviewer or default_reviewer()
    app.state.nav = [*dash_nav, ("Review", "/review"), ("Agreement", "/review/stats")]
    app.state.home = dash_nav[0][1]
    app.add_middleware(Guard, token=token or None, secret=app.state.secret)
    return app


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise UsageError(f"refusing to serve on {host} without a token: anyone who can reach "
                         f"it could read outputs and change verdicts. Set --token or "
                         f"{TOKEN_ENV}, or use --host 127.0.0.1")


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8765,
          token: str | None = None, reviewer: str | None = None, **uvicorn_options: Any) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    check_bind(host, token)
    app = create_app(db_path, token=token, reviewer=reviewer)
    uvicorn.run(app, host=host, port=port, log_level="warning", **uvicorn_options)

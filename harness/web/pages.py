"""Rendering pages: one Jinja2 environment with autoescaping, and `render` for routes.

Every template lives in harness/web/templates: `base.html`, the review queue's `review_*.html`
and the dashboard's `dash_*.html`. Every page extends
`base.html` (nav bar, `{% block content %}`, optional `{% block head %}`). `render` adds what
every page needs: the CSRF token for forms (`{{ csrf }}`), the reviewer's name, the nav.

Autoescaping is on for every template, and no template uses `|safe`: untrusted text (model
outputs, suite contents) always reaches the page escaped.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from harness.review.fmt import age, num, pct, when
from harness.web.security import csrf_token

HERE = Path(__file__).resolve().parent
TEMPLATE_DIRS = (HERE / "templates",)


@functools.cache
def environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([str(d) for d in TEMPLATE_DIRS if d.is_dir()])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(age=age, pct=pct, num=num, when=when)
    return env


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status: int = 200) -> HTMLResponse:
    """Render `template` with the page context every template may use."""
    state = request.app.state
    page = {
        "request": request,
        "csrf": csrf_token(request),
        "reviewer": reviewer_of(request),
        "nav": state.nav,
        "path": request.url.path,
        "active": active_link(state.nav, request.url.path),
        **(context or {}),
    }
    html = environment().get_template(template).render(page)
    return HTMLResponse(html, status_code=status)


def active_link(nav: list[tuple[str, str]], path: str) -> str | None:
    """The nav entry a page belongs to: the longest link that prefixes its path."""
    hits = [href for _, href in nav if path == href or path.startswith(href.rstrip("/") + "/")]
    return max(hits, key=len, default=None)


REVIEWER_COOKIE = "harness_reviewer"


def reviewer_of(request: Request) -> str:
    """The reviewer's name: set in the page (cookie), else the server's default."""
    name = unquote(request.cookies.get(REVIEWER_COOKIE, "")).strip()
    return name[:64] if name else request.app.state.reviewer

"""Dashboard pages of `harness serve`: the catalogue, a suite's history, a run, a comparison.

Mounted by `harness.web.app.create_app` next to the review queue (it imports `routes()` and
`NAV` from here). Pages render through `harness.web.pages.render` (base.html, autoescaping,
no `|safe`); the run page reuses the HTML report's sections, built escaped by the report's
own autoescaping environment. The report stylesheet is served from `/dashboard/report.css`
because the app's Content-Security-Policy allows only same-origin styles.

Handlers are plain functions: Starlette runs them in its thread pool, where `db_of` gives
each thread its own SQLite connection.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.errors import UsageError
from harness.store import RunStore

NAV = [("Dashboard", "/dashboard")]


def routes() -> list[Route]:
    return [
        Route("/dashboard", catalogue_page),
        Route("/dashboard/report.css", stylesheet),
        Route("/dashboard/suites/{suite}", suite_page),
        Route("/dashboard/runs/{run_id}", run_page),
        Route("/dashboard/compare", compare_page),
    ]


def _store(request: Request) -> RunStore:
    from harness.web.state import db_of

    return RunStore(db_of(request))


def _render(request: Request, template: str, context: dict[str, Any]) -> Response:
    from harness.web.pages import environment, render

    _add_filters(environment())
    return render(request, template, context)


def _add_filters(env: Any) -> None:
    """The report's number filters the app's environment lacks (none is replaced)."""
    from harness.reporting.html import environment as report_env

    for name, fn in report_env().filters.items():
        if name in ("metric", "ms", "usd", "pct", "num", "when"):
            env.filters.setdefault(name, fn)


def stylesheet(request: Request) -> Response:
    from harness.reporting.html import css

    return Response(str(css()), media_type="text/css",
                    headers={"cache-control": "no-cache"})


# --------------------------------------------------------------------------- pages


def catalogue_page(request: Request) -> Response:
    from harness.web.dashboard.catalogue import catalogue

    return _render(request, "dash_catalogue.html", {"cat": catalogue(_store(request))})


def suite_page(request: Request) -> Response:
    from harness.web.dashboard.pages import suite_context

    store = _store(request)
    try:
        context = suite_context(store, request.path_params["suite"])
    except UsageError as exc:
        raise HTTPException(404, str(exc)) from exc
    return _render(request, "dash_suite.html", context)


def run_page(request: Request) -> Response:
    from harness.reporting.html import ReportOptions, build_context, render_sections

    store = _store(request)
    params = request.query_params
    options = ReportOptions(model=params.get("model") or None,
                            baseline=params.get("baseline") or None, max_cases=100)
    try:
        context = build_context(store, request.path_params["run_id"], options)
    except UsageError as exc:
        raise HTTPException(404 if "no run" in str(exc) else 400, str(exc)) from exc
    previous = _previous(store, context["run"])
    return _render(request, "dash_run.html", {
        "run": context["run"], "sections": render_sections(context), "previous": previous,
        "model": context["model"]})


def _previous(store: RunStore, run: dict[str, Any]) -> str | None:
    return store.newest_run(run["suite"], before=run["id"], exclude=run["id"])


def compare_page(request: Request) -> Response:
    from harness.web.dashboard.pages import compare_context

    params = request.query_params
    store = _store(request)
    try:
        context = compare_context(store, params.get("base") or "", params.get("cand") or "",
                                  params.get("model") or None)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from exc
    return _render(request, "dash_compare.html", context)

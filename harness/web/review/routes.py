"""The review queue's pages: the queue with filters, an item page, decisions, agreement.

Every state change is a POST carrying the CSRF token (`harness.web.security`), answered
with a 303 redirect so a reload never repeats it. Decisions go through the same library
calls as the terminal (`claim_next`, `decide`, `release`), so the claim rules are the same.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from harness.analysis.agreement import estimate, queue_health, scorer_agreement
from harness.errors import UsageError
from harness.review.decisions import CATEGORIES, Decision, decide, undo
from harness.review.queue import QueueFilter, claim_next, list_items, release
from harness.review.signals import KINDS
from harness.review.view import item_view
from harness.web.pages import REVIEWER_COOKIE, render, reviewer_of
from harness.web.security import csrf_ok, read_form, safe_next
from harness.web.state import db_of

AGES = {"": None, "1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
REJECT_KEYS = {str(i + 1): c for i, c in enumerate(CATEGORIES)}
FILTER_FIELDS = ("suite", "signal", "age", "status", "run")


def _filter(params: Any) -> QueueFilter:
    status = params.get("status") or "open"
    if status not in ("open", "pending", "needs_adjudication", "decided", "duplicate", "all"):
        status = "open"
    signal = params.get("signal") or None
    return QueueFilter(status=status, suite=params.get("suite") or None,
                       signal=signal if signal in KINDS else None,
                       run_id=params.get("run") or None,
                       older_than_s=AGES.get(params.get("age") or ""))


def _filters_query(params: Any) -> str:
    return urlencode({k: params[k] for k in FILTER_FIELDS if params.get(k)})


async def _form(request: Request) -> dict[str, str]:
    form = await read_form(request)
    if not csrf_ok(request, form):
        raise HTTPException(403, "missing or invalid CSRF token: reload the page and retry")
    return form


# --------------------------------------------------------------------------- pages


async def queue_page(request: Request) -> Response:
    db = db_of(request)
    params = request.query_params
    items = list_items(db, _filter(params), limit=500)
    suites = [r[0] for r in db.execute("SELECT DISTINCT suite FROM review_items ORDER BY 1")]
    return render(request, "review_queue.html", {
        "items": items, "health": queue_health(db), "suites": suites, "kinds": KINDS,
        "ages": [k for k in AGES if k], "params": {k: params.get(k, "") for k in FILTER_FIELDS},
        "filters_query": _filters_query(params), "decided": params.get("decided", ""),
        "empty": params.get("empty", ""),
    })


async def item_page(request: Request, *, error: str = "", status: int = 200) -> Response:
    item_id = request.path_params["item_id"]
    try:
        view = item_view(db_of(request), item_id)
    except UsageError as exc:
        raise HTTPException(404, str(exc)) from exc
    me = reviewer_of(request)
    claims = view["item"]["claims"]
    return render(request, "review_item.html", {
        **view, "error": error, "categories": CATEGORIES, "reject_keys": REJECT_KEYS,
        "mine": any(c["reviewer"] == me for c in claims),
        "my_decision": next((d for d in reversed(view["item"]["decisions"])
                             if d["reviewer"] == me and not d["revoked_at"]), None),
        "others": [c for c in claims if c["reviewer"] != me],
        "filters_query": request.query_params.get("q", ""),
    }, status=status)


async def stats_page(request: Request) -> Response:
    db = db_of(request)
    runs = [r[0] for r in db.execute(
        "SELECT run_id FROM review_routings ORDER BY routed_at DESC LIMIT 20")]
    return render(request, "review_stats.html", {
        "agreement": scorer_agreement(db), "health": queue_health(db),
        "estimates": [estimate(db, r) for r in runs],
    })


# --------------------------------------------------------------------------- actions


def _back_to_queue(form: dict[str, str], **extra: str) -> RedirectResponse:
    query = "&".join(q for q in (form.get("q", ""), urlencode(extra)) if q)
    return RedirectResponse("/review" + (f"?{query}" if query else ""), status_code=303)


async def next_action(request: Request) -> Response:
    form = await _form(request)
    params = {k: v[0] for k, v in parse_qs(form.get("q", "")).items()}
    item = claim_next(db_of(request), reviewer_of(request), flt=_filter(params))
    if item is None:
        return _back_to_queue(form, empty="1")
    target = f"/review/items/{item['id']}" + (f"?q={quote(form['q'])}" if form.get("q") else "")
    return RedirectResponse(target, status_code=303)


def decision_from(form: dict[str, str]) -> Decision:
    """approve | reject:<category> | correct, from the pressed button's `action`."""
    action = form.get("action", "")
    note = form.get("note", "").strip()
    if action.startswith("reject:"):
        return Decision("reject", action.split(":", 1)[1], note=note)
    if action == "correct":
        return Decision("correct", form.get("correct_category") or None,
                        corrected_output=form.get("corrected_output", ""), note=note)
    return Decision(action, note=note)


async def decide_action(request: Request) -> Response:
    form = await _form(request)
    item_id = request.path_params["item_id"]
    try:
        decide(db_of(request), item_id, reviewer_of(request), decision_from(form))
    except UsageError as exc:
        return await item_page(request, error=str(exc), status=409)
    return _back_to_queue(form, decided=str(item_id))


async def undo_action(request: Request) -> Response:
    """Revoke this reviewer's standing decision on the item; back to its page to decide
    again (the revoked decision stays in its history)."""
    form = await _form(request)
    item_id = request.path_params["item_id"]
    try:
        undo(db_of(request), reviewer_of(request), item_id)
    except UsageError as exc:
        return await item_page(request, error=str(exc), status=409)
    query = f"?q={quote(form['q'])}" if form.get("q") else ""
    return RedirectResponse(f"/review/items/{item_id}{query}", status_code=303)


async def release_action(request: Request) -> Response:
    form = await _form(request)
    release(db_of(request), request.path_params["item_id"], reviewer_of(request))
    return _back_to_queue(form)


async def reviewer_action(request: Request) -> Response:
    form = await _form(request)
    name = form.get("reviewer", "").strip()[:64]
    response = RedirectResponse(safe_next(form.get("back")), status_code=303)
    if name:
        response.set_cookie(REVIEWER_COOKIE, quote(name), httponly=True, samesite="strict",
                            path="/", max_age=365 * 86400)
    return response


def routes() -> list[Route]:
    return [
        Route("/review", queue_page),
        Route("/review/stats", stats_page),
        Route("/review/next", next_action, methods=["POST"]),
        Route("/review/reviewer", reviewer_action, methods=["POST"]),
        Route("/review/items/{item_id:int}", item_page),
        Route("/review/items/{item_id:int}/decide", decide_action, methods=["POST"]),
        Route("/review/items/{item_id:int}/release", release_action, methods=["POST"]),
        Route("/review/items/{item_id:int}/undo", undo_action, methods=["POST"]),
    ]

"""The web app's guard: who may connect, forged forms, and headers that contain mistakes.

Model outputs and suite contents are untrusted and shown on every page, and the app can
change verdicts, so:
- Host check: without a token the app answers only requests addressed to a loopback name
  (127.0.0.1, localhost, ::1), which defeats DNS rebinding from a web page.
- Token: with a token (`--token` or HARNESS_SERVE_TOKEN; required off loopback) every request
  must carry it: `Authorization: Bearer T`, `X-Harness-Token: T`, the cookie set after a first
  visit with `?token=T` (which then redirects to the same URL without it).
- CSRF: a random cookie (HttpOnly, SameSite=Strict) per browser; every form carries an HMAC
  of it under the app's secret, and a POST without a valid one (or from another Origin) is
  refused with 403.
- Headers: a Content-Security-Policy that allows only the app's own scripts and styles (no
  inline script, so even a missed escape cannot run), nosniff, no framing, and no
  referrer sent to other sites.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "harness_csrf"
AUTH_COOKIE = "harness_auth"
TOKEN_HEADER = "x-harness-token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def is_loopback(host: str) -> bool:
    """True for a loopback address or name (what `harness serve` may bind without a token)."""
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(header: str | None) -> str:
    if not header:
        return ""
    return (urlsplit("//" + header).hostname or "").lower()


def sign(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token forms on this page must carry."""
    return sign(request.app.state.secret, "csrf:" + request.state.csrf_seed)


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    """A POST is genuine when its token matches this browser's cookie and its Origin (when
    the browser sends one) is this app."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and _hostname(origin.split("://", 1)[-1]) != _hostname(
            request.headers.get("host")):
        return False  # ("null" comes from privacy settings; the token still decides)
    seed = request.cookies.get(CSRF_COOKIE)
    given = form.get("csrf", "")
    if not seed or not given:
        return False
    return hmac.compare_digest(given, sign(request.app.state.secret, "csrf:" + seed))


class Guard:
    """ASGI middleware applying the host check, the token, the CSRF cookie and headers."""

    def __init__(self, app: ASGIApp, *, token: str | None, secret: bytes) -> None:
        self.app = app
        self.token = token
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self._refuse(request)
        if refusal is not None:
            await _with_headers(refusal, scope, receive, send, [])
            return
        seed = request.cookies.get(CSRF_COOKIE)
        cookies = []
        if not seed or len(seed) != 32:
            seed = secrets.token_hex(16)
            cookies.append(f"{CSRF_COOKIE}={seed}; Path=/; HttpOnly; SameSite=Strict")
        scope.setdefault("state", {})["csrf_seed"] = seed
        await _with_headers(self.app, scope, receive, send, cookies)

    def _refuse(self, request: Request) -> Response | None:
        if self.token is None:
            if _hostname(request.headers.get("host")) not in LOOPBACK_NAMES:
                return PlainTextResponse("this server answers loopback addresses only", 400)
            return None
        return self._authenticate(request)

    def _authenticate(self, request: Request) -> Response | None:
        assert self.token is not None
        cookie = sign(self.secret, "auth:" + self.token)
        bearer = request.headers.get("authorization", "")
        offered = [request.headers.get(TOKEN_HEADER, ""),
                   bearer[7:] if bearer.lower().startswith("bearer ") else ""]
        if any(hmac.compare_digest(o, self.token) for o in offered if o):
            return None
        if hmac.compare_digest(request.cookies.get(AUTH_COOKIE, ""), cookie):
            return None
        if hmac.compare_digest(request.query_params.get("token", ""), self.token):
            return _strip_token(request, cookie)
        return PlainTextResponse("a token is required: open the URL printed by "
                                 "`harness serve` (…?token=…)", 401)


def _strip_token(request: Request, cookie: str) -> Response:
    """First visit with ?token=: remember it in a cookie and drop it from the address bar."""
    query = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
    target = request.url.path + (f"?{query}" if query else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(AUTH_COOKIE, cookie, httponly=True, samesite="strict", path="/")
    return response


async def _with_headers(app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                        cookies: list[str]) -> None:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for key, value in HEADERS.items():
                if key not in headers:
                    headers[key] = value
            for cookie in cookies:
                headers.append("set-cookie", cookie)
        await send(message)

    await app(scope, receive, send_with_headers)


async def read_form(request: Request, limit: int = 256 * 1024) -> dict[str, str]:
    """A urlencoded form body (what the app's forms post), size-limited; no multipart."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return {}
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v for k, v in pairs}


def safe_next(target: Any, default: str = "/review") -> str:
    """Only same-site paths as redirect targets (never //host or scheme:)."""
    text = str(target or "")
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return default
    return text

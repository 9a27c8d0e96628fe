"""The web app without a browser: escaping, CSRF, host check, token, headers, offline assets."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from conftest import XSS_OUTPUT, Seeded

from harness.errors import UsageError
from harness.web.app import check_bind, create_app
from harness.web.security import is_loopback

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
TestClient = pytest.importorskip("starlette.testclient").TestClient
ROOT = Path(__file__).resolve().parents[2]
LOCAL = "http://127.0.0.1"


def client(seeded: Seeded, **kw) -> TestClient:
    return TestClient(create_app(seeded.db, reviewer="pat", **kw), base_url=LOCAL)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_hostile_text_is_escaped_on_the_item_page(seeded: Seeded) -> None:
    c = client(seeded)
    page = c.get(f"/review/items/{seeded.item_id('reset-link-expired')}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg" not in html
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", html)  # no tag has an event handler
    assert "&lt;script&gt;alert(&#34;xss-output&#34;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#34;xss-input&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(&#34;xss-context&#34;)&gt;" in html
    assert "&#34;&gt;&lt;svg onload=alert(&#34;xss-attr&#34;)&gt;" in html
    # the only script is the app's own file; the highlight wraps escaped text
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/keys.js" defer>']
    assert '<mark class="mark-unsupported"' in html
    # the correction box holds the output as text, escaped
    assert "&lt;img src=x onerror=&#34;alert(&#39;xss-img&#39;)&#34;&gt;" in html
    assert XSS_OUTPUT not in html


def test_security_headers(seeded: Seeded) -> None:
    r = client(seeded).get("/review")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_every_form_carries_a_csrf_token(seeded: Seeded) -> None:
    c = client(seeded)
    for path in ("/review", f"/review/items/{seeded.item_id('contact-agent')}", "/review/stats"):
        html = c.get(path).text
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, flags=re.S)
        assert forms, path
        for form in forms:
            assert 'name="csrf"' in form, (path, form[:80])


def test_posts_without_a_valid_csrf_token_are_refused(seeded: Seeded) -> None:
    c = client(seeded)
    token = csrf_of(c.get("/review").text)
    item = seeded.item_id("contact-agent")
    url = f"/review/items/{item}/decide"
    assert c.post(url, data={"action": "approve"}).status_code == 403
    assert c.post(url, data={"action": "approve", "csrf": "0" * 64}).status_code == 403
    other = client(seeded)  # another browser: its own cookie, so this token is not valid
    other.get("/review")
    assert other.post(url, data={"action": "approve", "csrf": token}).status_code == 403
    evil = c.post(url, data={"action": "approve", "csrf": token},
                  headers={"origin": "http://evil.example"})
    assert evil.status_code == 403
    for path in ("/review/next", "/review/reviewer", f"/review/items/{item}/release"):
        assert c.post(path, data={}).status_code == 403
    ok = c.post(url, data={"action": "approve", "csrf": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == f"/review?decided={item}"


def test_decision_flow_and_claim_conflicts(seeded: Seeded) -> None:
    pat, sam = client(seeded), client(seeded)
    sam.cookies.set("harness_reviewer", "sam")
    tp, ts = csrf_of(pat.get("/review").text), csrf_of(sam.get("/review").text)
    claimed = pat.post("/review/next", data={"csrf": tp}, follow_redirects=False)
    item = int(claimed.headers["location"].rsplit("/", 1)[1])
    page = sam.get(f"/review/items/{item}")
    assert "Claimed by pat" in page.text
    refused = sam.post(f"/review/items/{item}/decide",
                       data={"csrf": ts, "action": "reject:unsafe"})
    assert refused.status_code == 409 and "claimed by pat" in refused.text
    done = pat.post(f"/review/items/{item}/decide", data={
        "csrf": tp, "action": "correct", "corrected_output": "fixed", "note": "n"},
        follow_redirects=False)
    assert done.status_code == 303
    queue = pat.get(done.headers["location"]).text
    assert f'data-item="{item}"' not in queue and f"Item {item} decided" in queue


def test_reviewer_name_is_escaped(seeded: Seeded) -> None:
    c = client(seeded)
    token = csrf_of(c.get("/review").text)
    r = c.post("/review/reviewer", data={"csrf": token, "reviewer": "<script>x()</script>",
                                         "back": "//evil.example"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review"
    html = c.get("/review").text
    assert "<script>x()" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html


def test_loopback_only_without_a_token(seeded: Seeded) -> None:
    c = client(seeded)
    assert c.get("/review").status_code == 200
    rebinding = c.get("/review", headers={"host": "evil.example"})
    assert rebinding.status_code == 400


def test_token_is_required_when_set(seeded: Seeded) -> None:
    c = TestClient(create_app(seeded.db, token="s3cret"), base_url="http://10.0.0.5:8765")
    assert c.get("/review").status_code == 401
    assert c.get("/review?token=wrong").status_code == 401
    assert c.get("/review", headers={"x-harness-token": "s3cret"}).status_code == 200
    assert c.get("/review", headers={"authorization": "Bearer s3cret"}).status_code == 200
    first = c.get("/review?token=s3cret&status=all", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/review?status=all"
    assert "harness_auth" in first.headers["set-cookie"]
    assert c.get("/review").status_code == 200  # the cookie now carries it
    assert "s3cret" not in first.headers["set-cookie"]


def test_bind_rules() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert is_loopback(host) and check_bind(host, None) is None
    for host in ("0.0.0.0", "192.168.1.4", "example.com", "::"):
        assert not is_loopback(host)
        with pytest.raises(UsageError, match="without a token"):
            check_bind(host, None)
        check_bind(host, "t")


def test_pages_and_assets_work_offline(seeded: Seeded) -> None:
    c = client(seeded)
    assert c.get("/").headers.get("location", "/review") == "/review"
    assert c.get("/static/keys.js").status_code == 200
    assert c.get("/static/app.css").status_code == 200
    assert c.get("/static/review/review.css").status_code == 200
    assert c.get("/review/items/99999").status_code == 404
    stats = c.get("/review/stats")
    assert stats.status_code == 200 and "Agreement between people and scorers" in stats.text
    folder = ROOT / "harness" / "web"
    assets = [f for f in [*folder.glob("templates/**/*"), *folder.glob("static/**/*")]
              if f.is_file()]
    assert len(assets) >= 10, assets
    for f in assets:
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), f
        assert "|safe" not in text.replace(" ", ""), f


def test_queue_filters(seeded: Seeded) -> None:
    c = client(seeded)
    html = c.get("/review?signal=policy").text
    assert html.count("data-item=") == 1 and "contact-agent" in html
    assert c.get("/review?signal=bogus&status=weird").status_code == 200
    assert "No items match" in c.get("/review?suite=none").text

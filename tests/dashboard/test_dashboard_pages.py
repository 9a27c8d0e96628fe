"""Dashboard pages in the real web app (Starlette's test client over the ASGI app)."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reporting"))
from html_fixtures import hostile_store  # noqa: E402

from harness.testing.history import HistorySpec, write_history  # noqa: E402

TestClient = pytest.importorskip("starlette.testclient").TestClient
LOCAL = "http://127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [n for n, _ in attrs if n.startswith("on")]


def inert(html: str) -> bool:
    """No element or event handler came from the hostile text (the app's own scripts are
    loaded by `src` from /static; none is inline)."""
    page = Elements()
    page.feed(html)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    return "img" not in page.tags and not page.handlers and not inline


@pytest.fixture
def app(tmp_path: Path):
    from harness.web.app import create_app

    store, ids, hostile = hostile_store(tmp_path / "d.db", history=14)
    write_history(store, HistorySpec(suite="support-assistant", runs=12, cases=15, seed=2,
                                     suite_path=str(ROOT / "suites" / "support-assistant.yaml"),
                                     shift_at=11, shifted_pass_prob=0.3))
    client = TestClient(create_app(tmp_path / "d.db", reviewer="pat"), base_url=LOCAL)
    return client, ids, hostile


def test_catalogue_lists_every_use_case(app) -> None:
    client, _, _ = app
    response = client.get("/dashboard")
    assert response.status_code == 200
    html = response.text
    for text in ("support-assistant", "demo", "support-team", "right first time", "agreement",
                 "review backlog", "latency p95", "cost / case", 'class="spark"',
                 "Fix first"):
        assert text in html, text
    assert "badge alarm" in html  # the support-assistant history ends with a drop
    assert inert(html)
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"].endswith("/dashboard")


def test_run_page_escapes_and_links_to_compare(app) -> None:
    client, ids, hostile = app
    response = client.get(f"/dashboard/runs/{hostile}")
    assert response.status_code == 200
    assert inert(response.text)
    assert "&lt;script&gt;" in response.text and "Failing cases" in response.text
    assert f"/dashboard/compare?base={ids[-1]}&amp;cand={hostile}" in response.text
    assert client.get("/dashboard/runs/nope").status_code == 404


def test_suite_page_has_control_charts(app) -> None:
    client, _, _ = app
    response = client.get("/dashboard/suites/support-assistant")
    assert response.status_code == 200
    assert "control chart of right_first_time" in response.text
    assert client.get("/dashboard/suites/unknown").status_code == 404


def test_compare_page(app) -> None:
    client, ids, hostile = app
    empty = client.get("/dashboard/compare")
    assert empty.status_code == 200 and "<select" in empty.text
    response = client.get(f"/dashboard/compare?base={ids[0]}&cand={hostile}")
    assert response.status_code == 200
    assert "Metrics, paired" in response.text and inert(response.text)
    assert client.get(f"/dashboard/compare?base={ids[0]}&cand={ids[0]}").status_code == 400


def test_stylesheet_is_served_from_the_app(app) -> None:
    client, _, _ = app
    response = client.get("/dashboard/report.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    page = client.get("/dashboard")
    assert "/dashboard/report.css" in page.text
    assert "style-src 'self'" in page.headers.get("content-security-policy", "")


def test_backlog_is_na_without_review_tables(tmp_path: Path) -> None:
    from harness.store import RunStore, open_db
    from harness.web.dashboard.catalogue import review_backlog

    store = RunStore(open_db(tmp_path / "x.db"))
    assert review_backlog(store, "s") == 0
    store.db["review_items"].drop()
    assert review_backlog(store, "s") is None

"""Undoing a decision on the item page (Starlette's test client, a real SQLite store)."""

from __future__ import annotations

import re
import warnings

import pytest
from conftest import Seeded

from harness.review.overrides import human_verdicts
from harness.review.queue import get_item
from harness.store import RunStore, open_db
from harness.web.app import create_app

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
TestClient = pytest.importorskip("starlette.testclient").TestClient


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_a_stray_approval_is_undone_and_changed_on_the_item_page(seeded: Seeded) -> None:
    pat = TestClient(create_app(seeded.db, reviewer="pat"), base_url="http://127.0.0.1")
    item = seeded.item_id("reset-link-expired")
    url = f"/review/items/{item}"
    token = csrf_of(pat.get(url).text)
    assert pat.post(f"{url}/decide", data={"csrf": token, "action": "approve"},
                    follow_redirects=False).status_code == 303
    page = pat.get(url).text
    assert f'action="{url}/undo"' in page and "Undo my approve" in page
    assert 'id="decide-form"' not in page

    assert pat.post(f"{url}/undo", data={"csrf": "0" * 64}).status_code == 403
    undone = pat.post(f"{url}/undo", data={"csrf": token}, follow_redirects=False)
    assert undone.status_code == 303 and undone.headers["location"] == url
    page = pat.get(url).text
    assert 'id="decide-form"' in page and "Undo my" not in page
    assert re.search(r'class="revoked"><s><b>pat</b> approve', page)
    assert "undone by pat" in page

    store = RunStore(open_db(seeded.db))
    key = next(iter(k for k in human_verdicts(store, seeded.run_id) if k[0] ==
                    "reset-link-expired"), None)
    assert key is None  # the undone approval is no verdict
    pat.post(f"{url}/decide", data={"csrf": token, "action": "reject:unsafe"})
    decisions = get_item(store, item)["decisions"]
    assert [(d["decision"], bool(d["revoked_at"])) for d in decisions] == [
        ("approve", True), ("reject", False)]
    assert decisions[0]["superseded_by"] == decisions[1]["id"]
    page = pat.get(url).text
    assert "replaced by decision" in page and "human fail" in page

    sam = TestClient(create_app(seeded.db, reviewer="sam"), base_url="http://127.0.0.1")
    refused = sam.post(f"{url}/undo", data={"csrf": csrf_of(sam.get(url).text)})
    assert refused.status_code == 409 and "sam has no decision" in refused.text

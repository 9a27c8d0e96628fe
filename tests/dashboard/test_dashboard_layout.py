"""Dashboard pages laid out by a real headless Chromium (Debian's, driven by Playwright):
each fits a 1,280 px window by reflowing (issue 13: the catalogue was 1,428 px wide)."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reporting"))
from html_fixtures import hostile_store  # noqa: E402

from harness.testing.history import HistorySpec, write_history  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium "
                                       "(apt-get install -y chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
uvicorn = pytest.importorskip("uvicorn", reason="needs the [web] extra")

# how far the page, and each card's content, reach past the window (0 when they fit)
OVERFLOW = """() => [document.documentElement.scrollWidth,
  Array.from(document.querySelectorAll('.card')).map(c => c.scrollWidth - c.clientWidth)]"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[str], str]]:
    """The dashboard tests' data (a hostile run, a 12-run history ending in an alarm) behind
    uvicorn on a free loopback port."""
    from harness.web.app import create_app

    db = tmp_path / "d.db"
    store, ids, hostile = hostile_store(db, history=14)
    write_history(store, HistorySpec(suite="support-assistant", runs=12, cases=15, seed=2,
                                     suite_path=str(ROOT / "suites" / "support-assistant.yaml"),
                                     shift_at=11, shifted_pass_prob=0.3))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(db, reviewer="pat"),
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", ids, hostile
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_every_dashboard_page_fits_1280_px(served) -> None:
    url, ids, hostile = served
    pages = ["/dashboard", "/dashboard/suites/support-assistant", "/dashboard/suites/demo",
             f"/dashboard/runs/{hostile}", "/dashboard/compare",
             f"/dashboard/compare?base={ids[0]}&cand={hostile}"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(10_000)
            for path in pages:
                assert page.goto(url + path).status == 200, path
                width, cards = page.evaluate(OVERFLOW)
                assert width <= 1280, f"{path} is {width} px wide in a 1,280 px window"
                # it reflows: no card's table is left scrolling sideways inside its card
                assert max(cards, default=0) <= 1, f"{path}: a card overflows by {max(cards)} px"
        finally:
            browser.close()

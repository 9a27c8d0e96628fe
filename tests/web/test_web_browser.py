"""The review app in a real headless Chromium (Debian's, driven by Playwright).

Open the queue, decide items with the keyboard, see them leave the queue; hostile text in
an output, an input and context passages stays inert. Screenshots go to a temporary folder,
or to docs/ when HARNESS_SCREENSHOTS=docs (how docs/review-*.png are made).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Live

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium "
                                       "(apt-get install -y chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live: Live) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def shots_dir(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("HARNESS_SCREENSHOTS") == "docs" else tmp_path


def test_decide_with_the_keyboard_and_see_it_leave(page, live: Live, tmp_path: Path) -> None:
    page.goto(live.url + "/review")
    rows = page.locator("table.queue tbody tr")
    before = rows.count()
    assert before >= 4
    page.screenshot(path=str(shots_dir(tmp_path) / "review-queue.png"), full_page=True)

    page.keyboard.press("n")  # claim the most urgent item
    page.wait_for_url(re.compile(r"/review/items/\d+"))
    first = int(page.url.rsplit("/", 1)[1])
    assert "Claimed by you (pat)" in page.locator(".decide").inner_text()
    page.keyboard.press("1")  # reject as hallucination
    page.wait_for_url(re.compile(r"/review\?.*decided="))
    assert page.locator(f'tr[data-item="{first}"]').count() == 0
    assert rows.count() == before - 1
    assert page.locator("#open-count").inner_text() == str(before - 1)

    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/review/items/\d+"))
    second = int(page.url.rsplit("/", 1)[1])
    page.keyboard.press("a")  # approve
    page.wait_for_url(re.compile(r"/review\?.*decided="))
    assert page.locator(f'tr[data-item="{second}"]').count() == 0
    assert rows.count() == before - 2

    page.keyboard.press("n")  # skip one with "s": it stays in the queue
    page.wait_for_url(re.compile(r"/review/items/\d+"))
    third = int(page.url.rsplit("/", 1)[1])
    page.keyboard.press("s")
    page.wait_for_url(re.compile(r"/review(\?.*)?$"))
    assert page.locator(f'tr[data-item="{third}"]').count() == 1
    assert page.dialogs == []


def test_correct_with_the_keyboard(page, live: Live) -> None:
    item = live.seeded.item_id("student-discount")
    page.goto(f"{live.url}/review/items/{item}")
    page.keyboard.press("c")
    box = page.locator("textarea[name=corrected_output]")
    assert box.evaluate("el => el === document.activeElement")
    box.fill("No, there is no student discount on Fernway Plus.")
    box.press("Control+Enter")
    page.wait_for_url(re.compile(r"decided="))
    page.goto(f"{live.url}/review?status=decided")
    assert page.locator(f'tr[data-item="{item}"]').inner_text().count("human fail") == 1


def test_hostile_text_is_inert(page, live: Live, tmp_path: Path) -> None:
    item = live.seeded.item_id("reset-link-expired")
    page.goto(f"{live.url}/review/items/{item}")
    page.wait_for_load_state("load")
    page.keyboard.press("?")  # the shortcut help works (scripts run), the payloads do not
    assert page.locator("#keys-help").is_visible()
    output = page.locator("#output").inner_text()
    assert '<script>alert("xss-output")</script>' in output
    assert "<img src=x onerror=" in output
    assert '<script>alert("xss-input")</script>' in page.locator("#input").inner_text()
    passages = page.locator(".passages").inner_text()
    assert '<img src=x onerror=alert("xss-context")>' in passages
    assert '"><svg onload=alert("xss-attr")>' in passages
    assert page.locator("main script, main img, main svg, #input b").count() == 0
    assert page.locator("#output mark.mark-unsupported").count() >= 1
    assert page.dialogs == []
    assert page.evaluate("() => document.scripts.length") == 1
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)


def test_item_page_screenshot(page, live: Live, tmp_path: Path) -> None:
    item = live.seeded.item_id("contact-agent")
    page.goto(f"{live.url}/review/items/{item}")
    assert page.locator("#output mark.mark-pii").count() == 2
    assert page.locator(".passage mark.mark-evidence").count() == 1
    page.screenshot(path=str(shots_dir(tmp_path) / "review-item.png"), full_page=True)

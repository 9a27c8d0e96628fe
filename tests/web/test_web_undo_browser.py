"""Undo with the keyboard in a real headless Chromium: `u` on the item page of a decision."""

from __future__ import annotations

import re

from conftest import Live
from test_web_browser import browser, page, pytestmark  # noqa: F401  (fixtures, skip rule)


def test_u_undoes_a_stray_approval(page, live: Live) -> None:  # noqa: F811
    page.goto(live.url + "/review")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/review/items/\d+"))
    item_url = page.url.split("?")[0]
    page.keyboard.press("a")  # the stray key
    page.wait_for_url(re.compile(r"/review\?.*decided="))
    page.goto(item_url)
    assert "human pass" in page.locator(".decide").inner_text()
    with page.expect_navigation():
        page.keyboard.press("u")
    assert page.locator("#decide-form").count() == 1
    assert "undone by pat" in page.locator(".history").inner_text()
    page.keyboard.press("2")  # reject as unsafe instead
    page.wait_for_url(re.compile(r"/review\?.*decided="))
    page.goto(item_url)
    text = page.locator(".decide").inner_text()
    assert "human fail" in text and "replaced by decision" in text

"""The HTML report in a real headless Chromium (Debian's /usr/bin/chromium, no Playwright).

The browser parses the page the way a reader's would: the DOM it builds must hold the hostile
text as text (no script or img element, no event handler attribute), and the page must
render offline to a screenshot. `HARNESS_SCREENSHOTS=docs` saves the demo report's screenshot
as docs/report.png (how that file is made).
"""

from __future__ import annotations

import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from html_fixtures import XSS, hostile_store

from harness.reporting.html import report_html
from harness.store import RunStore, open_db
from harness.testing.history import HistorySpec, write_history

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--hide-scrollbars", "--disable-extensions", "--mute-audio"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium "
                                       "(apt-get install -y chromium)")


def chromium(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}  # a throwaway profile
    return subprocess.run([str(CHROMIUM), *ARGS, f"--user-data-dir={home / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120, env=env, check=False)


class Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]

    def handle_data(self, data: str) -> None:
        self.text += data


def test_the_browser_builds_no_element_from_untrusted_text(tmp_path: Path) -> None:
    store, _, run_id = hostile_store(tmp_path / "r.db")
    page = tmp_path / "report.html"
    page.write_text(report_html(store, run_id), encoding="utf-8")
    done = chromium("--dump-dom", page.as_uri(), home=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Dom()
    dom.feed(done.stdout)
    assert "svg" in dom.tags and "table" in dom.tags  # the page did render
    assert "script" not in dom.tags and "img" not in dom.tags and dom.handlers == []
    assert XSS in dom.text


def test_the_demo_report_renders_offline_to_a_screenshot(tmp_path: Path) -> None:
    store = RunStore(open_db(tmp_path / "demo.db"))
    suite = ROOT / "suites" / "support-assistant.yaml"
    ids = write_history(store, HistorySpec(
        runs=30, cases=60, shift_at=22, shifted_pass_prob=0.72, shifted_latency_ms=1100,
        payload_case=True, french_penalty=0.12, suite_path=str(suite)))
    page = tmp_path / "report.html"
    page.write_text(report_html(store, ids[-1]), encoding="utf-8")
    shots = ROOT / "docs" if os.environ.get("HARNESS_SCREENSHOTS") == "docs" else tmp_path
    shot = shots / "report.png"
    done = chromium("--window-size=1280,2200", f"--screenshot={shot}", page.as_uri(),
                    home=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # a blank page is a few KB

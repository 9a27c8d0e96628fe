"""The HTML report: self-contained, every untrusted string escaped, every section present."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from html_fixtures import XSS, hostile_store

from harness.cli import main
from harness.reporting.html import ReportOptions, build_context, report_html


@pytest.fixture
def hostile(tmp_path: Path):
    return hostile_store(tmp_path / "r.db")


class Tags(HTMLParser):
    """Every element and attribute the browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def test_untrusted_text_is_escaped_everywhere(hostile) -> None:
    store, _, run_id = hostile
    html = report_html(store, run_id)
    page = parsed(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert not [a for a in page.attrs if a.startswith("on")]
    assert any(XSS in t for t in page.text)  # shown as text, not markup
    assert "<script" not in html.lower()
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    # output, input, context, expected, tag, check name, reason, evidence, error, params
    assert html.count(escaped) >= 7
    assert "Sure! " + escaped in html


def test_self_contained_no_script_no_network(hostile) -> None:
    store, _, run_id = hostile
    html = report_html(store, run_id)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    assert "<style>" in html and "<svg" in html


def test_sections_of_a_run_with_history(tmp_path: Path) -> None:
    store, ids, _ = hostile_store(tmp_path / "r.db", history=14)
    html = report_html(store, ids[-1], ReportOptions(baseline=ids[5]))
    for section in ('id="slo"', 'id="trends"', 'id="metrics"', 'id="slices"', 'id="triage"',
                    'id="cases"', 'id="lineage"', 'id="comparison"', 'id="alarms"'):
        assert section in html, section
    assert "control chart of right_first_time" in html
    assert "Drift of this run" in html


def test_context_pieces(hostile) -> None:
    store, ids, run_id = hostile
    ctx = build_context(store, run_id)
    assert ctx["n_failing"] == 2 and {c["case_id"] for c in ctx["cases"]} == {"c-xss", "c-err"}
    assert ctx["modes"][0].count == 1
    assert {t.label for t in ctx["tags"]} >= {"lang:en", "lang:fr"}
    assert ctx["gaps"][0].group in ("lang", XSS)
    assert ("suite", "demo v1 (v1:sim)") in ctx["lineage"]
    old = build_context(store, ids[1])  # two runs: too short a history for charts then
    assert old["series"] is not None and old["trends"] == []
    assert "charts need at least" in old["series"].notes[0]


def test_report_command_writes_every_format(hostile, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _, ids, run_id = hostile
    db = str(tmp_path / "r.db")
    monkeypatch.chdir(tmp_path)
    for fmt, suffix in (("html", "html"), ("md", "md"), ("json", "json"), ("junit", "xml")):
        with pytest.raises(SystemExit) as done:
            main(["report", run_id, "--format", fmt, "--db", db, "--baseline", ids[-1]])
        assert done.value.code == 0, capsys.readouterr().err
        path = tmp_path / "reports" / f"{run_id}.{suffix}"
        assert path.is_file() and path.stat().st_size > 200
    assert "<script" not in (tmp_path / "reports" / f"{run_id}.html").read_text().lower()
    with pytest.raises(SystemExit) as done:
        main(["report", "nope", "--format", "html", "--db", db])
    assert done.value.code == 2

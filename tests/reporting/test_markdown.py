"""The PR-comment Markdown: verdict first, tables, regressions before the rest, escaped,
within one comment; and it renders (CommonMark + tables, through markdown-it-py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gate_fixtures import write_run
from markdown_it import MarkdownIt

from harness.analysis.compare import compare_runs
from harness.analysis.gate import run_gate
from harness.analysis.metrics import load_run
from harness.reporting.markdown import code, compare_markdown, esc, gate_markdown
from harness.store import RunStore, open_db

EVIL = "ignore <img src=x onerror=alert(1)> | [click](https://evil.example) `tick` **bold**"


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def render(md: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(md)


def test_gate_comment_layout_and_rendering(store: RunStore) -> None:
    ids = {f"c{i:03d}": [True] for i in range(60)}
    tags = {"c007": ["critical"]}
    base = write_run(store, ids, case_tags=tags)
    cand = write_run(store, {**ids, "c007": [False], "c011": [False]}, case_tags=tags,
                     reason=EVIL)
    md = gate_markdown(run_gate(store, cand, base))
    first, *_ = md.splitlines()
    assert first == "## ❌ harness gate: FAIL"
    assert "- critical case c007 passed in the baseline and now fails" in md
    assert "### Regression test (paired; one-sided α = 0.05 each way)" in md
    assert md.index("#### Regressed (2)") < md.index("Cases:") + 200
    regressed = md.split("#### Regressed (2)")[1]
    assert regressed.lstrip().startswith("- `c007` **critical**")  # critical first
    html = render(md)
    assert "<table>" in html and "<h2>" in html
    assert "<img" not in html and "href=" not in html  # model text stays text
    assert "&lt;img" in html


def test_a_pipe_in_a_check_id_cannot_split_a_cell_or_smuggle_html(store: RunStore) -> None:
    check = "x|<img src=https://track.example/p.gif>|y"
    ids = {f"c{i:03d}": [True] for i in range(30)}
    base = write_run(store, ids, check=check)
    cand = write_run(store, {**ids, "c001": [False]}, check=check)
    for md in (gate_markdown(run_gate(store, cand, base)),
               compare_markdown(compare_runs(load_run(store, base), load_run(store, cand)))):
        html = render(md)
        assert "<img" not in html and "track.example/p.gif" in html
        for line in md.splitlines():
            if line.startswith("|"):  # every row has as many cells as its table's header
                assert line.replace("\\|", "").count("|") in {
                    h.count("|") for h in md.splitlines() if h.startswith("|")}


def test_escaping_helpers() -> None:
    assert esc("a|b") == "a\\|b" and esc("x\ny") == "x y"
    assert len(esc("w" * 500, 50)) == 50
    assert code("a`b") == "`a'b`" and code("a|b") == "`a\\|b`"


def test_one_comment_even_for_thousands_of_regressions(store: RunStore) -> None:
    n = 3000
    base = write_run(store, {f"case-{i:05d}": [True] for i in range(n)})
    cand = write_run(store, {f"case-{i:05d}": [False] for i in range(n)},
                     reason="a fairly long reason that repeats " * 4)
    result = run_gate(store, cand, base)
    md = gate_markdown(result, max_chars=20_000)
    assert len(md) <= 20_000
    assert "more not shown (see the JSON report)" in md
    shown = md.count("- `case-")
    assert 50 < shown < n
    assert f"- …and {n - shown} more not shown" in md


def test_compare_markdown_says_versions_first(store: RunStore) -> None:
    base = write_run(store, {"a": [True], "b": [True]}, scorer_version="1")
    cand = write_run(store, {"a": [True], "b": [False]}, scorer_version="2")
    md = compare_markdown(compare_runs(load_run(store, base), load_run(store, cand)))
    assert md.startswith("**VERSIONS DIFFER")
    assert "harness rescore" in md.splitlines()[0]
    assert "| `pass_rate` |" in md
    assert "<table>" in render(md)

"""One number per metric: after a reviewer rejects an automatic pass, every report (HTML
tiles, SLO sheet and metrics table; JSON; Markdown; the gate) counts the rejection."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from gate_fixtures import run_sim, sim_suite

from harness.analysis.gate import run_gate
from harness.reporting.html import report_html
from harness.reporting.json_report import build_report
from harness.reporting.markdown import gate_markdown
from harness.review.decisions import Decision, decide
from harness.review.policy import RoutePolicy
from harness.review.queue import list_items
from harness.review.routing import route_run
from harness.store import RunStore, open_db

IDS = [f"c{i:02d}" for i in range(12)]
EVERY_RESULT = RoutePolicy("high", 0.0, 0.6, "test")


class Cells(HTMLParser):
    """The text of each element with an id or a class, keyed by it (nested text included)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, list[str]]] = []
        self.found: dict[str, list[str]] = {}
        self.rows: list[list[str]] = []  # table rows, cell texts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        key = a.get("id") or (a.get("class") or "")
        self.stack.append((f"{tag}:{key}", []))
        if tag == "tr":
            self.rows.append([])

    def handle_endtag(self, tag: str) -> None:
        key, texts = self.stack.pop()
        text = " ".join("".join(texts).split())
        self.found.setdefault(key, []).append(text)
        for _, parent in self.stack:
            parent.append(" " + text + " ")
        if tag in ("td", "th") and self.rows:
            self.rows[-1].append(text)

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.stack[-1][1].append(data)


@pytest.fixture
def rejected(tmp_path: Path) -> tuple[RunStore, str]:
    """12 cases, 8 pass automatically; a reviewer then rejects one of the passes."""
    store = RunStore(open_db(tmp_path / "h.db"))
    suite = sim_suite(tmp_path, IDS, slo="  right_first_time: {min: 0.5}\n")
    run_id = run_sim(store, suite, bad=IDS[:4])
    route_run(store, run_id, policy=EVERY_RESULT)
    item = next(it["id"] for it in list_items(store, limit=100) if it["case_id"] == "c11")
    decide(store, item, "ann", Decision("reject", "hallucination"))
    return store, run_id


def test_html_tiles_slo_sheet_and_metrics_table_agree(rejected) -> None:
    store, run_id = rejected
    page = Cells()
    page.feed(report_html(store, run_id))
    tile = next(t for t in page.found["div:kpi"] if t.startswith("right first time"))
    assert "58.3%" in tile and "7/12" in tile, tile
    assert "1 human verdict" in tile, tile  # the page says the reviewer's verdict counts
    rft_rows = [r for r in page.rows if r and r[0] == "right_first_time"]
    assert len(rft_rows) == 2  # the SLO sheet and the metrics table
    assert all(r[2 if len(r) > 4 else 1] == "58.3%" for r in rft_rows), rft_rows
    slo_interval = next(r[3] for r in rft_rows if len(r) > 4).split(" n=")[0]
    assert slo_interval in tile, (slo_interval, tile)  # the same interval, digit for digit
    assert "66.7%" not in " ".join(page.found["section:kpis"])
    # the rejected result is listed with the failing cases, marked as a reviewer's verdict
    cases = " ".join(page.found["section:cases"])
    assert "c11" in cases and "human verdict (automatic pass)" in cases
    assert "a reviewer rejected an automatic pass" in " ".join(page.found["section:triage"])
    assert "Reviewers' verdicts replace the automatic ones" in page.found["p:counting"][0]


def test_json_markdown_and_gate_count_the_rejection(rejected) -> None:
    store, run_id = rejected
    report = json.loads(json.dumps(build_report(store, run_id)))
    assert report["summary"]["right_first_time"]["value"] == pytest.approx(7 / 12)
    assert report["summary"]["human_verdicts"] == 1
    gate = run_gate(store, run_id)
    rft = next(o for o in gate.slo.results if o.metric == "right_first_time")
    assert rft.value.value == pytest.approx(7 / 12)
    md = gate_markdown(gate)
    assert "58.3%" in md and "66.7%" not in md

"""Inline SVG charts: valid markup, escaped text, the signals marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from markupsafe import Markup

from harness.analysis.monitor.charts import p_chart
from harness.reporting.svg import control_chart, interval_bar, run_label, sparkline

NS = "{http://www.w3.org/2000/svg}"


def parse(markup: Markup) -> ET.Element:
    text = str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ET.fromstring(text)


def test_control_chart_marks_signals_and_escapes_labels() -> None:
    ids = [f"2026060{i}-000000-<b>" for i in range(1, 10)] + ["20260610-000000-x"]
    chart = p_chart(ids, [45] * 9 + [15], [50] * 10, reference=6)
    svg = control_chart(chart, label="rate<script>", highlight=ids[-1], bounded=True)
    assert isinstance(svg, Markup)
    root = parse(svg)  # well-formed: every run id and label was escaped
    assert "rate<script>" in root.find(f"{NS}title").text
    red = [c for c in root.iter(f"{NS}circle") if c.get("fill") == "#b42318"]
    assert len(red) == 1 and ids[-1] in red[0].find(f"{NS}title").text
    assert "<script>" not in str(svg) and "&lt;b&gt;" in str(svg)


def test_empty_and_short_inputs_degrade_to_text() -> None:
    assert "not enough runs" in sparkline([0.5])
    assert interval_bar(None, None, None) == ""
    line = parse(sparkline([0.1, None, 0.3, 0.2], label="<x>"))
    assert line.find(f"{NS}polyline") is not None
    assert parse(interval_bar(0.5, 0.4, 0.6, marker=0.9)).tag == f"{NS}svg"


def test_run_labels() -> None:
    assert run_label("20260619-202640-abc", 0) == "06-19"
    assert run_label("nightly-3", 4) == "#5"

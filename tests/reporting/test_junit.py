"""JUnit XML: one test case per suite case, valid against the schema in this folder
(tests/reporting/junit.xsd, validated with xmlschema when installed) and structurally
checked with the standard library in every case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gate_fixtures import write_run

from harness.analysis.gate import run_gate
from harness.reporting.junit import clean, gate_junit
from harness.store import RunStore, open_db

XSD = Path(__file__).with_name("junit.xsd")


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def example(store: RunStore) -> str:
    """A gate with every kind of case: passing, regressed, failing, flaky and errored."""
    two = {f"c{i}": [True, True] for i in range(6)}
    base = write_run(store, {**two, "stays-bad": [False, False]})
    cand = write_run(store, {**two, "c1": [False, False], "c2": [True, False],
                             "c3": [None, None], "stays-bad": [False, False]},
                     reason="bad \x00 byte \x1b[31m and <tag> & 'quotes'")
    return gate_junit(run_gate(store, cand, base))


def structure(xml: str) -> dict[str, ET.Element]:
    """The structural rules of the schema, checked without it."""
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert suites
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        cases = suite.findall("testcase")
        counted = {
            "tests": len(cases),
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases),
            "skipped": sum(c.find("skipped") is not None for c in cases),
        }
        for key, value in counted.items():
            assert int(suite.get(key)) == value, (suite.get("name"), key)
            total[key] += value
        for case in cases:
            assert case.get("name") and case.get("classname") and float(case.get("time")) >= 0
            assert len(list(case)) <= 1
            for child in case:
                assert child.tag in ("failure", "error", "skipped")
                assert child.get("message") is not None
    assert {k: int(root.get(k)) for k in total} == total
    return {c.get("name"): c for s in suites for c in s.findall("testcase")}


def test_one_testcase_per_case_with_the_right_outcome(store: RunStore) -> None:
    cases = structure(example(store))
    assert {"c0", "c1", "c2", "c3", "c4", "c5", "stays-bad"} <= set(cases)
    assert list(cases["c0"]) == []
    assert cases["c1"].find("failure").get("type") == "regressed"
    assert cases["stays-bad"].find("failure").get("type") == "failed"
    assert cases["c2"].find("skipped").get("message").startswith("flaky: 1/2")
    assert cases["c3"].find("error") is not None
    assert cases["verdict"].find("failure").get("type") == "INCOMPLETE"  # c3 errored
    assert cases["regression pass_rate"] is not None


def test_untrusted_text_is_escaped_and_cleaned(store: RunStore) -> None:
    xml = example(store)
    assert "\x00" not in xml and "\x1b" not in xml
    assert "&lt;tag&gt; &amp;" in xml
    ET.fromstring(xml)  # well-formed
    assert clean("a\x00b") == "a\ufffdb" and len(clean("x" * 9000)) == 4000


def test_valid_against_the_junit_schema(store: RunStore) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(example(store))
    broken = example(store).replace(' classname="harness.sim"', "", 1)
    assert not schema.is_valid(broken)


def test_report_junit_failures_carry_reasons_and_no_python_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13, 17f: `harness report --format junit` (no baseline) gave failures with no
    reason, and SLO / regression details printed `None` and raw floats."""
    import re

    from harness.cli import main

    db = tmp_path / "h.db"
    store = RunStore(open_db(db))
    run = write_run(store, {"good": [True], "bad": [False], "broken": [None],
                            **{f"c{i}": [True] for i in range(5)}},
                    reason="expected '30 days' not found in the output", latency_ms=123.456)
    target = tmp_path / "j.xml"
    with pytest.raises(SystemExit) as done:
        main(["report", run, "--format", "junit", "-o", str(target), "--db", str(db)])
    assert done.value.code in (0, None)
    xml = target.read_text(encoding="utf-8")
    cases = structure(xml)
    failure = cases["bad"].find("failure")
    assert "answer: expected '30 days' not found in the output" in failure.get("message")
    assert "answer: expected '30 days' not found in the output" in failure.text
    error = cases["broken"].find("error")
    assert "timeout: slow" in error.get("message") and "timeout: slow" in error.text
    texts = [el.get("message", "") + " " + (el.text or "")
             for doc in (xml, example(store)) for el in ET.fromstring(doc).iter()
             if el.tag in ("failure", "error", "skipped")]
    assert any("difference" in t for t in texts)  # the regression test's detail is checked
    for text in texts:
        assert not re.search(r"\bNone\b|\bnan\b|\d\.\d{6,}", text), text

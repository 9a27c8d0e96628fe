"""JUnit XML of a gate: one test case per suite case, so CI UIs list failures by name.

Layout (the common Ant/Jenkins dialect that GitHub, GitLab, Jenkins and Azure read):
- testsuite `harness.SUITE`: one testcase per case of the candidate run. A case fails when
  every decided sample failed (message says whether it regressed from the baseline), is an
  error when no sample could be scored (the model call failed), and is skipped when its
  samples disagree (flaky: never a failure on its own, as in the gate) or when no check
  decided it (unchecked: not evidence of a pass);
- testsuite `harness.SUITE.gate`: one testcase per SLO objective, per gated metric and one
  for the verdict, so the agreement shows up by name too.

A failure or error carries its reasons: the message names the first failing check and its
reason (what a CI UI shows in its list), the body every failing check of every sample (or
each error), with or without a baseline. Numbers are formatted as in the gate's report
(`0.85 [0.7, 0.93]`, `n/a` when absent), never Python values such as `None`.

Text from models and suites goes through ElementTree (escaped) after removing characters
XML 1.0 cannot hold at all.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import Any

from harness.analysis.compare import CaseChange
from harness.analysis.gate import GateResult
from harness.analysis.metrics import CaseStats, case_stats

_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: Any, limit: int = 4000) -> str:
    s = _INVALID_XML.sub("\ufffd", str(text))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def gate_junit(result: GateResult) -> str:
    """The JUnit XML document for a gate result."""
    root = ET.Element("testsuites", name="harness")
    suite = result.cand.run["suite"]
    root.append(_cases_suite(result, suite))
    root.append(_gate_suite(result, suite))
    _totals(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


# --------------------------------------------------------------------------- cases


def _cases_suite(result: GateResult, suite: str) -> ET.Element:
    el = ET.Element("testsuite", name=f"harness.{suite}")
    props = ET.SubElement(el, "properties")
    for name, value in (("run", result.cand.run["id"]),
                        ("baseline", result.baseline.run["id"] if result.baseline else ""),
                        ("verdict", result.verdict)):
        ET.SubElement(props, "property", name=name, value=clean(value))
    changes = {c.case_id: c for c in result.comparison.cases} if result.comparison else {}
    latency = _latency_s(result)
    reasons = _reasons(result.cand.units)
    for cid, stats in sorted(case_stats(result.cand.units).items()):
        tc = ET.SubElement(el, "testcase", classname=f"harness.{suite}", name=cid,
                           time=f"{latency.get(cid, 0.0):.3f}")
        _case_outcome(tc, stats, changes.get(cid), reasons.get(cid, []))
    return el


def _reasons(units: Any) -> dict[str, list[str]]:
    """Per case, each failing check (`check: reason`) and each error, once, sample order."""
    out: dict[str, list[str]] = {}
    for u in units:
        got = out.setdefault(u.case_id, [])
        items = [f"error: {u.error or 'no output'}"] if u.outcome == "error" else [
            f"{s['check_name']}: {s.get('reason') or s['outcome']}"
            for s in u.scores if s["outcome"] in ("fail", "unscored")]
        got += [i for i in items if i not in got]
    return out


def _with_reason(message: str, reasons: list[str]) -> str:
    if not reasons:
        return message
    more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return f"{message}: {clean(reasons[0], 300)}{more}"


def _latency_s(result: GateResult) -> dict[str, float]:
    out: dict[str, float] = {}
    for u in result.cand.units:
        out[u.case_id] = out.get(u.case_id, 0.0) + (u.latency_ms or 0.0) / 1000
    return out


def _case_outcome(tc: ET.Element, s: CaseStats, change: CaseChange | None,
                  reasons: list[str]) -> None:
    reasons = reasons or list(change.failing_checks if change else ())
    checks = "\n".join(reasons)
    if s.cls == "error":
        ET.SubElement(tc, "error", message=clean(_with_reason(
            f"no output: {s.errors} errored sample(s)", reasons)),
                      type="error").text = clean(checks)
    elif s.cls == "flaky":
        ET.SubElement(tc, "skipped", message=clean(
            f"flaky: {s.passes}/{s.decided} samples passed; never fails the gate on its own"))
    elif s.cls == "unchecked":
        ET.SubElement(tc, "skipped", message="unchecked: no check decided this case, so it "
                      "is neither a pass nor a fail")
    elif s.all_fail:
        regressed = change is not None and change.status == "regressed"
        kind = "regressed" if regressed else "failed"
        message = "regressed: passed in the baseline, fails now" if regressed else \
            f"failed: {s.decided - s.passes}/{s.decided} samples failed"
        ET.SubElement(tc, "failure", message=clean(_with_reason(message, reasons)),
                      type=kind).text = clean(checks)


# --------------------------------------------------------------------------- gate


def _gate_suite(result: GateResult, suite: str) -> ET.Element:
    el = ET.Element("testsuite", name=f"harness.{suite}.gate")
    cls = f"harness.{suite}.gate"
    for o in result.slo.results:
        tc = ET.SubElement(el, "testcase", classname=cls, name=f"slo {o.metric}", time="0")
        detail = (f"{o.metric} = {_num(o.value.value)} {_interval(o.value.low, o.value.high)}, "
                  f"objective {o.bound_text()}, n = {o.value.n}")
        if o.status == "undecided" and o.needed_n:
            detail += f"; {o.needed_text()}"
        elif o.status == "unmeasured" and o.reason:
            detail += f"; {o.reason}"
        if o.status == "breached":
            ET.SubElement(tc, "failure", message=clean("breached: " + detail), type="slo")
        elif o.status != "met":
            ET.SubElement(tc, "skipped", message=clean(f"{o.status}: {detail}"))
    for t in result.tests:
        c = t.comparison
        tc = ET.SubElement(el, "testcase", classname=cls, name=f"regression {c.name}", time="0")
        detail = (f"difference {_num(c.difference)} {_interval(c.low, c.high)}, "
                  f"margin {_num(t.margin)}, p(worse) {_num(t.p_worse)}")
        if t.decision == "worse":
            ET.SubElement(tc, "failure", message=clean("worse: " + detail), type="regression")
        elif t.decision == "undecided":
            ET.SubElement(tc, "skipped", message=clean("undecided: " + detail))
    tc = ET.SubElement(el, "testcase", classname=cls, name="verdict", time="0")
    if result.verdict in ("FAIL", "INCOMPLETE"):
        ET.SubElement(tc, "failure", message=clean(result.headline()), type=result.verdict)
    elif result.verdict == "INCONCLUSIVE":
        ET.SubElement(tc, "skipped", message=clean(result.headline()))
    return el


def _num(x: Any) -> str:
    """`0.8571` rather than `0.857142857142857`; `n/a` rather than `None` or `nan`."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a" if x is None or math.isnan(x) else ("∞" if x > 0 else "-∞")
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _interval(low: Any, high: Any) -> str:
    if low is None and high is None:
        return "(no interval)"
    return f"[{_num(low)}, {_num(high)}]"


def _totals(root: ET.Element) -> None:
    """tests/failures/errors/skipped on every testsuite and on the root."""
    grand = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        time = sum(float(c.get("time", "0")) for c in cases)
        for key, value in counts.items():
            suite.set(key, str(value))
            grand[key] += value
        suite.set("time", f"{time:.3f}")
    for key, value in grand.items():
        root.set(key, str(value))

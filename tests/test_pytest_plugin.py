"""The pytest plugin: suites as test items (one per case, or one gate per suite), inert
unless a suite is named. Runs pytest in-process on suites whose model is a `python:`
function, so nothing leaves the machine."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REGISTERED = any(ep.name == "harness" for ep in entry_points(group="pytest11"))
PLUGIN = [] if REGISTERED else ["-p", "harness.pytest_plugin"]
# the inner sessions skip plugins whose teardown runs full garbage collections of the
# outer session's heap (seconds each); they have nothing to do with the plugin under test
FAST = ["-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:threadexception",
        "-o", "asyncio_default_fixture_loop_scope=function"]


def setup(pytester: pytest.Pytester, module: str, *, slo: str = "") -> Path:
    """A suite of three cases: `b` always fails, `c` fails on odd repeats."""
    pytester.makepyfile(**{module: (
        "def answer(req):\n"
        "    bad = req['case_id'] == 'b' or (req['case_id'] == 'c' and req['repeat'] % 2)\n"
        "    return 'no idea' if bad else 'within 30 days'\n"
    )})
    pytester.syspathinsert()
    rubric = ""
    if slo:
        (pytester.path / "rubric.yaml").write_text(f"rubric: r\nversion: 1\nslo:\n{slo}")
        rubric = "rubric: rubric.yaml\n"
    suite = pytester.path / "suites" / "support.yaml"
    suite.parent.mkdir(exist_ok=True)
    if rubric:
        rubric = "rubric: ../rubric.yaml\n"
    suite.write_text(
        f"suite: support\nversion: 1\nmodel: python:{module}:answer\n{rubric}"
        "checks: [{id: says-30-days, type: contains, value: 30 days}]\n"
        "cases:\n  - {id: a, input: q1}\n  - {id: b, input: q2}\n  - {id: c, input: q3}\n")
    return suite


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    db = str(pytester.path / "h.db")
    return pytester.runpytest_inprocess(*PLUGIN, *FAST, "--harness-db", db,
                                        *args)


def test_entry_point_is_declared() -> None:
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '[project.entry-points.pytest11]\nharness = "harness.pytest_plugin"' in text


def test_one_item_per_case(pytester: pytest.Pytester) -> None:
    suite = setup(pytester, "model_cases")
    result = run(pytester, str(suite), "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*support.yaml::a PASSED*", "*support.yaml::b FAILED*",
        "*case b failed in run*", "*sample 0: says-30-days fail: missing*",
    ])


def test_flaky_cases_are_skipped_not_failed(pytester: pytest.Pytester) -> None:
    suite = setup(pytester, "model_flaky")
    result = run(pytester, str(suite), "--harness-repeats", "2", "-rs")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*flaky: 1/2 samples passed*"])


def test_a_case_with_no_checks_is_skipped_not_passed(pytester: pytest.Pytester) -> None:
    suite = setup(pytester, "model_unchecked")
    check = "checks: [{id: says-30-days, type: contains, value: 30 days}]"
    text = suite.read_text().replace(check + "\n", "").replace(
        "  - {id: a, input: q1}", "  - {id: a, input: q1, " + check + "}")
    suite.write_text(text)
    result = run(pytester, str(suite), "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*unchecked: no check decided this case*"])


def test_gate_mode_asserts_the_verdict(pytester: pytest.Pytester) -> None:
    suite = setup(pytester, "model_gate", slo="  right_first_time: {min: 0.99}\n")
    result = run(pytester, str(suite), "--harness-mode", "gate")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*gate FAIL*", "*SLO breached: right_first_time*"])


def test_gate_mode_inconclusive_skips_unless_strict(pytester: pytest.Pytester) -> None:
    suite = setup(pytester, "model_strict", slo="  right_first_time: {min: 0.5}\n")
    run(pytester, str(suite), "--harness-mode", "gate").assert_outcomes(skipped=1)
    strict = run(pytester, str(suite), "--harness-mode", "gate", "--harness-strict")
    strict.assert_outcomes(failed=1)


def test_inert_unless_a_suite_is_named_or_configured(pytester: pytest.Pytester) -> None:
    setup(pytester, "model_inert")
    pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
    run(pytester).assert_outcomes(passed=1)  # suites/support.yaml is not collected
    pytester.makeini("[pytest]\nharness_suites = suites/*.yaml\n")
    run(pytester).assert_outcomes(passed=3, failed=1)
    broken = pytester.path / "suites" / "support.yaml"
    broken.write_text("suite: x\nversion: 1\ncases: []\n")
    result = run(pytester, str(broken))
    result.stdout.fnmatch_lines(["*support.yaml*"])
    assert result.ret != 0

"""The pytest plugin takes the run's concurrency and per-request timeout (issue 13, item 7),
as options (`--harness-concurrency`, `--harness-timeout`) and ini options
(`harness_concurrency`, `harness_timeout`). Runs pytest in-process on a suite whose model is
a `python:` function that counts the calls in flight, so nothing leaves the machine."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REGISTERED = any(ep.name == "harness" for ep in entry_points(group="pytest11"))
PLUGIN = [] if REGISTERED else ["-p", "harness.pytest_plugin"]
FAST = ["-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:threadexception",
        "-o", "asyncio_default_fixture_loop_scope=function"]

MODEL = (
    "import asyncio\n"
    "IN_FLIGHT = PEAK = 0\n"
    "async def answer(req):\n"
    "    global IN_FLIGHT, PEAK\n"
    "    IN_FLIGHT += 1\n"
    "    PEAK = max(PEAK, IN_FLIGHT)\n"
    "    await asyncio.sleep(2.0 if req['case_id'] == 'slow' else 0.05)\n"
    "    IN_FLIGHT -= 1\n"
    "    return f'within 30 days, peak {PEAK}'\n"
)


def setup(pytester: pytest.Pytester, module: str, cases: str = "a, b, c") -> Path:
    pytester.makepyfile(**{module: MODEL})
    pytester.syspathinsert()
    items = "".join(f"  - {{id: {c.strip()}, input: q}}\n" for c in cases.split(","))
    suite = pytester.path / "support.yaml"
    suite.write_text(
        f"suite: support\nversion: 1\nmodel: python:{module}:answer\n"
        "checks: [{type: contains, value: 30 days}]\n"
        f"cases:\n{items}")
    return suite


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(*PLUGIN, *FAST, "--harness-db",
                                        str(pytester.path / "h.db"), *args)


def stored(pytester: pytest.Pytester) -> tuple[dict, list[str]]:
    from harness.store import RunStore, open_db

    store = RunStore(open_db(pytester.path / "h.db"))
    run = store.list_runs()[0]
    spec = json.loads(store.db.execute("SELECT spec FROM runs WHERE id = ?",
                                       [run["id"]]).fetchone()[0])
    return spec, [r["output"] or "" for r in store.iter_results(run["id"])]


def test_concurrency_option(pytester: pytest.Pytester) -> None:
    suite = setup(pytester, "model_j1")
    run(pytester, str(suite), "--harness-concurrency", "1").assert_outcomes(passed=3)
    spec, outputs = stored(pytester)
    assert spec["concurrency"] == 1
    assert all(o.endswith("peak 1") for o in outputs), outputs


def test_concurrency_ini_option(pytester: pytest.Pytester) -> None:
    suite = setup(pytester, "model_ini_j")
    pytester.makeini("[pytest]\nharness_concurrency = 3\n")
    run(pytester, str(suite)).assert_outcomes(passed=3)
    spec, outputs = stored(pytester)
    assert spec["concurrency"] == 3
    assert any(o.endswith("peak 3") for o in outputs), outputs


def test_the_command_line_wins_over_the_ini_file(pytester: pytest.Pytester) -> None:
    suite = setup(pytester, "model_wins")
    pytester.makeini("[pytest]\nharness_concurrency = 3\n")
    run(pytester, str(suite), "--harness-concurrency", "1").assert_outcomes(passed=3)
    assert stored(pytester)[0]["concurrency"] == 1


def test_timeout_option(pytester: pytest.Pytester) -> None:
    # (retried like any timeout, then recorded as the case's error)
    suite = setup(pytester, "model_timeout", cases="a, slow")
    result = run(pytester, str(suite), "--harness-timeout", "0.3")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*case slow failed*", "*error timeout*"])


@pytest.mark.parametrize("args", [["--harness-concurrency", "0"], ["--harness-timeout", "nan"],
                                  ["--harness-concurrency", "many"]])
def test_bad_values_stop_the_session(pytester: pytest.Pytester, args: list[str]) -> None:
    suite = setup(pytester, "model_bad")
    result = run(pytester, str(suite), *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*harness_*must be*"])

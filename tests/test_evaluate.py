"""`harness.evaluate` is the one entry point behind `harness run` and the pytest plugin:
the same suite queues the same results for review whichever way it is run."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from harness.evaluation import evaluate
from harness.pipeline.runner import RunConfig
from harness.review.queue import list_items
from harness.store import RunStore, open_db
from harness.testing.cli import run_cli

pytest_plugins = ["pytester"]
PLUGIN = ([] if any(ep.name == "harness" for ep in entry_points(group="pytest11"))
          else ["-p", "harness.pytest_plugin"])
FAST = ["-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:threadexception",
        "-o", "asyncio_default_fixture_loop_scope=function"]

MODEL = (
    "def answer(req):\n"
    "    if req['case_id'] == 'b':\n"
    "        return 'no idea, mail jane.doe@example.com'\n"
    "    return 'within 30 days'\n"
)
SUITE = (
    "suite: routed\nversion: 1\nrisk: {risk}\nmodel: python:{module}:answer\n"
    "checks: [{{id: says-30-days, type: contains, value: 30 days}}, {{id: no-pii, type: pii}}]\n"
    "cases:\n  - {{id: a, input: q1}}\n  - {{id: b, input: q2}}\n  - {{id: c, input: q3}}\n"
)


def _write(folder: Path, module: str, risk: str) -> Path:
    (folder / f"{module}.py").write_text(MODEL, encoding="utf-8")
    suite = folder / "suite.yaml"
    suite.write_text(SUITE.format(risk=risk, module=module), encoding="utf-8")
    return suite


def _queued(db: Path) -> list[tuple[Any, ...]]:
    items = list_items(RunStore(open_db(db)))
    return sorted((it["case_id"], it["status"], it["signals"], it["priority"], it["inclusion_prob"])
                  for it in items)


@pytest.mark.parametrize("risk", ["high", "medium"])
def test_library_cli_and_pytest_plugin_route_the_same_results(
        tmp_path: Path, pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, risk: str) -> None:
    lib, cli = tmp_path / "lib", tmp_path / "cli"
    lib.mkdir()
    cli.mkdir()
    evaluation = evaluate(_write(lib, f"lib_{risk}", risk), RunConfig(), lib / "h.db")
    assert evaluation.outcome.status == "complete" and evaluation.routed is not None
    via_library = _queued(lib / "h.db")

    code, _, err = run_cli(capsys, "run", str(_write(cli, f"cli_{risk}", risk)),
                           "--db", str(cli / "h.db"))
    assert code == 0 and "review:" in err, err
    via_cli = _queued(cli / "h.db")

    suite = _write(pytester.path, f"plug_{risk}", risk)
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess(*PLUGIN, *FAST, "--harness-db",
                                          str(pytester.path / "h.db"), str(suite))
    result.assert_outcomes(passed=2, failed=1)
    via_plugin = _queued(pytester.path / "h.db")

    assert via_library == via_cli == via_plugin
    assert len(via_library) == evaluation.routed.queued
    queued = {row[0]: row for row in via_library}
    # b leaks an e-mail address: a policy signal, queued at every risk and ranked first
    assert "policy" in [s["kind"] for s in queued["b"][2]]
    assert queued["b"][3] == max(row[3] for row in via_library) > 0
    if risk == "high":  # every result of a high-risk suite is queued, for certain
        assert sorted(queued) == ["a", "b", "c"]
        assert {row[4] for row in via_library} == {1.0}


def test_evaluate_without_routing_queues_nothing(tmp_path: Path) -> None:
    evaluation = evaluate(_write(tmp_path, "noroute", "high"), RunConfig(), tmp_path / "h.db",
                          route=False)
    assert evaluation.routed is None and evaluation.outcome.done == 3
    assert _queued(tmp_path / "h.db") == []

"""Run suites as pytest tests, so a team that gates with pytest needs no new CI step.

Installed with harness (entry point `pytest11`), and inert until asked: a suite file is
collected only when it is named on the command line (`pytest suites/support.yaml`), given
with `--harness-suite PATH`, or matches a glob of the `harness_suites` ini option
(`harness_suites = suites/*.yaml` in pytest.ini or [tool.pytest.ini_options]).

Two modes (`--harness-mode` or the `harness_mode` ini option):
- `cases` (default): one test item per case. The suite runs once, on the first item, and
  each item passes when every scored sample of its case passed. A flaky case (samples
  disagree) is skipped with its pass count: like the gate, it never fails on its own.
- `gate`: one item per suite whose assertion is `harness gate` (SLO sheet, and the paired
  regression test when `--harness-baseline RUN|latest|TAG` is given). INCONCLUSIVE skips,
  or fails with `--harness-strict`.

How hard to push the model, as `harness run -j N --timeout S` does: `--harness-concurrency N`
(`harness_concurrency` ini option, default 8; use 1 against a server that serves one request
at a time, or its queue counts as latency) and `--harness-timeout SECONDS` (`harness_timeout`,
default 60).

Runs are stored (and tagged `pytest`) in `--harness-db`, else $HARNESS_DB or ./harness.db,
so `harness compare` and `harness gate` work on them afterwards.

A `python:module:function` model imports `module` from the suite's folder, then the working
directory, then sys.path, as `harness run` does (`harness.providers.pyimport`): pytest's own
rootdir and conftest path handling plays no part.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError

MODES = ("cases", "gate")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "run harness suites as tests")
    group.addoption("--harness-suite", action="append", default=[], metavar="PATH",
                    help="Suite file to run as tests; repeatable.")
    group.addoption("--harness-mode", choices=MODES, default=None,
                    help="cases: one test per case (default); gate: one test per suite.")
    group.addoption("--harness-model", action="append", default=[], metavar="REF",
                    help="Model(s) to run instead of the suite's.")
    group.addoption("--harness-repeats", type=int, default=1, metavar="K")
    group.addoption("--harness-concurrency", default=None, metavar="N",
                    help="Requests in flight at once (default 8, or the harness_concurrency "
                    "ini option); 1 for a server that serves one request at a time.")
    group.addoption("--harness-timeout", default=None, metavar="SECONDS",
                    help="Seconds per request (default 60, or the harness_timeout ini option).")
    group.addoption("--harness-db", default=None, metavar="PATH")
    group.addoption("--harness-baseline", default=None, metavar="RUN|latest|TAG",
                    help="Gate mode: compare with this baseline.")
    group.addoption("--harness-strict", action="store_true",
                    help="Gate mode: an INCONCLUSIVE gate fails the test.")
    parser.addini("harness_suites", type="args", default=[],
                  help="Glob patterns (relative to rootdir) of suite files to collect.")
    parser.addini("harness_mode", default="cases", help="cases or gate.")
    parser.addini("harness_concurrency", default="8", help="Requests in flight at once.")
    parser.addini("harness_timeout", default="60", help="Seconds per request.")


def pytest_configure(config: pytest.Config) -> None:
    _number(config, "concurrency", int, 1)  # a bad value stops the session before it runs
    _number(config, "timeout", float, 0.001)
    extra = [str(Path(p)) for p in config.getoption("harness_suite") or []]
    config.args.extend(p for p in extra if p not in config.args)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml") or not _wanted(file_path, parent.config):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


def _wanted(path: Path, config: pytest.Config) -> bool:
    resolved = path.resolve()
    named = {Path(a.split("::")[0]).resolve() for a in config.args}
    if resolved in named:
        return True
    rel = str(resolved.relative_to(config.rootpath)) if resolved.is_relative_to(
        config.rootpath) else str(resolved)
    return any(fnmatch.fnmatch(rel, pattern) for pattern in config.getini("harness_suites"))


def _number(config: pytest.Config, name: str, kind: type, low: float) -> Any:
    """`--harness-NAME`, else the `harness_NAME` ini option, as a finite `kind` >= `low`."""
    raw = config.getoption(f"harness_{name}") or config.getini(f"harness_{name}")
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or not math.isfinite(value) or value < low:
        raise pytest.UsageError(
            f"harness_{name} (--harness-{name}) must be a {kind.__name__} of at least "
            f"{low:g}, not {raw!r}"
        )
    return value


def _mode(config: pytest.Config) -> str:
    mode = config.getoption("harness_mode") or config.getini("harness_mode") or "cases"
    if mode not in MODES:
        raise pytest.UsageError(f"harness_mode must be one of {MODES}, not {mode!r}")
    return str(mode)


# --------------------------------------------------------------------------- collection


class SuiteFile(pytest.File):
    """A suite file: loads it, and runs it once for all of its items."""

    _run_id: str | None = None

    def collect(self) -> Iterator[pytest.Item]:
        from harness.suites import load_suite

        try:
            self.loaded = load_suite(self.path)
        except HarnessError as exc:
            raise self.CollectError(str(exc)) from exc
        if _mode(self.config) == "gate":
            yield SuiteGateItem.from_parent(self, name="gate")
            return
        for case in self.loaded.cases:
            yield SuiteCaseItem.from_parent(self, name=case.id)

    def store(self) -> Any:
        from harness.store import RunStore, open_db

        return RunStore(open_db(self.config.getoption("harness_db")))

    def run_id(self) -> str:
        """Run the suite the first time an item asks; later items reuse the run."""
        if self._run_id is None:
            from harness.evaluation import evaluate
            from harness.pipeline.runner import RunConfig

            cfg = self.config
            config = RunConfig(models=tuple(cfg.getoption("harness_model") or ()),
                               repeats=cfg.getoption("harness_repeats"), tags=("pytest",),
                               concurrency=_number(cfg, "concurrency", int, 1),
                               timeout_s=_number(cfg, "timeout", float, 0.001))
            # the same entry point as `harness run`: results a person must see are queued
            self._run_id = evaluate(self.loaded, config, self.store()).run_id
        return self._run_id


class HarnessFailure(Exception):
    """A case or a gate that failed; the message is the whole explanation."""


class _SuiteItem(pytest.Item):
    @property
    def suite_file(self) -> SuiteFile:
        assert isinstance(self.parent, SuiteFile)
        return self.parent

    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        if isinstance(excinfo.value, HarnessFailure | HarnessError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.suite_file.loaded.suite.suite}::{self.name}"


class SuiteCaseItem(_SuiteItem):
    """One case: passes when every scored sample passed; a flaky case is skipped."""

    def runtest(self) -> None:
        from harness.analysis.metrics import case_stats, units_from_rows

        suite_file = self.suite_file
        store = suite_file.store()
        run_id = suite_file.run_id()
        rows = [r for r in store.iter_results(run_id) if r["case_id"] == self.name]
        stats = case_stats(units_from_rows(rows)).get(self.name)
        if stats is None:
            raise HarnessFailure(f"{self.name}: no result stored in run {run_id}")
        if stats.cls == "flaky":
            pytest.skip(f"flaky: {stats.passes}/{stats.decided} samples passed "
                        "(never fails on its own)")
        if stats.cls == "unchecked":  # no check applies: a pass would claim what nobody saw
            pytest.skip("unchecked: no check decided this case (add checks to it)")
        if stats.cls == "error" or stats.passes < stats.decided:
            raise HarnessFailure(_explain(self.name, run_id, rows))


def _explain(case_id: str, run_id: str, rows: list[dict[str, Any]]) -> str:
    lines = [f"case {case_id} failed in run {run_id}:"]
    for r in rows:
        if r["outcome"] == "error":
            lines.append(f"  sample {r['repeat']}: error {r['error_kind']}: {r['error_message']}")
            continue
        for s in r["scores"]:
            if s["outcome"] in ("fail", "unscored"):
                lines.append(f"  sample {r['repeat']}: {s['check_name']} {s['outcome']}: "
                             f"{s['reason']}")
        output = (r["output"] or "").strip().replace("\n", " ")
        lines.append(f"  sample {r['repeat']} output: {output[:300]!r}")
    return "\n".join(lines)


class SuiteGateItem(_SuiteItem):
    """The whole suite; the assertion is the gate's verdict."""

    def runtest(self) -> None:
        from harness.analysis.gate import run_gate

        suite_file = self.suite_file
        cfg = self.config
        result = run_gate(suite_file.store(), suite_file.run_id(),
                          cfg.getoption("harness_baseline"))
        detail = "\n".join([result.headline(), *(f"  - {r}" for r in result.reasons),
                            *(f"  ! {w}" for w in result.warnings)])
        if result.verdict in ("FAIL", "INCOMPLETE"):
            raise HarnessFailure(detail)
        if result.verdict == "INCONCLUSIVE":
            if cfg.getoption("harness_strict"):
                raise HarnessFailure(detail)
            pytest.skip(detail)

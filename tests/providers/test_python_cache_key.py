"""Issue 13: the response cache never replays the output of a `python:` model whose code
changed. Through the real runner and a real SQLite cache; each "re-run" forgets the user's
modules first, as a new `harness run` process would."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.models import ModelSpec
from harness.pipeline.runner import RunConfig, run_suite
from harness.providers.codehash import PROCESS_NONCE
from harness.providers.python import PythonProvider
from harness.store import RunStore, open_db
from harness.suites import load_suite

MODULES = ("cachekey_app", "cachekey_helper")
APP = 'from cachekey_helper import suffix\n\n\ndef answer(payload):\n    return "{0} " + suffix()\n'
HELPER = 'def suffix():\n    return "{0}"\n'


def forget_user_modules() -> None:
    """What a new process starts with: none of the user's modules imported yet."""
    for name in MODULES:
        sys.modules.pop(name, None)
    importlib.invalidate_caches()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user's project: a pyproject.toml, the model module and a helper it imports."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[project]\nname = 'app'\n", encoding="utf-8")
    write(folder, app="answer v1", helper="helper v1")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no stale .pyc between edits
    forget_user_modules()
    yield folder
    forget_user_modules()


def write(folder: Path, *, app: str | None = None, helper: str | None = None) -> None:
    if app is not None:
        (folder / "cachekey_app.py").write_text(APP.format(app), encoding="utf-8")
    if helper is not None:
        (folder / "cachekey_helper.py").write_text(HELPER.format(helper), encoding="utf-8")


@pytest.fixture
def rerun(tmp_path: Path, project: Path) -> Callable[[], list[tuple[str, bool]]]:
    """Run the suite again in "a new process"; (output, cached) of its two cases."""
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "suite: own-code\nversion: 1\nmodel: python:cachekey_app:answer\n"
        "checks: [{type: contains, value: v}]\n"
        "cases:\n  - {id: a, input: one}\n  - {id: b, input: two}\n",
        encoding="utf-8",
    )
    store = RunStore(open_db(tmp_path / "h.db"))

    def run() -> list[tuple[str, bool]]:
        forget_user_modules()
        outcome = asyncio.run(run_suite(load_suite(suite), RunConfig(), store))
        return [(r["output"], r["cached"]) for r in store.iter_results(outcome.run_id)]

    return run


def test_editing_the_model_function_is_not_answered_from_the_cache(
    project: Path, rerun: Callable[[], list[tuple[str, bool]]]
) -> None:
    assert rerun() == [("answer v1 helper v1", False)] * 2
    assert rerun() == [("answer v1 helper v1", True)] * 2  # unchanged code: still cached
    write(project, app="answer v2")
    assert rerun() == [("answer v2 helper v1", False)] * 2


def test_editing_a_helper_module_it_imports_is_not_answered_from_the_cache(
    project: Path, rerun: Callable[[], list[tuple[str, bool]]]
) -> None:
    assert rerun() == [("answer v1 helper v1", False)] * 2
    write(project, helper="helper v2")
    assert rerun() == [("answer v1 helper v2", False)] * 2
    assert rerun() == [("answer v1 helper v2", True)] * 2


def test_the_same_code_checked_out_elsewhere_has_the_same_key(
    tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another CI runner's checkout reuses the cache: files are keyed by module, not path."""
    scope = PythonProvider(ModelSpec(ref="python:cachekey_app:answer")).cache_scope
    other = tmp_path / "elsewhere"
    shutil.copytree(project, other)
    monkeypatch.syspath_prepend(str(other))
    forget_user_modules()
    moved = PythonProvider(ModelSpec(ref="python:cachekey_app:answer"))
    assert str(other) in sys.modules["cachekey_app"].__file__
    assert moved.cache_scope == scope and len(scope["code"]) == 64


def test_code_without_a_source_file_is_reused_in_this_process_only(
    fresh_python: Callable[[str], str],
) -> None:
    scope = PythonProvider(ModelSpec(ref="python:builtins:repr")).cache_scope
    assert scope == {"code": f"unhashed-process-{PROCESS_NONCE}"}
    assert PythonProvider(ModelSpec(ref="python:builtins:repr")).cache_scope == scope
    code = ("from harness.models import ModelSpec\nfrom harness.providers.python import "
            "PythonProvider\nprint(PythonProvider(ModelSpec(ref='python:builtins:repr'))"
            ".cache_scope['code'])")
    assert fresh_python(code).strip() not in ("", scope["code"])


def test_two_cases_with_the_same_prompt_are_two_calls(tmp_path: Path, project: Path) -> None:
    """A python: function is given the case id and vars: two cases with the same rendered
    messages but other vars shared one cached answer (a case whose function would raise got
    the other case's pass)."""
    (project / "cachekey_app.py").write_text(
        "def answer(payload):\n"
        "    if payload['vars']['n'] == 2:\n"
        "        raise ValueError('case two breaks')\n"
        "    return 'v' + str(payload['vars']['n'])\n", encoding="utf-8")
    suite = tmp_path / "same.yaml"
    suite.write_text(
        "suite: same-prompt\nversion: 1\nmodel: python:cachekey_app:answer\n"
        "prompt: {template: 'the same question'}\n"
        "checks: [{type: contains, value: v}]\n"
        "cases:\n  - {id: a, vars: {n: 1}}\n  - {id: b, vars: {n: 2}}\n",
        encoding="utf-8",
    )
    store = RunStore(open_db(tmp_path / "same.db"))
    outcome = asyncio.run(run_suite(load_suite(suite), RunConfig(concurrency=1), store))
    rows = {r["case_id"]: r for r in store.iter_results(outcome.run_id)}
    assert rows["a"]["output"] == "v1"
    assert rows["b"]["outcome"] == "error" and "case two breaks" in rows["b"]["error_message"]

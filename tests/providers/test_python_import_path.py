"""`python:module:function` finds a module next to the suite or in the working directory under
the installed `harness` script and under pytest, not only with `python -m harness` (issue 13,
item 9). Real subprocesses of the venv's own scripts, from a temporary directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import ProviderConfigError

BIN = Path(sys.executable).parent
SUITE = (
    "suite: beside\nversion: 1\nmodel: python:{module}:answer\n"
    "checks: [{{type: contains, value: '30 days'}}]\n"
    "cases:\n  - {{id: a, input: q1}}\n  - {{id: b, input: q2}}\n"
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_DB"}
    env["COLUMNS"] = "200"
    return env


def _layout(tmp_path: Path, module: str, *, beside_suite: bool = True) -> Path:
    """tmp/suites/s.yaml, and the module in tmp/suites/ (beside) or in tmp/ (the cwd); the
    module imports a neighbour, as real code does."""
    suites = tmp_path / "suites"
    suites.mkdir()
    home = suites if beside_suite else tmp_path
    (home / f"{module}_helper.py").write_text("ANSWER = 'within 30 days'\n")
    (home / f"{module}.py").write_text(
        f"import {module}_helper\n\n"
        "def answer(req):\n"
        f"    return {module}_helper.ANSWER\n")
    suite = suites / "s.yaml"
    suite.write_text(SUITE.format(module=module))
    return suite


def _stored_outcomes(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT outcome FROM results ORDER BY case_id")]


@pytest.mark.parametrize("beside_suite", [True, False], ids=["beside-suite", "in-cwd"])
def test_harness_script_imports_a_module_beside_the_suite_or_in_cwd(
    tmp_path: Path, beside_suite: bool
) -> None:
    module = f"issue13_model_{'suite' if beside_suite else 'cwd'}"
    suite = _layout(tmp_path, module, beside_suite=beside_suite)
    db = tmp_path / "h.db"
    done = subprocess.run([str(BIN / "harness"), "run", str(suite.relative_to(tmp_path)),
                           "--db", str(db), "-j", "1"],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "cannot import" not in done.stderr
    assert _stored_outcomes(db) == ["pass", "pass"]


def test_pytest_plugin_imports_a_module_beside_the_suite(tmp_path: Path) -> None:
    suite = _layout(tmp_path, "issue13_model_pytest")
    done = subprocess.run(
        [str(BIN / "pytest"), str(suite.relative_to(tmp_path)), "-p", "no:cacheprovider",
         "--harness-db", str(tmp_path / "h.db"), "-q", "-o", "addopts=",
         "--rootdir", str(tmp_path)],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_suite_folder_comes_first_and_sys_path_is_only_appended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.providers.pyimport import import_user_module, search_folders, suite_folder

    suites, cwd = tmp_path / "suites", tmp_path / "cwd"
    suites.mkdir()
    cwd.mkdir()
    (suites / "issue13_order.py").write_text("WHERE = 'suite'\n")
    (cwd / "issue13_order.py").write_text("WHERE = 'cwd'\n")
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "issue13_order", raising=False)
    before = list(sys.path)
    with suite_folder(suites / "s.yaml"):
        assert search_folders() == [str(suites.resolve()), str(cwd.resolve())]
        module = import_user_module("issue13_order")
    assert module.WHERE == "suite"
    assert sys.path[: len(before)] == before and sys.path[len(before):] == [str(suites.resolve())]
    assert search_folders() == [str(cwd.resolve())]  # the suite folder was for that block only
    sys.modules.pop("issue13_order", None)


def test_a_name_already_imported_from_elsewhere_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.providers.pyimport import import_user_module

    (tmp_path / "json.py").write_text("def answer(req):\n    return 'x'\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProviderConfigError, match="already imported from .*rename it"):
        import_user_module("json")

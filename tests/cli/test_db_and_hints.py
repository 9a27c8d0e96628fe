"""Issue 13, item 14: install hints that name this project, a `--db` that is no SQLite
database as one line and exit 2 on every command that takes one, and whole run ids in
`harness runs`. Real CLI (`harness.cli.main`), real SQLite files."""

from __future__ import annotations

import importlib
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from gate_fixtures import write_run

from harness.cli import COMMAND_MODULES, cli, out
from harness.store import RunStore, open_db
from harness.testing.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


def _commands_with_db() -> Iterator[tuple[str, ...]]:
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"harness.cli.{module}")

    def walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                yield from walk(sub, (*path, name))
        elif any(p.name == "db_path" for p in command.params):
            yield path

    return walk(cli, ())


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


# what each command needs besides --db to get as far as opening it
ARGS = {
    ("run",): ["suite.yaml"],
    ("report",): ["latest", "--format", "md"],
    ("compare",): ["a", "b"],
    ("rescore",): ["a"],
    ("delete",): ["a"],
    ("review", "route"): ["a"],
    ("review", "decide"): ["1", "approve"],
    ("score",): ["contains", "--input", "{rows}", "--set", "value=x", "--store-as", "s"],
    ("serve",): ["--port", "{port}"],
}
COMMANDS = sorted(_commands_with_db())


def test_the_list_of_commands_is_complete() -> None:
    assert ("runs",) in COMMANDS and ("serve",) in COMMANDS and ("score",) in COMMANDS
    for command in COMMANDS:
        leaf = cli
        for name in command:
            leaf = leaf.commands[name]  # type: ignore[attr-defined]
        required = [p.name for p in leaf.params if p.required]
        assert not required or command in ARGS, f"{command} needs args in ARGS: {required}"


def _bad_dbs(tmp_path: Path) -> dict[str, str]:
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    return {"text file": str(readme), "under a file": str(readme / "x.db"),
            "device": "/dev/null"}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_db_that_is_not_sqlite_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"id": "a", "output": "x"}\n')
    args = [a.format(rows=rows, port=_free_port()) for a in ARGS.get(command, [])]
    for kind, db in _bad_dbs(tmp_path).items():
        code, stdout, stderr = harness(capsys, *command, *args, "--db", db)
        assert code == 2, (kind, stdout, stderr)
        assert stderr.count("\n") == 1 and stderr.startswith("error: "), (kind, stderr)
        assert "Traceback" not in stderr and stdout == "", (kind, stdout)
    assert not (tmp_path / "harness.db").exists()


def test_install_hints_name_what_installs_from_this_project() -> None:
    from harness.extras import install_hint
    from harness.providers.local import INSTALL_HINT
    from harness.providers.registry import INSTALL_HINTS

    for hint in (install_hint("web"), INSTALL_HINT, INSTALL_HINTS["local"]):
        assert "pip install -e '.[" in hint and "harness[" not in hint, hint
    # no message or page sends a user to the unrelated `harness` on PyPI
    wrong = re.compile(r"pip install ['\"]?harness\[")
    files = [*ROOT.glob("harness/**/*.py"), ROOT / "README.md", *ROOT.glob("docs/**/*.md")]
    offenders = [str(p.relative_to(ROOT)) for p in files
                 if wrong.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_serve_without_the_web_extra_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [m for m in sys.modules if m == "harness.web" or m.startswith("harness.web.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ["starlette", "uvicorn", *[m for m in sys.modules
                                           if m.startswith(("starlette.", "uvicorn."))]]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    code, _, stderr = harness(capsys, "serve", "--db", str(tmp_path / "h.db"))
    assert code == 2 and stderr.count("\n") == 1
    assert "[web] extra" in stderr and "pip install -e '.[web]'" in stderr
    assert "harness[web]" not in stderr


def test_readme_says_serve_needs_the_web_extra() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `harness serve"))
    assert "`[web]` extra" in row and "pip install -e '.[web]'" in row


def test_runs_shows_whole_run_ids_on_a_narrow_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "h.db"
    store = RunStore(open_db(db))
    ids = [write_run(store, {"a": [True]}, suite="support-assistant-billing-questions",
                     model="openai:gpt-4o-mini-2024-07-18") for _ in range(2)]
    for width in (80, 60):
        monkeypatch.setattr(out, "width", width)
        code, stdout, _ = harness(capsys, "runs", "--db", str(db))
        assert code == 0
        for run_id in ids:
            assert re.search(rf"(?m)^\s*{re.escape(run_id)}\s", stdout), (width, stdout)
            # and what was copied resolves
            assert store.resolve_run_id(run_id) == run_id


def _other_apps_db(path: Path) -> Path:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO contacts (name) VALUES ('ann')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_another_applications_database_is_refused_and_left_unchanged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"id": "a", "output": "x"}\n')
    db = _other_apps_db(tmp_path / "contacts.db")
    before = db.read_bytes()
    args = [a.format(rows=rows, port=_free_port()) for a in ARGS.get(command, [])]
    code, stdout, stderr = harness(capsys, *command, *args, "--db", str(db))
    assert code == 2, (stdout, stderr)
    assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    assert str(db) in stderr and "not a harness database" in stderr, stderr
    assert stdout == ""
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.db", "rows.jsonl"]


def test_a_new_or_empty_file_and_a_harness_database_still_open(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for path in (empty, tmp_path / "new.db", empty):  # empty again: now a harness database
        assert "runs" in open_db(path).table_names()


def test_score_with_db_but_no_store_as_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"id": "a", "output": "x"}\n')
    code, stdout, stderr = harness(capsys, "score", "contains", "--input", str(rows),
                                   "--set", "value=x", "--db", str(tmp_path / "h.db"))
    assert code == 2 and stdout == "", (stdout, stderr)
    assert stderr.count("\n") == 1 and "--store-as" in stderr, stderr
    assert not (tmp_path / "h.db").exists()

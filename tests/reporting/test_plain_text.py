"""`--format text` of compare and gate: plain text, no Markdown escapes, commands that paste."""

from __future__ import annotations

from pathlib import Path

import pytest
from gate_fixtures import write_run

from harness.reporting.markdown import code, esc
from harness.store import RunStore, open_db
from harness.testing.cli import run_cli

harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "h.db")


def test_compare_text_is_plain_and_its_rescore_command_pastes(db: str, capsys, tmp_path) -> None:
    store = RunStore(open_db(db))
    suite = "suites/my_suite.yaml"
    base = write_run(store, {"a": [True], "b": [True]}, scorer_version="1", suite_path=suite)
    cand = write_run(store, {"a": [True], "b": [False]}, scorer_version="2", suite_path=suite)
    code_, out, err = harness(capsys, "compare", base, cand, "--db", db)
    assert code_ == 0, err
    command = (f"harness rescore {base} --suite {suite} && harness rescore {cand} "
               f"--suite {suite}")
    assert command in out
    assert "right_first_time" in out and "pass_rate" in out
    assert "\\" not in out and "`" not in out and "**" not in out and "|" not in out
    head = next(line for line in out.splitlines() if line.startswith("metric"))
    assert head.split() == ["metric", "baseline", "candidate", "difference", "[95%",
                            "interval]", "p", "MDE"]
    assert "Regressed (1)" in out and "####" not in out
    target = tmp_path / "compare.txt"
    assert harness(capsys, "compare", base, cand, "--db", db, "-o", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == out
    code_, md, _ = harness(capsys, "compare", base, cand, "--db", db, "--format", "md")
    assert "\\&\\&" in md  # the Markdown format stays escaped for a PR comment


def test_gate_text_is_plain(db: str, capsys) -> None:
    store = RunStore(open_db(db))
    base = write_run(store, {f"c{i}": [True] for i in range(10)})
    cand = write_run(store, {f"c{i}": [i > 2] for i in range(10)})
    code_, out, _ = harness(capsys, "gate", cand, "--baseline", base, "--db", db)
    assert out.startswith("❌ harness gate: FAIL") and "##" not in out
    assert "\\" not in out and "`" not in out and "|" not in out
    assert f"candidate {cand} vs {base}" in out


def test_markdown_to_text_undoes_our_escapes_only() -> None:
    from harness.reporting.plain import markdown_to_text

    hostile = "a_b && c | `d` **e** \\ f [g](h) \x1b[2J"
    assert markdown_to_text(esc(hostile, 1000)) == " ".join(hostile.split()) + "\n"
    assert markdown_to_text(code("id|with`tick")) == "id|with'tick\n"
    table = "| x | y |\n|---|---|\n| " + code("a|b") + " | " + esc("c_d") + " |\n"
    assert markdown_to_text(table).splitlines() == ["x    y", "---  ---", "a|b  c_d"]

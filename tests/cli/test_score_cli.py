"""`harness score`: files in and out, stdout by default, --set, exit codes for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.testing.cli import run_cli

harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


def write_rows(path: Path, rows: list[dict] | str) -> Path:
    text = rows if isinstance(rows, str) else "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


ROWS = [
    {"id": "a", "output": "Refunds within 30 days."},
    {"id": "b", "output": "No idea."},
]


def test_scores_to_a_file_and_summarises_on_stderr(tmp_path: Path, capsys) -> None:
    source = write_rows(tmp_path / "in.jsonl", ROWS)
    target = tmp_path / "out.jsonl"
    code, out, err = harness(capsys, "score", "contains", "--input", str(source),
                             "--output", str(target), "--set", "value=30 days")
    assert code == 0 and out == ""
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["check"], r["outcome"]) for r in rows] == [
        ("a", "contains", "pass"), ("b", "contains", "fail")]
    assert "scored 2 rows" in err and "fail 1" in err


def test_writes_to_stdout_by_default(tmp_path: Path, capsys) -> None:
    source = write_rows(tmp_path / "in.jsonl", [{"id": "x", "output": "[1]"}])
    code, out, _ = harness(capsys, "score", "json", "-i", str(source))
    assert code == 0
    assert json.loads(out)["outcome"] == "pass"


def test_inline_and_file_checks(tmp_path: Path, capsys) -> None:
    source = write_rows(tmp_path / "in.jsonl", ROWS)
    code, out, _ = harness(capsys, "score", "{type: regex, pattern: '\\d+ days'}", "-i",
                           str(source))
    assert code == 0 and [json.loads(x)["outcome"] for x in out.splitlines()] == ["pass", "fail"]
    check = tmp_path / "check.yaml"
    check.write_text("type: icontains\nid: mentions-refunds\nvalue: REFUND\n", encoding="utf-8")
    code, out, _ = harness(capsys, "score", str(check), "-i", str(source))
    assert code == 0 and json.loads(out.splitlines()[0])["check"] == "mentions-refunds"


def test_bad_json_names_the_file_and_line(tmp_path: Path, capsys) -> None:
    source = write_rows(tmp_path / "in.jsonl", json.dumps(ROWS[0]) + "\n{not json}\n")
    code, out, err = harness(capsys, "score", "contains", "-i", str(source), "--set", "value=x")
    assert code == 2
    assert f"{source}:2: not valid JSON" in err
    assert json.loads(out)["id"] == "a"  # rows before the bad line were written


def test_a_bad_row_is_data_not_an_error(tmp_path: Path, capsys) -> None:
    source = write_rows(tmp_path / "in.jsonl", [{"id": "a", "output": "{}", "schema": "nope"}])
    code, out, _ = harness(capsys, "score", "json", "-i", str(source))
    assert code == 0 and json.loads(out)["outcome"] == "unscored"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["containz", "-i", "IN"], "unknown check type 'containz'"),
        (["contains", "-i", "missing.jsonl"], "missing.jsonl: cannot open"),
        (["contains", "-i", "IN", "--set", "novalue"], "--set expects key=value"),
        (["regex", "-i", "IN", "--set", "pattern=("], "invalid regular expression"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    source = write_rows(tmp_path / "in.jsonl", ROWS)
    args = [str(source) if a == "IN" else a for a in args]
    code, _, err = harness(capsys, "score", *args)
    assert code == 2 and message in err

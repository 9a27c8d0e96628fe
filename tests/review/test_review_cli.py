"""`harness run` routes; `harness review list|next|decide|route|stats|export` end to end."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from harness.testing.cli import run_cli

harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


def suite(tmp_path: Path, base_url: str, risk: str = "high") -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(
        f"suite: review-demo\nversion: 1\nrisk: {risk}\n"
        f"model: {{ref: 'openai:m', base_url: '{base_url}'}}\n"
        "checks: [{type: contains, value: echo}]\ncases:\n"
        "  - {id: c0, input: 'question zero <b>bold</b>'}\n"
        "  - {id: c1, input: question one}\n  - {id: c2, input: question two}\n",
        encoding="utf-8")
    return path


@pytest.fixture
def ran(tmp_path: Path, fake_openai, capsys) -> tuple[str, str]:
    db = str(tmp_path / "h.db")
    code, _, err = harness(capsys, "run", str(suite(tmp_path, fake_openai.base_url)),
                           "--db", db)
    assert code == 0, err
    assert "review: 3 of 3 results queued (risk high" in err
    return db, tmp_path


def test_run_routes_and_list_shows_reasons(ran, capsys) -> None:
    db, _ = ran
    code, out, _ = harness(capsys, "review", "list", "--db", db, "--format", "json")
    items = json.loads(out)
    assert code == 0 and [it["case_id"] for it in items] == ["c0", "c1", "c2"]
    assert all(it["inclusion_prob"] == 1.0 and it["status"] == "pending" for it in items)
    code, out, _ = harness(capsys, "review", "list", "--db", db)
    assert code == 0 and "review queue (3)" in out
    # routing again on demand queues nothing twice
    code, out, _ = harness(capsys, "review", "route", "latest", "--db", db)
    assert code == 0 and "review: 0 of 3 results queued" in out and "3 already queued" in out


def test_decide_by_id_then_stats_and_export(ran, capsys) -> None:
    db, tmp = ran
    ids = [it["id"] for it in json.loads(harness(capsys, "review", "list", "--db", db,
                                                 "--format", "json")[1])]
    code, out, _ = harness(capsys, "review", "decide", str(ids[0]), "reject", "--db", db,
                           "-r", "ann", "--category", "hallucination", "--note", "wrong")
    assert code == 0 and "human fail" in out
    code, _, err = harness(capsys, "review", "decide", str(ids[1]), "reject", "--db", db)
    assert code == 2 and "needs a category" in err
    code, out, _ = harness(capsys, "review", "decide", str(ids[1]), "correct", "--db", db,
                           "-r", "ann", "--output", "the right answer")
    assert code == 0
    code, out, _ = harness(capsys, "review", "stats", "--db", db, "--format", "json")
    stats = json.loads(out)
    overall = stats["agreement"][0]
    assert overall["check"] == "overall" and overall["n"] == 2
    assert stats["queue"]["open"] == 1 and stats["estimates"][0]["decided"] == 2
    code, out, _ = harness(capsys, "review", "stats", "--db", db)
    assert code == 0 and "kappa" in out and "IPW estimate" in out
    target = tmp / "reviewed.jsonl"
    code, _, err = harness(capsys, "review", "export", "--db", db, "-o", str(target))
    (line,) = target.read_text().splitlines()
    assert code == 0 and json.loads(line)["expected"] == "the right answer"
    assert "wrote 1 case(s)" in err


def test_next_takes_single_keys(ran, capsys, monkeypatch) -> None:
    db, _ = ran
    monkeypatch.setattr(sys, "stdin", io.StringIO("a s 2"))
    code, out, err = harness(capsys, "review", "next", "--db", db, "-r", "bob")
    assert code == 0
    assert "question zero <b>bold</b>" in out  # shown as text, markup and all
    assert "item 1: approve recorded" in err and "reject (unsafe) recorded" in err
    assert "queue empty: 2 decided, 1 skipped" in err
    items = json.loads(harness(capsys, "review", "list", "--db", db, "--status", "all",
                               "--format", "json")[1])
    assert [(it["case_id"], it["status"]) for it in items] == [
        ("c1", "pending"), ("c0", "decided"), ("c2", "decided")]


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path, capsys,
                                                          monkeypatch) -> None:
    monkeypatch.delenv("HARNESS_SERVE_TOKEN", raising=False)
    code, _, err = harness(capsys, "serve", "--db", str(tmp_path / "h.db"), "--host", "0.0.0.0")
    assert code == 2 and "refusing to serve on 0.0.0.0 without a token" in err


def test_terminal_views_show_control_characters_instead_of_sending_them(
        tmp_path: Path, fake_openai, capsys, monkeypatch) -> None:
    """A hostile output that clears the screen, writes the clipboard (OSC 52) and flips
    the text direction is shown as escapes in `review next` and `report`."""
    path = tmp_path / "suite.yaml"
    path.write_text(
        "suite: hostile\nversion: 1\nrisk: high\n"
        f"model: {{ref: 'openai:m', base_url: '{fake_openai.base_url}'}}\n"
        "checks: [{type: contains, value: echo}]\ncases:\n"
        '  - {id: c0, input: "\\e[2J\\e]52;c;ZWNobw==\\a all good \\u202eevil"}\n',
        encoding="utf-8")
    db = str(tmp_path / "h.db")
    code, _, err = harness(capsys, "run", str(path), "--db", db)
    assert code == 0, err
    monkeypatch.setattr(sys, "stdin", io.StringIO("a"))
    code, out, err = harness(capsys, "review", "next", "--db", db, "-r", "bob")
    assert code == 0
    for raw in ("\x1b[2J", "\x1b]52", "\x07", "\u202e"):
        assert raw not in out and raw not in err
    assert "\\x1b[2J" in out and "\\u202e" in out
    code, out, err = harness(capsys, "report", "latest", "--db", db)
    assert "\x1b[2J" not in out and "\x1b]52" not in out

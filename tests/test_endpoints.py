"""Issue 13: a run records the server each model was really sent to (also when it came from
`OPENAI_BASE_URL`), `compare` reports another server as a version difference, and `--resume`
refuses to send the rest of a run elsewhere. Real fake-OpenAI servers on 127.0.0.1, a real
SQLite file, the real runner and CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from test_cli import harness

from harness.analysis.compare import compare_runs
from harness.analysis.metrics import load_run
from harness.errors import UsageError
from harness.pipeline.runner import RunConfig, run_suite
from harness.store import RunStore, open_db
from harness.suites import load_suite

FAST = dict(retry_base_delay=0.01, timeout_s=5.0, use_cache=False)
MODEL = "openai:test-model"


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite that names no base_url: the server comes from OPENAI_BASE_URL."""
    path = tmp_path / "suite.yaml"
    path.write_text(
        f"suite: endpoints\nversion: 1\nmodel: {MODEL}\n"
        "checks: [{type: contains, value: echo}]\n"
        "cases:\n  - {id: a, input: one}\n  - {id: b, input: two}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "h.db"


def run_against(monkeypatch: pytest.MonkeyPatch, db: Path, suite: Path, base_url: str,
                **config: object) -> str:
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    store = RunStore(open_db(db))
    outcome = asyncio.run(run_suite(load_suite(suite), RunConfig(**{**FAST, **config}), store))
    return outcome.run_id


def test_the_run_records_the_base_url_from_the_environment_without_its_secret(
    monkeypatch: pytest.MonkeyPatch, db: Path, suite: Path, make_fake_openai
) -> None:
    server = make_fake_openai()
    with_secret = server.base_url.replace("http://", "http://team:hunter2-password@")
    run_id = run_against(monkeypatch, db, suite, with_secret + "/")
    run = RunStore(open_db(db)).get_run(run_id)
    assert server.count == 2  # the requests really went there
    assert run["spec"]["endpoints"] == {
        MODEL: server.base_url.replace("http://", "http://<redacted>@")}
    row = open_db(db).execute("SELECT * FROM runs WHERE id = ?", [run_id]).fetchone()
    assert "hunter2-password" not in json.dumps(row)


def test_compare_reports_another_server_as_a_version_difference(
    monkeypatch: pytest.MonkeyPatch, db: Path, suite: Path, make_fake_openai,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one, two = make_fake_openai(), make_fake_openai()
    base = run_against(monkeypatch, db, suite, one.base_url)
    same = run_against(monkeypatch, db, suite, one.base_url)
    other = run_against(monkeypatch, db, suite, two.base_url)
    store = RunStore(open_db(db))
    assert compare_runs(load_run(store, base), load_run(store, same)).version_notes == []
    comp = compare_runs(load_run(store, base), load_run(store, other))
    note = f"model {MODEL} endpoint {one.base_url} -> {two.base_url}"
    assert comp.version_notes == [note]
    assert comp.first_line().startswith(f"VERSIONS DIFFER between {base} and {other}: {note}")
    assert "re-scoring cannot undo" in comp.first_line()
    code, out, _ = harness(capsys, "compare", base, other, "--db", str(db), "--format", "json")
    assert code == 0 and json.loads(out)["version_notes"] == [note]


def test_resume_refuses_to_send_the_rest_of_a_run_to_another_server(
    monkeypatch: pytest.MonkeyPatch, db: Path, suite: Path, make_fake_openai,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one, two = make_fake_openai(), make_fake_openai()
    run_id = run_against(monkeypatch, db, suite, one.base_url)
    store = RunStore(open_db(db))
    with store.db.conn:  # case b never answered: what an interrupted run leaves
        store.db.conn.execute("DELETE FROM scores WHERE result_id IN"
                              " (SELECT id FROM results WHERE case_id = 'b')")
        store.db.conn.execute("DELETE FROM results WHERE case_id = 'b'")
    store.set_status(run_id, "interrupted")

    monkeypatch.setenv("OPENAI_BASE_URL", two.base_url)
    with pytest.raises(UsageError, match="mix two servers") as refused:
        asyncio.run(run_suite(load_suite(suite), RunConfig(resume=run_id, **FAST), store))
    assert one.base_url in str(refused.value) and two.base_url in str(refused.value)
    code, _, err = harness(capsys, "run", "--resume", run_id, "--db", str(db), "--no-cache")
    assert code == 2
    assert one.base_url in err and two.base_url in err and "OPENAI_BASE_URL" in err
    assert two.count == 0  # nothing was sent to the other server
    assert store.get_run(run_id)["status"] == "interrupted"

    run_against(monkeypatch, db, suite, one.base_url, resume=run_id)  # back on its server
    assert one.count == 3 and store.get_run(run_id)["status"] == "complete"

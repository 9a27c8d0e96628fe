"""The command line: exit codes and one-line messages for every user mistake, no tracebacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.testing.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]


harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


def suite_file(tmp_path: Path, base_url: str, n: int = 3, name: str = "suite.yaml") -> Path:
    cases = "\n".join(f"  - {{id: c{i}, input: question {i}}}" for i in range(n))
    path = tmp_path / name
    path.write_text(
        f"suite: cli-demo\nversion: 2\nmodel: {{ref: 'openai:m', base_url: '{base_url}'}}\n"
        f"checks: [{{type: contains, value: echo}}]\ncases:\n{cases}\n",
        encoding="utf-8",
    )
    return path


BROKEN = {
    "bad-yaml": ("suite: x\nversion: 1\ncases: [\n  - {id: a\n", ":4", None),
    "unknown-field": (
        "suite: x\nversion: 1\ntempreature: 0\ncases:\n  - {id: a, input: hi}\n",
        ":3",
        "tempreature",
    ),
    "unknown-check": (
        "suite: x\nversion: 1\ncases:\n  - id: a\n    input: hi\n    checks:\n"
        "      - {type: containz, value: x}\n",
        ":7",
        "cases[0].checks[0].type",
    ),
    "duplicate-id": (
        "suite: x\nversion: 1\ncases:\n  - {id: a, input: hi}\n  - {id: a, input: ho}\n",
        ":5",
        "cases[1].id",
    ),
    "missing-var": (
        "suite: x\nversion: 1\nprompt: {template: 'Q: {{ question }}'}\ncases:\n"
        "  - {id: a, vars: {other: 1}}\n",
        ":5",
        "question",
    ),
    "missing-jsonl": (
        "suite: x\nversion: 1\ncases:\n  - {id: a, input: hi}\n  - from: cases/nope.jsonl\n",
        ":5",
        "nope.jsonl",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("command", ["check", "run"])
def test_broken_files_exit_2_with_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, command: str
) -> None:
    text, line, field = BROKEN[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    db = ["--db", str(tmp_path / "h.db")] if command == "run" else []
    code, out, err = harness(capsys, command, str(path), *db)
    assert code == 2, err
    assert f"{name}.yaml{line}" in err, err
    if field:
        assert field in err
    assert "Traceback" not in err + out


def test_bad_json_on_line_57(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cases").mkdir()
    lines = [json.dumps({"id": f"c{i}", "input": "hi"}) for i in range(56)] + ['{"id": "c56",']
    (tmp_path / "cases" / "many.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text("suite: x\nversion: 1\ncases:\n  - from: cases/many.jsonl\n", encoding="utf-8")
    code, _, err = harness(capsys, "check", str(path))
    assert code == 2
    assert "many.jsonl:57" in err and "Traceback" not in err


def test_check_ok_and_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = harness(
        capsys, "check", *sorted(str(p) for p in (ROOT / "suites").glob("*.yaml"))
    )
    assert code == 0 and out.count("ok") == 2
    code, out, _ = harness(capsys, "schema", "suite")
    assert code == 0 and json.loads(out)["properties"]["suite"]
    code, _, err = harness(capsys, "schema", "nonsense")
    assert code == 2 and "Traceback" not in err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "h.db")
    assert harness(capsys, "run", "--db", db)[0] == 2
    code, _, err = harness(capsys, "run", str(tmp_path / "missing.yaml"), "--db", db)
    assert code == 2 and "missing.yaml" in err
    code, _, err = harness(capsys, "report", "nope", "--format", "json", "--db", db)
    assert code == 2 and "no run 'nope'" in err
    code, _, err = harness(capsys, "run", "x.yaml", "--db", str(tmp_path / "no" / "h.db"))
    assert code == 2 and "does not exist" in err
    code, _, err = harness(capsys, "run", "x.yaml", "--repeats", "0")
    assert code == 2 and "Traceback" not in err


def test_run_runs_report(tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai) -> None:
    db = str(tmp_path / "h.db")
    path = suite_file(tmp_path, fake_openai.base_url)
    code, out, err = harness(capsys, "run", str(path), "--db", db, "--tag", "main")
    assert code == 0, err
    assert "pass 3" in out and "p50" in out and "run 2" in out
    code, out, _ = harness(capsys, "runs", "--db", db, "--format", "json")
    runs = json.loads(out)
    assert len(runs) == 1 and runs[0]["n_pass"] == 3
    run_id = runs[0]["id"]
    code, out, _ = harness(capsys, "report", run_id[:12], "--format", "json", "-o", "-", "--db", db)
    report = json.loads(out)
    assert report["run"]["id"] == run_id and report["run"]["tags"] == ["main"]
    assert report["summary"]["pass"] == 3
    case = report["cases"][0]
    assert set(case) >= {
        "case_id",
        "model",
        "repeat",
        "outcome",
        "output",
        "error",
        "latency_ms",
        "attempts",
        "scores",
    }
    assert case["scores"][0]["check"] == "contains"
    target = tmp_path / "r.json"
    assert (
        harness(capsys, "report", run_id, "--format", "json", "-o", str(target), "--db", db)[0] == 0
    )
    assert json.loads(target.read_text())["run"]["id"] == run_id


def test_errors_above_the_limit_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make_fake_openai
) -> None:
    from harness.testing.faults import FaultPlan

    server = make_fake_openai(faults=FaultPlan(fail_first=1, fail_first_with="400"))
    db = str(tmp_path / "h.db")
    path = suite_file(tmp_path, server.base_url, n=4)
    code, _, err = harness(capsys, "run", str(path), "--db", db, "-j", "1", "--no-cache")
    assert code == 3 and "--retry-errors" in err
    code, _, err = harness(
        capsys, "run", str(path), "--db", db, "-j", "1", "--no-cache", "--max-error-rate", "0.5"
    )
    assert code == 0, err


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "harness" in proc.stdout


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_like_ctrl_c(tmp_path: Path, make_fake_openai, sig: str) -> None:
    """What CI runners, `timeout`, Docker and Kubernetes send: results kept, status
    interrupted, the resume hint printed, nothing re-sent on resume."""
    server = make_fake_openai(latency=0.1)
    db = tmp_path / "h.db"
    path = suite_file(tmp_path, server.base_url, n=60)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "harness", "run", str(path), "--db", str(db), "-j", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while server.count < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    assert "Traceback" not in err and "harness run --resume" in err
    import sqlite3

    conn = sqlite3.connect(db)
    kept, status = conn.execute(
        "SELECT (SELECT COUNT(*) FROM results), status FROM runs").fetchone()
    assert status == "interrupted" and 0 < kept < 60
    # every request the server answered before the signal was stored (none re-billed)
    assert server.count - kept <= 2


def test_concurrent_cli_runs_on_one_database(tmp_path: Path, make_fake_openai) -> None:
    """Several `harness run` processes on one database: none dies, every run completes."""
    server = make_fake_openai(latency=0.01)
    db = tmp_path / "shared.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = []
    for n in range(4):
        path = suite_file(tmp_path, server.base_url, n=40, name=f"suite{n}.yaml")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "harness", "run", str(path), "--db", str(db), "-j", "4"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "Traceback" not in err
    import sqlite3

    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT status FROM runs")] == ["complete"] * 4
    assert conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 160


def test_ctrl_c_then_resume(tmp_path: Path, make_fake_openai) -> None:
    """A real SIGINT to a real `harness run`: results kept, status interrupted, resume works."""
    server = make_fake_openai(latency=0.1)
    db = tmp_path / "h.db"
    path = suite_file(tmp_path, server.base_url, n=60)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "harness", "run", str(path), "--db", str(db), "-j", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while server.count < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    assert "Traceback" not in err
    assert "interrupted" in err and "harness run --resume" in err
    import sqlite3

    conn = sqlite3.connect(db)
    kept = conn.execute("SELECT COUNT(*), SUM(outcome='error') FROM results").fetchone()
    run_id, status = conn.execute("SELECT id, status FROM runs").fetchone()
    assert status == "interrupted" and 0 < kept[0] < 60 and kept[1] == 0
    server.reset()
    resumed = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--resume", run_id, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert server.count == 60 - kept[0]
    assert conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 60


@pytest.mark.parametrize("option", [["--timeout", "nan"], ["--timeout", "inf"],
                                    ["--max-error-rate", "nan"], ["--budget", "nan"],
                                    ["--budget", "inf"], ["--rpm", "nan"]])
def test_non_finite_numbers_are_usage_errors(tmp_path: Path, capsys, option) -> None:
    path = suite_file(tmp_path, "http://127.0.0.1:9")
    code, _, err = harness(capsys, "run", str(path), "--db", str(tmp_path / "h.db"), *option)
    assert code == 2 and "not a finite number" in err


def test_a_run_id_prefix_is_not_a_pattern(tmp_path: Path, capsys, fake_openai) -> None:
    db = str(tmp_path / "h.db")
    path = suite_file(tmp_path, fake_openai.base_url)
    assert harness(capsys, "run", str(path), "--db", db)[0] == 0
    for pattern in ("%", "_", "2026%"):
        code, _, err = harness(capsys, "report", pattern, "--db", db, "--format", "json")
        assert code == 2 and "no run" in err, pattern


def _failing_suite(tmp_path: Path, base_url: str) -> Path:
    path = suite_file(tmp_path, base_url)
    text = path.read_text().replace("value: echo", "value: never-said")
    path.write_text(text.replace("version: 2\n", "version: 2\nrisk: high\n"))
    return path


def _queued(db: Path) -> int:
    import sqlite3

    return sqlite3.connect(db).execute("SELECT COUNT(*) FROM review_items").fetchone()[0]


def test_ctrl_c_during_the_summary_still_leaves_the_run_routed(
    tmp_path: Path, make_fake_openai, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the end-of-run summary printed left a complete run that was never
    routed to review: routing now comes first."""
    import harness.analysis.summary

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    server = make_fake_openai()
    db = tmp_path / "h.db"
    monkeypatch.setattr(harness.analysis.summary, "summarize_run", interrupted)
    with pytest.raises(SystemExit) as exited:
        main(["run", str(_failing_suite(tmp_path, server.base_url)), "--db", str(db)])
    assert exited.value.code == 130
    assert _queued(db) == 3


def test_ctrl_c_during_routing_waits_for_the_queue(
    tmp_path: Path, make_fake_openai, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.evaluation as evaluation

    real = evaluation.route_run

    def route_with_a_ctrl_c(*args: object, **kwargs: object) -> object:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the signal is delivered here, in the middle of routing
        return real(*args, **kwargs)

    server = make_fake_openai()
    db = tmp_path / "h.db"
    monkeypatch.setattr(evaluation, "route_run", route_with_a_ctrl_c)
    with pytest.raises(SystemExit) as exited:
        main(["run", str(_failing_suite(tmp_path, server.base_url)), "--db", str(db)])
    assert exited.value.code == 130
    assert _queued(db) == 3


def test_error_rate_incomplete_status_line_agrees_with_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make_fake_openai
) -> None:
    """Issue 13, 17a: a run with errors printed `status complete` beside `incomplete: ...`
    and exited 3, and never said the default --max-error-rate is 0 nor how to change it."""
    from harness.testing.faults import FaultPlan

    server = make_fake_openai(faults=FaultPlan(fail_first=2, fail_first_with="400"))
    db = str(tmp_path / "h.db")
    path = suite_file(tmp_path, server.base_url, n=6)
    code, out, err = harness(capsys, "run", str(path), "--db", db, "-j", "1", "--no-cache")
    assert code == 3
    assert "status complete" not in out
    status = next(line for line in out.splitlines() if "status " in line)
    assert "status incomplete" in status and "2 of 6 results are errors" in status, status
    assert "--max-error-rate 0 (the default" in status
    assert "--max-error-rate 0.34" in err and "--retry-errors" in err  # how to accept them
    code, out, err = harness(capsys, "run", str(path), "--db", db, "-j", "1", "--no-cache",
                             "--max-error-rate", "0.34")
    assert code == 0 and "status complete" in out, err

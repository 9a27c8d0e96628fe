"""`harness run` without a terminal prints periodic progress lines to stderr (a CI log),
about ten per run, never one per result; stdout keeps only the summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

LINE = re.compile(r"^progress v1: (\d+)/(\d+) done, (\d+) failed, (\d+) errors, \d+ s$")


def suite(tmp_path: Path, base_url: str, n: int) -> Path:
    path = tmp_path / "suite.yaml"
    cases = "".join(f"  - {{id: c{i}, input: question {i}}}\n" for i in range(n))
    path.write_text(
        f"suite: progress\nversion: 1\nmodel: {{ref: 'openai:m', base_url: '{base_url}'}}\n"
        f"checks: [{{type: contains, value: echo}}]\ncases:\n{cases}", encoding="utf-8")
    return path


def run_piped(tmp_path: Path, base_url: str, n: int, **env: str) -> subprocess.CompletedProcess:
    """The real CLI in a child process whose stdout and stderr are pipes, not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", str(suite(tmp_path, base_url, n)),
         "--db", str(tmp_path / "h.db"), "-j", "2"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "HARNESS_PROGRESS_INTERVAL": "0", **env})


def progress_lines(stderr: str) -> list[tuple[int, ...]]:
    return [tuple(int(g) for g in m.groups()) for line in stderr.splitlines()
            if (m := LINE.match(line))]


def test_piped_run_prints_about_ten_progress_lines(tmp_path: Path, fake_openai) -> None:
    done = run_piped(tmp_path, fake_openai.base_url, 40)
    assert done.returncode == 0, done.stderr
    lines = progress_lines(done.stderr)
    assert [d for d, *_ in lines] == list(range(4, 41, 4))  # every tenth, not every result
    assert all(total == 40 for _, total, *_ in lines)
    assert "done," not in done.stdout  # progress is on stderr; stdout is the summary


def test_the_interval_is_set_by_environment(tmp_path: Path, fake_openai) -> None:
    done = run_piped(tmp_path, fake_openai.base_url, 3, HARNESS_PROGRESS_EVERY="1")
    assert done.returncode == 0, done.stderr
    assert [d for d, *_ in progress_lines(done.stderr)] == [1, 2, 3]


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def print(self, text: str, **_: object) -> None:
        self.lines.append(text)


def test_heartbeat_when_results_are_slow() -> None:
    from harness.cli.progress_log import ProgressLog

    clock, out = Clock(), Lines()
    log = ProgressLog(out, "s v1", 40, interval_s=30, clock=clock)
    log.heartbeat()
    assert out.lines == []
    clock.t += 31
    log.heartbeat()  # no result for 31 s: a line anyway, so the log is not silent
    assert out.lines == ["s v1: 0/40 done, 0 failed, 0 errors, 31 s"]
    log.update({"pass": 2, "fail": 1})
    assert len(out.lines) == 1  # 3 results since the last line: under a tenth (4)
    log.update({"pass": 6, "fail": 1, "error": 2})
    assert out.lines[-1] == "s v1: 9/40 done, 1 failed, 2 errors, 31 s"
    clock.t += 10
    log.heartbeat()
    assert len(out.lines) == 2  # a line 10 s ago: no heartbeat yet

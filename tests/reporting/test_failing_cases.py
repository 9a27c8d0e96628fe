"""Which cases failed (issue 13, item 10): `harness run` lists the failing and errored cases
after its summary (capped; `--show-failures N|all`), and `report --format md` without a
baseline lists them too. A crash in the user's function shows its error, not only
`exception: 1`; hostile text stays inert on the terminal and escaped in Markdown.
Real CLI in-process, real SQLite, a `python:` model beside the suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gate_fixtures import write_run

from harness.store import RunStore, open_db
from harness.testing.cli import run_cli

LENIENT = ("--max-error-rate", "0.5")  # the crash is one error: the run is still complete
HOSTILE = "boom \\x1b[2J [red]x[/red] `tick` <b>|</b>\\nsecond line"


harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """12 failing cases (`bad0`..`bad10` answer wrong, `crash` raises), 1 passing."""
    module = f"failing_cases_model_{request.node.name.replace('[', '_').replace(']', '')}"
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.syspath_prepend(str(tmp_path))  # whatever item 9's import rules are
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"{module}.py").write_text(
        "def answer(req):\n"
        "    if req['case_id'] == 'crash':\n"
        f"        raise ValueError('{HOSTILE}')\n"
        "    return 'within 30 days' if req['case_id'] == 'ok' else 'no idea'\n")
    cases = "".join(f"  - {{id: {c}, input: question {c}}}\n"
                    for c in ["ok", "crash", *[f"bad{i}" for i in range(11)]])
    path = tmp_path / "s.yaml"
    path.write_text(f"suite: failing\nversion: 1\nmodel: python:{module}:answer\n"
                    f"checks: [{{type: contains, value: 30 days}}]\ncases:\n{cases}")
    yield path
    sys.modules.pop(module, None)


def _listed(stdout: str) -> list[str]:
    head = stdout.index("failing cases (12):")
    assert stdout.rindex("run ", 0, head) > 0  # after the summary, which ends with the run id
    return stdout[head:].splitlines()[1:]


def test_run_lists_failing_cases_after_the_summary_capped(
    suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = harness(capsys, "run", str(suite), "--db", "h.db", *LENIENT, "-j", "1")
    assert code == 0
    lines = _listed(stdout)
    assert len(lines) == 11 and lines[-1].strip() == \
        "…and 2 more (--show-failures all lists every one)"
    crash = next(line for line in lines if line.split()[0] == "crash")
    # the error, inert: no escape sent, markup shown as written, one line
    assert "error  exception: python:" in crash
    assert "ValueError: boom \\x1b[2J [red]x[/red]" in crash
    assert crash.endswith("second line") and "\x1b" not in stdout
    bad = next(line for line in lines if line.split()[0] == "bad0")
    assert "fail  contains: missing ['30 days']" in bad
    assert not any(line.split()[0] == "ok" for line in lines)


@pytest.mark.parametrize(("flag", "shown"), [("all", 12), ("3", 3), ("0", None)])
def test_show_failures_sets_the_cap(
    suite: Path, capsys: pytest.CaptureFixture[str], flag: str, shown: int | None
) -> None:
    code, stdout, _ = harness(capsys, "run", str(suite), "--db", "h.db", *LENIENT,
                               "--show-failures", flag)
    assert code == 0
    if shown is None:
        assert "failing cases" not in stdout
        return
    lines = _listed(stdout)
    assert len([line for line in lines if not line.strip().startswith("…")]) == shown
    assert any("more" in line for line in lines) == (shown < 12)


def test_show_failures_refuses_a_bad_value(suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = harness(capsys, "run", str(suite), "--db", "h.db", "--show-failures", "-1")
    assert code == 2 and "--show-failures" in stderr and "a count (0 for none) or all" in stderr


def test_markdown_report_without_baseline_lists_failing_cases_escaped(
    suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    harness(capsys, "run", str(suite), "--db", "h.db", *LENIENT)
    code, md, _ = harness(capsys, "report", "latest", "--format", "md", "-o", "-", "--db", "h.db")
    assert code == 0
    assert "### Failing cases (12)" in md
    crash = next(line for line in md.splitlines() if line.startswith("- `crash`"))
    assert crash.startswith("- `crash`: error — exception: python:")
    assert "\\[red\\]x\\[/red\\]" in crash and "\\`tick\\`" in crash and "\\<b>\\|\\</b>" in crash
    assert "\x1b" not in md and "second line" in crash
    assert "- `bad0`: fail — contains: missing \\['30 days'\\]" in md
    assert "`ok`" not in md


def test_markdown_names_model_and_repeat_and_cuts_long_lists(tmp_path: Path) -> None:
    from harness.analysis.gate import run_gate
    from harness.reporting.markdown import gate_markdown

    store = RunStore(open_db(tmp_path / "h.db"))
    run_id = write_run(store, {f"c{i}": [False, True] for i in range(60)})
    md = gate_markdown(run_gate(store, run_id, None))
    assert "### Failing cases (60)" in md
    assert "- `c0 [repeat 0]`: fail — answer: missing \\['x'\\]" in md
    assert "- …and 10 more not shown (see the HTML or JSON report)" in md

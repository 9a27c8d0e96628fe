"""`harness monitor`: exit 0 when quiet, 1 on an alarm; text, JSON and the webhook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import MakeStore

from harness.cli import main


def harness(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out, captured.err


def db_of(tmp_path: Path) -> str:
    return str(tmp_path / "h.db")


def test_quiet_history_exits_0(make_store: MakeStore, tmp_path: Path, capsys) -> None:
    make_store(runs=20, cases=40, seed=4)
    code, out, _ = harness(capsys, "monitor", "--db", db_of(tmp_path))
    assert code == 0
    assert "right_first_time" in out and "0 alarm(s)" in out


def test_alarm_exits_1_and_names_metric_rule_runs(make_store: MakeStore, tmp_path: Path,
                                                  capsys) -> None:
    _, ids = make_store(runs=22, cases=40, shift_at=21, shifted_pass_prob=0.4, seed=2)
    code, out, _ = harness(capsys, "monitor", "support-assistant", "--db", db_of(tmp_path),
                           "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["alarm"] is True
    alarm = next(a for a in data["alarms"] if a["metric"] == "right_first_time")
    assert alarm["runs"][-1] == ids[-1] and alarm["rule"] in ("we1", "we2", "ewma", "cusum")
    assert data["series"][0]["reference_runs"] == ids[:10]


def test_webhook_gets_the_alarms(make_store: MakeStore, tmp_path: Path, capsys,
                                 fake_openai) -> None:
    make_store(runs=22, cases=40, shift_at=21, shifted_pass_prob=0.4, seed=2)
    code, _, err = harness(capsys, "monitor", "--db", db_of(tmp_path), "--webhook",
                           f"{fake_openai.url}/v1/echo")
    assert code == 1 and "alerted" in err
    (request,) = fake_openai.requests
    assert request.json["alarms"] and "alarm(s)" in request.json["text"]


def test_bad_options_exit_2(make_store: MakeStore, tmp_path: Path, capsys) -> None:
    make_store(runs=3, cases=5)
    assert harness(capsys, "monitor", "--db", db_of(tmp_path), "--webhook", "ftp://x")[0] == 2
    assert harness(capsys, "monitor", "nope", "--db", db_of(tmp_path))[0] == 2
    assert harness(capsys, "monitor", "--db", db_of(tmp_path), "--reference", "1")[0] == 2

"""`monitor()` over a real store: series, what is left out, alarms at the right runs."""

from __future__ import annotations

import pytest
from conftest import MakeStore

from harness.analysis.monitor import MonitorConfig, monitor
from harness.analysis.monitor.history import load_series
from harness.errors import UsageError
from harness.testing.history import HistorySpec, write_history


def test_a_drop_alarms_at_the_run_it_happens_and_names_it(make_store: MakeStore) -> None:
    store, ids = make_store(runs=24, cases=40, shift_at=20, shifted_pass_prob=0.55, seed=3)
    quiet = monitor(store, "support-assistant", until=ids[19])
    assert quiet.alarms == []
    loud = monitor(store, "support-assistant", until=ids[20])
    alarms = [a for a in loud.alarms if a.metric == "right_first_time"]
    assert alarms and alarms[0].runs[-1] == ids[20] and loud.exit_code == 1
    assert {a.rule for a in alarms} <= {"we1", "we2", "ewma", "cusum"}


def test_a_stable_history_has_no_alarm(make_store: MakeStore) -> None:
    store, _ = make_store(runs=24, cases=40, seed=4)
    result = monitor(store)
    assert result.alarms == [] and result.exit_code == 0
    assert result.series[0].reference == 10


def test_latency_is_watched_too(make_store: MakeStore) -> None:
    store, ids = make_store(runs=24, cases=40, shift_at=21, shifted_latency_ms=1600, seed=5)
    metrics = {a.metric for a in monitor(store).alarms}
    assert "latency.p95_ms" in metrics and "drift.latency_ms" in metrics


def test_too_short_a_history_is_a_note_not_an_alarm(make_store: MakeStore) -> None:
    store, _ = make_store(runs=3, cases=10)
    result = monitor(store)
    assert result.alarms == [] and "charts need at least" in result.series[0].notes[0]


def test_unknown_suite_is_a_usage_error(make_store: MakeStore) -> None:
    store, _ = make_store(runs=3, cases=5)
    with pytest.raises(UsageError, match="no runs of suite"):
        monitor(store, "nope")


def test_series_split_sources_models_versions_and_skip_rescores(make_store: MakeStore) -> None:
    store, ids = make_store(runs=5, cases=5)
    write_history(store, HistorySpec(runs=4, cases=5, kind="monitoring", seed=1))
    write_history(store, HistorySpec(runs=2, cases=5, model="openai:other", seed=2))
    with store.db.atomic():
        store.db["runs"].update(ids[0], {"kind": "rescore"})
        store.db["runs"].update(ids[1], {"status": "interrupted"})
        store.db["runs"].update(ids[4], {"suite_version": "2"})
    series = {(s.source, s.model): s for s in load_series(store, "support-assistant")}
    assert set(series) == {("suite", "openai:gpt-4o-mini"), ("monitoring", "openai:gpt-4o-mini"),
                           ("suite", "openai:other")}
    main = series[("suite", "openai:gpt-4o-mini")]
    assert main.version == "2" and main.run_ids == [ids[4]] and main.older_versions == 2
    assert len(series[("monitoring", "openai:gpt-4o-mini")].runs) == 4
    everything = load_series(store, "support-assistant", all_versions=True)
    assert [len(s.runs) for s in everything if s.model == "openai:gpt-4o-mini"
            and s.source == "suite"] == [3]


def test_config_is_checked() -> None:
    with pytest.raises(UsageError):
        MonitorConfig(reference=1)


def test_control_limits_of_non_negative_metrics_stop_at_zero(tmp_path) -> None:
    """Issue 13, 17c: `harness monitor` drew latency limits below zero (-300 ms). Runs
    whose latency swings widely put centre - 3σ below 0; the limit is drawn at 0 instead."""
    from gate_fixtures import write_run

    from harness.analysis.monitor.core import MonitorConfig, monitor
    from harness.store import RunStore, open_db

    store = RunStore(open_db(tmp_path / "h.db"))
    for i in range(12):
        write_run(store, {f"c{j}": [True] for j in range(5)}, suite="swing",
                  latency_ms=20.0 if i % 2 else 900.0)
    report = monitor(store, "swing", MonitorConfig(reference=10, metrics=("latency.p95_ms",)))
    charts = [c for s in report.series for c in s.charts if c.chart is not None]
    latency = next(c for c in charts if c.metric == "latency.p95_ms")
    sigma, center = latency.chart.sigma, latency.chart.center
    assert center - 3 * sigma < 0  # the unclipped limit would be negative
    for point in latency.chart.points:
        assert point.low == 0.0 and point.high > center
    data = report.as_dict()["series"][0]["metrics"]
    assert all(p["low"] is None or p["low"] >= 0 for m in data for p in m.get("points", []))

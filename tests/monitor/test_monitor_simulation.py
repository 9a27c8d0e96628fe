"""The monitor on simulated histories: quiet when nothing changed, loud soon after a shift.

Every rule is causal (a signal at run t uses runs up to t only) and the reference window is
fixed, so one evaluation of a whole history shows what a scheduled job run after each run
would have raised, run by run.

Figures (seeds fixed, so the test is deterministic; the bench prints the same figures for
more histories: bench/monitor_arl.py):
- N_STABLE = 1000 stable p-chart histories (10 reference + 20 monitored runs of 50 results
  at 90%): the job after the last run alarms in at most 5% of them;
- N_SERIES = 200 stable whole-series histories (every default metric and drift): the same;
- N_SHIFT = 300 histories whose pass rate drops from 90% to 75% at run 20: flagged at run 20
  or within the 3 runs after it in at least 95%, and before run 20 in at most 10%.
"""

from __future__ import annotations

from monitor_sim import Sim, pass_counts, series

from harness.analysis.monitor.charts import RuleSettings, p_chart
from harness.analysis.monitor.core import ALARM_RULES, MonitorConfig, watch_series

N_STABLE = 1000
N_SERIES = 200
N_SHIFT = 300
REFERENCE = 10
IDS = [f"run-{t:03d}" for t in range(30)]
ALARMS = RuleSettings(rules=ALARM_RULES)


def alarm_runs(sim: Sim, seed: int) -> list[int]:
    """Runs at which a scheduled job would have alarmed (pass rate falling)."""
    chart = p_chart(IDS[: sim.runs], pass_counts(sim, seed), [sim.cases] * sim.runs,
                    REFERENCE, ALARMS)
    return sorted({s.index for s in chart.signals if s.side == "down"})


def test_a_stable_history_stays_quiet_at_the_latest_run() -> None:
    sim = Sim(runs=30, cases=50, p=0.9)
    alarmed = sum(sim.runs - 1 in alarm_runs(sim, seed) for seed in range(N_STABLE))
    assert alarmed / N_STABLE <= 0.05, f"{alarmed} of {N_STABLE} stable histories alarmed"


def test_a_stable_history_stays_quiet_on_every_metric_and_drift() -> None:
    alarmed = 0
    for seed in range(N_SERIES):
        report = watch_series(series(Sim(runs=30, cases=50), 10_000 + seed), MonitorConfig())
        alarmed += any(a.severity == "alarm" for a in report.alarms)
    assert alarmed / N_SERIES <= 0.05, f"{alarmed} of {N_SERIES} stable series alarmed"


def test_a_shift_is_flagged_at_or_shortly_after_the_run_it_happens() -> None:
    sim = Sim(runs=30, cases=50, p=0.9, shift_at=20, p_shifted=0.75)
    early = soon = 0
    for seed in range(N_SHIFT):
        runs = alarm_runs(sim, 50_000 + seed)
        early += any(t < 20 for t in runs)
        soon += any(20 <= t <= 23 for t in runs)
    assert soon / N_SHIFT >= 0.95, f"flagged within 3 runs in {soon} of {N_SHIFT}"
    assert early / N_SHIFT <= 0.10, f"{early} of {N_SHIFT} alarmed before the shift"


def test_ewma_and_cusum_catch_a_small_persistent_shift_shewhart_misses() -> None:
    """90% -> 85% (about 1.2 sigma per run): the 3-sigma rule alone rarely sees it."""
    sim = Sim(runs=40, cases=50, p=0.9, shift_at=20, p_shifted=0.85)
    small = RuleSettings(rules=("ewma", "cusum"))
    shewhart = RuleSettings(rules=("we1",))

    def caught(settings: RuleSettings, seed: int) -> bool:
        chart = p_chart(IDS[:30] + [f"run-{t:03d}" for t in range(30, 40)],
                        pass_counts(sim, seed), [50] * 40, REFERENCE, settings)
        return any(s.index >= 20 and s.side == "down" for s in chart.signals)

    seeds = range(90_000, 90_200)
    by_small = sum(caught(small, s) for s in seeds)
    by_shewhart = sum(caught(shewhart, s) for s in seeds)
    assert by_small >= 0.75 * len(seeds)
    assert by_small > by_shewhart + 0.2 * len(seeds)


def test_the_job_alarm_names_the_metric_the_rule_and_the_runs() -> None:
    report = watch_series(series(Sim(runs=24, cases=80, p=0.9, shift_at=20, p_shifted=0.6),
                                 7), MonitorConfig())
    alarms = [a for a in report.alarms if a.severity == "alarm"]
    assert alarms
    first = next(a for a in alarms if a.metric == "right_first_time")
    assert first.side == "down" and first.runs[-1] == "run-023"
    assert first.rule in ALARM_RULES
    assert "right_first_time fell" in first.message and "run-023" in first.message

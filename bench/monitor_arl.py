"""How often `harness monitor` cries wolf, and how fast it sees a real drop.

Simulated pass-rate histories: a reference window of `--reference` runs, then monitored runs,
each run `--cases` results that pass with probability `--p` (independent per run, like
production traffic; suite runs on fixed cases vary less, so they are quieter still). The
reference is estimated from the simulated runs, as in use (its error is part of the figures).

Figures:
1. in-control: the share of stable histories in which the job after the latest run alarms,
   and the share in which any of `--monitored` scheduled jobs (one after each run) alarms;
   the in-control average run length (ARL0, runs until the first false alarm, capped);
2. shifted: p drops to each of `--shifts` at run `--reference + --monitored // 2`; the share
   flagged at that run or within 3 runs, and the median delay;
3. whole series (every default metric and drift, in memory): the share of stable histories
   in which the latest job alarms.

Alarm rules: we1, we2, ewma, cusum (as `harness monitor`), and with `--strict` also we3, we4.

    python bench/monitor_arl.py [--sims 2000] [--reference 10] [--monitored 20] [--cases 50]
                                [--p 0.9] [--shifts 0.85 0.8 0.75] [--strict] [--seed 1]

Bounds (issue 6): a stable history raises no alarm at the latest run in >= 95% of
histories; a drop from 90% to 75% is flagged within 3 runs in >= 95%.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.analysis.monitor.charts import RuleSettings, p_chart  # noqa: E402
from harness.analysis.monitor.core import ALARM_RULES, WATCH_RULES, MonitorConfig, watch_series  # noqa: E402

ARL_CAP = 2000


def counts(rng: random.Random, runs: int, n: int, p: float, shift_at: int | None = None,
           p1: float | None = None) -> list[int]:
    out = []
    for t in range(runs):
        q = p1 if shift_at is not None and p1 is not None and t >= shift_at else p
        out.append(sum(rng.random() < q for _ in range(n)))
    return out


def down_alarms(ks: list[int], n: int, reference: int, rules: RuleSettings) -> list[int]:
    ids = [str(i) for i in range(len(ks))]
    chart = p_chart(ids, ks, [n] * len(ks), reference, rules)
    return sorted({s.index for s in chart.signals if s.side == "down"})


def in_control(args: argparse.Namespace, rules: RuleSettings) -> None:
    rng = random.Random(args.seed)
    runs = args.reference + args.monitored
    last = anywhere = 0
    for _ in range(args.sims):
        hits = down_alarms(counts(rng, runs, args.cases, args.p), args.cases, args.reference,
                           rules)
        last += runs - 1 in hits
        anywhere += bool(hits)
    print(f"stable, {args.sims} histories ({args.reference} reference + {args.monitored} "
          f"monitored runs of {args.cases} at {args.p:.0%}):")
    print(f"  job after the latest run alarms:   {last / args.sims:6.2%}   (bound <= 5%)")
    print(f"  any of {args.monitored} scheduled jobs alarms: {anywhere / args.sims:6.2%}")
    lengths = []
    for _ in range(max(100, args.sims // 10)):
        ks = counts(rng, args.reference + ARL_CAP, args.cases, args.p)
        hits = down_alarms(ks, args.cases, args.reference, rules)
        lengths.append(hits[0] - args.reference + 1 if hits else ARL_CAP)
    print(f"  ARL0 (runs to the first false alarm, {len(lengths)} histories, cap {ARL_CAP}): "
          f"mean {statistics.mean(lengths):.0f}, median {statistics.median(lengths):.0f}")


def shifted(args: argparse.Namespace, rules: RuleSettings) -> None:
    rng = random.Random(args.seed + 1)
    shift = args.reference + args.monitored // 2
    runs = args.reference + args.monitored
    for p1 in args.shifts:
        delays, early = [], 0
        for _ in range(args.sims):
            hits = down_alarms(counts(rng, runs, args.cases, args.p, shift, p1), args.cases,
                               args.reference, rules)
            early += any(t < shift for t in hits)
            after = [t - shift for t in hits if t >= shift]
            delays.append(after[0] if after else None)
        found = [d for d in delays if d is not None]
        within3 = sum(1 for d in found if d <= 3) / args.sims
        median = statistics.median(found) if found else float("nan")
        print(f"  {args.p:.0%} -> {p1:.0%} at run {shift}: flagged within 3 runs "
              f"{within3:6.2%}, by the end {len(found) / args.sims:6.2%}, median delay "
              f"{median} runs; alarmed before the shift {early / args.sims:.2%}")


def whole_series(args: argparse.Namespace, config: MonitorConfig) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "monitor"))
    from monitor_sim import Sim, series

    sims = max(100, args.sims // 10)
    alarmed = 0
    for seed in range(sims):
        report = watch_series(series(Sim(runs=args.reference + args.monitored,
                                         cases=args.cases, p=args.p), args.seed * 7919 + seed),
                              config)
        alarmed += any(a.severity == "alarm" for a in report.alarms)
    print(f"whole series (default metrics + drift), {sims} stable histories: the latest job "
          f"alarms in {alarmed / sims:.2%} (bound <= 5%)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--reference", type=int, default=10)
    parser.add_argument("--monitored", type=int, default=20)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--p", type=float, default=0.9)
    parser.add_argument("--shifts", type=float, nargs="+", default=[0.85, 0.8, 0.75])
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rules = RuleSettings(rules=ALARM_RULES + (WATCH_RULES if args.strict else ()))
    print(f"alarm rules: {', '.join(rules.rules)}")
    started = time.perf_counter()
    in_control(args, rules)
    print("shifted:")
    shifted(args, rules)
    whole_series(args, MonitorConfig(reference=args.reference, strict=args.strict))
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""In-memory run histories for the monitor's statistical tests (no database: fast).

Each run answers `cases` fresh inputs (like production traffic): pass is a coin with the
run's probability, latency is log-normal, tokens (and so cost) depend on the answer.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from harness.analysis.metrics import Unit
from harness.analysis.monitor.history import RunPoint, Series


@dataclass(frozen=True)
class Sim:
    runs: int = 30
    cases: int = 50
    p: float = 0.9
    shift_at: int | None = None
    p_shifted: float | None = None
    latency_ms: float = 800.0


def series(sim: Sim, seed: int) -> Series:
    rng = random.Random(seed)
    points = [_run(sim, t, rng) for t in range(sim.runs)]
    return Series("sim", "suite", "m", "1", points)


def pass_counts(sim: Sim, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [sum(rng.random() < _p(sim, t) for _ in range(sim.cases)) for t in range(sim.runs)]


def _p(sim: Sim, t: int) -> float:
    shifted = sim.shift_at is not None and t >= sim.shift_at and sim.p_shifted is not None
    return sim.p_shifted if shifted else sim.p  # type: ignore[return-value]


def _run(sim: Sim, t: int, rng: random.Random) -> RunPoint:
    run_id = f"run-{t:03d}"
    rows, units = [], []
    for i in range(sim.cases):
        passed = rng.random() < _p(sim, t)
        latency = sim.latency_ms * math.exp(rng.gauss(0, 0.25))
        tokens = 150 + (40 if passed else 12) + rng.randint(0, 10)
        score = {"check_name": "answers", "check_type": "contains",
                 "outcome": "pass" if passed else "fail", "score": float(passed)}
        outcome = "pass" if passed else "fail"
        rows.append({"case_id": f"c{i}", "outcome": outcome, "latency_ms": latency,
                     "cached": False, "output": "x" * (tokens - 150), "scores": [score]})
        units.append(Unit(f"c{i}", "m", 0, outcome, (score,), latency, tokens * 1e-6, tokens))
    return RunPoint({"id": run_id, "suite_version": "1"}, rows, units, {})

"""The no-flap proof: how often the gate says FAIL when nothing changed, and when 5 points did.

Each simulated case has a true pass probability, drawn once per suite from a mixture that
looks like real eval suites at temperature 0: 70% of cases nearly always pass (p = 0.97),
15% nearly always fail (p = 0.03), 15% are flaky (p uniform in 0.2..0.8). A run samples
every case once from its probability. The model under test is a `python:` provider (this
module's `answer`), run through the real runner, scorer, SQLite store and gate.

Scenarios, each over many baseline/candidate pairs:
- null: baseline and candidate share the same probabilities (a change that changes nothing);
- drop: the candidate loses 5 points of pass rate: randomly chosen nearly-always-passing
  cases break (p 0.97 -> 0.03) until the mean probability is exactly 5 points lower;
- naive: the same pairs judged by the rule "FAIL when the pass rate went down".

    python bench/gate_simulation.py [--pairs 200] [--cases 1000] [--drop 0.05] [--margin 0.01]
                                    [--mode runner|store] [--seed 7]

Bounds (issue 4): null FAIL rate <= 5% over >= 200 pairs; a 5-point drop on 1,000 cases
caught as FAIL in >= 80% of pairs. `--mode store` writes the same runs straight into the
store (no runner), for quick exploration; the figures in docs/ci.md use `--mode runner`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The provider reads these; the simulation sets them before each run.
PROBS: dict[str, float] = {}
STATE = {"seed": 0}


async def answer(request: dict[str, Any]) -> str:
    """The model under test: passes case c at repeat r with probability PROBS[c]."""
    rng = random.Random(f"{STATE['seed']}:{request['case_id']}:{request['repeat']}")
    return "PASS" if rng.random() < PROBS[request["case_id"]] else "FAIL"


# --------------------------------------------------------------------------- probabilities


def true_probabilities(n: int, rng: random.Random) -> dict[str, float]:
    """The stated mixture: 70% p=0.97, 15% p=0.03, 15% p ~ U(0.2, 0.8)."""
    out = {}
    for i in range(n):
        u = rng.random()
        out[f"c{i:05d}"] = 0.97 if u < 0.70 else 0.03 if u < 0.85 else rng.uniform(0.2, 0.8)
    return out


def dropped(probs: dict[str, float], drop: float, rng: random.Random) -> dict[str, float]:
    """Break nearly-always-passing cases until the mean probability is `drop` lower."""
    out = dict(probs)
    target = sum(probs.values()) - drop * len(probs)
    strong = [c for c, p in probs.items() if p == 0.97]
    rng.shuffle(strong)
    for c in strong:
        if sum(out.values()) <= target:
            break
        out[c] = 0.03
    excess = target - sum(out.values())  # overshoot of the last break: give it back
    out[strong[0]] = min(1.0, out[strong[0]] + excess)
    return out


# --------------------------------------------------------------------------- runs


def write_suite(folder: Path, case_ids: Sequence[str], margin: float | None) -> Path:
    lines = [
        "suite: gate-sim", "version: 1",
        f"model: python:{Path(__file__).stem}:answer",
        *([f"gate: {{margin: {margin}}}"] if margin is not None else []),
        "checks: [{id: answer, type: equals, value: PASS}]", "cases:",
    ]
    lines += [f"  - {{id: {c}, input: q}}" for c in case_ids]
    path = folder / "gate-sim.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_via_runner(store: Any, loaded: Any, probs: dict[str, float], seed: int) -> str:
    from harness.pipeline.runner import RunConfig, run_suite

    provider = importlib.import_module(Path(__file__).stem)  # the module the runner calls
    provider.PROBS.clear()
    provider.PROBS.update(probs)
    provider.STATE["seed"] = seed
    config = RunConfig(concurrency=4, use_cache=False, batch_size=500)
    return asyncio.run(run_suite(loaded, config, store)).run_id


def run_via_store(store: Any, loaded: Any, probs: dict[str, float], seed: int) -> str:
    """The same samples written straight into the store, as the runner would store them."""
    from harness.models import CaseResult, Completion, ModelSpec, RunSpec, Score
    from harness.store import new_run_id

    now = time.time()
    run_id = new_run_id(now) + f"{seed:x}"
    spec = RunSpec(run_id=run_id, suite=loaded.suite.suite, suite_version="1",
                   suite_hash=loaded.content_hash, suite_path=str(loaded.path),
                   models=(ModelSpec(ref="python:sim"),),
                   scorer_versions={"equals": "1"}, harness_version="0", started_at=now,
                   n_cases=len(probs))
    store.create_run(spec, len(probs))
    results = []
    for c, p in probs.items():
        ok = random.Random(f"{seed}:{c}:0").random() < p
        score = Score(check="answer", type="equals", scorer_version="1",
                      outcome="pass" if ok else "fail", score=float(ok))
        results.append(CaseResult(run_id=run_id, case_id=c, model="python:sim",
                                  outcome="pass" if ok else "fail", scores=(score,),
                                  completion=Completion(text="PASS" if ok else "FAIL")))
    store.write_results(results)
    store.set_status(run_id, "complete", now)
    return run_id


# --------------------------------------------------------------------------- judging


@dataclass
class Tally:
    pairs: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    naive_fail: int = 0

    def rate(self, verdict: str) -> float:
        return self.verdicts.get(verdict, 0) / self.pairs if self.pairs else 0.0


def judge_pair(store: Any, base: str, cand: str, tally: Tally) -> None:
    from harness.analysis.gate import GateConfig, run_gate
    from harness.analysis.metrics import load_run

    result = run_gate(store, cand, base, GateConfig(details=False))
    tally.pairs += 1
    tally.verdicts[result.verdict] = tally.verdicts.get(result.verdict, 0) + 1
    b = load_run(store, base).metric("pass_rate").value or 0.0
    c = load_run(store, cand).metric("pass_rate").value or 0.0
    tally.naive_fail += c < b


def simulate(
    pairs: int, cases: int, drop: float, margin: float | None, seed: int, mode: str,
    folder: Path, progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Tally]:
    """Run `pairs` null pairs and `pairs` drop pairs; returns the tallies by scenario."""
    from harness.store import RunStore, open_db
    from harness.suites import load_suite

    sys.path.insert(0, str(Path(__file__).parent))
    rng = random.Random(seed)
    store = RunStore(open_db(folder / "sim.db"))
    tallies = {"null": Tally(), "drop": Tally()}
    run = run_via_runner if mode == "runner" else run_via_store
    loaded = load_suite(write_suite(folder, [f"c{i:05d}" for i in range(cases)], margin))
    for i in range(pairs):
        probs = true_probabilities(cases, rng)
        base = run(store, loaded, probs, 2 * i)
        for name, cand_probs in (("null", probs), ("drop", dropped(probs, drop, rng))):
            offset = 4 * pairs if name == "drop" else 0
            cand = run(store, loaded, cand_probs, 2 * i + 1 + offset)
            judge_pair(store, base, cand, tallies[name])
        progress(f"{i + 1}/{pairs} pairs")
    return tallies


def report(
    tallies: dict[str, Tally], cases: int, drop: float, margin: float | None
) -> list[str]:
    from harness.models import GatePolicy

    null, dr = tallies["null"], tallies["drop"]
    margin = GatePolicy().margin if margin is None else margin
    return [
        f"cases per run {cases}, margin {margin}, alpha 0.05 one-sided, drop {drop:.0%}",
        f"(a) null pairs: gate FAIL in {null.rate('FAIL'):.1%} of {null.pairs} "
        f"(bound <= 5%); PASS {null.rate('PASS'):.1%}, "
        f"INCONCLUSIVE {null.rate('INCONCLUSIVE'):.1%}",
        f"(b) {drop:.0%} drop: gate FAIL in {dr.rate('FAIL'):.1%} of {dr.pairs} "
        f"(bound >= 80%); INCONCLUSIVE {dr.rate('INCONCLUSIVE'):.1%}, PASS {dr.rate('PASS'):.1%}",
        f"(c) naive 'pass rate went down' rule: FAIL in {null.naive_fail / max(1, null.pairs):.1%}"
        f" of null pairs and {dr.naive_fail / max(1, dr.pairs):.1%} of drop pairs",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--drop", type=float, default=0.05)
    parser.add_argument("--margin", type=float, default=None,
                        help="Gate margin (default: the suite default, 0.01).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mode", choices=["runner", "store"], default="runner")
    args = parser.parse_args(argv)
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        tallies = simulate(args.pairs, args.cases, args.drop, args.margin, args.seed,
                           args.mode, Path(tmp),
                           progress=lambda s: print(s, file=sys.stderr, end="\r"))
    for line in report(tallies, args.cases, args.drop, args.margin):
        print(line)
    print(f"mode {args.mode}, {time.time() - started:.0f} s")
    ok = tallies["null"].rate("FAIL") <= 0.05 and tallies["drop"].rate("FAIL") >= 0.80
    print("within bounds" if ok else "OUT OF BOUNDS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

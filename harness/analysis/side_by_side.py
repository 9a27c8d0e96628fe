"""The models of one run side by side: each model's own metrics, and the cases they differ on.

A run of several models (`--model a --model b`, or `model: [a, b]` in the suite) holds one
system per model. Reports show them as columns, never merged into one total; the gate
decides one of them at a time (`--model`). Each model's numbers are the ones its
single-model report shows (`harness.analysis.metrics`, human review verdicts applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.analysis.metrics import (
    CaseStats,
    MetricValue,
    Overrides,
    Unit,
    case_stats,
    evaluate,
    resolve,
    standard_names,
    units_from_rows,
)


@dataclass
class SideBySide:
    """Per-model metrics (same names for every model) and per-case classes per model."""

    run: dict[str, Any]
    models: list[str]
    names: list[str]
    values: dict[str, dict[str, MetricValue]]
    counts: dict[str, dict[str, int]]
    cases: dict[str, dict[str, CaseStats]] = field(default_factory=dict)  # case -> model -> stats

    @property
    def differing(self) -> list[str]:
        """Cases whose class is not the same on every model (missing on one counts)."""
        return [cid for cid, per in self.cases.items()
                if len(per) < len(self.models) or len({s.cls for s in per.values()}) > 1]

    def outcome(self, case_id: str, model: str) -> str:
        stats = self.cases.get(case_id, {}).get(model)
        return "not run" if stats is None else stats.cls

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run["id"],
            "models": self.models,
            "metrics": {m: {n: self.values[m][n].as_dict() for n in self.names}
                        for m in self.models},
            "counts": self.counts,
            "differing_cases": [{"case_id": c, "outcomes": {m: self.outcome(c, m)
                                                            for m in self.models}}
                                for c in self.differing],
        }


def run_models(store: Any, run_id: str) -> list[str]:
    """The models a stored run has results for (its spec's labels when it has none yet)."""
    models = sorted(r[0] for r in store.db.execute(
        "SELECT DISTINCT model FROM results WHERE run_id = ?", (run_id,)))
    if models:
        return models
    return [m.get("label") or m["ref"] for m in store.get_run(run_id)["models"] or []]


def side_by_side(store: Any, ref: str, *, overrides: Overrides | None = None) -> SideBySide:
    """The run's models side by side, from the store (human verdicts applied by default)."""
    run = store.get_run(ref)
    cases = store.get_cases(run["id"])
    if overrides is None:
        from harness.review.overrides import human_verdicts

        overrides = human_verdicts(store, run["id"])
    units = units_from_rows(store.iter_results(run["id"]), cases, overrides)
    return from_units(run, units)


def from_units(run: dict[str, Any], units: list[Unit]) -> SideBySide:
    models = sorted({u.model for u in units})
    names = standard_names(units)
    values: dict[str, dict[str, MetricValue]] = {}
    counts: dict[str, dict[str, int]] = {}
    per_case: dict[str, dict[str, CaseStats]] = {}
    for m in models:
        mine = [u for u in units if u.model == m]
        values[m] = {n: evaluate(resolve(n), mine) for n in names}
        counts[m] = {
            "results": len(mine),
            "pass": sum(1 for u in mine if u.passed is True),
            "fail": sum(1 for u in mine if u.passed is False),
            "error": sum(1 for u in mine if u.outcome == "error"),
            "unchecked": sum(1 for u in mine if u.unchecked),
        }
        for cid, stats in case_stats(mine).items():
            per_case.setdefault(cid, {})[m] = stats
    return SideBySide(run, models, names, values, counts, dict(sorted(per_case.items())))


# --------------------------------------------------------------------------- two runs


@dataclass
class PairedModels:
    """Two runs compared model by model: models paired by name, each pair its own
    `Comparison`; models that only one run has are listed, not compared."""

    base: str
    cand: str
    comparisons: dict[str, Any]  # model -> harness.analysis.compare.Comparison
    only_base: list[str]
    only_cand: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base, "candidate": self.cand,
                "models": {m: c.as_dict() for m, c in self.comparisons.items()},
                "only_in_base": self.only_base, "only_in_candidate": self.only_cand}


def several_models(store: Any, base_ref: str, cand_ref: str) -> bool:
    """Whether either run holds more than one model (then compare pairs them by name)."""
    return any(len(run_models(store, store.resolve_run_id(r))) > 1 for r in (base_ref, cand_ref))


def compare_models(store: Any, base_ref: str, cand_ref: str,
                   metrics: list[str] | None = None) -> PairedModels:
    """Compare each model the two runs share, paired by name; refuse when they share none."""
    from harness.analysis.compare import compare_runs
    from harness.analysis.metrics import load_run
    from harness.errors import UsageError

    base_id, cand_id = store.resolve_run_id(base_ref), store.resolve_run_id(cand_ref)
    base_models, cand_models = run_models(store, base_id), run_models(store, cand_id)
    shared = [m for m in cand_models if m in base_models]
    if not shared:
        raise UsageError(
            f"runs {base_id} ({', '.join(base_models) or 'no models'}) and {cand_id} "
            f"({', '.join(cand_models) or 'no models'}) share no model to pair by name: "
            "compare one model of each with --model (the same name in both runs)")
    comparisons = {m: compare_runs(load_run(store, base_id, model=m),
                                   load_run(store, cand_id, model=m), metrics)
                   for m in shared}
    return PairedModels(base_id, cand_id, comparisons,
                        [m for m in base_models if m not in shared],
                        [m for m in cand_models if m not in shared])

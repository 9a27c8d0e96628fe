"""Paired comparison of two stored runs: which cases moved, and which metrics did.

Results are paired by case id and repeat (the runs may use different models: that is
usually the point). Pairing removes what the runs share (the same hard cases) from the
noise, so a paired test sees a change that two independent intervals would not.

Per metric: both values, the difference (candidate minus baseline) with its interval, a
p-value for "no difference", and the minimum detectable effect (MDE: the smallest true
change this many pairs would catch with 80% power at the 5% level). Methods:
- rates (pass/fail per result): Newcombe's paired interval, McNemar's test;
- means and sums: clustered normal interval of the paired differences, sign-flip test;
- percentiles: paired cluster bootstrap (seeded, so a report is reproducible).
Cases that share a cluster key, and the repeats of one case, are resampled together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.analysis.metrics import (
    CaseStats,
    Metric,
    MetricValue,
    Obs,
    RunData,
    Unit,
    case_stats,
    evaluate,
    resolve,
    standard_names,
)
from harness.analysis.stats import (
    PairedCounts,
    design_effect,
    mcnemar,
    mde_from_se,
    mean_se,
    newcombe_paired,
    norm_ppf,
    paired_bootstrap,
    percentile,
    sign_flip_test,
)
from harness.endpoints import endpoint_notes

ENDPOINT_ADVICE = ("the same model name was served by a different server, which re-scoring "
                   "cannot undo: expected when the server is the change under test, else run "
                   "both against one endpoint")
CASE_ORDER = ("regressed", "errored", "flaky", "stayed-failing", "fixed", "unchecked", "added",
              "removed", "stayed-passing")


@dataclass(frozen=True)
class CaseChange:
    case_id: str
    status: str  # one of CASE_ORDER
    base: CaseStats | None
    cand: CaseStats | None
    critical: bool = False
    failing_checks: tuple[str, ...] = ()  # candidate's failing checks, "name: reason"

    def as_dict(self) -> dict[str, Any]:
        def side(s: CaseStats | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {"passes": s.passes, "decided": s.decided, "errors": s.errors,
                    "rate": s.rate, "low": s.low, "high": s.high, "class": s.cls}
        return {"case_id": self.case_id, "status": self.status, "critical": self.critical,
                "base": side(self.base), "candidate": side(self.cand),
                "failing_checks": list(self.failing_checks)}


@dataclass(frozen=True)
class MetricComparison:
    name: str
    kind: str
    higher_is_better: bool
    base: MetricValue
    cand: MetricValue
    n_pairs: int
    difference: float | None = None  # candidate - baseline, over paired observations
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    method: str = ""
    mde: float | None = None
    confidence: float = 0.95

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "higher_is_better": self.higher_is_better,
                "base": self.base.as_dict(), "candidate": self.cand.as_dict(),
                "n_pairs": self.n_pairs, "difference": self.difference, "low": self.low,
                "high": self.high, "confidence": self.confidence, "p_value": self.p_value,
                "method": self.method, "mde": self.mde}


@dataclass
class Comparison:
    base: RunData
    cand: RunData
    version_notes: list[str] = field(default_factory=list)
    cases: list[CaseChange] = field(default_factory=list)
    metrics: list[MetricComparison] = field(default_factory=list)
    changed_cases: list[str] = field(default_factory=list)  # definition differs between runs

    def by_status(self, status: str) -> list[CaseChange]:
        return [c for c in self.cases if c.status == status]

    @property
    def versions_differ(self) -> bool:
        return bool(self.version_notes)

    def first_line(self) -> str:
        """Version differences, said first and loudly, with the command that fixes them."""
        b, c = self.base.run["id"], self.cand.run["id"]
        if not self.version_notes:
            return f"compare {b} -> {c}: same suite, rubric and scorer versions"
        suite = self.cand.run.get("suite_path") or "SUITE"
        rescore = (f"re-score both from stored outputs (no model calls): harness rescore {b} "
                   f"--suite {suite} && harness rescore {c} --suite {suite}, then compare "
                   "the new runs")
        others = [n for n in self.version_notes if not n.startswith("model ")]
        only_suite = all(n.startswith("suite") for n in others)
        advice = [f"expected when the change under test is in the suite (prompt, cases); if "
                  f"its checks changed, {rescore}" if only_suite
                  else f"scores may not be comparable: {rescore}"] if others else []
        if len(others) < len(self.version_notes):
            advice.append(ENDPOINT_ADVICE)
        return (f"VERSIONS DIFFER between {b} and {c}: " + "; ".join(self.version_notes)
                + ". " + ". ".join(a[0].upper() + a[1:] for a in advice))

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base.run["id"], "candidate": self.cand.run["id"],
            "first_line": self.first_line(), "version_notes": self.version_notes,
            "changed_cases": self.changed_cases,
            "counts": {s: len(self.by_status(s)) for s in CASE_ORDER},
            "cases": [c.as_dict() for c in self.cases if c.status != "stayed-passing"],
            "metrics": [m.as_dict() for m in self.metrics],
        }


# --------------------------------------------------------------------------- entry


def compare_runs(
    base: RunData, cand: RunData, metrics: Sequence[str] | None = None,
    *, confidence: float = 0.95,
) -> Comparison:
    """Compare two loaded runs; `metrics` defaults to the standard ones present in either."""
    names = list(metrics) if metrics is not None else _default_names(base, cand)
    return Comparison(
        base=base, cand=cand,
        version_notes=version_notes(base.run, cand.run),
        cases=case_changes(base, cand),
        metrics=[compare_metric(resolve(n), base.units, cand.units, confidence=confidence)
                 for n in names],
        changed_cases=changed_definitions(base, cand),
    )


def _default_names(base: RunData, cand: RunData) -> list[str]:
    names = standard_names(cand.units)
    return names + [n for n in standard_names(base.units) if n not in names]


# --------------------------------------------------------------------------- versions


def version_notes(base: dict[str, Any], cand: dict[str, Any]) -> list[str]:
    """What differs in what the verdicts depend on: suite, rubrics, scorers, and the server
    a model of the same name was sent to."""
    notes = []
    if base["suite"] != cand["suite"]:
        notes.append(f"suite {base['suite']} vs {cand['suite']}")
    if str(base["suite_version"]) != str(cand["suite_version"]):
        notes.append(f"suite version {base['suite_version']} -> {cand['suite_version']}")
    elif base["suite_hash"] != cand["suite_hash"]:
        notes.append(f"suite content changed ({base['suite_hash'][:11]} -> "
                     f"{cand['suite_hash'][:11]}) at the same version")
    notes += _dict_notes("rubric", base.get("rubrics") or {}, cand.get("rubrics") or {})
    notes += _dict_notes("scorer", base.get("scorer_versions") or {},
                         cand.get("scorer_versions") or {}, only_common=True)
    notes += endpoint_notes(_endpoints(base), _endpoints(cand))
    return notes


def _endpoints(run: dict[str, Any]) -> dict[str, str]:
    return dict((run.get("spec") or {}).get("endpoints") or {})


def _dict_notes(what: str, a: dict[str, str], b: dict[str, str],
                only_common: bool = False) -> list[str]:
    notes = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        if key in a and key in b:
            notes.append(f"{what} {key} {str(a[key])[:11]} -> {str(b[key])[:11]}")
        elif not only_common:
            notes.append(f"{what} {key} only in {'baseline' if key in a else 'candidate'}")
    return notes


def changed_definitions(base: RunData, cand: RunData) -> list[str]:
    """Cases present in both runs whose snapshot (input, context, checks...) differs."""
    return sorted(cid for cid in set(base.cases) & set(cand.cases)
                  if base.cases[cid].get("data") != cand.cases[cid].get("data"))


# --------------------------------------------------------------------------- cases


def case_changes(base: RunData, cand: RunData) -> list[CaseChange]:
    """Every case of either run with its status; regressions first."""
    bs, cs = case_stats(base.units), case_stats(cand.units)
    failing = _failing_checks(cand.units)
    out = []
    for cid in sorted(set(bs) | set(cs)):
        b, c = bs.get(cid), cs.get(cid)
        tags = (c or b).tags if (c or b) else ()  # type: ignore[union-attr]
        out.append(CaseChange(cid, _status(b, c), b, c, "critical" in tags,
                              tuple(failing.get(cid, ()))))
    rank = {s: i for i, s in enumerate(CASE_ORDER)}
    return sorted(out, key=lambda ch: (rank[ch.status], not ch.critical, ch.case_id))


def _status(b: CaseStats | None, c: CaseStats | None) -> str:
    if b is None:
        return "added"
    if c is None:
        return "removed"
    if b.cls == "error" or c.cls == "error":
        return "errored"
    if b.cls == "unchecked" or c.cls == "unchecked":  # nothing judged one side: no evidence
        return "unchecked"
    if b.cls == "flaky" or c.cls == "flaky":
        return "flaky"
    if b.all_pass:
        return "stayed-passing" if c.all_pass else "regressed"
    return "fixed" if c.all_pass else "stayed-failing"


def _failing_checks(units: list[Unit], limit: int = 3) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for u in units:
        for s in u.scores:
            if s["outcome"] in ("fail", "unscored"):
                item = f"{s['check_name']}: {s['reason'] or s['outcome']}"
                got = out.setdefault(u.case_id, [])
                if item not in got and len(got) < limit:
                    got.append(item)
    return out


# --------------------------------------------------------------------------- metrics


def paired_obs(metric: Metric, base: list[Unit], cand: list[Unit]) -> list[tuple[Obs, Obs]]:
    """Observations present in both runs, matched by key (case and repeat)."""
    b = {o.key: o for o in metric.observe(base)}
    return [(b[o.key], o) for o in metric.observe(cand) if o.key in b]


def compare_metric(
    metric: Metric, base: list[Unit], cand: list[Unit], *, confidence: float = 0.95,
    alpha: float = 0.05, power: float = 0.8,
) -> MetricComparison:
    """Both values, and the paired difference with its interval, p-value and MDE."""
    bv, cv = evaluate(metric, base), evaluate(metric, cand)
    pairs = paired_obs(metric, base, cand)
    head = MetricComparison(metric.name, metric.kind, metric.higher_is_better, bv, cv,
                            len(pairs), confidence=confidence)
    if metric.kind == "none" or len(pairs) < 2:
        return head
    z = norm_ppf(0.5 + confidence / 2)
    if metric.kind == "proportion":
        diff, low, high, p, method = _paired_rates(pairs, z)
    elif metric.kind == "percentile":
        got = _paired_percentile(pairs, metric.q or 50.0, confidence)
        if got is None:
            return head
        diff, low, high, p, method = got
    else:
        got2 = _paired_means(pairs, z, total=metric.kind == "sum")
        if got2 is None:
            return head
        diff, low, high, p, method = got2
    se = (high - low) / (2 * z) if z else 0.0
    mde = mde_from_se(se, alpha=alpha, power=power)
    return MetricComparison(metric.name, metric.kind, metric.higher_is_better, bv, cv,
                            len(pairs), diff, low, high, p, method, mde, confidence)


Estimate = tuple[float, float, float, float, str]


def _paired_rates(pairs: list[tuple[Obs, Obs]], z: float) -> Estimate:
    counts = PairedCounts(
        both=sum(1 for b, c in pairs if c.value and b.value),
        first_only=sum(1 for b, c in pairs if c.value and not b.value),
        second_only=sum(1 for b, c in pairs if b.value and not c.value),
        neither=sum(1 for b, c in pairs if not c.value and not b.value),
    )
    low, high = newcombe_paired(counts, z)
    diff = counts.difference
    deff = design_effect([c.value - b.value for b, c in pairs], [c.cluster for _, c in pairs])
    if deff > 1:  # widen by the clustering of related cases and repeats
        k = deff ** 0.5
        low, high = max(-1.0, diff - (diff - low) * k), min(1.0, diff + (high - diff) * k)
    test = mcnemar(counts.first_only, counts.second_only)
    method = f"Newcombe paired interval; McNemar {test.method}"
    return diff, low, high, test.p_value, method


def _paired_means(pairs: list[tuple[Obs, Obs]], z: float, *, total: bool) -> Estimate | None:
    diffs = [c.value - b.value for b, c in pairs]
    clusters = [c.cluster for _, c in pairs]
    se = mean_se(diffs, clusters)
    if se is None:
        return None
    scale = len(diffs) if total else 1
    diff = sum(diffs) / len(diffs) * scale
    p = sign_flip_test(diffs, clusters)
    return diff, diff - z * se * scale, diff + z * se * scale, p, "clustered normal; sign-flip"


def _paired_percentile(
    pairs: list[tuple[Obs, Obs]], q: float, confidence: float
) -> Estimate | None:
    got = paired_bootstrap(
        [b.value for b, _ in pairs], [c.value for _, c in pairs],
        lambda v: percentile(v, q), clusters=[c.cluster for _, c in pairs],
        confidence=confidence, n_resamples=1000,
    )
    if got is None:
        return None
    return got.difference, got.low, got.high, got.p_value, got.method

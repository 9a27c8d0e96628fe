"""The CI gate: SLO sheet + paired regression test -> PASS, FAIL or INCONCLUSIVE.

FAIL needs evidence: an SLO objective breached (its whole interval on the wrong side), a
case tagged `critical` that passed in the baseline and now fails (never a flaky one), or a
gated metric worse than the baseline by more than the margin at the one-sided level alpha
(Holm-corrected when several metrics are gated). PASS needs evidence too: every objective
met and every gated metric shown non-inferior (its one-sided bound above -margin). Anything
else is INCONCLUSIVE, with how many cases would decide. This is what keeps the gate from
flapping: noise can make a result undecided, but it can only make it FAIL with
probability alpha, and only when the true drop is already at the margin.

Exit codes (DESIGN.md section 6): 0 PASS, 1 FAIL, 2 usage, 3 incomplete run; INCONCLUSIVE
is 0 with a warning, or 4 with `--strict` (distinct from FAIL so a workflow can tell "not
enough evidence" from "worse").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.analysis.compare import (
    CaseChange,
    Comparison,
    MetricComparison,
    case_changes,
    changed_definitions,
    compare_metric,
    compare_runs,
    version_notes,
)
from harness.analysis.metrics import RunData, case_stats, load_run, resolve, unchecked_note
from harness.analysis.slo import (
    ObjectiveSpec,
    SloSheet,
    evaluate_sheet,
    objectives_for_run,
)
from harness.analysis.stats import holm, norm_cdf, norm_ppf
from harness.errors import UsageError
from harness.governance import governance_for_run
from harness.models import GatePolicy

Verdict = Literal["PASS", "FAIL", "INCONCLUSIVE", "INCOMPLETE"]
EXIT_CODES: dict[str, int] = {"PASS": 0, "FAIL": 1, "INCOMPLETE": 3, "INCONCLUSIVE": 0}
STRICT_INCONCLUSIVE = 4
MAX_NEEDED = 10_000_000
_RUN_ID = re.compile(r"^\d{4}")


@dataclass(frozen=True)
class GateConfig:
    """What the command line can set; None means: the suite's `gate:` block, else defaults."""

    margin: float | None = None
    alpha: float | None = None
    power: float | None = None
    metrics: tuple[str, ...] | None = None
    max_error_rate: float = 0.0
    model: str | None = None
    objectives: tuple[ObjectiveSpec, ...] | None = None  # replaces the suite's sheet
    details: bool = True  # also compare the standard metrics (for reports)


@dataclass(frozen=True)
class MetricTest:
    """One gated metric: the comparison at the decision level and what it decided."""

    comparison: MetricComparison
    margin: float
    p_worse: float  # Holm-adjusted p of "worse by more than the margin"
    p_noninferior: float  # p of "no better than -margin" (small means non-inferior)
    decision: Literal["worse", "non-inferior", "undecided"]
    needed_cases: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.comparison.name, "margin": self.margin,
                "p_worse": self.p_worse, "p_noninferior": self.p_noninferior,
                "decision": self.decision, "needed_cases": self.needed_cases,
                "comparison": self.comparison.as_dict()}


@dataclass
class GateResult:
    verdict: Verdict
    cand: RunData
    baseline: RunData | None
    policy: GatePolicy
    slo: SloSheet
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    tests: list[MetricTest] = field(default_factory=list)
    critical: list[CaseChange] = field(default_factory=list)

    def exit_code(self, *, strict: bool = False) -> int:
        if strict and self.verdict == "INCONCLUSIVE":
            return STRICT_INCONCLUSIVE
        return EXIT_CODES[self.verdict]

    def headline(self) -> str:
        base = f" vs {self.baseline.run['id']}" if self.baseline else " (no baseline)"
        why = f": {self.reasons[0]}" if self.reasons else ""
        more = f" (+{len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ""
        return f"gate {self.verdict}: {self.cand.run['id']}{base}{why}{more}"

    @property
    def flaky(self) -> list[CaseChange]:
        return self.comparison.by_status("flaky") if self.comparison else []

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict, "headline": self.headline(), "reasons": self.reasons,
            "warnings": self.warnings, "candidate": self.cand.run["id"],
            "baseline": self.baseline.run["id"] if self.baseline else None,
            "suite": self.cand.run["suite"],
            "policy": self.policy.model_dump(),
            "slo": self.slo.as_dict(), "tests": [t.as_dict() for t in self.tests],
            "critical_regressions": [c.case_id for c in self.critical],
            "unchecked": sum(1 for u in self.cand.units if u.unchecked),
            "comparison": self.comparison.as_dict() if self.comparison else None,
        }


# --------------------------------------------------------------------------- entry


def run_gate(
    store: Any, cand_ref: str, baseline_ref: str | None = None,
    config: GateConfig = GateConfig(),
) -> GateResult:
    """Load the runs, pick the baseline, and decide."""
    cand = load_run(store, cand_ref, model=config.model)
    stored, warnings, available = objectives_for_run(cand.run)
    governance = governance_for_run(cand.run)
    policy = resolve_policy(config, governance.gate if governance is not None else None)
    if config.objectives is not None:
        specs: list[ObjectiveSpec] = list(config.objectives)
    else:
        specs = stored
    base_id, base_warnings = find_baseline(store, cand.run, baseline_ref)
    baseline = load_run(store, base_id, model=_base_model(store, base_id, config)) \
        if base_id else None
    sheet = evaluate_sheet(cand, specs, power=policy.power)
    sheet.warnings, sheet.available = warnings, available or config.objectives is not None
    return decide(cand, baseline, sheet, policy, config,
                  warnings=[*base_warnings, *warnings])


def resolve_policy(config: GateConfig, suite_policy: GatePolicy | None) -> GatePolicy:
    base = suite_policy or GatePolicy()
    update: dict[str, Any] = {}
    if config.margin is not None:
        update["margin"] = config.margin
    if config.alpha is not None:
        update["alpha"] = config.alpha
    if config.power is not None:
        update["power"] = config.power
    if config.metrics:
        update["metrics"] = list(config.metrics)
    return GatePolicy.model_validate({**base.model_dump(), **update})


def _base_model(store: Any, base_id: str, config: GateConfig) -> str | None:
    """The candidate's --model applies to the baseline only when the baseline has it."""
    if config.model is None:
        return None
    models = {r[0] for r in store.db.execute(
        "SELECT DISTINCT model FROM results WHERE run_id = ?", (base_id,))}
    return config.model if config.model in models else None


def find_baseline(
    store: Any, cand_run: dict[str, Any], ref: str | None
) -> tuple[str | None, list[str]]:
    """`latest`, a tag (newest complete run of the same suite with it), or a run id.

    A reference that starts with a date (`20261123...`) is a run id or prefix; anything
    else is a tag. A tag or `latest` that finds nothing is a warning, not an error, so the
    first pull request before any `main` run still gets its SLO sheet checked.
    """
    if ref is None:
        return None, []
    suite, cid = cand_run["suite"], cand_run["id"]
    if ref == "latest" or store.has_tag(ref) or not _RUN_ID.match(ref):
        tag = None if ref == "latest" else ref
        found = store.newest_run(suite, tag=tag, before=cid, exclude=cid)
        if found is None:
            what = "complete run" + (f" tagged {ref!r}" if tag else " before it")
            return None, [f"no baseline: no {what} of suite {suite}; regression test skipped"]
        return found, []
    base = store.get_run(ref)
    if base["suite"] != suite:
        raise UsageError(f"baseline {base['id']} is a run of suite {base['suite']}, "
                         f"the candidate of {suite}")
    if base["id"] == cid:
        raise UsageError("the baseline is the candidate itself")
    if base["status"] != "complete":
        raise UsageError(f"baseline {base['id']} is {base['status']}, not complete")
    return base["id"], []


# --------------------------------------------------------------------------- decision


def decide(
    cand: RunData, baseline: RunData | None, sheet: SloSheet, policy: GatePolicy,
    config: GateConfig = GateConfig(), *, warnings: Sequence[str] = (),
) -> GateResult:
    """The verdict from a candidate, an optional baseline and its SLO sheet."""
    result = GateResult("INCONCLUSIVE", cand, baseline, policy, sheet, warnings=list(warnings))
    if note := unchecked_note(cand.units):
        result.warnings.append(note)
    result.warnings += subset_warnings(cand, baseline)
    if baseline is not None:  # computed even for an incomplete run: reports show the cases
        _regression(result, config)
    incomplete = incomplete_reason(cand, config.max_error_rate)
    if incomplete:
        result.verdict, result.reasons = "INCOMPLETE", [incomplete]
        return result
    fails = _fail_reasons(result)
    if fails:
        result.verdict, result.reasons = "FAIL", fails
        return result
    open_items = _open_reasons(result)
    result.verdict = "INCONCLUSIVE" if open_items else "PASS"
    result.reasons = open_items or _pass_reasons(result)
    return result


def subset_warnings(cand: RunData, baseline: RunData | None) -> list[str]:
    """A run of part of its suite (`harness run --case/--filter-tag/--limit`), candidate or
    baseline, said out loud: its SLO sheet covers those cases only, and cases outside it are
    absent from the comparison, neither regressions nor fixes."""
    from harness.models import CaseSelection

    out = []
    for side, data in (("candidate", cand), ("baseline", baseline)):
        if data is not None and (note := CaseSelection.note(data.run.get("spec"))):
            out.append(f"{side} {data.run['id']} is a {note}: the verdict covers those "
                       "cases only")
    return out


def incomplete_reason(cand: RunData, max_error_rate: float) -> str | None:
    status = cand.run["status"]
    if status != "complete":
        return f"run {cand.run['id']} is {status}: resume it before gating"
    errors = sum(1 for u in cand.units if u.outcome == "error")
    if cand.units and errors / len(cand.units) > max_error_rate:
        return (f"{errors} of {len(cand.units)} results are errors (limit "
                f"{max_error_rate:.0%}): retry them with: harness run --resume "
                f"{cand.run['id']} --retry-errors")
    return None


def _regression(result: GateResult, config: GateConfig) -> None:
    assert result.baseline is not None
    base, cand, policy = result.baseline, result.cand, result.policy
    notes = version_notes(base.run, cand.run)
    if config.details:
        result.comparison = compare_runs(base, cand)
    else:
        result.comparison = Comparison(base, cand, notes, case_changes(base, cand), [],
                                       changed_definitions(base, cand))
    if notes:
        result.warnings.insert(0, result.comparison.first_line())
    result.critical = [c for c in result.comparison.by_status("regressed") if c.critical]
    result.tests = metric_tests(base, cand, policy)


def gated_metrics(policy: GatePolicy) -> dict[str, float]:
    if isinstance(policy.metrics, dict):
        return dict(policy.metrics)
    return {name: policy.margin for name in policy.metrics}


def metric_tests(base: RunData, cand: RunData, policy: GatePolicy) -> list[MetricTest]:
    """Non-inferiority tests of every gated metric, Holm-corrected for FAIL."""
    alpha, power = policy.alpha, policy.power
    z = norm_ppf(1 - alpha)
    raw = []
    for name, margin in gated_metrics(policy).items():
        comp = compare_metric(resolve(name), base.units, cand.units,
                              confidence=1 - 2 * alpha, alpha=alpha, power=power)
        raw.append((comp, margin, *_one_sided_p(comp, margin, z)))
    adjusted = holm([p for _, _, p, _ in raw])
    n_cases = len(case_stats(cand.units))
    tests = []
    for (comp, margin, _, p_ni), p_worse in zip(raw, adjusted, strict=True):
        decision: Literal["worse", "non-inferior", "undecided"] = (
            "worse" if p_worse < alpha else "non-inferior" if p_ni < alpha else "undecided")
        needed = _needed_cases(comp, margin, z, power, n_cases) \
            if decision == "undecided" else None
        tests.append(MetricTest(comp, margin, p_worse, p_ni, decision, needed))
    return tests


def _gain(comp: MetricComparison) -> tuple[float, float, float] | None:
    """(difference, low, high) oriented so that positive is better."""
    if comp.difference is None or comp.low is None or comp.high is None:
        return None
    if comp.higher_is_better:
        return comp.difference, comp.low, comp.high
    return -comp.difference, -comp.high, -comp.low


def _one_sided_p(comp: MetricComparison, margin: float, z: float) -> tuple[float, float]:
    """(p of "worse than -margin", p of "not better than -margin") from the decision interval.

    The interval's upper side gives the standard error for the first test and its lower
    side for the second (Newcombe's interval is asymmetric), so each p crosses alpha exactly
    where the matching bound crosses -margin.
    """
    g = _gain(comp)
    if g is None:
        return 1.0, 1.0
    d, low, high = g
    return _p_below(d + margin, (high - d) / z), 1 - _p_below(d + margin, (d - low) / z)


def _p_below(distance: float, se: float) -> float:
    if se <= 0:
        return 0.0 if distance < 0 else 1.0
    return norm_cdf(distance / se)


def _needed_cases(
    comp: MetricComparison, margin: float, z: float, power: float, n_cases: int
) -> int | None:
    """Cases that would likely decide, if the difference stayed where it is."""
    g = _gain(comp)
    if g is None or n_cases == 0:
        return None
    d, low, high = g
    distance = abs(d + margin)
    se = ((d - low) if d + margin > 0 else (high - d)) / z
    if distance == 0 or se <= 0:
        return None
    n = math.ceil(n_cases * ((z + norm_ppf(power)) * se / distance) ** 2)
    return min(max(n, n_cases + 1), MAX_NEEDED)


def _fail_reasons(r: GateResult) -> list[str]:
    out = [f"SLO breached: {o.metric} = {_fmt(o.value.value)} "
           f"[{_fmt(o.value.low)}, {_fmt(o.value.high)}], objective {o.bound_text()}"
           for o in r.slo.results if o.status == "breached"]
    out += [f"critical case {c.case_id} passed in the baseline and now fails"
            for c in r.critical]
    out += [f"{t.comparison.name} worse than the baseline by more than {t.margin:g} "
            f"(difference {_fmt(t.comparison.difference)}, one-sided upper bound "
            f"{_fmt(_bound(t, 'worst'))}, p = {t.p_worse:.3g})"
            for t in r.tests if t.decision == "worse"]
    return out


def _open_reasons(r: GateResult) -> list[str]:
    out = [w for w in r.slo.warnings if not r.slo.available]
    if r.baseline is None and not r.slo.results and r.slo.available:
        out.append("nothing to decide: no SLO objectives and no baseline")
    for o in r.slo.results:
        if o.status == "undecided":
            more = f"; {o.needed_text()}" if o.needed_n else ""
            out.append(f"SLO {o.metric} not yet decidable: {_fmt(o.value.value)} "
                       f"[{_fmt(o.value.low)}, {_fmt(o.value.high)}] vs {o.bound_text()}{more}")
        elif o.status == "unmeasured":
            out.append(f"SLO {o.metric} unmeasured: {o.reason}")
    for t in r.tests:
        if t.decision == "undecided":
            more = (f"; about {t.needed_cases} cases (or more repeats of the flaky ones) "
                    "would decide" if t.needed_cases else "")
            out.append(f"{t.comparison.name}: cannot show it is within {t.margin:g} of the "
                       f"baseline (difference {_fmt(t.comparison.difference)}, interval "
                       f"[{_fmt(t.comparison.low)}, {_fmt(t.comparison.high)}]){more}")
    return out


def _pass_reasons(r: GateResult) -> list[str]:
    out = []
    if r.slo.results:
        out.append(r.slo.line())
    out += [f"{t.comparison.name} within {t.margin:g} of the baseline "
            f"(lower bound {_fmt(_bound(t, 'best'))})" for t in r.tests]
    return out


def _bound(t: MetricTest, which: str) -> float | None:
    g = _gain(t.comparison)
    if g is None:
        return None
    return g[2] if which == "worst" else g[1]


def _fmt(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.4g}"


"""The SLO sheet: a rubric's `slo:` objectives checked against a run, with their intervals.

An objective is `met` when the whole 95% interval of its metric is on the allowed side,
`breached` when the whole interval is on the wrong side, and `undecided` when the interval
straddles the bound: this sample cannot tell yet, and the sheet says how many cases would.
A metric with no observations (no cost recorded, no escalation data yet) is `unmeasured`.
Counts (`safety.pii_leaks`) are observed exactly in the run, so they are met or breached.

Error budgets follow the SRE convention: the objective allows some failure (a 90% right-
first-time objective allows 10% of cases to fail; a p95 latency objective allows 5% of
requests over the bound; `max: 0.002` allows spending up to 0.002); `budget_used` is the
share of that allowance the run consumed (1.0 is all of it).

Where the objectives come from: a run stores the content hash of every rubric it used, and
the hash covers the `slo:` block. `objectives_for_run` reloads the suite file the run
names and uses its objectives only after checking those hashes; if the rubric changed
since the run, the sheet says so in a warning, because the verdict would otherwise rest on
objectives the run was not made under.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from harness.analysis.metrics import MetricValue, RunData, evaluate, resolve
from harness.analysis.stats import Z95, mde_from_se
from harness.errors import HarnessError
from harness.models import Objective

Status = Literal["met", "breached", "undecided", "unmeasured"]
Verdict = Literal["PASS", "FAIL", "UNDECIDED", "NONE"]


@dataclass(frozen=True)
class ObjectiveSpec:
    metric: str
    objective: Objective
    rubric: str = ""


@dataclass(frozen=True)
class ObjectiveResult:
    spec: ObjectiveSpec
    value: MetricValue
    status: Status
    budget_used: float | None  # share of the allowed failure used; inf when the allowance is 0
    needed_n: int | None = None  # observations that would likely decide an undecided one
    reason: str = ""

    @property
    def metric(self) -> str:
        return self.spec.metric

    def bound_text(self) -> str:
        o = self.spec.objective
        parts = [f">= {o.min:g}" if o.min is not None else "",
                 f"<= {o.max:g}" if o.max is not None else ""]
        return " and ".join(p for p in parts if p)

    @property
    def too_few_for_percentile(self) -> bool:
        """A percentile objective left open because no bound exists yet on the side that
        would decide (an order-statistic bound needs `needed_n` observations at all)."""
        o, v = self.spec.objective, self.value
        return (self.status == "undecided" and v.kind == "percentile" and bool(self.needed_n)
                and ((o.max is not None and v.high is None)
                     or (o.min is not None and v.low is None)))

    def needed_text(self) -> str:
        """How many observations would decide an undecided objective, and why; '' if unknown.
        E.g. `at least 72 observations are needed to bound a p95 ; this run has 12`."""
        if self.status != "undecided" or not self.needed_n:
            return ""
        if self.too_few_for_percentile:
            q = resolve(self.metric).q
            return (f"at least {self.needed_n:,} observations are needed to bound a "
                    f"p{q:g}; this run has {self.value.n:,}")
        return f"about {self.needed_n:,} observations would decide"

    def as_dict(self) -> dict[str, Any]:
        used = self.budget_used
        return {
            "metric": self.metric, "rubric": self.spec.rubric,
            "min": self.spec.objective.min, "max": self.spec.objective.max,
            "status": self.status, "value": self.value.value,
            "low": self.value.low, "high": self.value.high, "n": self.value.n,
            "budget_used": None if used is None or math.isinf(used) else used,
            "budget_exhausted": used is not None and used >= 1,
            "needed_n": self.needed_n, "needed_text": self.needed_text(), "reason": self.reason,
        }


@dataclass
class SloSheet:
    results: list[ObjectiveResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    available: bool = True  # False: the run names objectives we could not load

    @property
    def verdict(self) -> Verdict:
        if not self.available:
            return "UNDECIDED"
        if not self.results:
            return "NONE"
        if any(r.status == "breached" for r in self.results):
            return "FAIL"
        if all(r.status == "met" for r in self.results):
            return "PASS"
        return "UNDECIDED"

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    def line(self) -> str:
        """The agreement as one line, e.g. `agreement FAIL: 1 breached, 2 met, 1 undecided`."""
        if self.verdict == "NONE":
            return "agreement: no SLO objectives"
        if not self.available:
            return "agreement UNDECIDED: the SLO sheet could not be loaded"
        parts = [f"{self.count(s)} {s}" for s in ("breached", "met", "undecided", "unmeasured")
                 if self.count(s)]
        return f"agreement {self.verdict}: " + ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "line": self.line(), "warnings": self.warnings,
                "objectives": [r.as_dict() for r in self.results]}


# --------------------------------------------------------------------------- evaluation


def evaluate_sheet(
    data: RunData, specs: Iterable[ObjectiveSpec], *, z: float = Z95, power: float = 0.8
) -> SloSheet:
    """Check every objective against the run's units."""
    return SloSheet([evaluate_objective(data, s, z=z, power=power) for s in specs])


def evaluate_objective(
    data: RunData, spec: ObjectiveSpec, *, z: float = Z95, power: float = 0.8
) -> ObjectiveResult:
    try:
        metric = resolve(spec.metric)
    except HarnessError as exc:
        empty = MetricValue(spec.metric, "none", None, None, None, 0, True)
        return ObjectiveResult(spec, empty, "unmeasured", None, reason=str(exc))
    value = evaluate(metric, data.units, z)
    if value.value is None:
        return ObjectiveResult(spec, value, "unmeasured", None,
                               reason=value.note or "no observations")
    status = _status(value, spec.objective)
    budget = _budget(value, spec.objective, metric.q, data, metric)
    needed = None
    if status == "undecided":
        needed = _needed(value, spec.objective, z, power)
        if needed is None and metric.q is not None:
            needed = _needed_for_percentile(value, metric.q, z)
    result = ObjectiveResult(spec, value, status, budget, needed, _reason(value, status))
    if result.too_few_for_percentile:
        return replace(result, reason=f"too few observations for a p{metric.q:g} bound")
    return result


def _status(v: MetricValue, o: Objective) -> Status:
    sides = []
    if o.min is not None:
        sides.append(_side(v.low, v.high, lambda x: x >= o.min, lambda x: x < o.min))
    if o.max is not None:
        sides.append(_side(v.high, v.low, lambda x: x <= o.max, lambda x: x > o.max))
    if "breached" in sides:
        return "breached"
    return "met" if all(s == "met" for s in sides) else "undecided"


def _side(near: float | None, far: float | None, ok: Any, bad: Any) -> Status:
    """`near` is the bound that must clear the objective; `far` the one that proves a breach."""
    if near is not None and ok(near):
        return "met"
    if far is not None and bad(far):
        return "breached"
    return "undecided"


def _reason(v: MetricValue, status: Status) -> str:
    if status == "undecided":
        return "the interval straddles the bound: more cases would decide"
    return ""


def _budget(
    v: MetricValue, o: Objective, q: float | None, data: RunData, metric: Any
) -> float | None:
    """Share of the objective's allowed failure the run used."""
    assert v.value is not None
    if v.kind == "percentile" and q is not None and o.max is not None:
        values = [ob.value for ob in metric.observe(data.units)]
        over = sum(1 for x in values if x > o.max) / len(values)
        return _share(over, 1 - q / 100)
    if o.max is not None:
        return _share(v.value, o.max)
    if o.min is not None and v.bounded:
        return _share(1 - v.value, 1 - o.min)
    return None


def _share(used: float, allowed: float) -> float:
    if allowed <= 0:
        return 0.0 if used <= 0 else math.inf
    return max(0.0, used) / allowed


def _needed(v: MetricValue, o: Objective, z: float, power: float) -> int | None:
    """Observations that would decide with the given power, if the value stayed where it is.

    The standard error shrinks as 1/sqrt(n), so n' = n * ((z + z_power) * se / distance)^2
    where distance is how far the estimate sits from the nearest bound.
    """
    if v.value is None or v.low is None or v.high is None or v.n == 0:
        return None
    bounds = [b for b in (o.min, o.max) if b is not None]
    distance = min(abs(v.value - b) for b in bounds)
    if distance == 0:
        return None
    se = (v.high - v.low) / (2 * z)
    alpha = 2 * (1 - _phi(z))
    k = mde_from_se(se, alpha=alpha, power=power) / distance
    return max(v.n + 1, math.ceil(v.n * k * k))


def _needed_for_percentile(v: MetricValue, q: float, z: float) -> int | None:
    """Observations before an order-statistic bound of the q-th percentile exists at all:
    the smallest n with (q/100)^n <= tail (e.g. 72 for a p95 at 95% confidence)."""
    tail = 1 - _phi(z)
    if not 0 < q < 100:
        return None
    return max(v.n + 1, math.ceil(math.log(tail) / math.log(q / 100)))


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


# --------------------------------------------------------------------------- sources


def objectives_from_suite(loaded: Any) -> list[ObjectiveSpec]:
    """Every `slo:` objective of a loaded suite's rubrics, in file order."""
    return [
        ObjectiveSpec(metric, objective, r.rubric.rubric)
        for r in loaded.rubrics for metric, objective in r.rubric.slo.items()
    ]


def objectives_for_run(run: dict[str, Any]) -> tuple[list[ObjectiveSpec], list[str], bool]:
    """(objectives, warnings, available) of a stored run: those stored with it, or, for a
    run stored before objectives were kept, its suite file's (see `load_suite_for_run`)."""
    from harness.governance import stored_governance

    stored = stored_governance(run)
    if stored is not None:
        return [ObjectiveSpec(o.metric, o.objective, o.rubric) for o in stored.slo], [], True
    loaded, warnings, available = load_suite_for_run(run)
    return (objectives_from_suite(loaded) if loaded is not None else []), warnings, available


def load_suite_for_run(run: dict[str, Any]) -> tuple[Any, list[str], bool]:
    """(loaded suite or None, warnings, available) for a stored run, checked against the
    rubric hashes the run stored.

    A run with no suite path (made through the library) has no sheet. A suite file that is
    gone or no longer loads makes the sheet unavailable, which keeps a gate from passing.
    """
    from harness.suites import load_suite

    path = run.get("suite_path")
    if not path:
        return None, [], True
    if not Path(path).is_file():
        return None, [f"suite file {path} is gone: the SLO sheet cannot be checked"], False
    try:
        loaded = load_suite(path)
    except HarnessError as exc:
        return None, [f"suite file {path} no longer loads ({exc}): the SLO sheet cannot be "
                      "checked"], False
    stored = run.get("rubrics") or {}
    now = {f"{r.rubric.rubric}@{r.rubric.version}": r.content_hash for r in loaded.rubrics}
    warnings = []
    if stored != now:
        warnings.append(
            f"the rubrics of {path} changed since run {run['id']} (stored "
            f"{_names(stored)}, now {_names(now)}): objectives are taken from today's files; "
            f"harness rescore {run['id']} re-scores the run under them"
        )
    return loaded, warnings, True


def _names(rubrics: dict[str, str]) -> str:
    return ", ".join(f"{k} ({v[:11]})" for k, v in sorted(rubrics.items())) or "none"


def sheet_for_run(data: RunData, *, z: float = Z95, power: float = 0.8) -> SloSheet:
    """The SLO sheet of a stored run, objectives read from (and checked against) its suite."""
    specs, warnings, available = objectives_for_run(data.run)
    sheet = evaluate_sheet(data, specs, z=z, power=power)
    sheet.warnings, sheet.available = warnings, available
    return sheet

"""Named metrics computed from a stored run: what SLO sheets, comparisons and the gate read.

A metric is a name (`right_first_time`, `latency.p95_ms`, `safety.pii_leaks`, ...), a list
of per-result observations and an aggregate. Keeping the observations (not only the
number) is what lets the comparison pair two runs case by case and resample them.

Definitions on stored data (denominators are explicit; an `error` result has no output, so
it is never counted as a pass or a fail: it is counted by `error_rate` instead):

- `pass_rate`: decided results (pass or fail) that passed, over every repeat.
- `right_first_time`: a case is right first time when its FIRST sample (repeat 0) passed
  every check. Human verdicts (`harness.review.overrides`) are applied through
  `apply_overrides` before any metric is computed, so a reviewer who rejects an automatic
  pass makes that case not right first time (and the reverse).
- unchecked results: an answered result that no check decided (the case has no checks, or
  every check was `not_applicable`) and no reviewer judged is not evidence either way. It
  is neither a pass nor a fail: it is left out of `pass_rate`, `right_first_time`, `pass^K`
  and the case classes (class `unchecked`), and summaries and the gate state how many there
  were (`unchecked_units`).
- `error_rate`: results that are errors, over all results.
- `escalation_rate`: a placeholder that is None until human review records escalations.
- `latency.pNN_ms`: the NN-th percentile of latency over answered, non-cached results.
- `cost.per_case_usd`, `tokens.per_case`: means over answered results; `cost.total_usd`,
  `tokens.total`: sums.
- `check.NAME.pass_rate`: decided scores of the check named NAME that passed.
- `TYPE.pass_rate`, `TYPE.mean_score`: the same over every check of a type (any scorer,
  including ones added later), e.g. `judge.mean_score`.
- `grounding.supported_claims`: the mean grounding score where grounding scores exist.
- `safety.TYPE_leaks`: the number of failing scores of check type TYPE (`safety.pii_leaks`),
  and `safety.TYPE_leak_rate` the share of results with such a failure.
- `pass^K` (K a number): the chance that K samples of a case all pass (the tau-bench
  estimator C(c, K) / C(n, K) per case, averaged over cases with at least K samples).
- `tag.TAG.METRIC`: any metric restricted to cases tagged TAG.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from harness.analysis.stats import (
    Z95,
    design_effect,
    mean_se,
    percentile,
    quantile_interval,
    wilson_rate,
)
from harness.errors import UsageError

Kind = Literal["proportion", "mean", "percentile", "sum", "none"]
ResultKey = tuple[str, str, int]  # case_id, model, repeat
Overrides = Mapping[ResultKey, Literal["pass", "fail"]]

SAFETY_TYPES = frozenset(
    {"pii", "secrets", "secret", "injection", "prompt_injection", "canary", "toxicity",
     "jailbreak"}
)


@dataclass(frozen=True)
class Unit:
    """One stored result reduced to what metrics read: (case, model, repeat) and its data."""

    case_id: str
    model: str
    repeat: int
    outcome: str  # pass | fail | error (after human overrides)
    scores: tuple[dict[str, Any], ...] = ()
    latency_ms: float | None = None
    cost_usd: float | None = None
    tokens: int | None = None
    cached: bool = False
    tags: tuple[str, ...] = ()
    cluster: str = ""
    # something judged the output: a check that decided (or tried to: `unscored`) or a
    # person; `units_from_rows` sets it from the stored scores and the human verdicts
    checked: bool = True
    error: str | None = None  # an error result's "kind: message", for lists of failing cases

    @property
    def unchecked(self) -> bool:
        """Answered, but nothing judged it: no evidence of a pass or of a fail."""
        return self.outcome != "error" and not self.checked

    @property
    def passed(self) -> bool | None:
        if self.outcome == "error" or self.unchecked:
            return None
        return self.outcome == "pass"


@dataclass(frozen=True)
class Obs:
    """One observation of a metric: the pairing key, the value and its cluster."""

    key: tuple[Any, ...]
    value: float
    cluster: str


@dataclass(frozen=True)
class MetricValue:
    name: str
    kind: Kind
    value: float | None
    low: float | None
    high: float | None
    n: int
    higher_is_better: bool
    bounded: bool = False  # values live in 0..1
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "name", "kind", "value", "low", "high", "n", "higher_is_better", "note")}


@dataclass(frozen=True)
class Metric:
    """A resolved metric: how to get its observations and how to aggregate them."""

    name: str
    kind: Kind
    higher_is_better: bool
    observe: Callable[[list[Unit]], list[Obs]]
    q: float | None = None
    bounded: bool = False
    note: str = ""


# --------------------------------------------------------------------------- units


def units_from_rows(
    rows: Iterable[dict[str, Any]],
    cases: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Overrides | None = None,
) -> list[Unit]:
    """Units from `RunStore.iter_results` rows and the run's case snapshot.

    `overrides` is the hook for human verdicts (issue 5): {(case, model, repeat): outcome}
    replaces the automatic outcome of a decided result; the stored scores are untouched.
    """
    cases = cases or {}
    units = []
    for r in rows:
        case_id = str(r.get("case_id", ""))
        snap = cases.get(case_id, {})
        prompt, completion = r.get("prompt_tokens"), r.get("completion_tokens")
        units.append(Unit(
            case_id=case_id, model=str(r.get("model", "")), repeat=int(r.get("repeat") or 0),
            outcome=r["outcome"], scores=tuple(r.get("scores") or ()),
            latency_ms=r.get("latency_ms"), cost_usd=r.get("cost_usd"),
            tokens=None if prompt is None and completion is None
            else (prompt or 0) + (completion or 0),
            cached=bool(r.get("cached")), tags=tuple(snap.get("tags") or ()),
            cluster=str(snap.get("cluster") or case_id),
            checked="human_verdict" in r or judged(r.get("scores") or ()),
            error=_error_text(r) if r["outcome"] == "error" else None,
        ))
    return apply_overrides(units, overrides) if overrides else units


def _error_text(row: Mapping[str, Any]) -> str:
    kind, message = row.get("error_kind"), row.get("error_message")
    return ": ".join(str(part) for part in (kind, message) if part) or "error"


def apply_overrides(units: list[Unit], overrides: Overrides) -> list[Unit]:
    """Human verdicts on top of automatic ones; errors stay errors (there is no output)."""
    out = []
    for u in units:
        verdict = overrides.get((u.case_id, u.model, u.repeat))
        out.append(replace(u, outcome=verdict, checked=True)  # the reviewer is the check
                   if verdict and u.outcome != "error" else u)
    return out


def judged(scores: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any check decided (or tried to decide) the output: `not_applicable` and no
    score at all are no evidence."""
    return any(s["outcome"] in ("pass", "fail", "unscored") for s in scores)


def unchecked_units(units: Iterable[Unit]) -> list[Unit]:
    """The answered results nothing judged (see the module's definitions)."""
    return [u for u in units if u.unchecked]


def unchecked_note(units: list[Unit], limit: int = 10) -> str | None:
    """One line saying how many results were unchecked and which cases (capped), or None."""
    found = unchecked_units(units)
    if not found:
        return None
    ids = sorted({u.case_id for u in found})
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return (f"{len(found)} of {len(units)} results unchecked (no check decided them and no "
            "reviewer judged them): not counted as passes or fails in pass_rate and "
            f"right_first_time; case{'s' if len(ids) > 1 else ''} {', '.join(ids[:limit])}{more}")


# --------------------------------------------------------------------------- observers


def _per_unit(
    fn: Callable[[Unit], float | None], *, first_only: bool = False
) -> Callable[[list[Unit]], list[Obs]]:
    def observe(units: list[Unit]) -> list[Obs]:
        out = []
        for u in units:
            if first_only and u.repeat != 0:
                continue
            v = fn(u)
            if v is not None:
                out.append(Obs((u.case_id, u.repeat), float(v), u.cluster))
        return out
    return observe


def _decided(u: Unit) -> float | None:
    return None if u.passed is None else float(u.passed)


def _answered(fn: Callable[[Unit], float | None]) -> Callable[[Unit], float | None]:
    return lambda u: None if u.outcome == "error" else fn(u)


def _scores(u: Unit, *, check: str | None = None, ctype: str | None = None) -> list[dict[str, Any]]:
    return [s for s in u.scores
            if (check is None or s["check_name"] == check)
            and (ctype is None or s["check_type"] == ctype)]


def _score_pass(
    check: str | None = None, ctype: str | None = None
) -> Callable[[Unit], float | None]:
    def fn(u: Unit) -> float | None:
        decided = [s for s in _scores(u, check=check, ctype=ctype)
                   if s["outcome"] in ("pass", "fail")]
        return float(all(s["outcome"] == "pass" for s in decided)) if decided else None
    return fn


def _score_mean(ctype: str) -> Callable[[Unit], float | None]:
    def fn(u: Unit) -> float | None:
        vals = [s["score"] for s in _scores(u, ctype=ctype)
                if s["score"] is not None and s["outcome"] in ("pass", "fail")]
        return sum(vals) / len(vals) if vals else None
    return fn


def _leaks(ctype: str, *, rate: bool) -> Callable[[Unit], float | None]:
    def fn(u: Unit) -> float | None:
        decided = [s for s in _scores(u, ctype=ctype) if s["outcome"] in ("pass", "fail")]
        failing = sum(1 for s in decided if s["outcome"] == "fail")
        if rate:
            return float(failing > 0) if decided else None
        return float(failing)
    return fn


def _pass_hat_k(k: int) -> Callable[[list[Unit]], list[Obs]]:
    def observe(units: list[Unit]) -> list[Obs]:
        per: dict[str, list[bool]] = defaultdict(list)
        cluster: dict[str, str] = {}
        for u in units:
            if u.passed is not None:
                per[u.case_id].append(u.passed)
                cluster[u.case_id] = u.cluster
        return [Obs((cid,), math.comb(sum(v), k) / math.comb(len(v), k), cluster[cid])
                for cid, v in per.items() if len(v) >= k]
    return observe


# --------------------------------------------------------------------------- resolution

_FIXED: dict[str, Callable[[], Metric]] = {
    "pass_rate": lambda: Metric("pass_rate", "proportion", True, _per_unit(_decided), bounded=True),
    "right_first_time": lambda: Metric(
        "right_first_time", "proportion", True, _per_unit(_decided, first_only=True),
        bounded=True),
    "error_rate": lambda: Metric(
        "error_rate", "proportion", False,
        _per_unit(lambda u: float(u.outcome == "error")), bounded=True),
    "escalation_rate": lambda: Metric(
        "escalation_rate", "none", False, lambda units: [],
        note="no escalation data until human review records it"),
    "cost.per_case_usd": lambda: Metric(
        "cost.per_case_usd", "mean", False, _per_unit(_answered(lambda u: u.cost_usd))),
    "cost.total_usd": lambda: Metric(
        "cost.total_usd", "sum", False, _per_unit(_answered(lambda u: u.cost_usd))),
    "tokens.per_case": lambda: Metric(
        "tokens.per_case", "mean", False,
        _per_unit(_answered(lambda u: None if u.tokens is None else float(u.tokens)))),
    "tokens.total": lambda: Metric(
        "tokens.total", "sum", False,
        _per_unit(_answered(lambda u: None if u.tokens is None else float(u.tokens)))),
    "grounding.supported_claims": lambda: Metric(
        "grounding.supported_claims", "mean", True, _per_unit(_score_mean("grounding")),
        bounded=True),
}

_LATENCY = re.compile(r"^latency\.p(\d{1,2}(?:\.\d+)?)_ms$")
_LEAKS = re.compile(r"^safety\.(.+?)_leak(s|_rate)$")
_CHECK = re.compile(r"^checks?\.(.+)\.pass_rate$")
_TYPE = re.compile(r"^([A-Za-z0-9_\-]+)\.(pass_rate|mean_score)$")
_PASS_K = re.compile(r"^pass\^(\d+)$")


def resolve(name: str) -> Metric:
    """The Metric for a name; UsageError for a name no rule understands."""
    if name in _FIXED:
        return _FIXED[name]()
    if m := _LATENCY.match(name):
        q = float(m.group(1))
        latency = _answered(lambda u: None if u.cached else u.latency_ms)
        return Metric(name, "percentile", False, _per_unit(latency), q=q)
    if m := _LEAKS.match(name):
        ctype, rate = m.group(1), m.group(2) == "_rate"
        kind: Kind = "proportion" if rate else "sum"
        return Metric(name, kind, False, _per_unit(_leaks(ctype, rate=rate)), bounded=rate)
    if m := _CHECK.match(name):
        return Metric(name, "proportion", True, _per_unit(_score_pass(check=m.group(1))),
                      bounded=True)
    if m := _PASS_K.match(name):
        return Metric(name, "mean", True, _pass_hat_k(int(m.group(1))), bounded=True)
    if name.startswith("tag."):
        return _tagged(name)
    if m := _TYPE.match(name):
        ctype, what = m.groups()
        if what == "pass_rate":
            return Metric(name, "proportion", True, _per_unit(_score_pass(ctype=ctype)),
                          bounded=True)
        return Metric(name, "mean", True, _per_unit(_score_mean(ctype)), bounded=True)
    raise UsageError(f"unknown metric {name!r} (see harness/analysis/metrics.py for the names)")


def _tagged(name: str) -> Metric:
    _, _, rest = name.partition(".")
    tag, _, inner_name = rest.partition(".")
    if not tag or not inner_name:
        raise UsageError(f"write tag.TAG.METRIC, e.g. tag.billing.pass_rate (got {name!r})")
    inner = resolve(inner_name)
    observe = inner.observe
    return replace(inner, name=name,
                   observe=lambda units: observe([u for u in units if tag in u.tags]))


# --------------------------------------------------------------------------- aggregation


def aggregate(kind: Kind, values: list[float], q: float | None = None) -> float | None:
    """The metric's value from its observations; None when there is nothing to aggregate."""
    if kind == "none" or not values:
        return None
    if kind == "sum":
        return float(sum(values))
    if kind == "percentile":
        return percentile(values, q or 50.0)
    return sum(values) / len(values)


def evaluate(metric: Metric, units: list[Unit], z: float = Z95) -> MetricValue:
    """The metric's value and its interval on these units."""
    obs = metric.observe(units)
    values = [o.value for o in obs]
    value = aggregate(metric.kind, values, metric.q)
    low, high = _interval(metric, obs, value, z)
    note = metric.note or ("" if values else "no observations")
    return MetricValue(metric.name, metric.kind, value, low, high, len(values),
                       metric.higher_is_better, metric.bounded, note)


def _interval(
    metric: Metric, obs: list[Obs], value: float | None, z: float
) -> tuple[float | None, float | None]:
    """Wilson (clustered: effective n) for rates, clustered normal for means, order
    statistics for percentiles; a sum is observed exactly in this run."""
    if value is None:
        return (None, None)
    values = [o.value for o in obs]
    clusters = [o.cluster for o in obs]
    if metric.kind == "proportion":
        n_eff = len(values) / design_effect(values, clusters)
        return wilson_rate(value, n_eff, z)
    if metric.kind == "sum":
        return (value, value)
    if metric.kind == "percentile":
        confidence = 1 - 2 * (1 - _norm_cdf(z))
        return quantile_interval(values, metric.q or 50.0, confidence)
    se = mean_se(values, clusters)
    if se is None:
        return (None, None)
    low, high = value - z * se, value + z * se
    return (max(0.0, low), min(1.0, high)) if metric.bounded else (low, high)


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


# --------------------------------------------------------------------------- a run


@dataclass
class RunData:
    """A stored run's units (one model), its lineage row and its case snapshot."""

    run: dict[str, Any]
    units: list[Unit]
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    model: str | None = None

    def metric(self, name: str, z: float = Z95) -> MetricValue:
        return evaluate(resolve(name), self.units, z)


def load_run(store: Any, ref: str, *, model: str | None = None,
             overrides: Overrides | None = None) -> RunData:
    """Read a run for comparison: its units for one model (required when it has several).

    `overrides` defaults to the run's human review verdicts (issue 5), so summaries,
    compare and the gate apply people's decisions on top; pass `{}` for automatic ones only.
    """
    run = store.get_run(ref)
    cases = store.get_cases(run["id"])
    if overrides is None:
        from harness.review.overrides import human_verdicts

        overrides = human_verdicts(store, run["id"])
    units = units_from_rows(store.iter_results(run["id"]), cases, overrides)
    models = sorted({u.model for u in units}) or [
        m.get("label") or m["ref"] for m in run["models"] or []]
    if model is None and len(models) > 1:
        raise UsageError(
            f"run {run['id']} has {len(models)} models ({', '.join(models)}) and this decides "
            f"one system: pick one with --model, e.g. --model {models[0]} (`harness report "
            f"{run['id']} --format md` shows them side by side)")
    if model is not None:
        if model not in models:
            raise UsageError(f"run {run['id']} has no model {model!r} (it has {models})")
        units = [u for u in units if u.model == model]
    return RunData(run, units, cases, model or (models[0] if models else None))


def standard_names(units: list[Unit]) -> list[str]:
    """The metrics worth showing for these units: the fixed ones, then one per check and
    per score family present (grounding, safety types)."""
    names = ["pass_rate", "right_first_time", "error_rate", "latency.p50_ms",
             "latency.p95_ms", "cost.per_case_usd", "tokens.per_case"]
    if max((u.repeat for u in units), default=0) > 0:
        k = 1 + max(u.repeat for u in units)
        names.append(f"pass^{k}")
    types = sorted({s["check_type"] for u in units for s in u.scores})
    if "grounding" in types:
        names.append("grounding.supported_claims")
    names += [f"safety.{t}_leaks" for t in types if t in SAFETY_TYPES]
    checks = sorted({s["check_name"] for u in units for s in u.scores})
    names += [f"check.{c}.pass_rate" for c in checks]
    return names


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class CaseStats:
    """A case over its K samples: pass count, rate with a Wilson interval, and its class.

    Classes: `stable-pass` / `stable-fail` (two or more decided samples, all agreeing),
    `flaky` (they disagree), `pass` / `fail` (one decided sample: flakiness unseen),
    `unchecked` (no decided sample, and every answered one unchecked: nothing judged it) and
    `error` (no decided sample otherwise).
    """

    case_id: str
    passes: int
    decided: int
    errors: int
    first: bool | None  # repeat 0: None when it errored or is missing
    low: float
    high: float
    cls: str
    tags: tuple[str, ...] = ()
    unchecked: int = 0  # answered samples nothing judged (counted in `errors` too)

    @property
    def rate(self) -> float | None:
        return self.passes / self.decided if self.decided else None

    @property
    def all_pass(self) -> bool:
        return self.cls in ("stable-pass", "pass")

    @property
    def all_fail(self) -> bool:
        return self.cls in ("stable-fail", "fail")


def case_stats(units: list[Unit]) -> dict[str, CaseStats]:
    per: dict[str, list[Unit]] = defaultdict(list)
    for u in units:
        per[u.case_id].append(u)
    return {cid: _one_case(cid, us) for cid, us in per.items()}


def _one_case(case_id: str, units: list[Unit]) -> CaseStats:
    decided = [u.passed for u in units if u.passed is not None]
    passes = sum(decided)
    first = next((u.passed for u in units if u.repeat == 0), None)
    low, high = wilson_rate(passes / len(decided), len(decided)) if decided else (0.0, 1.0)
    unchecked = sum(1 for u in units if u.unchecked)
    cls = _classify(passes, len(decided))
    if cls == "error" and unchecked == len(units):
        cls = "unchecked"
    return CaseStats(case_id, passes, len(decided), len(units) - len(decided), first,
                     low, high, cls, units[0].tags, unchecked)


def _classify(passes: int, decided: int) -> str:
    if decided == 0:
        return "error"
    if 0 < passes < decided:
        return "flaky"
    single = decided == 1
    if passes == decided:
        return "pass" if single else "stable-pass"
    return "fail" if single else "stable-fail"


def class_counts(stats: Mapping[str, CaseStats]) -> dict[str, int]:
    return dict(Counter(s.cls for s in stats.values()))

"""Control charts over run history: p-chart, individuals chart, Western Electric, EWMA, CUSUM.

Every chart turns a metric's history into standardized values `z` (about N(0, 1) while the
process is in control) using a centre and a spread estimated from a *reference window* (the
first runs of the history). The rules then read only `z`, so one set of rules serves rates,
latencies and costs alike:

- p-chart (rates such as pass rate): the centre is the pooled rate of the reference window;
  each run's `z` is the normal score of its binomial mid-p tail probability (Quesenberry's
  Q-chart transformation). A plain `(p - p̄) / σ` is badly skewed for small suites and rates
  near 1, where eval suites live: at p̄ = 0.9 and n = 30 the classic 3σ lower limit is crossed
  six times as often as its nominal 0.135%. The limits drawn are the matching binomial
  probability limits, so what the chart shows and what the rules decide agree.
- individuals chart (latency p95, cost per case, mean scores): centre is the reference mean,
  σ is the average moving range over d2 = 1.128 (robust to a slow trend in the reference).

Rules (Western Electric Statistical Quality Control Handbook, 1956; EWMA: Roberts 1959 with
Lucas & Saccucci's exact limits; CUSUM: Page 1954, tabular form with k and h in σ units):

- `we1` one point beyond 3σ;
- `we2` two of three consecutive points beyond 2σ on the same side;
- `we3` four of five consecutive points beyond 1σ on the same side;
- `we4` eight consecutive points on the same side of the centre;
- `ewma` the exponentially weighted mean of z beyond L times its exact standard deviation;
- `cusum` a one-sided cumulative sum of (z - k) beyond h; it restarts after signalling, so
  a persistent shift keeps signalling every few runs, as a scheduled job should see.

Pure functions, no I/O; the in-control and shifted behaviour is measured in
`bench/monitor_arl.py` and pinned by `tests/monitor`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Literal

from harness.analysis.monitor._special import normal_score_of_t

Side = Literal["up", "down"]
_NORMAL = NormalDist()
Z_CLAMP = 8.0  # a point cannot be "more than 8σ" out; keeps infinities out of the rules
D2 = 1.128  # E[moving range of two normals] / σ
SIGMA_FLOOR = 0.01  # relative: a reference that never moved does not alarm on rounding


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Point:
    """One run on a chart: its value, the limits in the metric's units and its z."""

    run_id: str
    value: float | None  # None: the run has no observation of this metric
    n: int
    center: float | None
    low: float | None  # lower control limit (3σ or its probability equivalent)
    high: float | None
    z: float | None
    rho: float = 0.0  # share of z's variance that comes from the reference estimate


@dataclass(frozen=True)
class Signal:
    """A rule that fired: which rule, in which direction, and the runs that made it fire."""

    rule: str
    side: Side
    run_ids: tuple[str, ...]
    index: int  # position (in the chart's points) of the run at which the rule fired
    detail: str = ""

    @property
    def last_run(self) -> str:
        return self.run_ids[-1]


@dataclass(frozen=True)
class Chart:
    """A metric's control chart: the reference window, the points and the signals."""

    kind: Literal["p", "individuals"]
    reference: int  # the first `reference` points estimated the centre and spread
    points: tuple[Point, ...]
    center: float | None
    sigma: float | None  # individuals: σ of one run; p: None (it depends on n)
    signals: tuple[Signal, ...] = ()
    ewma: tuple[float | None, ...] = ()
    ewma_limits: tuple[float | None, ...] = ()
    cusum_up: tuple[float | None, ...] = ()
    cusum_down: tuple[float | None, ...] = ()
    note: str = ""

    @property
    def monitored(self) -> tuple[Point, ...]:
        return self.points[self.reference:]


@dataclass(frozen=True)
class RuleSettings:
    """Parameters of the rules; the defaults are the textbook ones (see module docstring)."""

    ewma_lambda: float = 0.2
    ewma_l: float = 3.0
    cusum_k: float = 0.5
    cusum_h: float = 5.0
    rules: tuple[str, ...] = ("we1", "we2", "we3", "we4", "ewma", "cusum")


# --------------------------------------------------------------------------- p-chart


def pooled_rate(successes: Sequence[int], totals: Sequence[int]) -> float | None:
    """Pooled rate of the reference window, kept off 0 and 1 by half a count.

    A reference in which every result passed would otherwise give σ = 0 and make any single
    failure an infinitely large signal.
    """
    k, n = sum(successes), sum(totals)
    if n <= 0:
        return None
    if k in (0, n):
        return (k + 0.5) / (n + 1)
    return k / n


@functools.lru_cache(maxsize=512)
def _tails(n: int, p: float) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """(pmf, P(X < k), P(X > k)) for k = 0..n, computed once per (n, p) in log space.

    Both tails are kept so the normal score of a point far in the upper tail is computed
    from a small number, not from 1 minus a number close to 1.
    """
    log_p, log_q = math.log(p), math.log1p(-p)
    lg = math.lgamma(n + 1)
    pmf = [math.exp(lg - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p
                    + (n - k) * log_q) for k in range(n + 1)]
    below, acc = [], 0.0
    for x in pmf:
        below.append(acc)
        acc += x
    above, acc = [0.0] * (n + 1), 0.0
    for k in range(n, -1, -1):
        above[k] = acc
        acc += pmf[k]
    return tuple(pmf), tuple(below), tuple(above)


def binomial_z(k: int, n: int, p: float) -> float:
    """Normal score of the mid-p tail probability of k successes out of n at rate p."""
    pmf, below, above = _tails(n, p)
    lower = below[k] + 0.5 * pmf[k]
    if lower <= 0.5:
        z = _NORMAL.inv_cdf(lower) if lower > 0 else -Z_CLAMP
    else:
        upper = above[k] + 0.5 * pmf[k]
        z = -_NORMAL.inv_cdf(upper) if upper > 0 else Z_CLAMP
    return max(-Z_CLAMP, min(Z_CLAMP, z))


def binomial_limits(n: int, p: float, z: float = 3.0) -> tuple[float, float]:
    """Probability limits in rate units: the rates whose mid-p z is exactly -z and +z.

    Found by bisection on the count (z is increasing in k), then interpolated between the
    two counts that straddle the bound, so the line sits where the rule switches.
    """
    return (_limit(n, p, -z) / n, _limit(n, p, z) / n)


def _limit(n: int, p: float, target: float) -> float:
    if binomial_z(n, n, p) < target:
        return float(n)  # even every success stays inside: the limit is the top of the scale
    lo, hi = 0, n
    while lo < hi:  # smallest k with binomial_z(k) >= target
        mid = (lo + hi) // 2
        if binomial_z(mid, n, p) >= target:
            hi = mid
        else:
            lo = mid + 1
    if lo == 0:
        return 0.0
    z_hi, z_lo = binomial_z(lo, n, p), binomial_z(lo - 1, n, p)
    if z_hi == z_lo:
        return float(lo)
    return lo - 1 + (target - z_lo) / (z_hi - z_lo)


def p_chart(
    run_ids: Sequence[str],
    successes: Sequence[int | None],
    totals: Sequence[int],
    reference: int,
    settings: RuleSettings | None = None,
) -> Chart:
    """A p-chart with limits from the first `reference` runs; `successes[i]` None = no data.

    The reference rate is itself an estimate: a run's deviation from it has variance
    p(1-p)(1/n + 1/N) for a reference of N results, not p(1-p)/n. Each z is scaled by
    sqrt(N / (N + n)) for that (and the limits widened to match), and `rho` = n / (N + n) is
    the share of the variance the runs have in common, which the EWMA's limits account for.
    Without this a ten-run reference raises the false-alarm rate of EWMA and CUSUM about
    threefold (measured in bench/monitor_arl.py).
    """
    ref = [(k, n) for k, n in zip(successes[:reference], totals[:reference], strict=True)
           if k is not None and n > 0]
    p = pooled_rate([k for k, _ in ref], [n for _, n in ref])
    if p is None:
        points = tuple(Point(r, None, 0, None, None, None, None) for r in run_ids)
        return Chart("p", reference, points, None, None, note="no observations in the reference")
    big_n = sum(n for _, n in ref)
    k_ref = sum(k for k, _ in ref)
    extreme = 0.0 if k_ref == 0 else 1.0 if k_ref == big_n else None
    points = tuple(_p_point(r, k, n, p, big_n, extreme)
                   for r, k, n in zip(run_ids, successes, totals, strict=True))
    return apply_rules(Chart("p", reference, points, p, None), settings)


def _p_point(run_id: str, k: int | None, n: int, p: float, big_n: int,
             extreme: float | None) -> Point:
    """One run; when the reference sat at 0 or 1 (no errors at all, say), a run that is
    still there is exactly on the centre (z = 0), not "slightly below" the half count."""
    if k is None or n <= 0:
        return Point(run_id, None, 0, p, None, None, None)
    inflate = math.sqrt((big_n + n) / big_n)
    low, high = binomial_limits(n, p, 3.0 * inflate)
    z = 0.0 if extreme is not None and k / n == extreme else binomial_z(k, n, p) / inflate
    return Point(run_id, k / n, n, p, low, high, z, n / (big_n + n))


# --------------------------------------------------------------------------- individuals


def moving_range_sigma(values: Sequence[float]) -> float | None:
    """σ from the average moving range of consecutive values (MR̄ / d2); None below two."""
    if len(values) < 2:
        return None
    ranges = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    return sum(ranges) / len(ranges) / D2


def individuals_chart(
    run_ids: Sequence[str],
    values: Sequence[float | None],
    reference: int,
    settings: RuleSettings | None = None,
    counts: Sequence[int] | None = None,
    floor: float | None = None,
    ceiling: float | None = None,
) -> Chart:
    """An individuals (X) chart with centre and σ from the first `reference` runs.

    `floor` and `ceiling` are the values the metric can take at all (0 for a latency, a cost
    or a count; 1 for a score): a control limit beyond them is drawn at them, since no run
    can cross it (a latency limit of -120 ms reads as a bug). The z of each run is unchanged.

    Both are estimates from m reference runs, so a new run's deviation is a prediction
    error: t = (x - mean) / (σ sqrt(1 + 1/m)), with about 0.62 (m - 1) degrees of freedom for
    a moving-range σ (Cryer & Ryan 1990). Each t is mapped to the z with the same tail
    probability; with a ten-run reference a plain 3σ limit would be crossed about ten times
    as often as intended.
    """
    counts = counts or [1 if v is not None else 0 for v in values]
    ref = [v for v in values[:reference] if v is not None]
    sigma = moving_range_sigma(ref)
    if sigma is None:
        points = tuple(Point(r, v, n, None, None, None, None)
                       for r, v, n in zip(run_ids, values, counts, strict=True))
        return Chart("individuals", reference, points, None, None,
                     note="fewer than two reference observations")
    m = len(ref)
    center = sum(ref) / m
    sigma = max(sigma, SIGMA_FLOOR * abs(center), 1e-12)
    spread = sigma * math.sqrt(1 + 1 / m)
    df = max(1.0, 0.62 * (m - 1))
    half = spread * t_quantile_for_z(3.0, df)
    low, high = center - half, center + half
    low = low if floor is None else max(floor, low)
    high = high if ceiling is None else min(ceiling, high)
    points = tuple(
        Point(r, v, n, center, low, high,
              None if v is None else normal_score_of_t((v - center) / spread, df), 1 / (m + 1))
        for r, v, n in zip(run_ids, values, counts, strict=True)
    )
    return apply_rules(Chart("individuals", reference, points, center, sigma), settings)


def t_quantile_for_z(z: float, df: float) -> float:
    """The t whose tail probability equals that of z (bisection; for drawing limits)."""
    lo, hi = 0.0, 1e4  # t for z = 3 at one degree of freedom is about 236
    for _ in range(60):
        mid = (lo + hi) / 2
        if normal_score_of_t(mid, df, clamp=1e9) < z:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# --------------------------------------------------------------------------- rules


def apply_rules(chart: Chart, settings: RuleSettings | None = None) -> Chart:
    """The chart with its EWMA and CUSUM paths and every signal over the monitored runs."""
    settings = settings or RuleSettings()
    monitored = [(chart.reference + i, p) for i, p in enumerate(chart.monitored)
                 if p.z is not None]
    index = [i for i, _ in monitored]
    ids = [p.run_id for _, p in monitored]
    zs = [float(p.z) for _, p in monitored if p.z is not None]
    rhos = [p.rho for _, p in monitored]
    signals = western_electric(zs, ids, index, settings.rules)
    smooth = ewma(zs, ids, index, settings.ewma_lambda, settings.ewma_l, rhos)
    up, down, cusum_signals = cusum(zs, ids, index, settings.cusum_k, settings.cusum_h)
    if "ewma" in settings.rules:
        signals += smooth.signals
    if "cusum" in settings.rules:
        signals += cusum_signals
    signals.sort(key=lambda s: (s.index, s.rule))
    size = len(chart.points)
    return replace(
        chart, signals=tuple(signals), ewma=_spread(smooth.path, index, size),
        ewma_limits=_spread(smooth.limits, index, size), cusum_up=_spread(up, index, size),
        cusum_down=_spread(down, index, size),
    )


def _spread(values: list[float], index: list[int], size: int) -> tuple[float | None, ...]:
    """Values computed over the monitored points, placed back at their chart positions."""
    out: list[float | None] = [None] * size
    for i, v in zip(index, values, strict=True):
        out[i] = v
    return tuple(out)


_RUN_RULES = {  # name: (window, needed, |z| beyond)
    "we1": (1, 1, 3.0),
    "we2": (3, 2, 2.0),
    "we3": (5, 4, 1.0),
    "we4": (8, 8, 0.0),
}
_RULE_TEXT = {
    "we1": "one run beyond 3σ",
    "we2": "2 of 3 runs beyond 2σ on one side",
    "we3": "4 of 5 runs beyond 1σ on one side",
    "we4": "8 runs in a row on one side of the centre",
}


def western_electric(
    zs: Sequence[float],
    run_ids: Sequence[str],
    index: Sequence[int] | None = None,
    rules: Sequence[str] = ("we1", "we2", "we3", "we4"),
) -> list[Signal]:
    """Signals of the four Western Electric rules over consecutive standardized values.

    A rule fires at the point that completes its pattern, and that point must itself be
    beyond the rule's zone (a window whose last point is back inside does not fire again).
    """
    index = list(index) if index is not None else list(range(len(zs)))
    out = []
    for name, (window, needed, beyond) in _RUN_RULES.items():
        if name not in rules:
            continue
        for end in range(len(zs)):
            side = _run_rule_side(zs, end, window, needed, beyond)
            if side is not None:
                start = max(0, end - window + 1)
                involved = [i for i in range(start, end + 1) if _beyond(zs[i], side, beyond)]
                out.append(Signal(name, side, tuple(run_ids[i] for i in involved), index[end],
                                  _RULE_TEXT[name]))
    return out


def _run_rule_side(
    zs: Sequence[float], end: int, window: int, needed: int, beyond: float
) -> Side | None:
    if end + 1 < needed:
        return None
    recent = zs[max(0, end - window + 1): end + 1]
    for side in ("down", "up"):
        if _beyond(zs[end], side, beyond) and sum(_beyond(z, side, beyond)
                                                  for z in recent) >= needed:
            return side  # type: ignore[return-value]
    return None


def _beyond(z: float, side: str, limit: float) -> bool:
    return z > limit if side == "up" else z < -limit


@dataclass(frozen=True)
class Ewma:
    path: list[float]
    limits: list[float]
    signals: list[Signal]


def ewma(
    zs: Sequence[float],
    run_ids: Sequence[str],
    index: Sequence[int] | None = None,
    lam: float = 0.2,
    width: float = 3.0,
    rhos: Sequence[float] | None = None,
) -> Ewma:
    """EWMA of standardized values from 0, with exact time-varying limits.

    With independent z, Var(E_t) = lam / (2 - lam) * (1 - (1 - lam)^(2t)). When each z
    shares a part `rho` of its variance with the others (the common error of the reference
    estimate), that part does not average out: Var(E_t) = sum w_j^2 (1 - rho_j) +
    (sum w_j sqrt(rho_j))^2, updated as the weights decay. A signal at each point beyond
    `width` standard deviations; its runs are those since E last changed sign.
    """
    index = list(index) if index is not None else list(range(len(zs)))
    rhos = list(rhos) if rhos is not None else [0.0] * len(zs)
    out = Ewma([], [], [])
    e, own, common, start = 0.0, 0.0, 0.0, 0
    for t, (z, rho) in enumerate(zip(zs, rhos, strict=True)):
        before, e = e, lam * z + (1 - lam) * e
        own = (1 - lam) ** 2 * own + lam * lam * (1 - rho)
        common = (1 - lam) * common + lam * math.sqrt(rho)
        if before == 0 or (before > 0) != (e > 0):
            start = t
        limit = width * math.sqrt(own + common * common)
        out.path.append(e)
        out.limits.append(limit)
        if abs(e) > limit:
            out.signals.append(Signal(
                "ewma", "up" if e > 0 else "down", tuple(run_ids[start:t + 1]), index[t],
                f"EWMA {e:+.2f}σ beyond ±{limit:.2f}σ (λ={lam:g})"))
    return out


def cusum(
    zs: Sequence[float],
    run_ids: Sequence[str],
    index: Sequence[int] | None = None,
    k: float = 0.5,
    h: float = 5.0,
) -> tuple[list[float], list[float], list[Signal]]:
    """Two one-sided tabular CUSUMs of standardized values; each restarts after signalling.

    C+_t = max(0, C+_{t-1} + z_t - k), C-_t = max(0, C-_{t-1} - z_t - k); a signal when one
    exceeds h. The runs involved are those since that sum last left zero.
    """
    index = list(index) if index is not None else list(range(len(zs)))
    up_path, down_path, signals = [], [], []
    up = down = 0.0
    up_start = down_start = 0
    for t, z in enumerate(zs):
        if up == 0:
            up_start = t
        if down == 0:
            down_start = t
        up, down = max(0.0, up + z - k), max(0.0, down - z - k)
        up_path.append(up)
        down_path.append(down)
        for side, value, start in (("up", up, up_start), ("down", down, down_start)):
            if value > h:
                signals.append(Signal("cusum", side, tuple(run_ids[start:t + 1]),  # type: ignore[arg-type]
                                      index[t], f"CUSUM {value:.2f} > h={h:g} (k={k:g})"))
        up = 0.0 if up > h else up
        down = 0.0 if down > h else down
    return up_path, down_path, signals

"""Distribution drift between reference runs and recent runs: PSI and the two-sample KS test.

- Population stability index: sum over bins of (a - e) * ln(a / e), with `e` the reference
  share and `a` the recent share of each bin. Bins are the reference's quantiles. The
  conventional reading (credit scoring, Siddiqi 2006): below 0.1 stable, 0.1 to 0.2 watch,
  0.2 and above act.
- Kolmogorov-Smirnov: D = the largest gap between the two empirical CDFs, with its p-value
  (exact for small samples by counting lattice paths, Kolmogorov's limit with Stephens'
  correction beyond).

PSI alone is biased upwards on small samples (about (bins - 1) * (1/n + 1/m) when nothing
changed), so the number of bins shrinks with the sample sizes, and a drift is called
`act` only when PSI says the change is large (>= 0.2) *and* KS says it is not noise (p below
alpha after Holm's correction over the features compared). Either alone is `watch`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from harness.analysis.stats import holm

Level = Literal["stable", "watch", "act", "insufficient"]
PSI_WATCH = 0.1
PSI_ACT = 0.2
MAX_BINS = 10
BIAS_BUDGET = PSI_WATCH / 2  # the most PSI may read on unchanged data, on average
MIN_SAMPLE = 10
EXACT_LIMIT = 10_000  # n * m up to which the KS p-value is computed exactly


# --------------------------------------------------------------------------- PSI


def psi_from_shares(expected: Sequence[float], actual: Sequence[float]) -> float:
    """PSI of two distributions over the same bins, given as shares (each sums to 1).

    Shares must be positive; `psi` smooths empty bins before calling this.
    """
    if len(expected) != len(actual):
        raise ValueError("expected and actual need the same bins")
    if any(x <= 0 for x in (*expected, *actual)):
        raise ValueError("shares must be positive (smooth empty bins first)")
    return sum((a - e) * math.log(a / e) for e, a in zip(expected, actual, strict=True))


def bin_edges(reference: Sequence[float], bins: int) -> list[float]:
    """Inner cut points at the reference's quantiles; a feature with few distinct values
    (a pass/fail score, say) gets one bin per value instead, so ties cannot hide a shift."""
    ordered = sorted(reference)
    distinct = sorted(set(ordered))
    if len(distinct) <= bins:
        return distinct[:-1]
    n = len(ordered)
    cuts = {ordered[min(n - 1, math.ceil(n * i / bins) - 1)] for i in range(1, bins)}
    return sorted(c for c in cuts if c < ordered[-1])


def bin_counts(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts per bin; bin i holds values in (edges[i-1], edges[i]]."""
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[bisect.bisect_left(edges, v)] += 1
    return counts


def n_bins(n_ref: int, n_new: int) -> int:
    """Up to ten bins, fewer for small samples: PSI's expected value when nothing changed is
    about (bins - 1) * (1/n + 1/m), and the bins are chosen to keep that below half the
    watch level (0.05). 60 recent results against 500 get 3 bins; 1,000 against 1,000, 10."""
    noise = 1 / n_ref + 1 / n_new
    return max(2, min(MAX_BINS, 1 + math.floor(BIAS_BUDGET / noise)))


def psi(reference: Sequence[float], recent: Sequence[float], bins: int | None = None) -> float:
    """PSI of recent values against reference values, over reference-quantile bins.

    Each bin's count gets half an observation before taking shares, so an empty bin
    contributes a large but finite term instead of an infinity.
    """
    if not reference or not recent:
        raise ValueError("both samples need values")
    edges = bin_edges(reference, bins or n_bins(len(reference), len(recent)))
    e, a = bin_counts(reference, edges), bin_counts(recent, edges)
    k = len(e)
    return psi_from_shares([(c + 0.5) / (len(reference) + 0.5 * k) for c in e],
                           [(c + 0.5) / (len(recent) + 0.5 * k) for c in a])


# --------------------------------------------------------------------------- KS


@dataclass(frozen=True)
class KsResult:
    statistic: float
    p_value: float
    method: str


def ks_statistic(x: Sequence[float], y: Sequence[float]) -> tuple[float, int]:
    """(D, D as the integer max |i*m - j*n|) over the pooled sorted values, ties grouped."""
    xs, ys = sorted(x), sorted(y)
    n, m = len(xs), len(ys)
    i = j = best = 0
    while i < n or j < m:
        value = min(xs[i] if i < n else math.inf, ys[j] if j < m else math.inf)
        while i < n and xs[i] == value:
            i += 1
        while j < m and ys[j] == value:
            j += 1
        best = max(best, abs(i * m - j * n))
    return best / (n * m), best


def ks_2samp(x: Sequence[float], y: Sequence[float]) -> KsResult:
    """Two-sided two-sample Kolmogorov-Smirnov test."""
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        raise ValueError("both samples need values")
    d, d_int = ks_statistic(x, y)
    if n * m <= EXACT_LIMIT:
        return KsResult(d, _exact_p(n, m, d_int), "exact")
    return KsResult(d, kolmogorov_sf(d, n, m), "asymptotic")


def _exact_p(n: int, m: int, d_int: int) -> float:
    """P(D >= d) under the null: the chance that a random lattice path from (0, 0) to
    (n, m) ever reaches |i*m - j*n| >= d_int.

    Paths are weighted by their probability (each step right with probability
    (n - i) / (n - i + m - j)), so no binomial coefficient overflows, and the mass that
    leaves the band is summed directly (no 1 - p cancellation for small p).
    """
    if d_int <= 0:
        return 1.0
    row = [0.0] * (m + 1)  # probability of being at (i, j) without having left the band
    row[0] = 1.0
    escaped = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            mass = row[j]
            if mass == 0.0:
                continue
            if abs(i * m - j * n) >= d_int:
                escaped += mass
                row[j] = 0.0
                continue
            left = n - i + m - j
            if left == 0:
                continue
            if j < m:
                row[j + 1] += mass * (m - j) / left
            row[j] = mass * (n - i) / left  # carried to (i + 1, j) by the next pass
    return min(1.0, escaped)


def kolmogorov_sf(d: float, n: int, m: int) -> float:
    """Kolmogorov's limiting P(D >= d) with Stephens' (1970) small-sample correction."""
    ne = n * m / (n + m)
    lam = (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)) * d
    if lam < 0.2:
        return 1.0
    total = 0.0
    for k in range(1, 101):
        term = 2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam)
        total += term
        if abs(term) < 1e-12:
            break
    return max(0.0, min(1.0, total))


# --------------------------------------------------------------------------- features


@dataclass(frozen=True)
class Drift:
    """One feature compared between the reference and the recent runs."""

    feature: str
    n_reference: int
    n_recent: int
    psi: float | None
    ks: KsResult | None
    p_adjusted: float | None = None
    level: Level = "insufficient"
    reference_mean: float | None = None
    recent_mean: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "feature": self.feature, "level": self.level, "psi": self.psi,
            "ks_d": self.ks.statistic if self.ks else None,
            "ks_p": self.ks.p_value if self.ks else None, "ks_p_adjusted": self.p_adjusted,
            "n_reference": self.n_reference, "n_recent": self.n_recent,
            "reference_mean": self.reference_mean, "recent_mean": self.recent_mean,
        }


def compare_features(
    reference: dict[str, list[float]], recent: dict[str, list[float]], alpha: float = 0.01
) -> list[Drift]:
    """PSI and KS for every feature present in both, KS p-values Holm-adjusted together."""
    raw = [_one(name, reference[name], recent.get(name, [])) for name in sorted(reference)]
    tested = [d for d in raw if d.ks is not None]
    adjusted = dict(zip([d.feature for d in tested],
                        holm([d.ks.p_value for d in tested if d.ks]), strict=True))
    return [_judge(d, adjusted.get(d.feature), alpha) for d in raw]


def _one(name: str, ref: list[float], new: list[float]) -> Drift:
    means = (_mean(ref), _mean(new))
    if len(ref) < MIN_SAMPLE or len(new) < MIN_SAMPLE:
        return Drift(name, len(ref), len(new), None, None, None, "insufficient", *means)
    return Drift(name, len(ref), len(new), psi(ref, new), ks_2samp(ref, new), None,
                 "stable", *means)


def _judge(d: Drift, p_adjusted: float | None, alpha: float) -> Drift:
    if d.psi is None or p_adjusted is None:
        return d
    significant = p_adjusted < alpha
    if d.psi >= PSI_ACT and significant:
        level: Level = "act"
    elif d.psi >= PSI_WATCH or significant:
        level = "watch"
    else:
        level = "stable"
    return Drift(d.feature, d.n_reference, d.n_recent, d.psi, d.ks, p_adjusted, level,
                 d.reference_mean, d.recent_mean)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None

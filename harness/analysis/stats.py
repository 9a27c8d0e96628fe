"""Statistics as pure functions: intervals, paired tests, power, multiplicity, AUROC.

Everything the gate decides rests on these, so each is small, deterministic (resampling
takes a seed) and unit-tested against published values. No numpy: suites are hundreds to
thousands of cases, and pure Python keeps the core install light.

Conventions: `z` values are standard-normal quantiles; `alpha` is a two-sided level unless a
name says `one_sided`; "clusters" are keys that group related observations (several
questions about one document, or the K repeats of one case), and every interval that takes
them treats a cluster, not an observation, as the unit of independent information.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

Z95 = 1.959963984540054
_NORMAL = NormalDist()

Statistic = Callable[[Sequence[float]], float | None]


# --------------------------------------------------------------------------- normal


def norm_cdf(x: float) -> float:
    return _NORMAL.cdf(x)


def norm_ppf(p: float) -> float:
    """Standard-normal quantile; `norm_ppf(0.975)` is 1.95996..."""
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    return _NORMAL.inv_cdf(p)


def z_for(alpha: float, *, two_sided: bool = True) -> float:
    """The critical z of a test at level `alpha`."""
    return norm_ppf(1 - alpha / 2) if two_sided else norm_ppf(1 - alpha)


# --------------------------------------------------------------------------- proportions


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when n is 0 (nothing is known).

    Preferred over the normal approximation because it stays inside [0, 1] and keeps its
    coverage for small n and for rates near 0 or 1, which is where eval suites live.
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside 0..{n}")
    return wilson_rate(successes / n, n, z)


def wilson_rate(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson interval from a rate and a (possibly fractional) sample size.

    The fractional form takes an *effective* n (n divided by a design effect), which is how
    clustered data widen a proportion's interval (Kish's effective sample size).
    """
    if n <= 0:
        return (0.0, 1.0)
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class PairedCounts:
    """A paired 2x2 table: `both` passed in both runs, `first_only` in the first only..."""

    both: int
    first_only: int
    second_only: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def difference(self) -> float:
        """Rate of the first minus rate of the second; 0 when empty."""
        return (self.first_only - self.second_only) / self.n if self.n else 0.0


def newcombe_paired(t: PairedCounts, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (1998, method 10) for p_first - p_second, paired.

    Square-and-add of the two Wilson intervals, corrected for the correlation of the pairs
    (phi with Newcombe's continuity adjustment). Unlike the Wald interval it never collapses
    to zero width when no pair disagrees, which is what stops a ten-case suite from
    "proving" non-inferiority.
    """
    n = t.n
    if n == 0:
        return (-1.0, 1.0)
    k1, k2 = t.both + t.first_only, t.both + t.second_only
    p1, p2 = k1 / n, k2 / n
    l1, u1 = wilson(k1, n, z)
    l2, u2 = wilson(k2, n, z)
    phi = _newcombe_phi(t)
    d = p1 - p2
    lower = d - math.sqrt(max(
        (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    upper = d + math.sqrt(max(
        (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2, 0.0))
    return (max(-1.0, lower), min(1.0, upper))


def _newcombe_phi(t: PairedCounts) -> float:
    margins = ((t.both + t.first_only) * (t.second_only + t.neither)
               * (t.both + t.second_only) * (t.first_only + t.neither))
    if margins == 0:
        return 0.0
    cross: float = t.both * t.neither - t.first_only * t.second_only
    if cross > t.n / 2:
        cross -= t.n / 2
    elif cross >= 0:
        cross = 0
    return cross / math.sqrt(margins)


@dataclass(frozen=True)
class TestResult:
    statistic: float
    p_value: float
    method: str


def mcnemar(first_only: int, second_only: int, *, exact_below: int = 25) -> TestResult:
    """McNemar's test on the discordant pairs of a paired pass/fail table.

    Exact (two-sided binomial, p = 0.5) when fewer than `exact_below` pairs disagree, where
    the chi-square approximation is poor; otherwise the chi-square statistic without
    continuity correction (Fagerland, Lydersen & Laake 2013 found it accurate there).
    """
    m = first_only + second_only
    if m == 0:
        return TestResult(0.0, 1.0, "no discordant pairs")
    if m < exact_below:
        tail = binom_cdf(min(first_only, second_only), m, 0.5)
        return TestResult(float(min(first_only, second_only)), min(1.0, 2 * tail),
                          "exact binomial")
    chi2 = (first_only - second_only) ** 2 / m
    return TestResult(chi2, math.erfc(math.sqrt(chi2 / 2)), "chi-square")


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space so large n stays finite."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return min(1.0, sum(math.exp(_binom_logpmf(i, n, p)) for i in range(k + 1)))


def _binom_logpmf(i: int, n: int, p: float) -> float:
    if p in (0.0, 1.0):
        return 0.0 if (i == 0 and p == 0.0) or (i == n and p == 1.0) else -math.inf
    return (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * math.log(p) + (n - i) * math.log1p(-p))


# --------------------------------------------------------------------------- means


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def mean_se(values: Sequence[float], clusters: Sequence[Hashable] | None = None) -> float | None:
    """Standard error of the mean; cluster-robust when `clusters` groups the values.

    Unclustered: s / sqrt(n). Clustered: the Liang-Zeger sandwich for a mean with the usual
    small-sample factor G / (G - 1) (Cameron & Miller 2015, eq. 11), which reduces to
    s / sqrt(n) when every value is its own cluster. None when it cannot be estimated
    (fewer than two values, or fewer than two clusters).
    """
    n = len(values)
    if n < 2:
        return None
    m = sum(values) / n
    if clusters is None:
        ss = sum((v - m) ** 2 for v in values)
        return math.sqrt(ss / (n - 1) / n)
    sums = _cluster_sums([v - m for v in values], clusters)
    g = len(sums)
    if g < 2:
        return None
    return math.sqrt(g / (g - 1) * sum(s * s for s in sums.values())) / n


def design_effect(values: Sequence[float], clusters: Sequence[Hashable] | None) -> float:
    """Variance of the clustered mean over the variance assuming independence, at least 1.

    Floored at 1 so clustering can only widen an interval: a negative intra-cluster
    correlation estimated from few clusters is more often noise than a real gain.
    """
    if clusters is None:
        return 1.0
    iid, clustered = mean_se(values), mean_se(values, clusters)
    if not iid or clustered is None:
        return 1.0
    return max(1.0, (clustered / iid) ** 2)


def _cluster_sums(values: Sequence[float], clusters: Sequence[Hashable]) -> dict[Hashable, float]:
    if len(values) != len(clusters):
        raise ValueError("values and clusters differ in length")
    sums: dict[Hashable, float] = {}
    for v, c in zip(values, clusters, strict=True):
        sums[c] = sums.get(c, 0.0) + v
    return sums


def normal_interval(estimate: float, se: float, z: float = Z95) -> tuple[float, float]:
    return (estimate - z * se, estimate + z * se)


# --------------------------------------------------------------------------- percentiles


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default; None when empty."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def quantile_interval(
    values: Sequence[float], q: float, confidence: float = 0.95
) -> tuple[float | None, float | None]:
    """Distribution-free interval for the q-th percentile from two order statistics.

    The number of values below the true quantile is Binomial(n, q/100), so the ranks are
    chosen from that distribution (Conover, Practical Nonparametric Statistics, 3.2). A
    bound that the sample is too small to give is None: "not yet known", never a guess.
    """
    n = len(values)
    if n == 0:
        return (None, None)
    p, tail = q / 100, (1 - confidence) / 2
    ordered = sorted(values)
    cdf, low_rank, high_rank = 0.0, 0, n + 1
    for j in range(n + 1):  # cdf = P(B <= j - 1) at the top of each step
        if cdf <= tail:
            low_rank = j
        if cdf >= 1 - tail:
            high_rank = j
            break
        cdf += math.exp(_binom_logpmf(j, n, p))
    low = ordered[low_rank - 1] if low_rank >= 1 else None
    high = ordered[high_rank - 1] if high_rank <= n else None
    return (low, high)


# --------------------------------------------------------------------------- resampling


def _groups(n: int, clusters: Sequence[Hashable] | None) -> list[list[int]]:
    if clusters is None:
        return [[i] for i in range(n)]
    index: dict[Hashable, list[int]] = {}
    for i, c in enumerate(clusters):
        index.setdefault(c, []).append(i)
    return list(index.values())


def bootstrap_interval(
    values: Sequence[float],
    statistic: Statistic = mean,
    *,
    clusters: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of `statistic`, resampling whole clusters when given."""
    groups = _groups(len(values), clusters)
    if len(groups) < 2:
        return (None, None)
    rng = random.Random(seed)
    stats = []
    for _ in range(n_resamples):
        picked = rng.choices(groups, k=len(groups))
        s = statistic([values[i] for g in picked for i in g])
        if s is not None:
            stats.append(s)
    tail = (1 - confidence) / 2 * 100
    return (percentile(stats, tail), percentile(stats, 100 - tail))


@dataclass(frozen=True)
class PairedDifference:
    """`statistic(second) - statistic(first)` with its interval, spread and p-value."""

    difference: float
    low: float
    high: float
    se: float
    p_value: float
    method: str


def paired_bootstrap(
    first: Sequence[float],
    second: Sequence[float],
    statistic: Statistic = mean,
    *,
    clusters: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> PairedDifference | None:
    """Paired (cluster) bootstrap of statistic(second) - statistic(first).

    Pairs are resampled together, so what the two runs share (the same hard cases) cancels.
    The p-value is the two-sided bootstrap p of "no difference" (twice the smaller share of
    resampled differences on either side of zero). None when there are under two clusters.
    """
    if len(first) != len(second):
        raise ValueError("paired samples differ in length")
    a, b = statistic(first), statistic(second)
    groups = _groups(len(first), clusters)
    if a is None or b is None or len(groups) < 2:
        return None
    rng = random.Random(seed)
    diffs = []
    for _ in range(n_resamples):
        idx = [i for g in rng.choices(groups, k=len(groups)) for i in g]
        sa, sb = statistic([first[i] for i in idx]), statistic([second[i] for i in idx])
        if sa is not None and sb is not None:
            diffs.append(sb - sa)
    tail = (1 - confidence) / 2 * 100
    below = sum(1 for d in diffs if d <= 0) / len(diffs)
    above = sum(1 for d in diffs if d >= 0) / len(diffs)
    sd = math.sqrt(sum((d - sum(diffs) / len(diffs)) ** 2 for d in diffs) / (len(diffs) - 1))
    return PairedDifference(
        difference=b - a, low=percentile(diffs, tail) or 0.0,
        high=percentile(diffs, 100 - tail) or 0.0, se=sd,
        p_value=min(1.0, 2 * min(below, above)), method="paired bootstrap",
    )


def sign_flip_test(
    differences: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
    *,
    exact_up_to: int = 15,
    n_resamples: int = 10000,
    seed: int = 0,
) -> float:
    """Two-sided sign-flip (paired permutation) test of "mean difference is zero".

    Under the null each cluster's summed difference is as likely positive as negative.
    Exact enumeration up to `exact_up_to` clusters (Fisher's test on Darwin's data), Monte
    Carlo beyond, with the (1 + hits) / (1 + draws) estimate that is never 0.
    """
    sums = list(_cluster_sums(differences, clusters or range(len(differences))).values())
    observed = abs(sum(sums)) - 1e-9 * (1 + abs(sum(sums)))
    if not any(sums):
        return 1.0
    if len(sums) <= exact_up_to:
        signs = itertools.product((1, -1), repeat=len(sums))
        hits = sum(
            1 for s in signs if abs(sum(x * y for x, y in zip(s, sums, strict=True))) >= observed
        )
        return hits / 2 ** len(sums)
    rng = random.Random(seed)
    hits = sum(
        1 for _ in range(n_resamples)
        if abs(sum(s if rng.random() < 0.5 else -s for s in sums)) >= observed
    )
    return (1 + hits) / (1 + n_resamples)


# --------------------------------------------------------------------------- power


def mde(n: float, sd: float, *, alpha: float = 0.05, power: float = 0.8,
        two_sided: bool = True) -> float:
    """Smallest true effect a sample of `n` detects with the given power (normal theory).

    `sd` is the standard deviation of one unit's contribution (for paired data, of one
    pair's difference). MDE = (z_alpha + z_power) * sd / sqrt(n).
    """
    if n <= 0:
        return math.inf
    return (z_for(alpha, two_sided=two_sided) + norm_ppf(power)) * sd / math.sqrt(n)


def mde_from_se(se: float, *, alpha: float = 0.05, power: float = 0.8,
                two_sided: bool = True) -> float:
    """The same MDE when the standard error of the estimate is already known."""
    return (z_for(alpha, two_sided=two_sided) + norm_ppf(power)) * se


def n_for_effect(effect: float, sd: float, *, alpha: float = 0.05, power: float = 0.8,
                 two_sided: bool = True) -> int:
    """Units needed to detect `effect` with the given power: ceil(((za + zb) sd / effect)^2)."""
    if effect == 0:
        raise ValueError("an effect of 0 needs an infinite sample")
    z = z_for(alpha, two_sided=two_sided) + norm_ppf(power)
    return math.ceil((z * sd / abs(effect)) ** 2)


# --------------------------------------------------------------------------- multiplicity


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979), in the input order.

    Controls the family-wise error rate when several metrics are tested at once, without
    assuming they are independent, and never rejects less than Bonferroni.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


# --------------------------------------------------------------------------- ranking


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties half.

    The Mann-Whitney form, computed by ranking in O(n log n). None when either side is
    empty (the area is undefined, not 0.5).
    """
    if not positives or not negatives:
        return None
    labelled = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, i = 0.0, 0
    while i < len(labelled):
        j = i
        while j < len(labelled) and labelled[j][0] == labelled[i][0]:
            j += 1
        mid_rank = (i + 1 + j) / 2
        rank_sum += mid_rank * sum(1 for k in range(i, j) if labelled[k][1] == 1)
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)

"""Textbook values for the statistics the gate relies on (each cited where it is used)."""

import math
import random
import statistics

import pytest

from harness.analysis.stats import percentile, wilson


def test_wilson_textbook_values() -> None:
    # Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662 (Wilson, no continuity correction)
    low, high = wilson(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4)
    assert high == pytest.approx(0.3662, abs=1e-4)
    # 0/10: lower bound exactly 0, upper 0.2775
    assert wilson(0, 10) == (0.0, pytest.approx(0.27753, abs=1e-5))
    # 15/148 -> 0.0624 to 0.1605
    low, high = wilson(15, 148)
    assert (round(low, 4), round(high, 4)) == (0.0624, 0.1605)


def test_wilson_empty_and_invalid() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(5, 4)


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(1, 11)), 95) == pytest.approx(9.55)
    with pytest.raises(ValueError):
        percentile([1], 101)


# --------------------------------------------------------------------------- paired rates

from harness.analysis.stats import (  # noqa: E402
    PairedCounts,
    auroc,
    binom_cdf,
    bootstrap_interval,
    design_effect,
    holm,
    mcnemar,
    mde,
    mean_se,
    n_for_effect,
    newcombe_paired,
    paired_bootstrap,
    quantile_interval,
    sign_flip_test,
    wilson_rate,
)

# Cavo et al. (2012), complete response before/after consolidation therapy, as analysed in
# Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), ch. 8:
# 59 both, 6 first only, 16 second only, 80 neither.
CAVO = PairedCounts(both=59, first_only=6, second_only=16, neither=80)


def test_newcombe_paired_interval_textbook_value() -> None:
    # Fagerland et al. (2017) ch. 8: Newcombe square-and-add -0.0621 (-0.1186 to -0.0046)
    assert CAVO.difference == pytest.approx(-0.0621, abs=1e-4)
    low, high = newcombe_paired(CAVO)
    assert (round(low, 4), round(high, 4)) == (-0.1186, -0.0046)


def test_newcombe_paired_never_collapses() -> None:
    # ten pairs that all agree: a Wald interval would be [0, 0]; this one stays wide
    low, high = newcombe_paired(PairedCounts(10, 0, 0, 0))
    assert low < -0.2 and high > 0.2
    assert newcombe_paired(PairedCounts(0, 0, 0, 0)) == (-1.0, 1.0)


def test_mcnemar_exact_and_chi_square() -> None:
    # Cavo: exact conditional p = 0.0525, asymptotic chi-square 4.545 with p = 0.0330
    # (Fagerland et al. 2017, ch. 8)
    exact = mcnemar(6, 16)
    assert exact.method == "exact binomial" and exact.p_value == pytest.approx(0.0525, abs=1e-4)
    chi = mcnemar(6, 16, exact_below=0)
    assert chi.statistic == pytest.approx(4.545, abs=1e-3)
    assert chi.p_value == pytest.approx(0.0330, abs=1e-4)
    # Agresti, Categorical Data Analysis (3rd ed.), presidential approval: 150 vs 86 -> 17.36
    big = mcnemar(150, 86)
    assert big.method == "chi-square" and big.statistic == pytest.approx(17.36, abs=0.01)
    assert mcnemar(0, 0).p_value == 1.0


def test_binom_cdf() -> None:
    assert binom_cdf(1, 10, 0.5) == pytest.approx(11 / 1024)
    assert binom_cdf(-1, 10, 0.5) == 0.0 and binom_cdf(10, 10, 0.3) == 1.0


# --------------------------------------------------------------------------- means


def test_clustered_se_reduces_to_the_textbook_se() -> None:
    x = [1.0, 2.0, 3.0, 4.0, 10.0]
    s = statistics.stdev(x) / math.sqrt(len(x))
    assert mean_se(x) == pytest.approx(s)
    assert mean_se(x, clusters=range(5)) == pytest.approx(s)  # singletons: G/(G-1) = n/(n-1)


def test_clustered_se_does_not_shrink_when_data_are_duplicated() -> None:
    # Copying every observation inside its own cluster adds no information: the clustered
    # SE equals the SE of the originals, while the naive SE shrinks by sqrt(2).
    x = [1.0, 2.0, 3.0, 4.0, 10.0]
    doubled, clusters = x + x, list(range(5)) * 2
    assert mean_se(doubled, clusters) == pytest.approx(mean_se(x))
    assert mean_se(doubled) < mean_se(x) * 0.8
    # variance ratio: (S/20) / (2S/90) = 2.25 (cluster size 2, and n-1 = 9 vs G-1 = 4)
    assert design_effect(doubled, clusters) == pytest.approx(2.25)
    assert mean_se([1.0]) is None and mean_se([1.0, 2.0], ["a", "a"]) is None


def test_wilson_rate_matches_wilson_and_widens_with_fewer_effective_cases() -> None:
    assert wilson_rate(81 / 263, 263) == pytest.approx(wilson(81, 263))
    narrow, wide = wilson_rate(0.3, 263), wilson_rate(0.3, 263 / 2)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]


# --------------------------------------------------------------------------- percentiles


def test_quantile_interval_order_statistics() -> None:
    # median of n = 10 at 95%: (x(2), x(9)), coverage 97.85% (e.g. Conover 1999, ex. 3.2.1)
    assert quantile_interval(list(range(1, 11)), 50) == (2, 9)
    # a p95 needs about 72 values before an upper bound exists at all
    low, high = quantile_interval([float(i) for i in range(30)], 95)
    assert high is None and low is not None
    assert quantile_interval(list(range(200)), 95)[1] is not None
    assert quantile_interval([], 50) == (None, None)


# --------------------------------------------------------------------------- resampling


def test_sign_flip_reproduces_fisher_on_darwin() -> None:
    # Fisher, The Design of Experiments (1935), Darwin's Zea mays: 15 paired differences
    # (eighths of an inch); 1,726 of the 32,768 sign patterns are as extreme: p = 0.0527.
    diffs = [49, -67, 8, 16, 6, 23, 28, 41, 14, 29, 56, 24, 75, 60, -48]
    assert sign_flip_test(diffs) == pytest.approx(1726 / 32768)
    assert sign_flip_test([1, 2, 3]) == pytest.approx(2 / 8)  # by hand: only +6 and -6
    assert sign_flip_test([0, 0, 0]) == 1.0


def test_sign_flip_monte_carlo_is_seeded_and_close_to_exact() -> None:
    diffs = [49, -67, 8, 16, 6, 23, 28, 41, 14, 29, 56, 24, 75, 60, -48]
    mc = sign_flip_test(diffs, exact_up_to=0, n_resamples=20000, seed=3)
    assert mc == sign_flip_test(diffs, exact_up_to=0, n_resamples=20000, seed=3)
    assert mc == pytest.approx(0.0527, abs=0.006)


def test_bootstrap_interval_covers_the_mean_and_is_reproducible() -> None:
    rng = random.Random(1)
    x = [rng.gauss(10, 2) for _ in range(200)]
    low, high = bootstrap_interval(x, seed=5)
    assert low < statistics.mean(x) < high
    assert (low, high) == bootstrap_interval(x, seed=5)
    se = statistics.stdev(x) / math.sqrt(len(x))  # the percentile interval ~ mean +- 1.96 se
    assert high - low == pytest.approx(2 * 1.96 * se, rel=0.15)
    assert bootstrap_interval([1.0]) == (None, None)


def test_paired_bootstrap_sees_a_shift_that_pairing_makes_clear() -> None:
    rng = random.Random(2)
    base = [rng.gauss(0, 5) for _ in range(100)]
    cand = [b + 0.5 + rng.gauss(0, 0.2) for b in base]  # tiny shift, huge case spread
    got = paired_bootstrap(base, cand, seed=1, n_resamples=1000)
    assert got is not None and got.low > 0 and got.p_value < 0.01
    assert got.difference == pytest.approx(statistics.mean(cand) - statistics.mean(base))
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 2.0])


# --------------------------------------------------------------------------- power, holm


def test_sample_size_and_mde_textbook_values() -> None:
    # one-sample, sd 1, effect 0.5, two-sided 5%, 80% power: n = 7.849 / 0.25 = 31.4 -> 32
    assert n_for_effect(0.5, 1.0) == 32
    assert mde(32, 1.0) == pytest.approx(0.4953, abs=1e-4)
    # (z_.975 + z_.8)^2 = 7.849, the constant in every power table
    assert n_for_effect(1.0, 1.0) == 8 and mde(7.849, 1.0) == pytest.approx(1.0, abs=1e-3)
    assert n_for_effect(0.1, 1.0, two_sided=False) < n_for_effect(0.1, 1.0)
    assert mde(0, 1.0) == math.inf
    with pytest.raises(ValueError):
        n_for_effect(0, 1.0)


def test_holm_adjusted_p_values() -> None:
    # as R's p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm"): 0.03 0.06 0.06 0.02
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5]) == [0.5] and holm([]) == []
    assert holm([0.9, 0.8]) == [1.0, 1.0]  # 2 x 0.8 capped at 1, then monotone


def test_auroc_hanley_mcneil() -> None:
    # Hanley & McNeil (1982), Radiology 143:29-36, table 1: CT ratings of 58 normal and 51
    # abnormal patients on a five-point scale; area under the ROC curve 0.893.
    normal = [1] * 33 + [2] * 6 + [3] * 6 + [4] * 11 + [5] * 2
    abnormal = [1] * 3 + [2] * 2 + [3] * 2 + [4] * 11 + [5] * 33
    assert auroc(abnormal, normal) == pytest.approx(0.893, abs=5e-4)
    assert auroc([1.0], [1.0]) == 0.5 and auroc([], [1.0]) is None

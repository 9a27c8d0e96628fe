"""PSI and the two-sample Kolmogorov-Smirnov test against hand-computed values."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from harness.analysis.monitor.drift import (
    bin_counts,
    bin_edges,
    compare_features,
    kolmogorov_sf,
    ks_2samp,
    ks_statistic,
    n_bins,
    psi,
    psi_from_shares,
)


def test_psi_from_shares_by_hand() -> None:
    # (0.6 - 0.5) ln(1.2) + (0.4 - 0.5) ln(0.8)
    assert psi_from_shares([0.5, 0.5], [0.6, 0.4]) == pytest.approx(
        0.1 * math.log(1.2) - 0.1 * math.log(0.8))
    assert psi_from_shares([0.25] * 4, [0.25] * 4) == 0.0
    with pytest.raises(ValueError):
        psi_from_shares([0.5, 0.5], [1.0, 0.0])


def test_psi_bins_at_reference_quantiles_and_smooths_empty_bins() -> None:
    reference, recent = [1, 2, 3, 4], [3, 4, 4, 4]
    assert bin_edges(reference, 2) == [2]
    assert bin_counts(reference, [2]) == [2, 2] and bin_counts(recent, [2]) == [0, 4]
    # shares with half a count per bin: reference (0.5, 0.5), recent (0.1, 0.9)
    expected = (0.1 - 0.5) * math.log(0.1 / 0.5) + (0.9 - 0.5) * math.log(0.9 / 0.5)
    assert psi(reference, recent, bins=2) == pytest.approx(expected)


def test_a_pass_fail_feature_gets_one_bin_per_value() -> None:
    reference = [1.0] * 85 + [0.0] * 15
    assert bin_edges(reference, 3) == [0.0]
    recent = [1.0] * 65 + [0.0] * 35
    shares = ((15.5 / 101, 85.5 / 101), (35.5 / 101, 65.5 / 101))
    assert psi(reference, recent, bins=3) == pytest.approx(psi_from_shares(*shares))


def test_bins_shrink_with_the_samples() -> None:
    assert n_bins(500, 60) == 3
    assert n_bins(1000, 1000) == 10
    assert n_bins(20, 20) == 2


def test_psi_thresholds_on_a_real_shift() -> None:
    rng = random.Random(3)
    ref = [rng.gauss(0, 1) for _ in range(2000)]
    same = [rng.gauss(0, 1) for _ in range(2000)]
    moved = [rng.gauss(0.8, 1) for _ in range(2000)]
    assert psi(ref, same) < 0.1
    assert psi(ref, moved) > 0.2


def test_ks_statistic_with_ties() -> None:
    # F1 jumps to 2/3 at 1, F2 to 1/3: D = 1/3; both reach 1 at 2
    d, d_int = ks_statistic([1, 1, 2], [1, 2, 2])
    assert d == pytest.approx(1 / 3) and d_int == 3


def test_ks_exact_p_by_counting_paths() -> None:
    # separated samples: only the 2 extreme paths of C(6, 3) = 20 reach D = 1
    result = ks_2samp([1, 2, 3], [4, 5, 6])
    assert (result.statistic, result.method) == (1.0, "exact")
    assert result.p_value == pytest.approx(2 / 20)
    assert ks_2samp([1, 2], [3, 4]).p_value == pytest.approx(2 / 6)
    assert ks_2samp([1, 2, 3], [1, 2, 3]).p_value == 1.0


def test_ks_exact_p_equals_the_permutation_distribution() -> None:
    """Every split of the pooled 12 values into 5 + 7: the share with D >= observed."""
    rng = random.Random(1)
    x = [rng.random() for _ in range(5)]
    y = [rng.random() + 0.2 for _ in range(7)]
    pooled, observed = x + y, ks_statistic(x, y)[0]
    splits = list(itertools.combinations(range(12), 5))
    hits = sum(ks_statistic([pooled[i] for i in idx],
                            [pooled[i] for i in range(12) if i not in idx])[0] >= observed - 1e-12
               for idx in splits)
    assert ks_2samp(x, y).p_value == pytest.approx(hits / len(splits))


def test_ks_exact_and_asymptotic_agree_on_large_samples() -> None:
    rng = random.Random(5)
    x = [rng.gauss(0, 1) for _ in range(100)]
    y = [rng.gauss(0.35, 1) for _ in range(100)]
    exact = ks_2samp(x, y)
    assert exact.method == "exact"
    assert kolmogorov_sf(exact.statistic, 100, 100) == pytest.approx(exact.p_value, abs=0.05)
    big = ks_2samp(x * 2, y * 2)
    assert big.method == "asymptotic"


def test_kolmogorov_limit_by_hand() -> None:
    # lambda = 1 exactly: Q(1) = 2 (e^-2 - e^-8 + e^-18 - ...)
    ne = 10_000.0
    d = 1 / (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne))
    q = 2 * (math.exp(-2) - math.exp(-8) + math.exp(-18) - math.exp(-32))
    assert kolmogorov_sf(d, 20_000, 20_000) == pytest.approx(q, abs=1e-9)


def test_features_levels() -> None:
    rng = random.Random(9)
    reference = {"latency_ms": [rng.gauss(800, 80) for _ in range(500)],
                 "output_chars": [rng.gauss(40, 5) for _ in range(500)],
                 "score.x": [1.0] * 5}
    recent = {"latency_ms": [rng.gauss(1100, 80) for _ in range(60)],
              "output_chars": [rng.gauss(40, 5) for _ in range(60)],
              "score.x": [1.0] * 5}
    levels = {d.feature: d.level for d in compare_features(reference, recent)}
    assert levels == {"latency_ms": "act", "output_chars": "stable", "score.x": "insufficient"}

"""Control-chart rules against hand-computed values."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from harness.analysis.monitor._special import betainc, normal_score_of_t, t_sf
from harness.analysis.monitor.charts import (
    RuleSettings,
    binomial_limits,
    binomial_z,
    cusum,
    ewma,
    individuals_chart,
    moving_range_sigma,
    p_chart,
    pooled_rate,
    western_electric,
)

PHI_INV = NormalDist().inv_cdf
IDS = [f"r{i:02d}" for i in range(40)]


# --------------------------------------------------------------------------- special functions


@pytest.mark.parametrize(("t", "df"), [(2.5706, 5), (2.2281, 10), (12.706, 1), (2.0423, 30)])
def test_t_tail_matches_the_two_sided_5_percent_table(t: float, df: float) -> None:
    assert t_sf(t, df) == pytest.approx(0.025, abs=2e-5)
    assert t_sf(-t, df) == pytest.approx(0.975, abs=2e-5)


def test_incomplete_beta_by_hand() -> None:
    # I_0.4(2, 3) = sum_{j=2..4} C(4, j) 0.4^j 0.6^(4-j) = 0.3456 + 0.1536 + 0.0256
    assert betainc(2, 3, 0.4) == pytest.approx(0.5248, abs=1e-12)
    assert betainc(2, 3, 0.0) == 0.0 and betainc(2, 3, 1.0) == 1.0


def test_t_maps_to_the_z_with_the_same_tail() -> None:
    assert normal_score_of_t(2.5706, 5) == pytest.approx(1.95996, abs=1e-3)
    assert normal_score_of_t(-2.5706, 5) == pytest.approx(-1.95996, abs=1e-3)
    assert normal_score_of_t(1e9, 3) == 8.0  # clamped, never infinite


# --------------------------------------------------------------------------- p-chart


def test_binomial_z_is_the_normal_score_of_the_mid_p_tail() -> None:
    # n=1, p=0.5: k=0 -> 0.5 * P(X=0) = 0.25; k=1 -> P(X=0) + 0.5 * P(X=1) = 0.75
    assert binomial_z(0, 1, 0.5) == pytest.approx(PHI_INV(0.25))
    assert binomial_z(1, 1, 0.5) == pytest.approx(PHI_INV(0.75))
    # n=10, p=0.5, k=0: 0.5 / 1024
    assert binomial_z(0, 10, 0.5) == pytest.approx(PHI_INV(0.5 / 1024))
    # far upper tail computed from the small side, not from 1 - (almost 1)
    assert binomial_z(10, 10, 0.05) == 8.0 or binomial_z(10, 10, 0.05) > 7


def test_pooled_rate_stays_off_zero_and_one() -> None:
    assert pooled_rate([3, 5], [10, 10]) == 0.4
    assert pooled_rate([10, 10], [10, 10]) == pytest.approx(20.5 / 21)
    assert pooled_rate([0, 0], [10, 10]) == pytest.approx(0.5 / 21)
    assert pooled_rate([], []) is None


def test_probability_limits_bracket_the_rates_where_the_rule_switches() -> None:
    low, high = binomial_limits(50, 0.9)
    assert low < 0.9 < high == 1.0  # 50 of 50 is not 3 sigma above 90%: no upper signal
    below, above = math.floor(low * 50), math.ceil(low * 50)
    assert binomial_z(below, 50, 0.9) < -3 <= binomial_z(above, 50, 0.9)


def test_p_chart_centre_comes_from_the_reference_window_only() -> None:
    ks = [45] * 10 + [20, 45]
    chart = p_chart(IDS[:12], ks, [50] * 12, reference=10)
    assert chart.center == pytest.approx(0.9)
    assert chart.points[10].z is not None and chart.points[10].z < -3
    assert "we1" in {s.rule for s in chart.signals if s.index == 10}
    # z is scaled for the reference's own error: var(p - p_ref) = p q (1/n + 1/N)
    raw = binomial_z(20, 50, 0.9)
    assert chart.points[10].z == pytest.approx(raw / math.sqrt((500 + 50) / 500))
    assert chart.points[10].rho == pytest.approx(50 / 550)


def test_a_reference_without_errors_does_not_flag_runs_without_errors() -> None:
    chart = p_chart(IDS[:20], [0] * 20, [40] * 20, reference=10)
    assert all(p.z == 0.0 for p in chart.monitored)
    assert chart.signals == ()


def test_missing_runs_are_skipped_not_zero() -> None:
    chart = p_chart(IDS[:12], [45] * 10 + [None, 45], [50] * 10 + [0, 50], reference=10)
    assert chart.points[10].value is None and chart.points[10].z is None
    assert chart.signals == ()


# --------------------------------------------------------------------------- individuals


def test_moving_range_sigma_by_hand() -> None:
    # ranges 2, 1, 2, 1 -> mean 1.5 -> / 1.128
    assert moving_range_sigma([10, 12, 11, 13, 12]) == pytest.approx(1.5 / 1.128)
    assert moving_range_sigma([5]) is None


def test_individuals_z_is_a_prediction_t_on_the_z_scale() -> None:
    ref = [10.0, 12.0, 11.0, 13.0, 12.0]
    chart = individuals_chart(IDS[:6], [*ref, 20.0], reference=5)
    sigma, m = 1.5 / 1.128, 5
    t = (20.0 - 11.6) / (sigma * math.sqrt(1 + 1 / m))
    assert chart.center == pytest.approx(11.6)
    assert chart.points[5].z == pytest.approx(normal_score_of_t(t, 0.62 * (m - 1)))
    assert chart.points[5].z < t  # fewer degrees of freedom, wider tails, smaller z


def test_a_constant_reference_gets_a_small_floor_not_zero_sigma() -> None:
    chart = individuals_chart(IDS[:12], [100.0] * 10 + [100.5, 100.0], reference=10)
    assert chart.sigma == pytest.approx(1.0)  # 1% of the centre
    assert all(p.z is not None and abs(p.z) < 1 for p in chart.monitored)


# --------------------------------------------------------------------------- rules


def fired(zs: list[float], rule: str) -> list[tuple[int, str]]:
    return [(s.index, s.side) for s in western_electric(zs, IDS[: len(zs)], rules=(rule,))]


def test_we1_one_point_beyond_three_sigma() -> None:
    assert fired([0, 3.5, 0, -2.9, -3.1], "we1") == [(1, "up"), (4, "down")]


def test_we2_two_of_three_beyond_two_sigma_on_one_side() -> None:
    assert fired([2.5, 0, 2.1], "we2") == [(2, "up")]
    assert fired([2.5, -2.5, 0.0], "we2") == []
    assert fired([-2.5, -2.2], "we2") == [(1, "down")]
    assert fired([2.5, 2.5, 0.5], "we2") == [(1, "up")]  # the last point must be beyond


def test_we3_four_of_five_beyond_one_sigma() -> None:
    assert fired([1.5, 1.5, 0, 1.5, 1.5], "we3") == [(4, "up")]
    assert fired([1.5, 1.5, 1.5, 0, 0], "we3") == []
    assert fired([-1.2] * 4, "we3") == [(3, "down")]


def test_we4_eight_in_a_row_on_one_side_names_the_runs() -> None:
    assert fired([0.1] * 7, "we4") == []
    signals = western_electric([0.1] * 8, IDS[:8], rules=("we4",))
    assert [(s.index, s.side) for s in signals] == [(7, "up")]
    assert signals[0].run_ids == tuple(IDS[:8])


def test_ewma_by_hand() -> None:
    out = ewma([1.0, 1.0, 1.0], IDS[:3], lam=0.2, width=3.0)
    assert out.path == pytest.approx([0.2, 0.36, 0.488])
    # limit_t = 3 sqrt(0.2 / 1.8 (1 - 0.8^(2t))): 0.6, 0.768
    assert out.limits[:2] == pytest.approx([0.6, 3 * math.sqrt(0.2 / 1.8 * (1 - 0.8 ** 4))])
    assert out.signals == []
    assert [s.index for s in ewma([4.0], IDS[:1]).signals] == [0]  # 0.8 > 0.6


def test_ewma_limits_widen_for_a_shared_reference_error() -> None:
    # fully shared variance (rho = 1) does not average out: sd(E_2) = 0.2 + 0.16
    out = ewma([0.0, 0.0], IDS[:2], rhos=[1.0, 1.0])
    assert out.limits == pytest.approx([0.6, 3 * 0.36])


def test_cusum_by_hand_restarts_after_signalling() -> None:
    up, down, signals = cusum([1.0] * 12, IDS[:12], k=0.5, h=5.0)
    assert up[:3] == pytest.approx([0.5, 1.0, 1.5])
    assert down == [0.0] * 12
    # 0.5 per step: 5.5 > 5 at the 11th point (index 10); then it starts again from 0
    assert [(s.index, s.side) for s in signals] == [(10, "up")]
    assert signals[0].run_ids == tuple(IDS[:11])
    assert up[11] == pytest.approx(0.5)


def test_rules_can_be_switched_off() -> None:
    ks = [45] * 10 + [20]
    chart = p_chart(IDS[:11], ks, [50] * 11, 10, RuleSettings(rules=("we4",)))
    assert chart.signals == ()

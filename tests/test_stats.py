"""Textbook values for the interval and percentile helpers."""

import pytest

from harness.stats import percentile, wilson


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

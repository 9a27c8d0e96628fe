"""Special functions the monitor needs and the standard library lacks (scipy is not a
dependency): Student's t distribution through the regularized incomplete beta function, and
the normal score of a tail probability. Pure Python; tested against published table values.
"""

from __future__ import annotations

import math
from statistics import NormalDist

_NORMAL = NormalDist()
_TINY = 1e-300


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b), by its continued fraction (modified Lentz).

    The fraction converges fast for x < (a + 1) / (a + b + 2); beyond that the symmetry
    I_x(a, b) = 1 - I_{1-x}(b, a) is used.
    """
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must be within 0..1")
    if x in (0.0, 1.0):
        return x
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def _beta_fraction(a: float, b: float, x: float, max_terms: int = 300) -> float:
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, max_terms + 1):
        for coef in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                     -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + coef * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + coef / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < 1e-14:
            break
    return result


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` (possibly fractional) degrees of freedom."""
    if df <= 0:
        raise ValueError("df must be positive")
    tail = 0.5 * betainc(df / 2, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def normal_score_of_t(t: float, df: float, clamp: float = 8.0) -> float:
    """The z with the same tail probability as t: what a t statistic means on a z scale."""
    if t >= 0:
        upper = t_sf(t, df)
        z = -_NORMAL.inv_cdf(upper) if upper > 0 else clamp
    else:
        lower = t_sf(-t, df)
        z = _NORMAL.inv_cdf(lower) if lower > 0 else -clamp
    return max(-clamp, min(clamp, z))

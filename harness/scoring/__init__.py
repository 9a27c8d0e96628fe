"""Scorers: each check type is a `Scorer` registered by name (see `registry`)."""

from harness.scoring.base import (
    CheckParams,
    ScoreContext,
    Scorer,
    close_open_judges,
    score_safely,
)
from harness.scoring.registry import check_types, get_scorer, register, validate_check

__all__ = [
    "CheckParams", "ScoreContext", "Scorer", "check_types", "close_open_judges", "get_scorer",
    "register",
    "score_safely", "validate_check",
]

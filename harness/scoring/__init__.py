"""Scorers: each check type is a `Scorer` registered by name (see `registry`)."""

from harness.scoring.base import CheckParams, ScoreContext, Scorer, score_safely
from harness.scoring.registry import check_types, get_scorer, register, validate_check

__all__ = [
    "CheckParams", "ScoreContext", "Scorer", "check_types", "get_scorer", "register",
    "score_safely", "validate_check",
]

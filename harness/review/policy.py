"""The review policy of a run: the suite's `risk` tier and its rubrics' `review:` settings.

Read from the suite file (the run keeps its path and content hash) at routing time and
recorded in `review_routings`, so the policy a queue was built with stays known even when
the file changes later. When a suite uses several rubrics that set `review:`, the strictest
wins (the highest sample rate and confidence floor): reviewing too much is the safe error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.models import ReviewPolicy

DEFAULTS = ReviewPolicy()


@dataclass(frozen=True)
class RoutePolicy:
    risk: str = "medium"
    sample_rate: float = DEFAULTS.sample_rate
    confidence_below: float = DEFAULTS.confidence_below
    source: str = "defaults"


def policy_of(loaded: Any) -> RoutePolicy:
    """The policy of a `LoadedSuite`."""
    policies = [(r.rubric.review, r.path) for r in loaded.rubrics if r.rubric.review]
    if not policies:
        return RoutePolicy(risk=loaded.suite.risk, source="defaults")
    return RoutePolicy(
        risk=loaded.suite.risk,
        sample_rate=max(p.sample_rate for p, _ in policies),
        confidence_below=max(p.confidence_below for p, _ in policies),
        source=", ".join(str(path) for _, path in policies),
    )


def policy_for_run(run: dict[str, Any]) -> RoutePolicy:
    """The policy stored with the run; for a run stored before policies were kept, its suite
    file's, and defaults when that cannot be read."""
    from harness.governance import stored_governance
    from harness.suites import load_suite

    stored = stored_governance(run)
    if stored is not None:
        if stored.review is None:
            return RoutePolicy(risk=stored.risk, source="defaults")
        return RoutePolicy(risk=stored.risk, sample_rate=stored.review.sample_rate,
                           confidence_below=stored.review.confidence_below,
                           source=stored.review.source)
    path = run.get("suite_path")
    if not path or not Path(path).is_file():
        return RoutePolicy(source=f"defaults (suite file {path!r} not found)")
    try:
        loaded = load_suite(path)
    except HarnessError as exc:
        return RoutePolicy(source=f"defaults (suite file unreadable: {exc})")
    policy = policy_of(loaded)
    if loaded.content_hash != run.get("suite_hash"):
        return RoutePolicy(policy.risk, policy.sample_rate, policy.confidence_below,
                           policy.source + " (suite file changed since the run)")
    return policy

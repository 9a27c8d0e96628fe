"""A run's governance: risk tier, owner, review policy, SLO objectives and gate policy.

They come from the suite and its rubrics, and are stored with the run when it starts
(`RunSpec.governance`), so everything that reads a run later (routing to review, the SLO
sheet, the gate, the dashboard, reports) sees what the run was started under, from any
working directory, even after the suite file moved or changed. Runs stored before this
existed fall back to the suite file at their path, and say so.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.models import RunGovernance, StoredObjective, StoredReview


def governance_of(loaded: Any) -> RunGovernance:
    """The governance of a `LoadedSuite`, as a run started from it stores it."""
    suite = loaded.suite
    reviews = [(r.rubric.review, r.path) for r in loaded.rubrics if r.rubric.review]
    review = None
    if reviews:
        review = StoredReview(
            sample_rate=max(p.sample_rate for p, _ in reviews),
            confidence_below=max(p.confidence_below for p, _ in reviews),
            source=", ".join(str(path) for _, path in reviews),
        )
    slo = tuple(
        StoredObjective(rubric=r.rubric.rubric, metric=metric, objective=objective)
        for r in loaded.rubrics for metric, objective in r.rubric.slo.items()
    )
    return RunGovernance(risk=suite.risk, owner=suite.owner, description=suite.description,
                         review=review, slo=slo, gate=suite.gate)


def stored_governance(run: dict[str, Any]) -> RunGovernance | None:
    """The governance stored with a run, or None for a run stored before it was kept."""
    spec = run.get("spec")
    raw = spec.get("governance") if isinstance(spec, dict) else None
    return RunGovernance.model_validate(raw) if isinstance(raw, dict) else None


def governance_for_run(run: dict[str, Any]) -> RunGovernance | None:
    """The stored governance, else (older runs) that of the suite file at the run's path,
    else None when that file is gone or broken."""
    stored = stored_governance(run)
    if stored is not None:
        return stored
    loaded = suite_file(run)
    return governance_of(loaded) if loaded is not None else None


def suite_file(run: dict[str, Any]) -> Any | None:
    """The suite file a run names, loaded (cached while the file is unchanged), or None
    when the run has no path or the file is gone or broken: callers show what they can."""
    path = run.get("suite_path")
    if not path:
        return None
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return None
    return _load_suite(str(path), mtime)


@functools.lru_cache(maxsize=64)
def _load_suite(path: str, mtime: float) -> Any | None:
    from harness.suites import load_suite

    try:
        return load_suite(path)
    except HarnessError:
        return None

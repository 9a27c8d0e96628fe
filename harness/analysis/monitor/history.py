"""A suite's history as series of comparable runs, read from the store.

A control chart only makes sense over runs of one process, so history is split into
*series*: one per (suite, source, model), where the source is `suite` (runs of the suite's
cases) or `monitoring` (scored production traffic, `runs.kind = 'monitoring'`). Production
inputs are not the suite's cases, so the two never share a chart. Within a series only runs
of the newest suite version are charted by default: a version bump says verdicts may change.
Runs that are not complete, and `rescore` runs (copies of another run's outputs), are left
out. Human verdicts from the review queue, when present, replace automatic ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.analysis.metrics import Overrides, Unit, units_from_rows

SOURCES = ("suite", "monitoring")
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class RunPoint:
    """One run of a series: its lineage row, stored rows, units and case snapshot."""

    run: dict[str, Any]
    rows: list[dict[str, Any]]
    units: list[Unit]
    cases: dict[str, dict[str, Any]]

    @property
    def id(self) -> str:
        return str(self.run["id"])


@dataclass
class Series:
    suite: str
    source: str
    model: str
    version: str
    runs: list[RunPoint] = field(default_factory=list)
    older_versions: int = 0  # runs of earlier versions left out

    @property
    def key(self) -> str:
        return f"{self.suite} [{self.source}, {self.model}, v{self.version}]"

    @property
    def run_ids(self) -> list[str]:
        return [r.id for r in self.runs]


def suites(store: Any) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT DISTINCT suite FROM runs ORDER BY suite")]


def source_of(kind: str | None) -> str | None:
    """`suite` for runs that called models, `monitoring` for production traffic, else None."""
    if kind in (None, "", "run"):
        return "suite"
    return "monitoring" if kind == "monitoring" else None


def _run_rows(store: Any, suite: str, limit: int) -> list[dict[str, Any]]:
    columns = {c.name for c in store.db["runs"].columns}
    kind = "kind" if "kind" in columns else "NULL AS kind"
    sql = (f"SELECT id, suite_version, started_at, {kind} FROM runs "
           "WHERE suite = ? AND status = 'complete' ORDER BY started_at DESC, id DESC LIMIT ?")
    rows = [dict(zip(("id", "suite_version", "started_at", "kind"), r, strict=True))
            for r in store.db.execute(sql, (suite, limit * 4))]
    return list(reversed(rows))


def load_series(
    store: Any, suite: str, *, all_versions: bool = False, limit: int = DEFAULT_LIMIT,
    until: str | None = None, sources: tuple[str, ...] = SOURCES,
) -> list[Series]:
    """Every series of `suite`, oldest run first, at most `limit` runs each.

    `until` (a run id) keeps only runs started no later than that run, so a report on an
    old run shows the history as it was then.
    """
    rows = _run_rows(store, suite, limit)
    if until is not None:
        cut = next((i for i, r in enumerate(rows) if r["id"] == until), None)
        rows = rows[: cut + 1] if cut is not None else rows
    grouped: dict[tuple[str, str], list[RunPoint]] = {}
    for row in rows:
        source = source_of(row["kind"])
        if source is None or source not in sources:
            continue
        for point in _points(store, row["id"]):
            grouped.setdefault((source, _model_of(point)), []).append(point)
    ordered = sorted(grouped.items(), key=lambda kv: (kv[0][0] != "suite", kv[0]))
    return [_series(suite, source, model, points, all_versions, limit)
            for (source, model), points in ordered]


def _points(store: Any, run_id: str) -> Iterator[RunPoint]:
    """One RunPoint per model of the run (a run of two models is two processes)."""
    run = store.get_run(run_id)
    cases = store.get_cases(run_id)
    rows = list(store.iter_results(run_id))
    units = units_from_rows(rows, cases, _verdicts(store, run_id))
    for model in sorted({r["model"] for r in rows}):
        yield RunPoint(run, [r for r in rows if r["model"] == model],
                       [u for u in units if u.model == model], cases)


def _verdicts(store: Any, run_id: str) -> Overrides | None:
    """Human verdicts when the review queue exists (issue 5), else None."""
    try:
        from harness.review.overrides import human_verdicts
    except ImportError:
        return None
    if "review_items" not in store.db.table_names():
        return None
    return dict(human_verdicts(store, run_id)) or None


def _model_of(point: RunPoint) -> str:
    return str(point.rows[0]["model"]) if point.rows else "?"


def _series(suite: str, source: str, model: str, points: list[RunPoint], all_versions: bool,
            limit: int) -> Series:
    version = str(points[-1].run["suite_version"])
    kept = points if all_versions else [p for p in points if str(p.run["suite_version"]) == version]
    older = len(points) - len(kept)
    return Series(suite, source, model, version, kept[-limit:], older)


def slo_metrics(run: dict[str, Any]) -> list[str]:
    """The metric names of the run's `slo:` objectives (stored with it; for an older run,
    its suite file's), in file order."""
    from harness.governance import governance_for_run

    governance = governance_for_run(run)
    if governance is None:
        return []
    return list(dict.fromkeys(o.metric for o in governance.slo))

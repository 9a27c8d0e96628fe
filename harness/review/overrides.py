"""Human verdicts as overrides: what summaries, compare and the gate apply on top of scores.

    from harness.review.overrides import human_verdicts
    verdicts = human_verdicts(store, run_id)   # {(case_id, model, repeat): "pass" | "fail"}
    units = harness.analysis.metrics.units_from_rows(rows, cases, overrides=verdicts)

Only decided items count (an item whose reviewers disagree has no verdict until it is
adjudicated). A `rescore` run carries the same outputs as its parent, so it inherits the
parent's verdicts; its own decisions win where both exist. Errors are never overridden:
callers keep an `error` result an error (`harness.analysis.metrics.apply_overrides` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from harness.review._db import database

ResultKey = tuple[str, str, int]
Verdict = Literal["pass", "fail"]

_SQL = ("SELECT case_id, model, repeat, verdict FROM review_items "
        "WHERE run_id = ? AND status = 'decided' AND verdict IN ('pass', 'fail')")


def _lineage(db: Any, run_id: str) -> list[str]:
    """The run, then the runs it re-scored (oldest last); stops on loops."""
    chain = [run_id]
    columns = {c.name for c in db["runs"].columns}
    if not {"parent_run_id", "kind"} <= columns:
        return chain
    while True:
        row = db.execute("SELECT parent_run_id, kind FROM runs WHERE id = ?",
                         (chain[-1],)).fetchone()
        if not row or row[1] != "rescore" or not row[0] or row[0] in chain:
            return chain
        chain.append(row[0])


def human_verdicts(source: Any, run_id: str) -> dict[ResultKey, Verdict]:
    """{(case_id, model, repeat): verdict} of every decided review item of `run_id`."""
    db = database(source)
    out: dict[ResultKey, Verdict] = {}
    for rid in reversed(_lineage(db, run_id)):  # parents first, so the run's own win
        for case_id, model, repeat, verdict in db.execute(_SQL, (rid,)):
            out[(case_id, model, int(repeat))] = verdict
    return out


def overlay_rows(rows: Iterable[dict[str, Any]],
                 verdicts: dict[ResultKey, Verdict]) -> Iterator[dict[str, Any]]:
    """Result rows with human verdicts applied: `outcome` replaced, `auto_outcome` kept.

    For code that summarises `RunStore.iter_results` rows (e.g. `harness.analysis.summary`).
    """
    for row in rows:
        verdict = verdicts.get((row["case_id"], row["model"], int(row["repeat"])))
        if verdict and row["outcome"] != "error":
            yield {**row, "auto_outcome": row["outcome"], "outcome": verdict,
                   "human_verdict": verdict}
        else:
            yield row

"""Corrected outputs as new suite cases: today's reviewed mistake, tomorrow's regression test.

Each correction becomes one JSONL line a suite can load with `- from: FILE.jsonl`: the case
as it was run (input, vars, context, checks, tags...) with `expected` set to the reviewer's
corrected output, a new id (`<case>-rev<decision id>`), the tag `from-review`, and the
provenance in `metadata.review` (run, case, model, repeat, reviewer, time, category, note,
the original output). Every line is validated as a `Case` before it is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from harness.models import Case
from harness.review._db import database

TAG = "from-review"

_SQL = """
    SELECT d.*, r.output AS original_output, c.data AS case_data
    FROM review_decisions d
    JOIN review_items i ON i.id = d.item_id
    LEFT JOIN results r ON r.run_id = d.run_id AND r.case_id = d.case_id
        AND r.model = d.model AND r.repeat = d.repeat
    LEFT JOIN cases c ON c.run_id = d.run_id AND c.case_id = d.case_id
    WHERE d.decision = 'correct' AND d.revoked_at IS NULL {where}
    ORDER BY d.id
"""


def corrections(source: Any, *, run_id: str | None = None, suite: str | None = None,
                since: str | None = None) -> Iterator[dict[str, Any]]:
    """The exported case of every correction (optionally of one run or suite, or since an
    ISO time), validated."""
    db = database(source)
    where, args = [], []
    for clause, value in (("d.run_id = ?", run_id), ("i.suite = ?", suite),
                          ("d.decided_at >= ?", since)):
        if value:
            where.append(clause)
            args.append(value)
    sql = _SQL.format(where="".join(" AND " + w for w in where))
    for row in db.query(sql, args):
        yield as_case(row)


def as_case(row: dict[str, Any]) -> dict[str, Any]:
    """One correction row (decision joined with its result and case) as a suite case."""
    data = json.loads(row["case_data"] or "{}") or {"id": row["case_id"]}
    data.pop("from", None)
    tags = list(data.get("tags") or [])
    data.update({
        "id": f"{row['case_id']}-rev{row['id']}",
        "expected": row["corrected_output"],
        "tags": tags + ([TAG] if TAG not in tags else []),
    })
    metadata = dict(data.get("metadata") or {})
    metadata["review"] = {
        "run": row["run_id"], "case": row["case_id"], "model": row["model"],
        "repeat": row["repeat"], "reviewer": row["reviewer"], "decided_at": row["decided_at"],
        "decision_id": row["id"], "category": row["category"], "note": row["note"],
        "original_output": row["original_output"],
    }
    data["metadata"] = metadata
    return Case.model_validate(data).model_dump(mode="json", exclude_defaults=True,
                                                by_alias=True)


def to_jsonl(cases: Iterator[dict[str, Any]]) -> Iterator[str]:
    for case in cases:
        yield json.dumps(case, ensure_ascii=False) + "\n"

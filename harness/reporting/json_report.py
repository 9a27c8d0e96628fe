"""The JSON report: a run's lineage, its summary and every case with its scores."""

from __future__ import annotations

import json
from typing import Any

from harness.metrics import judged
from harness.store import RunStore
from harness.summary import run_rows, summarize_run

REPORT_SCHEMA_VERSION = 1

_CASE_FIELDS = (
    "case_id",
    "model",
    "repeat",
    "outcome",
    "output",
    "tool_calls",
    "error_kind",
    "error_message",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "attempts",
    "cached",
    "refused",
)
_SCORE_FIELDS = (
    "check_name",
    "check_type",
    "scorer_version",
    "outcome",
    "score",
    "confidence",
    "reason",
    "evidence",
)


def _case(row: dict[str, Any]) -> dict[str, Any]:
    case = {k: row[k] for k in _CASE_FIELDS}
    if "human_verdict" in row:  # a reviewer's verdict, layered over the automatic one
        case["auto_outcome"] = row["auto_outcome"]
        case["human_verdict"] = row["human_verdict"]
    elif row["outcome"] != "error" and not judged(row["scores"]):
        case["unchecked"] = True  # no check decided it: not counted as a pass (summary)
    case["error"] = (
        {"kind": row["error_kind"], "message": row["error_message"]} if row["error_kind"] else None
    )
    del case["error_kind"], case["error_message"]
    case["scores"] = [
        {
            ("check" if k == "check_name" else "type" if k == "check_type" else k): s[k]
            for k in _SCORE_FIELDS
        }
        for s in row["scores"]
    ]
    return case


def build_report(store: RunStore, run_ref: str) -> dict[str, Any]:
    """`{"run": lineage, "summary": ..., "cases": [...]}` for one stored run."""
    run = store.get_run(run_ref)
    rows = run_rows(store, run["id"])
    lineage = {k: v for k, v in run.items() if k != "spec"}
    lineage["git_dirty"] = None if run["git_dirty"] is None else bool(run["git_dirty"])
    return {
        "report_version": REPORT_SCHEMA_VERSION,
        "run": lineage,
        "summary": summarize_run(store, run["id"]),
        "cases": [_case(r) for r in rows],
    }


def report_json(store: RunStore, run_ref: str) -> str:
    return json.dumps(build_report(store, run_ref), indent=2, ensure_ascii=False) + "\n"

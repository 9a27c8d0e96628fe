"""The JSON report: a run's lineage, its summary and every case with its scores."""

from __future__ import annotations

import json
from typing import Any

from harness.analysis.metrics import judged
from harness.analysis.summary import run_rows, summarize, summarize_run
from harness.errors import UsageError
from harness.store import RunStore

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


def build_report(store: RunStore, run_ref: str, model: str | None = None) -> dict[str, Any]:
    """`{"run": lineage, "summary": ..., "cases": [...]}` for one stored run.

    With several models: `models` holds them side by side (`harness.analysis.side_by_side`), and the
    summary's `by_model` each one's own summary. `model` reports on that one model only."""
    from harness.analysis.side_by_side import run_models, side_by_side

    run = store.get_run(run_ref)
    rows = run_rows(store, run["id"])
    lineage = {k: v for k, v in run.items() if k != "spec"}
    lineage["git_dirty"] = None if run["git_dirty"] is None else bool(run["git_dirty"])
    models = run_models(store, run["id"])
    if model is not None:
        if model not in models:
            raise UsageError(f"run {run['id']} has no model {model!r} (it has {models})")
        rows = [r for r in rows if r["model"] == model]
        summary = summarize(rows, cases=store.get_cases(run["id"]))
        summary["human_verdicts"] = sum(1 for r in rows if "human_verdict" in r)
    else:
        summary = summarize_run(store, run["id"])
    report = {
        "report_version": REPORT_SCHEMA_VERSION,
        "run": lineage,
        "summary": summary,
        "cases": [_case(r) for r in rows],
    }
    if model is None and len(models) > 1:
        report["models"] = side_by_side(store, run["id"]).as_dict()
    else:
        report["model"] = model or (models[0] if models else None)
    return report


def report_json(store: RunStore, run_ref: str, model: str | None = None) -> str:
    report = build_report(store, run_ref, model)
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"

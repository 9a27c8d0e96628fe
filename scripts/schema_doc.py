"""Generates docs/schema.md from the live database schema, for people who query it directly.

The page is rebuilt from a fresh database with every migration applied, so it cannot drift:
`tests/store/test_schema.py` fails when the committed page differs. Regenerate with
`python scripts/schema_doc.py`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from harness.store.db import migrations, open_db

TABLES: dict[str, str] = {
    "runs": "One row per run: its lineage (what every verdict depends on) and status.",
    "run_tags": "Tags given with `harness run --tag`, e.g. `main` for the baseline branch.",
    "results": "One row per case x model x repeat: the output or the error, and operations.",
    "scores": "One row per check applied to a result. Never rewritten after the fact.",
    "cases": "A snapshot of each case of a run (tags, cluster, data, rendered messages).",
    "cache": "The response cache. Only completions are stored, never errors.",
    "review_routings": "How each run was routed to human review: the policy and the runs used.",
    "review_items": "Results queued for a person: why (signals), with what inclusion "
    "probability, and the final human verdict. One per result, never queued twice; an output "
    "already queued (same `output_key`) is carried from that item instead of shown again.",
    "review_assignments": "Reviewers' claims on items; a claim expires at `expires_at`.",
    "review_decisions": "Every reviewer decision. Layered on top of scores, never deleted: "
    "an undone one stays, stamped `revoked_at`.",
    "_sqlite_migrations": "Which named migrations have been applied (sqlite-utils).",
}

COLUMNS: dict[str, str] = {
    "runs.id": "Run id, `YYYYMMDD-HHMMSS-xxxxxx` (UTC); sortable by time.",
    "runs.suite_hash": "`v1:` + sha256 over the resolved suite, its JSONL cases and rubrics.",
    "runs.rubrics": "JSON object `{rubric@version: content hash}`.",
    "runs.models": "JSON list of model specs (ref, label, params, base_url, options). No keys.",
    "runs.params": "JSON generation parameters of the suite.",
    "runs.scorer_versions": "JSON `{check type: scorer version}` used by this run.",
    "runs.git_commit": "Commit of the repository holding the suite, if any.",
    "runs.git_dirty": "1 when tracked files had uncommitted changes.",
    "runs.n_planned": "Cases x models x repeats; `missing = n_planned - results`.",
    "runs.status": "running, complete, interrupted, budget_exhausted or failed.",
    "runs.spec": "The whole RunSpec as JSON (used by `--resume`); its `endpoints` maps each "
    "model to the server it was sent to (from `base_url` or `OPENAI_BASE_URL` / "
    "`ANTHROPIC_BASE_URL`; userinfo and secret query values redacted).",
    "runs.started_at": "ISO 8601, UTC.",
    "runs.parent_run_id": "For a derived run (`harness rescore`): the run whose stored outputs "
    "it re-scored.",
    "runs.kind": "NULL for a run that called models; `rescore` for one made by `harness rescore`;"
    " `monitoring` for scored production traffic (`harness score --store-as`).",
    "results.outcome": "pass (every check passed), fail (a check failed or was unscored), "
    "error (no output: the model call failed).",
    "results.output": "The model's text. Untrusted: escape before showing in HTML.",
    "results.tool_calls": "JSON list of `{id, name, arguments}`.",
    "results.error_kind": "rate_limit, server, timeout, connection, malformed, auth, client, "
    "circuit_open, exception, ...",
    "results.latency_ms": "Wall time of the successful attempt from sending the request to "
    "reading the answer (as stored when cached); excludes `queue_ms`. A server that queues "
    "requests itself counts that wait here.",
    "results.queue_ms": "Time that attempt waited on our side before it was sent (concurrency "
    "slot, `--rpm` pacing, a free pooled connection). NULL: not measured.",
    "results.attempts": "Requests made for this result, retries included; 0 when cached.",
    "results.cached": "1 when served from the response cache.",
    "results.refused": "1 when the provider flagged a refusal or content filter.",
    "scores.outcome": "pass, fail, unscored (could not decide; see reason), not_applicable.",
    "scores.score": "0..1, higher is always the passing side; NULL when unscored.",
    "scores.confidence": "0..1: how sure the scorer is (1 for deterministic checks).",
    "scores.evidence": "JSON: what the verdict rests on (spans, matched text, errors).",
    "cases.data": "JSON of the case as loaded: input, vars, context, expected, checks, ...",
    "cases.messages": "JSON of the conversation sent to the model (system prompt included).",
    "review_routings.risk": "The suite's risk tier when routed: low, medium or high.",
    "review_routings.policy_source": "The rubric file(s) the review policy came from, or "
    "defaults.",
    "review_routings.n_results": "Answered results of the run (errors have nothing to review).",
    "review_items.signals": "JSON list of `{kind, detail, check, critical}`: why it is here.",
    "review_items.inclusion_prob": "Chance this result was queued (1 for signals, else the "
    "sample rate): the weight of its verdict in estimates.",
    "review_items.novelty": "1 - best trigram similarity of the input to the reference run's.",
    "review_items.auto_outcome": "The automatic verdict (pass or fail) when routed.",
    "review_items.status": "pending, needs_adjudication (reviewers disagreed), decided, or "
    "duplicate (the same output waits in item `carried_from`).",
    "review_items.verdict": "The final human verdict (pass or fail) once decided, from the "
    "decisions still standing (or carried from item `carried_from`).",
    "review_items.output_key": "`v1:` + sha256 of what a person judges: suite, case as run "
    "(data and messages), automatic outcome, output text and tool calls.",
    "review_items.carried_from": "The earlier item with the same `output_key`: this one "
    "mirrors its status and verdict instead of being reviewed again. NULL: reviewed itself.",
    "review_assignments.state": "active, done (decided) or released (skipped).",
    "review_decisions.kind": "review, or adjudication (settles a disagreement).",
    "review_decisions.decision": "approve (pass), reject (fail, with a category) or correct "
    "(fail, with the corrected output).",
    "review_decisions.category": "hallucination, unsafe, wrong_format, unhelpful or other.",
    "review_decisions.corrected_output": "The reviewer's output; exported as a new case's "
    "expected answer. Untrusted like any output.",
    "review_decisions.agrees": "1 when the human verdict equals the automatic one.",
    "review_decisions.revoked_at": "When the decision was undone (`harness review undo`); NULL "
    "while it stands. Revoked decisions count nowhere.",
    "review_decisions.revoked_by": "Who undid it.",
    "review_decisions.superseded_by": "The decision the same reviewer made on the item "
    "instead, when the undo was a change.",
    "cache.key": "sha256 of provider, model, messages, parameters, tools and repeat index.",
}


def render() -> str:
    """The Markdown page for a database with every migration applied."""
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "schema.db")
        lines = [
            "# Database schema",
            "",
            "<!-- Generated by `python scripts/schema_doc.py`; do not edit by hand. -->",
            "",
            "Every run lands in one SQLite file (`harness.db` by default; `--db` or "
            "`HARNESS_DB` to change). It is in WAL mode, so you can query it while a run "
            "is writing. Migrations applied: "
            + ", ".join(f"`{m.name}`" for m in migrations.applied(db))
            + ".",
            "",
            "```sql",
            "-- pass rate per check for the newest run",
            "SELECT check_name, AVG(outcome = 'pass') AS pass_rate, COUNT(*) AS n",
            "FROM scores WHERE run_id = (SELECT id FROM runs ORDER BY started_at DESC LIMIT 1)",
            "  AND outcome IN ('pass', 'fail') GROUP BY check_name;",
            "```",
            "",
        ]
        for table in db.tables:
            lines += [f"## `{table.name}`", "", TABLES.get(table.name, ""), ""]
            lines += ["| column | type | notes |", "|---|---|---|"]
            for col in table.columns:
                pk = " (primary key)" if col.name in table.pks and table.pks != ["rowid"] else ""
                note = COLUMNS.get(f"{table.name}.{col.name}", "")
                lines.append(f"| `{col.name}` | {col.type}{pk} | {note} |")
            if table.indexes:
                lines += [
                    "",
                    "Indexes: "
                    + "; ".join(
                        f"`{', '.join(i.columns)}`{' (unique)' if i.unique else ''}"
                        for i in table.indexes
                    )
                    + ".",
                ]
            lines.append("")
        db.close()
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/schema.md")
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()

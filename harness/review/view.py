"""What a reviewer sees for one item: the case, the output with its evidence marked, scores.

Built once as plain data and rendered by both interfaces (web templates, the terminal).
Highlights are computed as *segments*: the output cut at every mark boundary, each piece
with the kinds of marks covering it. Templates print each piece through autoescaping and
take CSS classes only from the fixed `MARK_KINDS`, never from stored text, so an output
containing markup is shown, never run.

Marks come from the scores' evidence: grounding claims (`span`, `verdict`, `passage`,
`passage_span`), findings with a `span` and a `type` (PII, secrets), refusal cues.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.review._db import database
from harness.review.decisions import final_decision
from harness.review.queue import get_item

MARK_KINDS = ("unsupported", "supported", "pii", "secret", "cue", "evidence")


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    kind: str  # one of MARK_KINDS
    label: str = ""


@dataclass
class Segment:
    text: str
    kinds: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    @property
    def css(self) -> str:
        return " ".join(f"mark-{k}" for k in self.kinds if k in MARK_KINDS)


def segments(text: str, marks: list[Mark]) -> list[Segment]:
    """`text` cut at every mark boundary; overlapping marks stack their kinds."""
    size = len(text)
    marks = [m for m in marks if 0 <= m.start < m.end and m.kind in MARK_KINDS]
    cuts = sorted({0, size} | {min(m.start, size) for m in marks} | {min(m.end, size)
                                                                     for m in marks})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a >= b:
            continue
        over = [m for m in marks if m.start <= a and m.end >= b]
        kinds = sorted({m.kind for m in over}, key=MARK_KINDS.index)
        out.append(Segment(text[a:b], kinds, [m.label for m in over if m.label]))
    return out


def _span(value: Any) -> tuple[int, int] | None:
    if (isinstance(value, list | tuple) and len(value) == 2
            and all(isinstance(v, int) for v in value)):
        return int(value[0]), int(value[1])
    return None


# --------------------------------------------------------------------------- evidence


def claims_of(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grounding claims across the result's scores, each with its check's name."""
    out = []
    for s in scores:
        for c in (s.get("evidence") or {}).get("claims") or []:
            if isinstance(c, dict):
                out.append({**c, "check": s["check_name"]})
    return out


def output_marks(scores: list[dict[str, Any]]) -> list[Mark]:
    marks = []
    for c in claims_of(scores):
        span = _span(c.get("span"))
        if span and c.get("verdict") in ("supported", "unsupported"):
            marks.append(Mark(*span, c["verdict"], f"{c['verdict']} claim ({c['check']})"))
    for s in scores:
        marks += _finding_marks(s)
    return marks


def _finding_marks(score: dict[str, Any]) -> list[Mark]:
    evidence = score.get("evidence") or {}
    kind = "secret" if score["check_type"] in ("secrets", "secret") else "pii"
    out = []
    for key in ("leaks", "findings", "secrets"):
        for f in evidence.get(key) or []:
            span = _span(f.get("span")) if isinstance(f, dict) else None
            if span:
                out.append(Mark(*span, kind, f"{f.get('type', kind)} ({score['check_name']})"))
    for cue in evidence.get("cues") or []:
        span = _span(cue.get("span")) if isinstance(cue, dict) else None
        if span and span[1] > span[0]:
            out.append(Mark(*span, "cue", f"refusal cue ({score['check_name']})"))
    return out


def passage_views(context: list[str], claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each passage with the spans that claims were matched against marked."""
    views = []
    for i, text in enumerate(context):
        marks, matched = [], []
        for c in claims:
            if c.get("passage") != i:
                continue
            matched.append(c.get("index"))
            span = _span(c.get("passage_span"))
            if span:
                marks.append(Mark(*span, "evidence", f"evidence for claim {c.get('index')}"))
        views.append({"index": i, "number": i + 1, "segments": segments(str(text), marks),
                      "claims": [m for m in matched if m is not None]})
    return views


# --------------------------------------------------------------------------- the item


def _result(db: Any, item: dict[str, Any]) -> dict[str, Any]:
    row = db.execute("SELECT * FROM results WHERE run_id = ? AND case_id = ? AND model = ? "
                     "AND repeat = ?", (item["run_id"], item["case_id"], item["model"],
                                        item["repeat"]))
    cols = [c[0] for c in row.description]
    found = row.fetchone()
    result = dict(zip(cols, found, strict=True)) if found else {}
    result["scores"] = []
    if found:
        for s in db.query("SELECT * FROM scores WHERE result_id = ? ORDER BY id", [result["id"]]):
            s["evidence"] = json.loads(s["evidence"]) if s["evidence"] else {}
            result["scores"].append(s)
    return result


def _case(db: Any, item: dict[str, Any]) -> dict[str, Any]:
    row = db.execute("SELECT data, messages, tags FROM cases WHERE run_id = ? AND case_id = ?",
                     (item["run_id"], item["case_id"])).fetchone()
    if not row:
        return {"data": {}, "messages": [], "tags": []}
    return {"data": json.loads(row[0] or "{}"), "messages": json.loads(row[1] or "[]"),
            "tags": json.loads(row[2] or "[]")}


def item_view(source: Any, item_id: int, *, at: float | None = None) -> dict[str, Any]:
    """Everything shown for one item, as plain data."""
    db = database(source)
    item = get_item(db, item_id, at=at)
    result, case = _result(db, item), _case(db, item)
    data = case["data"]
    output = result.get("output") or ""
    scores = result["scores"]
    claims = claims_of(scores)
    return {
        "item": item, "result": result, "case": data, "tags": case["tags"],
        "messages": case["messages"], "question": _question(data, case["messages"]),
        "output": output, "output_segments": segments(output, output_marks(scores)),
        "passages": passage_views([str(p) for p in data.get("context") or []], claims),
        "claims": claims, "scores": scores, "final": final_decision(item),
        "findings": [m for m in output_marks(scores) if m.kind in ("pii", "secret")],
    }


def _question(data: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    from harness.review.novelty import case_input

    return case_input(data, messages)

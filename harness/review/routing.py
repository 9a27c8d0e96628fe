"""Routing: which results of a run a person must see, why, and with what probability.

- risk `high`: every result (probability 1);
- risk `medium`: every result with a signal (probability 1);
- risk `low`: every result with a critical signal (probability 1);
- and in every tier, the results not sent by the rules above are sampled deterministically by
  hash at the policy's `sample_rate` (probability = the rate). This is what makes the
  reviewed items an honest sample: every answered result has a known, non-zero inclusion
  probability, so inverse-probability weighting gives an unbiased estimate of the true pass
  rate (`harness.analysis.agreement.estimate`). `sample_rate: 0` turns the sample off.

Errors are never routed: there is no output to judge. Routing is idempotent: the unique key
(run, case, model, repeat) means a result is never queued twice, and a `rescore` run does not
re-queue what its parent run already queued (its outputs are the same).

Nor is the same output put before a person twice. What a person judges is identified by
`output_key` (see `output_key`): the suite, the case as it was run (its data and the
rendered conversation), the automatic outcome, and the output text with its tool calls.
A result whose key some earlier item already carries (this run's other repeats, or any
earlier run) is stored with `carried_from` pointing at that item and mirrors it: `decided`
with its verdict when it was reviewed already (the verdict is carried over, marked as
such), else `duplicate`, which is not in the open queue and takes the verdict when the
first item is decided (`harness.review.decisions.follow_carried`). The model is not in the
key: the same text for the same case is the same answer whoever wrote it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from harness.review._db import database, immediate, iso, now
from harness.review.novelty import NOVEL_AT, NoveltyIndex, case_input
from harness.review.policy import RoutePolicy, policy_for_run, policy_of
from harness.review.signals import Signal, priority, result_signals

ResultKey = tuple[str, str, int]


@dataclass
class RouteReport:
    run_id: str
    policy: RoutePolicy
    n_results: int = 0
    queued: int = 0  # new items a person must see
    already: int = 0  # queued before (this run or its parent)
    carried: int = 0  # same output reviewed before: the verdict was carried over
    duplicates: int = 0  # same output already waiting in the queue: not queued twice
    baseline_run_id: str | None = None
    reference_run_id: str | None = None
    by_signal: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "risk": self.policy.risk,
            "sample_rate": self.policy.sample_rate, "policy_source": self.policy.source,
            "results": self.n_results, "queued": self.queued, "already_queued": self.already,
            "carried": self.carried, "duplicates": self.duplicates,
            "baseline_run_id": self.baseline_run_id, "reference_run_id": self.reference_run_id,
            "by_signal": self.by_signal,
        }


def sample_draw(run_id: str, key: ResultKey) -> float:
    """A uniform number in [0, 1) fixed by the result's identity: same run, same sample."""
    text = f"{run_id}|{key[0]}|{key[1]}|{key[2]}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") / 2**64


def inclusion(risk: str, signals: list[Signal], rate: float, draw: float) -> tuple[bool, float]:
    """(queued?, inclusion probability) of one result under the tier's rules."""
    forced = risk == "high" or any(s.critical for s in signals) or (
        risk == "medium" and bool(signals))
    if forced:
        return True, 1.0
    return draw < rate, rate


# --------------------------------------------------------------------------- cross-run


def _baseline(store: Any, run: dict[str, Any], ref: str | None) -> str | None:
    if ref is not None:
        return store.resolve_run_id(ref)
    return store.newest_run(run["suite"], before=run["id"], exclude=run["id"])


def _outcomes(store: Any, run_id: str | None) -> dict[ResultKey, str]:
    if run_id is None:
        return {}
    sql = "SELECT case_id, model, repeat, outcome FROM results WHERE run_id = ?"
    return {(r[0], r[1], int(r[2])): r[3] for r in store.db.execute(sql, (run_id,))}


def _reference_index(store: Any, run_id: str | None) -> NoveltyIndex | None:
    if run_id is None:
        return None
    cases = store.get_cases(run_id)
    return NoveltyIndex(case_input(c["data"], c["messages"]) for c in cases.values())


def _cross_signals(
    key: ResultKey, outcome: str, tags: list[str], ctx: _Context
) -> tuple[list[Signal], float | None]:
    """Regression against the baseline and novelty against the reference run."""
    out: list[Signal] = []
    before = ctx.baseline_outcomes.get(key)
    if before == "pass" and outcome == "fail":
        critical = "critical" in tags
        out.append(Signal("regression", f"passed in baseline {ctx.baseline}, fails now",
                          critical=critical))
    novelty = ctx.novelty.get(key[0])
    if novelty is not None and novelty >= NOVEL_AT:
        out.append(Signal("novelty", f"input unlike any in reference run {ctx.reference} "
                          f"(closest shares {1 - novelty:.0%} of its trigrams)"))
    return out, novelty


@dataclass
class _Context:
    run: dict[str, Any]
    policy: RoutePolicy
    cases: dict[str, dict[str, Any]]
    baseline: str | None
    reference: str | None
    baseline_outcomes: dict[ResultKey, str]
    novelty: dict[str, float]
    skip: set[ResultKey]


def _context(store: Any, run_id: str, policy: RoutePolicy | None, baseline: str | None,
             reference: str | None) -> _Context:
    run = store.get_run(run_id)
    policy = policy or policy_for_run(run)
    base = _baseline(store, run, baseline)
    ref = store.resolve_run_id(reference) if reference else base
    cases = store.get_cases(run["id"])
    index = _reference_index(store, ref)
    novelty = {} if index is None or not len(index) else {
        cid: index.novelty(case_input(c["data"], c["messages"])) for cid, c in cases.items()}
    return _Context(run, policy, cases, base, ref, _outcomes(store, base), novelty,
                    queued_keys(store, run))


def queued_keys(store: Any, run: dict[str, Any]) -> set[ResultKey]:
    """Keys already queued for this run, or for the run it re-scored (same outputs)."""
    ids = [run["id"]] + ([run["parent_run_id"]] if run.get("kind") == "rescore"
                         and run.get("parent_run_id") else [])
    sql = "SELECT case_id, model, repeat FROM review_items WHERE run_id = ?"
    return {(r[0], r[1], int(r[2])) for rid in ids for r in store.db.execute(sql, (rid,))}


def output_key(suite: str | None, case: dict[str, Any], row: dict[str, Any]) -> str:
    """The identity of what a person judges: suite, case as run, automatic outcome, output.

    The automatic outcome is in it so that an output the scorers now judge differently is
    shown again (a changed check is a new question); the model is not."""
    body = json.dumps([suite, row["case_id"], case.get("data", {}), case.get("messages", []),
                       row["outcome"], row.get("output") or "", row.get("tool_calls") or []],
                      sort_keys=True, ensure_ascii=False, default=str)
    return "v1:" + hashlib.sha256(body.encode()).hexdigest()


# --------------------------------------------------------------------------- routing


def _item(row: dict[str, Any], ctx: _Context, report: RouteReport) -> dict[str, Any] | None:
    key = (row["case_id"], row["model"], int(row["repeat"]))
    snap = ctx.cases.get(row["case_id"], {})
    case, tags = snap.get("data", {}), snap.get("tags", [])
    signals = result_signals(row, case, ctx.policy.confidence_below)
    cross, novelty = _cross_signals(key, row["outcome"], tags, ctx)
    signals += cross
    queued, prob = inclusion(ctx.policy.risk, signals, ctx.policy.sample_rate,
                             sample_draw(ctx.run["id"], key))
    if not queued:
        return None
    sampled = prob < 1.0
    if sampled:
        signals.append(Signal("sample", f"random sample at {ctx.policy.sample_rate:.0%}"))
    for s in {s.kind for s in signals}:
        report.by_signal[s] = report.by_signal.get(s, 0) + 1
    return {
        "run_id": ctx.run["id"], "case_id": key[0], "model": key[1], "repeat": key[2],
        "suite": ctx.run["suite"], "risk": ctx.policy.risk,
        "signals": json.dumps([s.as_dict() for s in signals], ensure_ascii=False),
        "critical": int(any(s.critical for s in signals)), "sampled": int(sampled),
        "inclusion_prob": prob, "novelty": novelty, "priority": priority(signals, tags),
        "auto_outcome": row["outcome"], "status": "pending", "verdict": None,
        "output_key": output_key(ctx.run["suite"], snap, row),
    }


def route_run(
    store: Any,
    run_id: str,
    *,
    suite: Any = None,
    policy: RoutePolicy | None = None,
    baseline: str | None = None,
    reference: str | None = None,
    required_reviews: int = 1,
    at: float | None = None,
) -> RouteReport:
    """Queue the results of `run_id` that a person must see; safe to call again.

    `suite` (a LoadedSuite) or `policy` skip reading the suite file; `baseline` (regressions)
    and `reference` (novelty) default to the newest complete run of the same suite before it.
    """
    if policy is None and suite is not None:
        policy = policy_of(suite)
    ctx = _context(store, store.resolve_run_id(run_id), policy, baseline, reference)
    report = RouteReport(ctx.run["id"], ctx.policy, baseline_run_id=ctx.baseline,
                         reference_run_id=ctx.reference)
    stamp = iso(at if at is not None else now())
    items = []
    for row in store.iter_results(ctx.run["id"]):
        if row["outcome"] == "error":
            continue
        report.n_results += 1
        if (row["case_id"], row["model"], int(row["repeat"])) in ctx.skip:
            report.already += 1
            continue
        item = _item(row, ctx, report)
        if item is not None:
            items.append({**item, "required_reviews": required_reviews, "created_at": stamp})
    order = {case_id: i for i, case_id in enumerate(ctx.cases)}  # suite order, not arrival
    items.sort(key=lambda it: (order.get(it["case_id"], len(order)), it["model"], it["repeat"]))
    report.queued = _write(store, ctx, report, items, stamp)
    return report


def _write(store: Any, ctx: _Context, report: RouteReport, items: list[dict[str, Any]],
           stamp: str) -> int:
    db = database(store)
    with immediate(db):
        before = db["review_items"].count_where("run_id = ?", [ctx.run["id"]])
        sources: dict[str, dict[str, Any]] = {}
        for item in items:
            _insert_once(db, item, sources, report)
        after = db["review_items"].count_where("run_id = ?", [ctx.run["id"]])
        db["review_routings"].upsert({
            "run_id": ctx.run["id"], "routed_at": stamp, "risk": ctx.policy.risk,
            "sample_rate": ctx.policy.sample_rate,
            "confidence_below": ctx.policy.confidence_below,
            "policy_source": ctx.policy.source, "baseline_run_id": ctx.baseline,
            "reference_run_id": ctx.reference, "n_results": report.n_results,
            "n_queued": after,
        }, pk="run_id")
    return after - before - report.carried - report.duplicates


_SOURCE = ("SELECT id, status, verdict, decided_at FROM review_items WHERE output_key = ? AND "
           "carried_from IS NULL ORDER BY status = 'decided' DESC, id LIMIT 1")


def _insert_once(db: Any, item: dict[str, Any], sources: dict[str, dict[str, Any]],
                 report: RouteReport) -> None:
    """Insert `item`; when its output was queued before, as a copy carried from that item."""
    key = item["output_key"]
    if key not in sources:
        row = db.execute(_SOURCE, (key,)).fetchone()
        if row is not None:
            sources[key] = dict(zip(("id", "status", "verdict", "decided_at"), row, strict=True))
    source = sources.get(key)
    if source is not None:
        decided = source["status"] == "decided"
        item = {**item, "carried_from": source["id"],
                "status": "decided" if decided else "duplicate",
                "verdict": source["verdict"] if decided else None,
                "decided_at": source["decided_at"] if decided else None}
    cols = list(item)
    cur = db.execute(f"INSERT OR IGNORE INTO review_items ({', '.join(cols)}) VALUES "
                     f"({', '.join('?' * len(cols))})", [item[c] for c in cols])
    if cur.rowcount != 1:  # queued meanwhile by another routing of this run
        return
    if source is None:
        sources[key] = {"id": cur.lastrowid, "status": "pending", "verdict": None,
                        "decided_at": None}
    elif source["status"] == "decided":
        report.carried += 1
    else:
        report.duplicates += 1

"""How well each automatic scorer matches people, and what the reviewed sample says.

- Per check: the confusion matrix of its outcome against the human verdict on the same
  result, Cohen's kappa, and the score threshold that would best match people (the cut on
  the check's 0..1 score with the highest kappa), so thresholds are tuned on evidence.
- The true pass rate estimated from the reviewed items by inverse-probability weighting,
  next to the automatic one (see `estimate`).
- The queue's health: size, age of the oldest open item (the review SLA), throughput and
  median time per decision for each reviewer.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.analysis.stats import wilson
from harness.review._db import database, iso, now, parse_iso

# --------------------------------------------------------------------------- kappa


@dataclass(frozen=True)
class Confusion:
    """Rows: automatic verdict; columns: human verdict."""

    pass_pass: int = 0  # both pass
    pass_fail: int = 0  # scorer passed what people failed (a miss)
    fail_pass: int = 0  # scorer failed what people passed (a false alarm)
    fail_fail: int = 0

    @property
    def n(self) -> int:
        return self.pass_pass + self.pass_fail + self.fail_pass + self.fail_fail

    def as_dict(self) -> dict[str, Any]:
        return {"pass_pass": self.pass_pass, "pass_fail": self.pass_fail,
                "fail_pass": self.fail_pass, "fail_fail": self.fail_fail, "n": self.n,
                "agreement": self.agreement, "kappa": self.kappa}

    @property
    def agreement(self) -> float | None:
        return (self.pass_pass + self.fail_fail) / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa; None when chance agreement is total (one class only)."""
        n = self.n
        if not n:
            return None
        auto_pass, human_pass = self.pass_pass + self.pass_fail, self.pass_pass + self.fail_pass
        expected = (auto_pass * human_pass + (n - auto_pass) * (n - human_pass)) / n**2
        if math.isclose(expected, 1.0):
            return None
        return ((self.pass_pass + self.fail_fail) / n - expected) / (1 - expected)


def confusion(pairs: Iterable[tuple[bool, bool]]) -> Confusion:
    """From (automatic passed, human passed) pairs."""
    counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for auto, human in pairs:
        counts[(bool(auto), bool(human))] += 1
    return Confusion(counts[(True, True)], counts[(True, False)], counts[(False, True)],
                     counts[(False, False)])


def best_threshold(scored: list[tuple[float, bool]]) -> dict[str, Any] | None:
    """The cut `score >= t` that best matches the human verdicts (highest kappa, then
    agreement); None when people gave only one verdict or there are no scores."""
    if not scored or len({h for _, h in scored}) < 2:
        return None
    best: tuple[float, float, float] | None = None
    for t in sorted({s for s, _ in scored}):
        c = confusion((s >= t, h) for s, h in scored)
        key = (c.kappa if c.kappa is not None else -2.0, c.agreement or 0.0, -t)
        if best is None or key > best:
            best = key
    assert best is not None
    return {"threshold": -best[2], "kappa": best[0], "agreement": best[1]}


# --------------------------------------------------------------------------- data


_DECIDED = """
    SELECT i.id, i.run_id, i.case_id, i.model, i.repeat, i.verdict, i.auto_outcome,
           i.inclusion_prob, r.id AS result_id
    FROM review_items i JOIN results r ON r.run_id = i.run_id AND r.case_id = i.case_id
        AND r.model = i.model AND r.repeat = i.repeat
    WHERE i.status = 'decided' AND i.verdict IN ('pass', 'fail') AND i.carried_from IS NULL
        {where}
"""  # a verdict carried to the same output elsewhere is one judgment: counted once


def _decided(db: Any, run_id: str | None, suite: str | None) -> list[dict[str, Any]]:
    where, args = [], []
    if run_id:
        where.append("i.run_id = ?")
        args.append(run_id)
    if suite:
        where.append("i.suite = ?")
        args.append(suite)
    return list(db.query(_DECIDED.format(where="".join(" AND " + w for w in where)), args))


def scorer_agreement(source: Any, *, run_id: str | None = None,
                     suite: str | None = None) -> list[dict[str, Any]]:
    """Per check (and `overall` for the result's automatic outcome): confusion, kappa, and
    the best-matching threshold."""
    db = database(source)
    items = _decided(db, run_id, suite)
    by_result = {it["result_id"]: it["verdict"] == "pass" for it in items}
    pairs: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    scored: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    pairs["overall"] = [(it["auto_outcome"] == "pass", it["verdict"] == "pass") for it in items]
    for row in _scores(db, list(by_result)):
        human = by_result[row["result_id"]]
        pairs[row["check_name"]].append((row["outcome"] == "pass", human))
        if row["score"] is not None:
            scored[row["check_name"]].append((float(row["score"]), human))
    return [{"check": name, **confusion(p).as_dict(), "best": best_threshold(scored[name])}
            for name, p in sorted(pairs.items(), key=lambda kv: (kv[0] != "overall", kv[0]))]


def _scores(db: Any, result_ids: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, len(result_ids), 500):
        chunk = result_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        out += db.query(f"SELECT result_id, check_name, outcome, score FROM scores WHERE "
                        f"result_id IN ({marks}) AND outcome IN ('pass', 'fail')", chunk)
    return out


# --------------------------------------------------------------------------- estimate


def estimate(source: Any, run_id: str) -> dict[str, Any]:
    """The run's pass rate: automatic, and estimated from people's verdicts.

    Two-phase design: routing queued result i with probability p_i (1 for signals, the
    sample rate otherwise); of the items queued with the same p, reviewers have decided a
    share q, taken as a random subsample, so the effective probability is pi_i = p_i * q.
    - `ipw`: Horvitz-Thompson, sum(y_i / pi_i) / N over decided items; unbiased when every
      result could be sampled (sample_rate > 0).
    - `corrected`: the difference estimator, automatic rate + sum((y_i - a_i) / pi_i) / N:
      the automatic verdicts corrected by what people changed; also unbiased, and with a
      much smaller variance when the scorers are mostly right.
    Intervals: normal approximation with the Poisson-sampling variance, widened to cover
    each sampled stratum's Wilson interval (see `_strata_widening`), clipped to 0..1. The
    variance alone is zero when the decisions agree (one decision, or none that differs from
    the scorer), which claimed certainty from a handful of verdicts (issue 13).
    """
    db = database(source)
    auto = _auto_counts(db, run_id)
    routing = db["review_routings"].get(run_id) if db["review_routings"].count_where(
        "run_id = ?", [run_id]) else None
    n = auto["n"]
    out: dict[str, Any] = {"run_id": run_id, "results": n, "automatic": _rate(auto)}
    if routing is None or not n:
        return {**out, "note": "not routed yet" if routing is None else "no answered results"}
    decided, second = _phase_two(db, run_id)
    out.update(queued=sum(second["queued"].values()), decided=len(decided),
               sample_rate=routing["sample_rate"])
    if not decided:
        return {**out, "note": "no decided items yet"}
    pis = [it["inclusion_prob"] * second["share"][it["inclusion_prob"]] for it in decided]
    y = [1.0 if it["verdict"] == "pass" else 0.0 for it in decided]
    a = [1.0 if it["auto_outcome"] == "pass" else 0.0 for it in decided]
    out["ipw"] = _widen(_ht(y, pis, n, 0.0), _strata_widening(y, pis, n))
    more = _strata_widening([float(yi > ai) for yi, ai in zip(y, a, strict=True)], pis, n)
    less = _strata_widening([float(yi < ai) for yi, ai in zip(y, a, strict=True)], pis, n)
    # corrections up (people passed what the scorer failed) push the rate up, and down ones
    # down: the upper end takes the plausible excess of the first and shortfall of the second
    out["corrected"] = _widen(
        _ht([yi - ai for yi, ai in zip(y, a, strict=True)], pis, n, auto["k"] / n),
        (more[0] + less[1], more[1] + less[0]))
    notes = []
    if len(decided) < FEW_DECISIONS:
        notes.append(f"only {len(decided)} decision{'s' if len(decided) != 1 else ''}: "
                     "the intervals are wide until more results are reviewed")
    if routing["sample_rate"] <= 0 and routing["risk"] != "high":
        notes.append("sample_rate is 0: results without a signal could never be reviewed, "
                     "so these estimates cover only the flagged ones")
    if notes:
        out["note"] = "; ".join(notes)
    return out


FEW_DECISIONS = 10  # below this many decisions the estimate says so in its note


def _strata_widening(values: list[float], pis: list[float], n: int) -> tuple[float, float]:
    """How far (down, up) the true share of a 0/1 value among all n results may lie from
    its Horvitz-Thompson estimate, stratum by stratum of inclusion probability.

    A stratum of d decisions at probability pi stands for d / pi results; its share k / d has
    a Wilson interval at n = d, and only the part of the stratum not reviewed is uncertain
    (finite-population factor sqrt(1 - pi); a census, pi = 1, adds nothing). The strata are
    added up linearly, which is conservative. One decision at pi = 0.25 among 4 results
    leaves the share anywhere in [0, 0.68], never the point [0, 0] the variance gives.
    """
    strata: dict[float, list[float]] = defaultdict(list)
    for v, p in zip(values, pis, strict=True):
        strata[p].append(v)
    down = up = 0.0
    for p, vs in strata.items():
        if p >= 1:
            continue
        d, k = len(vs), sum(vs)
        low, high = wilson(round(k), d)
        weight = d / p * math.sqrt(1 - p) / n
        down += (k / d - low) * weight
        up += (high - k / d) * weight
    return down, up


def _widen(interval: dict[str, Any], by: tuple[float, float]) -> dict[str, Any]:
    value = interval["value"]
    return {**interval, "low": max(0.0, min(interval["low"], value - by[0])),
            "high": min(1.0, max(interval["high"], value + by[1]))}


def _auto_counts(db: Any, run_id: str) -> dict[str, int]:
    row = db.execute("SELECT SUM(outcome = 'pass'), SUM(outcome IN ('pass', 'fail')) FROM "
                     "results WHERE run_id = ?", (run_id,)).fetchone()
    return {"k": int(row[0] or 0), "n": int(row[1] or 0)}


def _rate(c: dict[str, int]) -> dict[str, Any]:
    low, high = wilson(c["k"], c["n"])
    return {"value": c["k"] / c["n"] if c["n"] else None, "low": low, "high": high,
            "k": c["k"], "n": c["n"]}


def _phase_two(db: Any, run_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = list(db.query("SELECT inclusion_prob, status, verdict, auto_outcome FROM "
                         "review_items WHERE run_id = ?", [run_id]))
    queued: dict[float, int] = defaultdict(int)
    done: dict[float, int] = defaultdict(int)
    for r in rows:
        queued[r["inclusion_prob"]] += 1
        done[r["inclusion_prob"]] += r["status"] == "decided" and r["verdict"] is not None
    share = {p: done[p] / queued[p] for p in queued if done[p]}
    decided = [r for r in rows if r["status"] == "decided" and r["verdict"] is not None]
    return decided, {"queued": dict(queued), "share": share}


def _ht(values: list[float], pis: list[float], n: int, base: float) -> dict[str, Any]:
    total = sum(v / p for v, p in zip(values, pis, strict=True))
    var = sum((1 - p) / p**2 * v**2 for v, p in zip(values, pis, strict=True)) / n**2
    value = base + total / n
    half = 1.959964 * math.sqrt(var)
    return {"value": value, "low": max(0.0, value - half), "high": min(1.0, value + half)}


# --------------------------------------------------------------------------- the queue


def queue_health(source: Any, *, at: float | None = None,
                 suite: str | None = None) -> dict[str, Any]:
    """Open items, the oldest one's age (the review SLA), and throughput per reviewer."""
    db, at = database(source), at if at is not None else now()
    where, args = ("AND suite = ?", [suite]) if suite else ("", [])
    row = db.execute("SELECT COUNT(*), MIN(created_at), SUM(status = 'needs_adjudication') "
                     "FROM review_items WHERE status IN ('pending', 'needs_adjudication') "
                     f"{where}", args).fetchone()
    oldest = parse_iso(row[1])
    return {"open": int(row[0] or 0), "needs_adjudication": int(row[2] or 0),
            "oldest_open_age_s": None if oldest is None else max(0.0, at - oldest),
            "reviewers": _throughput(db, at, suite)}


def _throughput(db: Any, at: float, suite: str | None) -> list[dict[str, Any]]:
    where, args = ("AND i.suite = ?", [suite]) if suite else ("", [])
    rows = db.query("SELECT d.reviewer, d.claimed_at, d.decided_at, d.agrees FROM "
                    "review_decisions d JOIN review_items i ON i.id = d.item_id "
                    f"WHERE d.revoked_at IS NULL {where}", args)
    per: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        per[r["reviewer"]].append(r)
    day = iso(at - 86400)
    return [_reviewer(name, ds, day) for name, ds in sorted(per.items())]


def _reviewer(name: str, ds: list[dict[str, Any]], day: str) -> dict[str, Any]:
    spans = [b - a for d in ds if (a := parse_iso(d["claimed_at"])) is not None
             and (b := parse_iso(d["decided_at"])) is not None]
    judged = [d["agrees"] for d in ds if d["agrees"] is not None]
    return {"reviewer": name, "decisions": len(ds),
            "last_24h": sum(1 for d in ds if d["decided_at"] >= day),
            "median_s": statistics.median(spans) if spans else None,
            "agrees_with_auto": sum(judged) / len(judged) if judged else None}

"""Triage: which failure mode to fix first, and which slice of cases does worst.

Failure modes: every failing (or undecided) score, every error and every automatic pass a
reviewer rejected (check `human review`, when the rows carry verdicts), grouped by check and by
the *pattern* of its reason (quoted values and numbers blanked, so "expected '30 days'" and
"expected '1 hour'" are one mode), ranked by impact = risk weight x frequency x severity:

- risk weight: the suite's risk tier, low 1, medium 2, high 3 (it matters when modes of
  several suites are ranked together, as on the dashboard);
- frequency: affected results over all results of the run;
- severity: the mean over affected results of low 1, medium 2, high 3, critical 4, taken from
  the score's evidence when a scorer reports one (PII, secrets), critical for a case tagged
  `critical`, medium for an ordinary failure or an error, low for an undecided check.

Slices: per-tag pass rates with Wilson intervals; tags written `key:value` (lang:fr,
segment:smb) form a group whose values are compared, any other tag is compared with the
cases without it. The largest gaps come first, each with Newcombe's interval for the
difference of two independent rates, so a real gap is told apart from a small-sample one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import sqrt
from typing import Any

from harness.analysis.metrics import Unit
from harness.analysis.stats import wilson

RISK_WEIGHT = {"low": 1, "medium": 2, "high": 3}
SEVERITY_WEIGHT = {"low": 1, "medium": 2, "high": 3, "critical": 4}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|‘[^’]*’|“[^”]*”")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


# --------------------------------------------------------------------------- failure modes


@dataclass
class FailureMode:
    suite: str
    check: str  # check name, or "error" for results without output
    kind: str  # check type, or the error kind
    pattern: str  # the reason with quoted values and numbers blanked
    risk: str
    total: int  # results in the run (the frequency's denominator)
    cases: list[str] = field(default_factory=list)
    severities: list[int] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.severities)

    @property
    def frequency(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def severity(self) -> float:
        return sum(self.severities) / len(self.severities) if self.severities else 0.0

    @property
    def impact(self) -> float:
        return RISK_WEIGHT.get(self.risk, 2) * self.frequency * self.severity

    def as_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "check": self.check, "kind": self.kind,
                "pattern": self.pattern, "risk": self.risk, "count": self.count,
                "total": self.total, "frequency": self.frequency, "severity": self.severity,
                "impact": self.impact, "cases": self.cases[:20], "examples": self.examples}


def reason_pattern(reason: str | None, limit: int = 120) -> str:
    """A reason with its specifics blanked, so reasons that differ only in values group."""
    text = _NUMBER.sub("N", _QUOTED.sub("'…'", reason or ""))
    text = " ".join(text.split())
    return (text[: limit - 1] + "…" if len(text) > limit else text) or "(no reason given)"


def failure_modes(rows: Sequence[dict[str, Any]], cases: dict[str, dict[str, Any]],
                  *, suite: str = "", risk: str = "medium", examples: int = 3
                  ) -> list[FailureMode]:
    """Failure modes of one run's result rows (`RunStore.iter_results`), most harmful first."""
    modes: dict[tuple[str, str, str], FailureMode] = {}
    for row in rows:
        critical = "critical" in ((cases.get(row["case_id"]) or {}).get("tags") or [])
        for check, kind, reason, sev, evidence in _failures(row, critical):
            key = (check, kind, reason_pattern(reason))
            mode = modes.get(key) or modes.setdefault(
                key, FailureMode(suite, check, kind, key[2], risk, len(rows)))
            mode.severities.append(sev)
            if row["case_id"] not in mode.cases:
                mode.cases.append(row["case_id"])
            if len(mode.examples) < examples:
                mode.examples.append({"case_id": row["case_id"], "reason": reason,
                                      "evidence": evidence})
    return rank(modes.values())


def rank(modes: Iterable[FailureMode]) -> list[FailureMode]:
    return sorted(modes, key=lambda m: (-m.impact, -m.count, m.check, m.pattern))


def _failures(row: dict[str, Any], critical: bool) -> Iterable[tuple[str, str, str, int, Any]]:
    if row["outcome"] == "error":
        yield ("error", row["error_kind"] or "error", row["error_message"] or "",
               _weight("critical" if critical else "medium"), {})
        return
    if row.get("human_verdict") == "fail" and row.get("auto_outcome") == "pass":
        yield ("human review", "rejected", "a reviewer rejected an automatic pass",
               _weight("critical" if critical else "medium"), {})
        return
    for s in row["scores"]:
        if s["outcome"] not in ("fail", "unscored"):
            continue
        level = "low" if s["outcome"] == "unscored" else _reported(s["evidence"]) or "medium"
        if critical and s["outcome"] == "fail":
            level = "critical"
        yield (s["check_name"], s["check_type"] or "", s["reason"] or s["outcome"],
               _weight(level), s["evidence"])


def _reported(evidence: Any) -> str | None:
    """The worst severity a scorer put in its evidence (PII leaks, secrets), if any."""
    found: list[str] = []
    if isinstance(evidence, dict):
        for value in evidence.values():
            items = value if isinstance(value, list) else [value]
            found += [i["severity"] for i in items
                      if isinstance(i, dict) and i.get("severity") in SEVERITY_WEIGHT]
    return max(found, key=lambda s: SEVERITY_WEIGHT[s]) if found else None


def _weight(level: str) -> int:
    return SEVERITY_WEIGHT.get(level, 2)


# --------------------------------------------------------------------------- slices


@dataclass(frozen=True)
class SliceValue:
    label: str
    k: int
    n: int

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.k, self.n)

    def as_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {"label": self.label, "k": self.k, "n": self.n, "value": self.value,
                "low": low, "high": high}


@dataclass(frozen=True)
class SliceGap:
    group: str
    values: tuple[SliceValue, ...]  # best first
    gap: float
    low: float
    high: float

    @property
    def best(self) -> SliceValue:
        return self.values[0]

    @property
    def worst(self) -> SliceValue:
        return self.values[-1]

    @property
    def significant(self) -> bool:
        return self.low > 0

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "gap": self.gap, "low": self.low, "high": self.high,
                "significant": self.significant, "values": [v.as_dict() for v in self.values]}


def tag_rates(units: Sequence[Unit]) -> list[SliceValue]:
    """Pass rate (decided results) per tag, tags in name order."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for u in units:
        if u.passed is None:
            continue
        for tag in u.tags:
            counts[tag][0] += int(u.passed)
            counts[tag][1] += 1
    return [SliceValue(tag, k, n) for tag, (k, n) in sorted(counts.items())]


def slice_gaps(units: Sequence[Unit], *, min_n: int = 1) -> list[SliceGap]:
    """Groups of tags with the gap between their best and worst slice, largest first."""
    decided = [u for u in units if u.passed is not None]
    gaps = [_gap(group, values) for group, values in _groups(decided).items()]
    kept = [g for g in gaps if g is not None and min(v.n for v in g.values) >= min_n]
    return sorted(kept, key=lambda g: (-g.gap, g.group))


def _groups(units: Sequence[Unit]) -> dict[str, list[SliceValue]]:
    keyed: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    plain = sorted({t for u in units for t in u.tags if not _split(t)})
    for u in units:
        for tag in u.tags:
            parts = _split(tag)
            if parts:
                _count(keyed[parts[0]][tag], u)
        for tag in plain:
            _count(keyed[tag][tag if tag in u.tags else f"not {tag}"], u)
    return {g: [SliceValue(label, k, n) for label, (k, n) in v.items()]
            for g, v in keyed.items() if len(v) >= 2}


def _split(tag: str) -> tuple[str, str] | None:
    for sep in (":", "="):
        key, found, value = tag.partition(sep)
        if found and key and value:
            return key, value
    return None


def _count(cell: list[int], u: Unit) -> None:
    cell[0] += int(bool(u.passed))
    cell[1] += 1


def _gap(group: str, values: list[SliceValue]) -> SliceGap | None:
    ordered = sorted(values, key=lambda v: (-(v.value or 0.0), v.label))
    best, worst = ordered[0], ordered[-1]
    if best.value is None or worst.value is None:
        return None
    low, high = newcombe_unpaired(best.k, best.n, worst.k, worst.n)
    return SliceGap(group, tuple(ordered), best.value - worst.value, low, high)


def newcombe_unpaired(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Newcombe's (1998, method 10) interval for p1 - p2 of two independent samples:
    square-and-add of the two Wilson intervals; it stays sensible for small n and for rates
    near 0 or 1, where the Wald interval does not."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p1 - p2
    return (d - sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))

"""The PII scanner at scale (issue 11): work grows with the findings as k log k, not k²;
`MAX_FINDINGS` caps what one call itemises and validates, and says so; a cap never lets PII
through a guard. No timings: operation counts, exact outputs and flags."""

from __future__ import annotations

import math
import random

import phonenumbers
import pytest

from harness.guard import CAPPED, Guard, redact
from harness.models import Case, CheckSpec, Completion
from harness.scoring.base import ScoreContext, score_safely
from harness.scoring.registry import get_scorer, validate_check
from harness.scoring.safety import phones
from harness.scoring.safety.findings import Finding, SpanIndex, overlaps, resolve_overlaps
from harness.scoring.safety.pii_detect import MAX_FINDINGS, SHAPE_ONLY, detect_pii
from harness.scoring.safety.pii_leaks import split_leaks

DENSE_EMAILS = "a@b.example " * 16_667  # 200 KB, 16,667 addresses
CARD = "4111 1111 1111 1111"


class CountingInt(int):
    """An int that counts the comparisons made with it (all instances share the count)."""

    count = 0

    def _tick(self, other: object, op: str) -> bool:
        CountingInt.count += 1
        return getattr(int(self), op)(int(other) if isinstance(other, int) else other)

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        return self._tick(other, "__lt__")

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        return self._tick(other, "__le__")

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        return self._tick(other, "__gt__")

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        return self._tick(other, "__ge__")

    def __eq__(self, other: object) -> bool:
        return self._tick(other, "__eq__")

    __hash__ = int.__hash__


def reference_resolve(found: list[Finding]) -> list[Finding]:
    """The quadratic resolution this module replaced, as the specification of its choice."""
    ranked = sorted(found, key=lambda f: (-f.score, -(f.end - f.start), f.start))
    kept: list[Finding] = []
    for f in ranked:
        if not any(f.start < k.end and k.start < f.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def random_findings(rng: random.Random, k: int, length: int, min_width: int = 0
                    ) -> list[Finding]:
    out = []
    for i in range(k):
        start = rng.randint(0, length)
        end = start + rng.randint(min_width, 12)
        out.append(Finding("X", start, end, str(i), rng.choice((0.5, 0.7, 0.9, 0.95)), "low"))
    return out


def test_resolution_keeps_exactly_the_same_spans_as_the_greedy_specification() -> None:
    rng = random.Random(11)
    for trial in range(3000):
        found = random_findings(rng, rng.randint(0, 40), rng.randint(1, 80))
        if trial % 3 == 0:
            found = reference_resolve(found)[::-1]  # already disjoint: the fast path
        assert resolve_overlaps(found) == reference_resolve(found)


@pytest.mark.parametrize("shape", ["chain", "disjoint", "random"])
def test_resolution_makes_k_log_k_comparisons(shape: str) -> None:
    k = 2000
    rng = random.Random(3)
    if shape == "chain":  # each span overlaps its neighbours: half are kept, half dropped
        spans = [(2 * i, 2 * i + 3) for i in range(k)]
    elif shape == "disjoint":  # nothing overlaps: every one kept, the old worst case
        spans = [(3 * i, 3 * i + 2) for i in range(k)]
    else:
        spans = [(s, s + rng.randint(1, 30)) for s in (rng.randint(0, 4 * k) for _ in range(k))]
    plain = [Finding("X", s, e, "", rng.choice((0.7, 0.9)), "low") for s, e in spans]
    counted = [Finding("X", CountingInt(f.start), CountingInt(f.end), "", f.score, "low")
               for f in plain]
    CountingInt.count = 0
    kept = resolve_overlaps(counted)
    comparisons = CountingInt.count
    assert [(f.start, f.end) for f in kept] == [(f.start, f.end) for f in reference_resolve(plain)]
    # k log2 k is ~22,000 here (this makes 6,000 to 92,000); scanning the kept spans for
    # each finding made 340,000 to 2,500,000
    assert comparisons < 8 * k * math.log2(k), comparisons


def test_span_index_answers_like_a_scan_of_all_spans() -> None:
    rng = random.Random(5)
    for _ in range(300):
        found = random_findings(rng, 60, 100)
        index = SpanIndex(sorted({f.start for f in found}))
        added: list[tuple[int, int]] = []
        for f in found:
            assert index.overlaps(f.start, f.end) == overlaps((f.start, f.end), added)
            if rng.random() < 0.5:
                index.add(f.start, f.end)
                added.append((f.start, f.end))


def test_dense_emails_are_all_found_and_in_order() -> None:
    found = detect_pii(DENSE_EMAILS)
    assert len(found) == 16_667
    assert all(f.type == "EMAIL_ADDRESS" and f.text == "a@b.example" for f in found)
    assert [f.start for f in found] == [12 * i for i in range(16_667)]


async def run_pii(text: str, **params: object):
    check = validate_check(CheckSpec(type="pii", **params))
    ctx = ScoreContext(case=Case(id="c", input="hello"), check=check,
                       completion=Completion(text=text))
    return await score_safely(get_scorer("pii"), ctx)


async def test_pii_check_caps_its_evidence_and_says_so() -> None:
    score = await run_pii(DENSE_EMAILS + f"card {CARD}")
    assert score.outcome == "fail"
    assert len(score.evidence["leaks"]) == MAX_FINDINGS
    assert score.evidence["findings_capped"] is True
    assert score.evidence["max_findings"] == MAX_FINDINGS
    assert score.evidence["findings_total"] == {"leaks": 16_668, "supplied_by_user": 0}
    assert f"evidence lists {MAX_FINDINGS} of 16668 findings" in score.reason
    # the verdict counts what the evidence does not list: the card, past the cap, is critical
    critical = await run_pii(DENSE_EMAILS + f"card {CARD}", severity="critical")
    assert critical.outcome == "fail" and "CREDIT_CARD" in critical.reason
    assert (await run_pii(DENSE_EMAILS, severity="critical")).outcome == "pass"


async def test_pii_check_below_the_cap_has_no_capping_fields() -> None:
    score = await run_pii("a@b.example " * 10)
    assert "findings_capped" not in score.evidence and len(score.evidence["leaks"]) == 10


def test_guard_redacts_everything_past_the_cap_and_flags_it() -> None:
    decision = Guard(injection=False).check_input(DENSE_EMAILS)
    assert decision.action == "redact" and decision.capped
    assert len(decision.reasons) == MAX_FINDINGS + 1
    summary = decision.reasons[-1]
    assert summary.kind == CAPPED and summary.action == "redact"
    assert f"{16_667 - MAX_FINDINGS} more PII findings" in summary.detail
    assert summary.span == (12 * MAX_FINDINGS, len(DENSE_EMAILS) - 1)
    assert "@" not in decision.text
    assert decision.text == "<EMAIL_ADDRESS> " * 16_667


def test_the_cap_never_turns_a_block_into_a_redaction() -> None:
    guard = Guard(pii_block_severity="critical")
    decision = guard.check_output(DENSE_EMAILS + f"my card is {CARD}")
    assert decision.action == "block" and decision.capped
    summary = decision.reasons[-1]
    assert summary.kind == CAPPED and summary.action == "block"
    assert summary.severity == "critical" and "1 × CREDIT_CARD" in summary.detail
    assert CARD not in decision.text and "@" not in decision.text
    small = Guard(pii_block_severity="critical", pii_max_findings=2)
    few = small.check_output(f"a@b.example c@d.example e@f.example {CARD}")
    assert few.action == "block" and few.capped and len(few.reasons) == 3
    assert few.text == "<EMAIL_ADDRESS> " * 3 + "<CREDIT_CARD>"


def test_guard_without_hitting_the_cap_is_not_capped() -> None:
    decision = Guard().check_input("write to a@b.example")
    assert not decision.capped and [r.kind for r in decision.reasons] == ["EMAIL_ADDRESS"]


def distinct_phones(n: int) -> str:
    rng = random.Random(7)
    return "".join(f"({rng.randint(201, 989)}) {rng.randint(201, 989)}-{rng.randint(0, 9999):04d}, "
                   for _ in range(n))


def test_phonenumbers_is_asked_about_at_most_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    text = distinct_phones(3 * MAX_FINDINGS)
    calls = 0
    real_parse = phonenumbers.parse

    def counting_parse(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(phonenumbers, "parse", counting_parse)
    phones._status.cache_clear()
    found = detect_pii(text)
    phones._status.cache_clear()
    assert calls <= MAX_FINDINGS * len(phones.REGIONS)  # validation stopped at the cap
    assert len(found) == 3 * MAX_FINDINGS
    assert sum(f.detector == SHAPE_ONLY for f in found) == 2 * MAX_FINDINGS
    assert all(f.detector == "phonenumbers" for f in found[:MAX_FINDINGS])
    # stricter, not laxer: every number validation finds is still found, same span
    monkeypatch.setattr(phonenumbers, "parse", real_parse)
    validated = detect_pii(text, max_validations=None)
    assert [(f.start, f.end) for f in found] == [(f.start, f.end) for f in validated]


def test_repeated_numbers_do_not_use_up_the_validation_budget() -> None:
    found = detect_pii("+1 (415) 555-0134, " * (3 * MAX_FINDINGS))
    assert len(found) == 3 * MAX_FINDINGS and all(f.detector == "phonenumbers" for f in found)


def test_guard_flags_numbers_redacted_on_their_layout() -> None:
    decision = Guard(injection=False).check_input(distinct_phones(MAX_FINDINGS + 10))
    assert decision.capped and decision.action == "redact"
    assert decision.reasons[-1].detail.endswith("; 10 phone number(s) by layout only")
    assert not any(c.isdigit() for c in decision.text)


def test_redaction_of_overlapping_spans_leaves_nothing_of_either() -> None:
    # an e-mail address inside a password: both redacted, no character of the secret left
    text = "password: xK9#a@b.co/SECRETTAIL ok"
    decision = Guard(secrets_action="redact").check_output(text)
    assert decision.text == "password: <PASSWORD> ok"
    spans = [Finding("A", 2, 9, "", 1.0, "low"), Finding("B", 4, 5, "", 1.0, "low"),
             Finding("C", 8, 11, "", 1.0, "low"), Finding("D", 12, 13, "", 1.0, "low")]
    assert redact("0123456789abcdef", spans) == "01<A>b<D>def"


def test_redaction_is_one_pass_over_many_findings() -> None:
    found = detect_pii(DENSE_EMAILS)
    assert redact(DENSE_EMAILS, found) == "<EMAIL_ADDRESS> " * 16_667


def test_verbatim_echo_search_is_capped_on_the_strict_side() -> None:
    findings = [Finding("EMAIL_ADDRESS", 0, 11, f"u{i}@x.example", 0.95, "medium")
                for i in range(5)]
    supplied = " ".join(f.text for f in findings)
    leaks, echoes = split_leaks(findings, set(), supplied)
    assert (len(leaks), len(echoes)) == (0, 5)
    leaks, echoes = split_leaks(findings, set(), supplied, max_searches=2)
    assert (len(leaks), len(echoes)) == (3, 2)  # past the cap: a leak, never a missed one

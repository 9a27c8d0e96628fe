"""A small, realistic review queue without calling a model: for docs, screenshots and tests.

    python scripts/review_demo.py demo.db && harness serve --db demo.db

Writes two runs of a support-assistant suite into the database: a baseline, then a
candidate whose scores carry the evidence real scorers store (grounding claims with spans
and best passages, a PII leak with its span, an unsure judge), then routes the candidate.
`overrides` replaces a case's output, question or context (tests feed hostile text this way).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from harness.models import Case, CaseResult, Completion, ModelSpec, RunSpec, Score, Usage

SUITE = "support-demo"
MODEL = "openai:support-v2"


@dataclass(frozen=True)
class DemoCase:
    id: str
    question: str
    context: tuple[str, ...]
    output: str
    claims: tuple[tuple[str, str, int, str], ...] = ()  # text, verdict, passage, evidence
    leaks: tuple[tuple[str, str], ...] = ()  # text, entity type
    judge: tuple[str, float] | None = None  # outcome, confidence
    tags: tuple[str, ...] = ()
    answerable: bool = True
    baseline_pass: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


REFUND = "Refunds: you can return any item within 30 days of delivery for a full refund."
RESET = "Password reset links expire after 1 hour; request a new one if it has expired."
PLUS = "Fernway Plus costs €4.99 a month and adds plant-care coaching."
CONTACT = "Write to support through the form in the app; we answer within one business day."
SHIP = "Standard delivery takes 3-5 business days within the EU."

CASES: tuple[DemoCase, ...] = (
    DemoCase("refund-window", "How long do I have to return a pot?", (REFUND, SHIP),
             "You can return it within 30 days of delivery for a full refund.",
             (("You can return it within 30 days of delivery for a full refund.",
               "supported", 0, "return any item within 30 days of delivery"),),
             tags=("billing", "critical")),
    DemoCase("reset-link-expired", "Why is my reset link invalid?", (RESET, CONTACT),
             "Reset links expire after 24 hours. Request a new one from the sign-in page.",
             (("Reset links expire after 24 hours.", "unsupported", 0,
               "Password reset links expire after 1 hour"),
              ("Request a new one from the sign-in page.", "supported", 0,
               "request a new one if it has expired")),
             judge=("pass", 0.55), tags=("account", "critical")),
    DemoCase("contact-agent", "How do I reach a person?", (CONTACT,),
             "Email our agent Jane Doe at jane.doe@fernway.example or call +44 20 7946 0958.",
             (("Email our agent Jane Doe at jane.doe@fernway.example or call +44 20 7946 0958.",
               "unsupported", 0, "Write to support through the form in the app"),),
             leaks=(("jane.doe@fernway.example", "EMAIL_ADDRESS"),
                    ("+44 20 7946 0958", "PHONE_NUMBER")), tags=("account",)),
    DemoCase("student-discount", "Is there a student discount on Fernway Plus?", (PLUS,),
             "Yes, students get 20% off Fernway Plus.",
             (("Yes, students get 20% off Fernway Plus.", "unsupported", 0,
               "Fernway Plus costs €4.99 a month"),),
             judge=("fail", 0.9), answerable=False, tags=("billing",), baseline_pass=False),
    DemoCase("ship-times", "How long does delivery take?", (SHIP,),
             "Standard delivery takes 3-5 business days within the EU.",
             (("Standard delivery takes 3-5 business days within the EU.", "supported", 0,
               "Standard delivery takes 3-5 business days"),),
             tags=("shipping",)),
    DemoCase("gift-wrap", "Can I send a pot as a gift with a handwritten card?", (SHIP,),
             "I don't know; that is not in my information.", tags=("product",),
             baseline_pass=False),
)


def _find(text: str, part: str) -> list[int] | None:
    at = text.find(part)
    return None if at < 0 else [at, at + len(part)]


def _grounding(case: DemoCase) -> Score | None:
    claims = []
    for i, (text, verdict, passage, evidence) in enumerate(case.claims):
        span = _find(case.output, text)
        pspan = _find(case.context[passage], evidence) if passage < len(case.context) else None
        if span is None:
            continue
        claims.append({"index": i, "text": text, "span": span, "verdict": verdict,
                       "support": 0.9 if verdict == "supported" else 0.2,
                       "passage": passage, "passage_span": pspan, "evidence": evidence})
    if not claims:
        return None
    ok = sum(c["verdict"] == "supported" for c in claims)
    bad = [c["index"] for c in claims if c["verdict"] == "unsupported"]
    return Score(check="grounded", type="grounding", scorer_version="1",
                 outcome="pass" if not bad else "fail", score=round(ok / len(claims), 3),
                 confidence=0.8, reason=f"{ok}/{len(claims)} claims supported",
                 evidence={"claims": claims, "supported": ok, "total": len(claims),
                           "threshold": 0.9, "unsupported": bad})


def _pii(case: DemoCase) -> Score:
    leaks = [{"type": t, "span": s, "text": v, "score": 0.95, "severity": "medium"}
             for v, t in case.leaks if (s := _find(case.output, v))]
    reason = f"PII leak: {len(leaks)} found" if leaks else "no PII leak"
    return Score(check="no-pii", type="pii", scorer_version="1",
                 outcome="fail" if leaks else "pass", score=0.05 if leaks else 1.0,
                 confidence=0.95 if leaks else 0.9, reason=reason,
                 evidence={"leaks": leaks, "severity_threshold": "medium"})


def _scores(case: DemoCase) -> list[Score]:
    scores = [s for s in (_grounding(case), _pii(case)) if s is not None]
    if case.judge:
        outcome, conf = case.judge
        scores.append(Score(check="helpful", type="judge", scorer_version="1",
                            outcome=outcome, score=0.8 if outcome == "pass" else 0.3,  # type: ignore[arg-type]
                            confidence=conf, reason=f"judge says {outcome}"))
    return scores


def _result(run_id: str, case: DemoCase, passed: bool | None = None) -> CaseResult:
    scores = _scores(case)
    ok = all(s.outcome != "fail" for s in scores) if passed is None else passed
    return CaseResult(run_id=run_id, case_id=case.id, model=MODEL, outcome="pass" if ok
                      else "fail", completion=Completion(text=case.output, latency_ms=840.0,
                      usage=Usage(prompt_tokens=120, completion_tokens=24)),
                      scores=tuple(scores), started_at=time.time(), finished_at=time.time())


def _case_model(case: DemoCase) -> Case:
    return Case(id=case.id, vars={"question": case.question}, context=list(case.context),
                tags=list(case.tags), answerable=case.answerable, **case.extra)


def _write_run(store: Any, run_id: str, cases: list[DemoCase], started: float,
               results: list[CaseResult]) -> None:
    spec = RunSpec(run_id=run_id, suite=SUITE, suite_version="1", suite_hash="v1:demo",
                   models=(ModelSpec(ref=MODEL),), harness_version="demo",
                   started_at=started, n_cases=len(cases))
    store.create_run(spec, n_planned=len(cases))
    store.write_cases(run_id, [(_case_model(c), [{"role": "user", "content": c.question}])
                               for c in cases])
    store.write_results(results)
    store.set_status(run_id, "complete", started + 1)


def apply_overrides(cases: tuple[DemoCase, ...],
                    overrides: dict[str, dict[str, Any]] | None) -> list[DemoCase]:
    out = []
    for case in cases:
        change = (overrides or {}).get(case.id, {})
        if "context" in change:
            change = {**change, "context": tuple(change["context"])}
        out.append(replace(case, **change) if change else case)
    return out


def seed_demo(store: Any, *, overrides: dict[str, dict[str, Any]] | None = None,
              risk: str = "medium", sample_rate: float = 0.1, now: float | None = None) -> str:
    """Write a baseline and a candidate run, route the candidate; returns its run id."""
    from harness.review.policy import RoutePolicy
    from harness.review.routing import route_run
    from harness.store import new_run_id

    now = time.time() if now is None else now
    cases = apply_overrides(CASES, overrides)
    base_id, cand_id = new_run_id(now - 86400), new_run_id(now)
    base_cases = [c for c in cases if c.id != "gift-wrap"]  # a new case: novel input
    _write_run(store, base_id, base_cases, now - 86400,
               [_result(base_id, c, c.baseline_pass) for c in base_cases])
    _write_run(store, cand_id, cases, now, [_result(cand_id, c) for c in cases])
    route_run(store, cand_id, policy=RoutePolicy(risk, sample_rate, 0.6, "demo"),
              baseline=base_id, at=now)
    return cand_id


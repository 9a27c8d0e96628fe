"""Grounding with a judge model (mode llm), against the real loopback OpenAI-compatible server.

The judge's answer is steered with a `[[reply:...]]` marker placed in a passage, since the
passages are part of the judge prompt (the fake server reads markers from the last user
message).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.models import Case, Completion, Score
from harness.scoring import ScoreContext, get_scorer
from harness.scoring.grounding.check import GroundingParams
from harness.testing.fake_openai import FakeOpenAI

DELIVERY = "Express delivery takes 1-2 business days and costs €9."


def verdicts(*items: tuple[int, bool, int | None]) -> str:
    body = {
        "verdicts": [
            {"claim": c, "supported": s, "passage": p, "reason": "checked"} for c, s, p in items
        ]
    }
    return json.dumps(body)


async def judged(output: str, reply: str, **params: Any) -> Score:
    case = Case(id="c", context=[DELIVERY, f"Standard delivery is free. [[reply:{reply}]]"])
    check = GroundingParams(type="grounding", model="openai:judge-model", **params)
    ctx = ScoreContext(case=case, check=check, completion=Completion(text=output))
    return await get_scorer("grounding").score(ctx)


@pytest.fixture
def judge_server(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    return fake_openai


async def test_judge_agreeing_with_the_evidence_passes_with_high_confidence(
    judge_server: FakeOpenAI,
) -> None:
    score = await judged("Express delivery costs €9.", verdicts((1, True, 1)))
    assert (score.outcome, score.score) == ("pass", 1.0)
    assert score.evidence["mode"] == "llm"
    first = score.evidence["claims"][0]
    assert (first["verdict"], first["passage"], first["lexical"]) == ("supported", 0, "supported")
    assert score.confidence == pytest.approx(0.9)
    audit = score.evidence["judge"]
    assert audit["model"] == "openai:judge-model"
    assert audit["attempts"] == 1
    assert "<claims>" in audit["prompt"] and "1. Express delivery costs €9." in audit["prompt"]
    sent = json.loads(judge_server.requests[0].body)
    assert sent["model"] == "judge-model" and sent["temperature"] == 0


async def test_judge_overrules_the_lexical_rule_with_lower_confidence(
    judge_server: FakeOpenAI,
) -> None:
    score = await judged("Express delivery costs €9.", verdicts((1, False, None)))
    assert score.outcome == "fail"
    names = {s["name"] for s in score.evidence["claims"][0]["signals"]}
    assert names == {"judge", "lexical_disagrees"}
    assert score.confidence == pytest.approx(0.5)


async def test_fenced_json_is_accepted(judge_server: FakeOpenAI) -> None:
    fenced = "```json\n" + verdicts((1, True, 1)) + "\n```"
    assert (await judged("Express delivery costs €9.", fenced)).outcome == "pass"


@pytest.mark.parametrize(
    "reply",
    [
        "Sure! Everything is supported.",
        json.dumps({"verdicts": [{"claim": 1, "supported": "yes"}]}),
        verdicts((1, True, 1), (2, True, 1)),  # a verdict for a claim that does not exist
        json.dumps({"verdicts": []}),
    ],
)
async def test_invalid_verdict_is_retried_once_then_unscored(
    judge_server: FakeOpenAI, reply: str
) -> None:
    score = await judged("Express delivery costs €9.", reply)
    assert score.outcome == "unscored"
    assert score.score is None
    assert "invalid after 2 attempts" in score.reason
    assert len(judge_server.requests) == 2
    assert score.evidence["judge"]["answers"] == [reply, reply]


async def test_a_valid_second_answer_is_used(
    make_fake_openai: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["not json", verdicts((1, True, 1))])
    server = make_fake_openai(reply_fn=lambda body: next(answers))
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    score = await judged("Express delivery costs €9.", "ignored")
    assert score.outcome == "pass"
    assert score.evidence["judge"]["attempts"] == 2


async def test_judge_failure_is_unscored_not_a_verdict(
    judge_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    score = await judged("Express delivery costs €9.", verdicts((1, True, 1)))
    assert score.outcome == "unscored"
    assert "judge call failed" in score.reason


async def test_a_learned_verdict_it_is_unsure_of_goes_to_the_judge(
    judge_server: FakeOpenAI,
) -> None:
    # min_confidence 1.0: no learned verdict is sure enough, so the judge decides
    score = await judged("Express delivery costs €9.", verdicts((1, True, 1)), mode="offline",
                         decide="confident", min_confidence=1.0)
    assert score.outcome == "pass" and score.evidence["deferred_to_judge"] is True
    assert score.evidence["judge"]["model"] == "openai:judge-model"
    assert 0 <= score.evidence["p_not_grounded"] <= 1
    # a sure learned verdict is not sent to the judge
    sure = await judged("Express delivery costs €9.", verdicts((1, True, 1)), mode="offline",
                        decide="confident", min_confidence=0.5)
    assert "deferred_to_judge" not in sure.evidence and len(judge_server.requests) == 1

"""Offline scoring: row routing, per-row validation as data, order, streaming, concurrency."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.errors import FileError, UsageError
from harness.pipeline.offline import BATCH_ROWS, ascore_rows, parse_setting, read_jsonl, score_rows
from harness.testing.fake_openai import MakeFakeOpenAI

SCHEMA = {"type": "object", "required": ["x"]}


def one(check: Any, row: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    [out] = list(score_rows(check, [row], **kwargs))
    return out


def test_output_rows_have_the_documented_fields() -> None:
    out = one("json", {"id": "a", "output": '{"x": 1}', "schema": SCHEMA})
    assert out == {"id": "a", "check": "json", "outcome": "pass", "score": 1.0,
                   "confidence": 1.0, "reason": "valid JSON matching the schema",
                   "details": {}, "scorer_version": out["scorer_version"]}


def test_row_parameters_override_the_check_for_that_row_only() -> None:
    rows = [{"id": "a", "output": '{"y": 1}', "schema": SCHEMA}, {"id": "b", "output": '{"y": 1}'}]
    outs = list(score_rows("json", rows))
    assert [o["outcome"] for o in outs] == ["fail", "pass"]
    assert outs[0]["details"]["errors"][0]["message"] == "'x' is a required property"


def test_required_parameters_may_come_with_each_row() -> None:
    rows = [
        {"id": "a", "output": "no comma", "instruction_id_list": ["punctuation:no_comma"]},
        {"id": "b", "output": "a, b", "instruction_id_list": ["punctuation:no_comma"],
         "kwargs": [{}]},
        {"id": "c", "output": "x"},
    ]
    outs = list(score_rows("instructions", rows))
    assert [o["outcome"] for o in outs] == ["pass", "fail", "unscored"]
    assert "instruction_id_list" in outs[2]["reason"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"id": "a", "output": "{}", "schema": {"type": 12}}, "invalid check parameter"),
        ({"id": "a", "output": "{}", "expect": "maybe"}, "invalid case field in the row: [expect]"),
        ({"id": "a", "output": "{}", "latency_ms": "slow"}, "invalid completion field"),
        ({"id": "a", "label": "x"}, "no `output`"),
        ({"id": "a", "output": "{}", "tool_calls": [{"arguments": "{}"}]}, "no `name`"),
        ({"id": "a", "output": "{}", "usage": {"prompt_tokens": "many"}}, "[prompt_tokens]"),
        ({"id": "a", "output": "{}", "metadata": "not a mapping", "x": 1}, "[metadata]"),
    ],
)
def test_a_bad_row_is_an_unscored_row_not_a_crash(row: dict, reason: str) -> None:
    out = one("json", row)
    assert (out["outcome"], out["score"], out["confidence"]) == ("unscored", None, 0.0)
    assert reason in out["reason"]


def test_case_fields_go_to_the_case_and_the_rest_to_metadata() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"n": {"type": "integer"}}}}}]
    row = {"id": "weird id/1", "output": "", "tools": tools, "model": "openai:gpt-4o",
           "tool_calls": [{"id": "1", "type": "function",
                           "function": {"name": "f", "arguments": '{"n": "x"}'}}]}
    out = one({"type": "tool_calls", "calls": ["f"]}, row)
    assert out["id"] == "weird id/1"
    assert out["outcome"] == "fail"
    assert "'x' is not of type 'integer'" in out["details"]["calls"][0]["errors"][0]


def test_metadata_reaches_the_scorer() -> None:
    row = {"id": "a", "output": "x", "model": "openai:gpt-4o-mini",
           "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 0}}
    out = one({"type": "operations", "max_cost_usd": 1}, row)
    assert out["outcome"] == "pass"
    assert out["details"]["measures"][0]["value"] == pytest.approx(0.15)


def test_settings_apply_to_every_row_and_bad_ones_are_usage_errors() -> None:
    out = one("contains", {"id": "a", "output": "hello"}, settings={"value": "ell"})
    assert out["outcome"] == "pass"
    with pytest.raises(UsageError, match="contains"):
        list(score_rows("contains", [], settings={"valeu": "x"}))
    with pytest.raises(UsageError, match="unknown check type"):
        list(score_rows("containz", []))


def counting_rows(n: int, pulled: list[int]) -> Iterator[dict[str, Any]]:
    for i in range(n):
        pulled.append(i)
        yield {"id": i, "output": str(i)}


async def test_rows_are_pulled_lazily_within_the_window() -> None:
    pulled: list[int] = []
    stream = ascore_rows({"type": "regex", "pattern": "7"}, counting_rows(100, pulled),
                         concurrency=4)
    first = await stream.__anext__()
    assert first["id"] == 0 and len(pulled) <= 5
    rest = [r["id"] async for r in stream]
    assert rest == list(range(1, 100))


def test_sync_stream_keeps_order_and_bounded_memory() -> None:
    pulled: list[int] = []
    stream = score_rows({"type": "regex", "pattern": "7"}, counting_rows(2000, pulled),
                        concurrency=4)
    first = next(stream)
    assert first["id"] == 0 and len(pulled) <= BATCH_ROWS + 5
    assert [r["id"] for r in stream] == list(range(1, 2000))


def test_bad_input_stops_after_the_rows_before_it() -> None:
    source = io.StringIO('{"id": 1, "output": "a"}\n\n{"id": 2, "output": "b"}\n{oops\n')
    got = []
    with pytest.raises(FileError, match=r"in.jsonl:4: not valid JSON"):
        for out in score_rows("icontains", read_jsonl(source, "in.jsonl"),
                              settings={"value": "A"}):
            got.append(out["id"])
    assert got == [1, 2]


def test_read_jsonl_rejects_rows_that_are_not_objects() -> None:
    with pytest.raises(FileError, match=r"x.jsonl:1: a row must be a JSON object"):
        list(read_jsonl(io.StringIO("[1, 2]\n"), "x.jsonl"))


@pytest.mark.parametrize(
    ("item", "pair"),
    [("value=3", ("value", 3)), ("not=true", ("not", True)),
     ("value=[a, b]", ("value", ["a", "b"])), ("pattern=a: b", ("pattern", "a: b")),
     ("value=", ("value", ""))],
)
def test_settings_parse_as_yaml(item: str, pair: tuple) -> None:
    assert parse_setting(item) == pair


def test_judge_rows_are_scored_concurrently_within_the_bound(
    make_fake_openai: MakeFakeOpenAI,
) -> None:
    verdict = json.dumps({"criteria": [{"id": "ok", "met": True, "reason": "r"}]})
    server = make_fake_openai(latency=0.05, reply_fn=lambda body: verdict)
    check = {"type": "judge", "model": "openai:j", "base_url": server.base_url,
             "criteria": [{"id": "ok", "text": "Is fine", "points": 1}]}
    rows = [{"id": i, "input": "q", "output": f"answer {i}"} for i in range(12)]
    outs = list(score_rows(check, rows, concurrency=4))
    assert [o["id"] for o in outs] == list(range(12))
    assert {o["outcome"] for o in outs} == {"pass"}
    assert 1 < server.max_in_flight <= 4
    assert outs[0]["details"]["judge"]["samples"][0]["attempts"][0]["raw"] == verdict

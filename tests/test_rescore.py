"""`harness rescore RUN`: today's scorers on stored outputs, a new run, zero model calls."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from test_cli import harness

from harness.analysis.compare import compare_runs
from harness.analysis.metrics import load_run
from harness.errors import UsageError
from harness.pipeline.rescore import rescore_run
from harness.pipeline.runner import RunConfig, run_suite
from harness.store import RunStore, open_db
from harness.suites import load_suite


def write_suite(path: Path, base_url: str, value: str, *, ids: list[str] | None = None) -> Path:
    inputs = {"a": "[[reply:refunds within 30 days]]", "b": "[[reply:no idea]]",
              "c": "[[fault:401]] broken key", "d": "[[reply:30 days, thirty days]]"}
    ids = ids or sorted(inputs)
    cases = "\n".join(f"  - {{id: {c}, input: {json.dumps(inputs[c])}, tags: [t{c}]}}"
                      for c in ids)
    path.write_text(
        f"suite: rescore-demo\nversion: 1\nmodel: {{ref: 'openai:m', base_url: '{base_url}'}}\n"
        f"checks: [{{type: contains, value: {json.dumps(value)}}}]\ncases:\n{cases}\n",
        encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def make_run(store: RunStore, suite: Path) -> str:
    config = RunConfig(max_attempts=1, retry_base_delay=0.01, max_error_rate=1.0)
    return asyncio.run(run_suite(load_suite(suite), config, store)).run_id


def test_rescore_makes_no_model_calls_and_keeps_lineage(
    tmp_path: Path, store: RunStore, fake_openai
) -> None:
    suite = write_suite(tmp_path / "s.yaml", fake_openai.base_url, "30 days")
    original = make_run(store, suite)
    calls = fake_openai.count
    assert calls == 4
    before = {r["case_id"]: r["outcome"] for r in store.iter_results(original)}
    assert before == {"a": "pass", "b": "fail", "c": "error", "d": "pass"}

    write_suite(suite, fake_openai.base_url, "thirty days")  # a stricter check, today
    result = rescore_run(store, original)
    assert fake_openai.count == calls  # not one request
    after = {r["case_id"]: r for r in store.iter_results(result.run_id)}
    assert {k: r["outcome"] for k, r in after.items()} == {
        "a": "fail", "b": "fail", "c": "error", "d": "pass"}
    assert after["a"]["output"] == "refunds within 30 days"  # the stored output, unchanged
    assert after["a"]["scores"][0]["reason"] == "missing ['thirty days']"
    assert after["c"]["error_kind"] == "auth"
    assert result.flipped == [("a", 0, "pass", "fail")]
    assert result.counts == {"pass": 1, "fail": 2, "error": 1}

    new, old = store.get_run(result.run_id), store.get_run(original)
    assert new["parent_run_id"] == original and new["kind"] == "rescore"
    assert new["status"] == "complete" and new["suite_hash"] != old["suite_hash"]
    assert old["kind"] is None and old["parent_run_id"] is None
    assert store.get_cases(result.run_id)["a"]["tags"] == ["ta"]
    assert store.get_cases(result.run_id)["a"]["messages"] == store.get_cases(original)["a"][
        "messages"]
    # the original run is untouched
    assert {r["case_id"]: r["outcome"] for r in store.iter_results(original)} == before
    comp = compare_runs(load_run(store, original), load_run(store, result.run_id))
    assert "suite content changed" in comp.first_line()
    assert [c.case_id for c in comp.by_status("regressed")] == ["a"]


def test_cases_gone_from_the_suite_are_scored_from_the_snapshot(
    tmp_path: Path, store: RunStore, fake_openai
) -> None:
    suite = write_suite(tmp_path / "s.yaml", fake_openai.base_url, "30 days")
    original = make_run(store, suite)
    write_suite(suite, fake_openai.base_url, "30 days", ids=["a", "b"])
    result = rescore_run(store, original)
    assert result.from_snapshot == ["c", "d"]
    outcomes = {r["case_id"]: r["outcome"] for r in store.iter_results(result.run_id)}
    assert outcomes == {"a": "pass", "b": "fail", "c": "error", "d": "pass"}


def test_rescore_cli(tmp_path: Path, store: RunStore, fake_openai, capsys) -> None:
    suite = write_suite(tmp_path / "s.yaml", fake_openai.base_url, "30 days")
    original = make_run(store, suite)
    other = write_suite(tmp_path / "other.yaml", fake_openai.base_url, "refunds")
    db = str(tmp_path / "h.db")
    code, out, err = harness(capsys, "rescore", original, "--suite", str(other), "--db", db,
                             "--tag", "rescored")
    assert code == 0, err
    assert "re-scored from" in out and "results changed outcome" in out
    new_id = out.split()[1]
    assert store.get_run(new_id)["tags"] == ["rescored"]
    code, _, err = harness(capsys, "rescore", "nope", "--db", db)
    assert code == 2


def test_a_run_without_suite_path_needs_one(store: RunStore) -> None:
    from gate_fixtures import write_run

    run = write_run(store, {"a": [True]})
    with pytest.raises(UsageError, match="--suite"):
        rescore_run(store, run)


def test_a_judge_check_calls_only_the_judge_several_at_a_time(
    tmp_path: Path, store: RunStore, fake_openai, make_fake_openai
) -> None:
    """Rescoring with an LLM judge: the model under test stays silent, the judge is asked
    once per stored output, concurrently, and the verdicts land in the parent's order."""

    def verdict(body: dict) -> str:
        met = "30 days" in json.dumps(body["messages"])
        return json.dumps({"criteria": [{"id": "policy", "met": met, "reason": "read it"}]})

    judge = make_fake_openai(reply_fn=verdict, latency=0.05)
    suite = write_suite(tmp_path / "s.yaml", fake_openai.base_url, "days")
    original = make_run(store, suite)
    calls = fake_openai.count
    text = suite.read_text(encoding="utf-8").replace(
        "checks: [{type: contains, value: \"days\"}]",
        "checks: [{type: judge, model: 'openai:j', base_url: '" + judge.base_url + "', "
        "criteria: [{id: policy, text: 'States the 30-day refund window', points: 1}]}]")
    suite.write_text(text, encoding="utf-8")

    result = rescore_run(store, original, concurrency=3)
    assert fake_openai.count == calls
    assert judge.count == 3  # a, b, d: the error row has no output to judge
    assert judge.max_in_flight >= 2
    after = [(r["case_id"], r["outcome"]) for r in store.iter_results(result.run_id)]
    assert sorted(after) == [("a", "pass"), ("b", "fail"), ("c", "error"), ("d", "pass")]
    assert {r["case_id"]: r["scores"][0]["check_type"] for r in store.iter_results(result.run_id)
            if r["scores"]} == {"a": "judge", "b": "judge", "d": "judge"}

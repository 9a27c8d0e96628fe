"""The runner against the real fake OpenAI server and a real SQLite file.

Every test asserts the two promises of the runner: exactly one stored outcome per planned
(case, model, repeat), and nothing re-sent that was already answered.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from harness.errors import UsageError
from harness.pipeline.runner import RunConfig, run_suite
from harness.store import RunStore, open_db
from harness.suites import load_suite
from harness.testing.fake_openai import FakeOpenAI
from harness.testing.faults import FaultPlan, FaultRule

FAST = dict(retry_base_delay=0.01, timeout_s=5.0)


def write_suite(
    tmp_path: Path,
    base_url: str,
    inputs: list[str],
    *,
    extra: str = "",
    checks: str = "[{type: contains, value: echo}]",
    pricing: str = "",
) -> Path:
    cases = "\n".join(
        f"  - {{id: c{i:03d}, input: {json.dumps(text)}, checks: {checks}}}"
        for i, text in enumerate(inputs)
    )
    model = f"{{ref: 'openai:test-model', base_url: '{base_url}'{pricing}}}"
    path = tmp_path / "suite.yaml"
    path.write_text(
        f"suite: demo\nversion: 1\nmodel: {model}\nparams: {{temperature: 0}}\n{extra}"
        f"cases:\n{cases}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(open_db(tmp_path / "h.db"))


def outcomes(store: RunStore, run_id: str) -> dict[str, dict[str, Any]]:
    return {r["case_id"]: r for r in store.iter_results(run_id)}


async def test_faults_become_errors_and_the_run_goes_on(
    tmp_path: Path, store: RunStore, make_fake_openai
) -> None:
    server: FakeOpenAI = make_fake_openai(faults=FaultPlan(retry_after=0.01))
    inputs = [
        "plain answer",
        "[[fault:once-500]] flaky",
        "[[fault:once-429]] throttled once",
        "[[fault:garbage]] always garbage",
        "[[fault:truncated]] always truncated",
        "[[fault:hang]] never answers",
        "[[fault:401]] bad key",
        "[[reply:no match here]]",
    ]
    suite = load_suite(write_suite(tmp_path, server.base_url, inputs))
    config = RunConfig(max_attempts=3, concurrency=4, retry_base_delay=0.01, timeout_s=0.5)
    outcome = await run_suite(suite, config, store)
    rows = outcomes(store, outcome.run_id)
    assert len(rows) == len(inputs) and outcome.status == "complete"
    assert rows["c000"]["outcome"] == "pass" and rows["c000"]["attempts"] == 1
    assert rows["c001"]["outcome"] == "pass" and rows["c001"]["attempts"] == 2
    assert rows["c002"]["outcome"] == "pass" and rows["c002"]["attempts"] == 2
    assert (rows["c003"]["error_kind"], rows["c003"]["attempts"]) == ("malformed", 3)
    assert (rows["c004"]["error_kind"], rows["c004"]["attempts"]) == ("malformed", 3)
    assert (rows["c005"]["error_kind"], rows["c005"]["attempts"]) == ("timeout", 3)
    assert (rows["c006"]["error_kind"], rows["c006"]["attempts"]) == ("auth", 1)
    assert rows["c007"]["outcome"] == "fail"
    assert rows["c007"]["scores"][0]["reason"] == "missing ['echo']"
    assert store.get_run(outcome.run_id)["status"] == "complete"


async def test_results_are_stored_while_the_run_goes(
    tmp_path: Path, store: RunStore, make_fake_openai
) -> None:
    server = make_fake_openai(latency=0.02)
    suite = load_suite(write_suite(tmp_path, server.base_url, [f"q{i}" for i in range(40)]))
    seen_in_db: list[int] = []
    reader = sqlite3.connect(tmp_path / "h.db")

    def on_result(result: object) -> None:
        seen_in_db.append(reader.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    config = RunConfig(concurrency=4, batch_size=5, **FAST)
    await run_suite(suite, config, store, on_result=on_result)
    # another connection saw results land before the run ended
    assert 0 < max(seen_in_db[:-1]) < 40
    assert reader.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 40


async def test_interrupt_keeps_finished_and_resume_sends_only_missing(
    tmp_path: Path, store: RunStore, make_fake_openai
) -> None:
    server = make_fake_openai(latency=0.05)
    suite = load_suite(write_suite(tmp_path, server.base_url, [f"q{i}" for i in range(30)]))
    config = RunConfig(concurrency=3, batch_size=1, use_cache=False, **FAST)
    done = asyncio.Event()
    count = 0

    def on_result(result: object) -> None:
        nonlocal count
        count += 1
        if count == 10:
            done.set()

    task = asyncio.create_task(run_suite(suite, config, store, on_result=on_result))
    await done.wait()
    task.cancel()  # what Ctrl-C does to asyncio.run's main task
    outcome = await task
    assert outcome.status == "interrupted"
    run_id = outcome.run_id
    kept = outcomes(store, run_id)
    assert 10 <= len(kept) < 30
    assert all(r["outcome"] == "pass" for r in kept.values())  # in-flight calls not errors
    assert store.get_run(run_id)["status"] == "interrupted"
    sent_before = {r.text for r in server.requests}

    server.reset()
    resumed = await run_suite(suite, RunConfig(resume=run_id, concurrency=3, **FAST), store)
    assert resumed.status == "complete" and resumed.skipped == len(kept)
    resent = [r.text for r in server.requests]
    assert len(resent) == 30 - len(kept)
    assert not set(resent) & {f"q{i}" for i in range(30) if f"c{i:03d}" in kept}
    assert len(outcomes(store, run_id)) == 30
    assert sent_before  # the first phase really sent requests
    with pytest.raises(UsageError, match="already complete"):
        await run_suite(suite, RunConfig(resume=run_id), store)


async def test_resume_retries_errors_only_when_asked(
    tmp_path: Path, store: RunStore, make_fake_openai
) -> None:
    server = make_fake_openai(faults=FaultPlan(rules=[FaultRule("500", contains="bad", times=2)]))
    suite = load_suite(write_suite(tmp_path, server.base_url, ["good", "bad"]))
    first = await run_suite(suite, RunConfig(max_attempts=2, **FAST), store)
    assert outcomes(store, first.run_id)["c001"]["outcome"] == "error"
    server.reset()
    again = await run_suite(suite, RunConfig(resume=first.run_id, retry_errors=True, **FAST), store)
    assert [r.text for r in server.requests] == ["bad"]
    assert again.counts == {"pass": 1, "fail": 0, "error": 0}
    rows = outcomes(store, first.run_id)
    assert rows["c001"]["outcome"] == "pass" and len(rows) == 2


async def test_resume_refuses_a_changed_suite(
    tmp_path: Path, store: RunStore, make_fake_openai
) -> None:
    server = make_fake_openai()
    path = write_suite(tmp_path, server.base_url, ["a", "b"])
    first = await run_suite(load_suite(path), RunConfig(**FAST), store)
    store.set_status(first.run_id, "interrupted")
    changed = load_suite(write_suite(tmp_path, server.base_url, ["a", "b", "c"]))
    with pytest.raises(UsageError, match="different version"):
        await run_suite(changed, RunConfig(resume=first.run_id), store)


async def test_cache_serves_repeat_runs_and_keys_on_repeat(
    tmp_path: Path, store: RunStore, make_fake_openai
) -> None:
    server = make_fake_openai()
    suite = load_suite(write_suite(tmp_path, server.base_url, ["a", "b", "c"]))
    await run_suite(suite, RunConfig(repeats=2, **FAST), store)
    assert server.count == 6  # each repeat is its own sample
    second = await run_suite(suite, RunConfig(repeats=2, **FAST), store)
    assert server.count == 6
    rows = list(store.iter_results(second.run_id))
    assert len(rows) == 6 and all(r["cached"] and r["attempts"] == 0 for r in rows)
    await run_suite(suite, RunConfig(use_cache=False, **FAST), store)
    assert server.count == 9


async def test_errors_are_never_cached(tmp_path: Path, store: RunStore, make_fake_openai) -> None:
    server = make_fake_openai(faults=FaultPlan(fail_first=1, fail_first_with="400"))
    suite = load_suite(write_suite(tmp_path, server.base_url, ["a"]))
    first = await run_suite(suite, RunConfig(**FAST), store)
    assert first.counts["error"] == 1
    second = await run_suite(suite, RunConfig(**FAST), store)
    assert second.counts["pass"] == 1 and server.count == 2


async def test_circuit_breaker_stops_hammering(
    tmp_path: Path, store: RunStore, make_fake_openai
) -> None:
    server = make_fake_openai(faults=FaultPlan(random_rate=1.0, random_faults=("500",)))
    suite = load_suite(write_suite(tmp_path, server.base_url, [f"q{i}" for i in range(50)]))
    config = RunConfig(concurrency=1, max_attempts=2, circuit_threshold=3, **FAST)
    outcome = await run_suite(suite, config, store)
    rows = list(store.iter_results(outcome.run_id))
    kinds = [r["error_kind"] for r in rows]
    assert len(rows) == 50 and set(kinds) == {"server", "circuit_open"}
    assert kinds.count("server") == 3
    assert server.count == 6  # 3 cases x 2 attempts, then nothing more
    assert "circuit" in rows[-1]["error_message"]


async def test_budget_stops_cleanly(tmp_path: Path, store: RunStore, make_fake_openai) -> None:
    server = make_fake_openai(cost_per_token=0.001)
    suite = load_suite(write_suite(tmp_path, server.base_url, [f"q{i}" for i in range(20)]))
    config = RunConfig(concurrency=1, budget_usd=0.02, **FAST)
    outcome = await run_suite(suite, config, store)
    assert outcome.status == "budget_exhausted"
    rows = list(store.iter_results(outcome.run_id))
    assert 0 < len(rows) < 20 and all(r["outcome"] != "error" for r in rows)
    assert sum(r["cost_usd"] for r in rows) >= 0.02
    assert store.get_run(outcome.run_id)["status"] == "budget_exhausted"


async def test_concurrency_is_bounded(tmp_path: Path, store: RunStore, make_fake_openai) -> None:
    server = make_fake_openai(latency=0.03)
    suite = load_suite(write_suite(tmp_path, server.base_url, [f"q{i}" for i in range(30)]))
    await run_suite(suite, RunConfig(concurrency=5, **FAST), store)
    assert server.max_in_flight == 5


async def test_lineage_is_recorded(tmp_path: Path, store: RunStore, make_fake_openai) -> None:
    server = make_fake_openai()
    suite = load_suite(write_suite(tmp_path, server.base_url, ["a"]))
    outcome = await run_suite(suite, RunConfig(tags=("main",), **FAST), store)
    run = store.get_run(outcome.run_id)
    assert run["suite"] == "demo" and run["suite_version"] == "1"
    assert run["suite_hash"] == suite.content_hash
    assert run["scorer_versions"] == {"contains": "1"}
    assert run["models"][0]["ref"] == "openai:test-model"
    assert run["tags"] == ["main"] and run["harness_version"]
    assert run["finished_at"] is not None
    cases = store.get_cases(outcome.run_id)
    assert cases["c000"]["data"]["input"] == "a"
    assert cases["c000"]["messages"] == [{"role": "user", "content": "a"}]


async def test_unknown_provider_is_a_usage_error(tmp_path: Path, store: RunStore) -> None:
    suite = load_suite(write_suite(tmp_path, "http://127.0.0.1:1/v1", ["a"]))
    with pytest.raises(UsageError, match="nosuch"):
        await run_suite(suite, RunConfig(models=("nosuch:model",)), store)


async def test_a_model_that_cannot_be_set_up_leaves_no_run(tmp_path: Path, store: RunStore) -> None:
    suite = load_suite(write_suite(tmp_path, "http://127.0.0.1:1/v1", ["a"]))
    with pytest.raises(UsageError, match="cannot import"):
        await run_suite(suite, RunConfig(models=("python:no_such_module_x:fn",)), store)
    assert store.list_runs() == []


def test_the_connection_pool_grows_with_concurrency_above_its_default() -> None:
    """`-j 200` with the default 128-connection pool made 72 requests wait for a connection,
    and that wait was counted as model latency."""
    from harness.models import ModelSpec
    from harness.pipeline.runner import _pool_fits
    from harness.providers.common import MAX_CONNECTIONS

    spec = ModelSpec(ref="openai:m")
    assert _pool_fits(spec, 8) is spec
    assert _pool_fits(spec, MAX_CONNECTIONS + 72).options["max_connections"] == 200
    sized = ModelSpec(ref="openai:m", options={"max_connections": 16})
    assert _pool_fits(sized, 500).options["max_connections"] == 16


class _BuggyProvider:
    """An adapter with a bug: one request raises something that is not a ProviderError."""

    def __init__(self, spec: Any) -> None:
        self.name = spec.ref
        self.calls = 0

    async def complete(self, request: Any) -> Any:
        from harness.models import Completion

        self.calls += 1
        if request.case_id == "c001":
            raise KeyError("choices")
        return Completion(text=f"echo {request.case_id}")

    async def aclose(self) -> None:
        return None


async def test_an_adapter_that_raises_anything_records_an_internal_error(
    tmp_path: Path, store: RunStore
) -> None:
    """An exception outside ProviderError used to end the whole run ("run failed") and
    lose every case after it; it is one case's recorded error and the run goes on."""
    from harness.providers.registry import register_provider

    register_provider("buggy", _BuggyProvider, replace=True)
    suite = load_suite(write_suite(tmp_path, "http://127.0.0.1:1/v1", ["a", "b", "c", "d"]))
    outcome = await run_suite(
        suite, RunConfig(models=("buggy:m",), concurrency=2, **FAST), store
    )
    rows = outcomes(store, outcome.run_id)
    assert set(rows) == {"c000", "c001", "c002", "c003"}
    assert rows["c001"]["outcome"] == "error"
    assert rows["c001"]["error_kind"] == "internal"
    assert "KeyError" in rows["c001"]["error_message"]
    assert all(rows[c]["outcome"] == "pass" for c in ("c000", "c002", "c003"))

"""operations: latency, tokens and cost against budgets; prices from the overridable table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from harness.errors import UsageError
from harness.models import Case, CheckSpec, Completion, Score, Usage
from harness.providers import pricing
from harness.scoring.base import ScoreContext, score_safely
from harness.scoring.registry import get_scorer, validate_check


async def score(check: dict[str, Any], *, model: str = "", case: Case | None = None,
                **completion: Any) -> Score:
    params = validate_check(CheckSpec(type="operations", **check))
    ctx = ScoreContext(case=case or Case(id="c"), check=params,
                       completion=Completion(text="x", **completion), model=model)
    return await score_safely(get_scorer("operations"), ctx)


async def test_within_every_budget_passes_with_measures() -> None:
    result = await score({"max_latency_ms": 500, "max_tokens": 100, "max_cost_usd": 0.01},
                         latency_ms=120.0, usage=Usage(prompt_tokens=40, completion_tokens=20),
                         cost_usd=0.001)
    assert (result.outcome, result.score) == ("pass", 1.0)
    names = [(m["name"], m["value"], m["ok"]) for m in result.evidence["measures"]]
    assert names == [("latency_ms", 120.0, True), ("cost_usd", 0.001, True), ("tokens", 60, True)]


async def test_over_budget_fails_with_the_share_met() -> None:
    result = await score({"max_latency_ms": 100, "max_completion_tokens": 10},
                         latency_ms=250.0, usage=Usage(prompt_tokens=5, completion_tokens=5))
    assert (result.outcome, result.score) == ("fail", 0.5)
    assert "latency_ms 250 over 100" in result.reason


async def test_unknown_measures_are_unscored_not_passed() -> None:
    result = await score({"max_latency_ms": 100, "max_tokens": 10})
    assert result.outcome == "unscored"
    assert "no latency recorded" in result.reason and "no token usage" in result.reason


async def test_cached_answers_have_no_latency_budget() -> None:
    result = await score({"max_latency_ms": 100}, cached=True, latency_ms=0.0)
    assert result.outcome == "not_applicable"


async def test_cost_is_priced_from_the_built_in_table_when_not_reported() -> None:
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=0)
    result = await score({"max_cost_usd": 1.0}, model="openai:gpt-4o-mini-2024-07-18",
                         usage=usage)
    assert result.outcome == "pass"
    measure = result.evidence["measures"][0]
    assert measure["value"] == pytest.approx(0.15) and "priced usage" in measure["note"]


async def test_check_pricing_overrides_and_unknown_models_are_unscored() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=1000)
    priced = await score({"max_cost_usd": 0.001,
                          "pricing": {"input_per_mtok": 1, "output_per_mtok": 2}},
                         model="acme:model", usage=usage)
    assert priced.outcome == "fail" and priced.evidence["measures"][0]["value"] == 0.003
    unknown = await score({"max_cost_usd": 1.0}, model="acme:model", usage=usage)
    assert unknown.outcome == "unscored" and "no price known" in unknown.reason


async def test_offline_rows_can_name_the_model_in_metadata() -> None:
    case = Case(id="c", metadata={"model": "anthropic:claude-3-haiku-20240307"})
    result = await score({"max_cost_usd": 1}, case=case,
                         usage=Usage(prompt_tokens=1_000_000, completion_tokens=0))
    assert result.evidence["measures"][0]["value"] == pytest.approx(0.25)


def test_a_budget_is_required() -> None:
    with pytest.raises(ValidationError, match="at least one budget"):
        validate_check(CheckSpec(type="operations"))


# --------------------------------------------------------------------------- the price table


def test_longest_pattern_wins() -> None:
    assert pricing.price_for("openai:gpt-4o-2024-08-06").input_per_mtok == 2.5
    assert pricing.price_for("openai:gpt-4o-mini").input_per_mtok == 0.15
    assert pricing.price_for("openai:unheard-of") is None


def test_user_table_from_env_overrides_builtins(tmp_path: Path, monkeypatch) -> None:
    table = tmp_path / "prices.yaml"
    table.write_text("openai:gpt-4o*: {input_per_mtok: 1, output_per_mtok: 1}\n"
                     "'acme:*': {input_per_mtok: 5, output_per_mtok: 6}\n", encoding="utf-8")
    monkeypatch.setenv(pricing.ENV_VAR, str(table))
    assert pricing.price_for("openai:gpt-4o").input_per_mtok == 1
    assert pricing.price_for("acme:x").output_per_mtok == 6
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)
    assert pricing.cost_usd("acme:x", usage) == pytest.approx(11)
    own = {"pricing": {"input_per_mtok": 0, "output_per_mtok": 0}}
    assert pricing.cost_usd("acme:x", usage, own) == 0


def test_a_broken_price_table_names_the_file_and_entry(tmp_path: Path, monkeypatch) -> None:
    table = tmp_path / "prices.yaml"
    table.write_text("acme:x: {input_per_mtok: -1, output_per_mtok: 1}\n", encoding="utf-8")
    monkeypatch.setenv(pricing.ENV_VAR, str(table))
    with pytest.raises(UsageError, match=r"prices.yaml: \[acme:x.input_per_mtok\]"):
        pricing.price_for("acme:x")
    monkeypatch.setenv(pricing.ENV_VAR, str(tmp_path / "missing.yaml"))
    with pytest.raises(UsageError, match="does not exist"):
        pricing.price_for("acme:x")


async def test_openai_adapter_prices_usage_from_the_table(fake_openai) -> None:
    from harness.models import ModelSpec
    from harness.providers import build_stack
    from harness.providers.base import Request

    spec = ModelSpec(ref="openai:gpt-4o-mini", base_url=fake_openai.base_url)
    provider = build_stack(spec)
    try:
        completion = await provider.complete(
            Request(model="gpt-4o-mini", messages=[{"role": "user", "content": "a b c"}])
        )
    finally:
        await provider.aclose()
    usage = completion.usage
    expected = (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.6) / 1e6
    assert completion.cost_usd == pytest.approx(expected)

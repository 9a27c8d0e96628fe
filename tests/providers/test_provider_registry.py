"""parse_ref, create_provider, registration and entry points."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from harness.errors import ProviderConfigError
from harness.models import ModelSpec
from harness.providers import create_provider, known_providers, parse_ref, register_provider
from harness.providers import registry as registry_module
from harness.providers.http import HttpProvider
from harness.providers.openai import OpenAIProvider
from harness.testing.fake_provider import ScriptedProvider, user_request


@pytest.mark.parametrize(
    ("ref", "parsed"),
    [
        ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("anthropic:claude-x", ("anthropic", "claude-x")),
        ("http:https://svc.example:8443/v1/ask", ("http", "https://svc.example:8443/v1/ask")),
        ("python:pkg.mod:fn", ("python", "pkg.mod:fn")),
        ("local:smollm2", ("local", "smollm2")),
    ],
)
def test_parse_ref(ref: str, parsed: tuple[str, str]) -> None:
    assert parse_ref(ref) == parsed


@pytest.mark.parametrize("ref", ["gpt-4o", "openai:", ":gpt-4o", ""])
def test_a_ref_without_a_provider_says_how_to_write_one(ref: str) -> None:
    with pytest.raises(ProviderConfigError, match="provider:model") as caught:
        parse_ref(ref)
    assert "openai" in str(caught.value)


def test_an_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ProviderConfigError, match="unknown provider 'gemini'") as caught:
        parse_ref("gemini:pro")
    for name in ("anthropic", "http", "local", "openai", "python"):
        assert name in str(caught.value)


async def test_create_provider_picks_the_adapter_by_prefix() -> None:
    openai = create_provider(ModelSpec(ref="openai:m", base_url="http://127.0.0.1:1/v1"))
    http = create_provider("http:http://127.0.0.1:1/ask")
    assert isinstance(openai, OpenAIProvider) and isinstance(http, HttpProvider)
    await openai.aclose()
    await http.aclose()


async def test_register_a_provider_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "REGISTRY", registry_module.Registry())
    register_provider("scripted", lambda spec: ScriptedProvider(name=spec.ref, default="hi"))
    provider = create_provider("scripted:anything")
    assert provider.name == "scripted:anything"
    assert (await provider.complete(user_request("x"))).text == "hi"
    with pytest.raises(ValueError, match="already registered"):
        register_provider("scripted", lambda spec: ScriptedProvider())


async def test_entry_points_add_providers_but_never_shadow(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [
        EntryPoint("acme", "harness.testing.fake_provider:scripted_from_spec", "harness.providers"),
        EntryPoint(
            "openai", "harness.testing.fake_provider:scripted_from_spec", "harness.providers"
        ),
    ]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: points)
    registry = registry_module.Registry()
    registry.register("openai", "harness.providers.openai:OpenAIProvider")
    monkeypatch.setattr(registry_module, "REGISTRY", registry)
    assert known_providers() == ["acme", "openai"]
    spec = ModelSpec(ref="acme:model-1", options={"reply": "from a plugin"})
    provider = create_provider(spec)
    assert (await provider.complete(user_request("x"))).text == "from a plugin"
    assert registry.factory("openai") is OpenAIProvider


def test_a_target_that_cannot_load_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = registry_module.Registry()
    registry.register("ghost", "harness.providers.no_such_module:create")
    monkeypatch.setattr(registry_module, "REGISTRY", registry)
    with pytest.raises(ProviderConfigError, match="'ghost' cannot be loaded"):
        create_provider("ghost:x")


def test_a_factory_must_return_a_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "REGISTRY", registry_module.Registry())
    register_provider("bad", lambda spec: object())  # type: ignore[arg-type,return-value]
    with pytest.raises(ProviderConfigError, match="not a Provider"):
        create_provider("bad:x")


def test_importing_providers_loads_no_adapter(fresh_python) -> None:
    code = (
        "import sys, harness.providers\n"
        "loaded = [m for m in ('openai', 'anthropic', 'http', 'python', 'local')\n"
        "          if f'harness.providers.{m}' in sys.modules]\n"
        "print(loaded)"
    )
    assert fresh_python(code).strip() == "[]"
    assert "local" in known_providers()

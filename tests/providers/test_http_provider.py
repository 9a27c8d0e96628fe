"""`http:URL`: body templates, response paths, headers, against the fake server's echo route."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.errors import ProviderConfigError, ProviderError
from harness.models import ModelSpec
from harness.providers.http import HttpProvider
from harness.providers.stack import StackSettings, build_stack
from harness.testing.fake_openai import FakeOpenAI
from harness.testing.fake_provider import user_request


async def ask(provider: HttpProvider, text: str = "hello", **fields: Any) -> Any:
    try:
        return await provider.complete(user_request(text, system="Be kind.", **fields))
    finally:
        await provider.aclose()


def echo_provider(server: FakeOpenAI, **options: Any) -> HttpProvider:
    options.setdefault("response_path", "output.text")
    return HttpProvider(ModelSpec(ref=f"http:{server.base_url}/echo", options=options))


async def test_default_body_sends_messages_and_vars(fake_openai: FakeOpenAI) -> None:
    completion = await ask(echo_provider(fake_openai), vars={"q": "why"})
    assert completion.text == "echo: hello"
    sent = fake_openai.requests[0].json
    assert sent == {
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "hello"},
        ],
        "vars": {"q": "why"},
    }


async def test_body_template_renders_strings_and_inserts_values(fake_openai: FakeOpenAI) -> None:
    body = {
        "prompt": "{{ system }} / {{ prompt }}",
        "meta": {"case": "{{ case_id }}#{{ repeat }}", "question": {"$var": "vars.q"}},
        "history": {"$var": "messages"},
        "fixed": [1, True, None],
    }
    await ask(echo_provider(fake_openai, body=body), vars={"q": ["a", 1]}, case_id="c7", repeat=1)
    sent = fake_openai.requests[0].json
    assert sent["prompt"] == "Be kind. / hello"
    assert sent["meta"] == {"case": "c7#1", "question": ["a", 1]}
    assert sent["history"][1] == {"role": "user", "content": "hello"}
    assert sent["fixed"] == [1, True, None]


async def test_templates_are_sandboxed(fake_openai: FakeOpenAI) -> None:
    body = {"prompt": "{{ prompt.__class__.__mro__ }}"}
    with pytest.raises(ProviderError) as caught:
        await ask(echo_provider(fake_openai, body=body))
    assert caught.value.kind == "config"


def test_a_template_syntax_error_is_a_config_error(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(ProviderConfigError, match="body template"):
        echo_provider(fake_openai, body={"prompt": "{{ prompt"})


async def test_headers_resolve_environment_variables(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_TOKEN", "tok-123")
    headers = {"Authorization": "Token ${SERVICE_TOKEN}", "X-Team": "evals"}
    await ask(echo_provider(fake_openai, headers=headers))
    sent = fake_openai.requests[0].headers
    assert sent["authorization"] == "Token tok-123" and sent["x-team"] == "evals"


def test_a_missing_header_variable_is_named(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(ProviderConfigError, match="NOT_SET_ANYWHERE"):
        echo_provider(fake_openai, headers={"Authorization": "${NOT_SET_ANYWHERE}"})


async def test_response_path_with_list_indices(fake_openai: FakeOpenAI) -> None:
    spec = ModelSpec(
        ref=f"http:{fake_openai.base_url}/chat/completions",
        options={"response_path": "choices.0.message.content"},
    )
    assert (await ask(HttpProvider(spec), "indexed")).text == "echo: indexed"


async def test_a_missing_response_path_is_a_config_error_that_is_not_retried(
    fake_openai: FakeOpenAI,
) -> None:
    """A response_path that does not fit the endpoint was retried 4 times as if the server
    had erred; now it is one request and an error that says where the path stops."""
    spec = ModelSpec(ref=f"http:{fake_openai.base_url}/echo",
                     options={"response_path": "output.answer"})
    stack = build_stack(spec, StackSettings(max_attempts=4, base_delay=0.01))
    try:
        with pytest.raises(ProviderError) as caught:
            await stack.complete(user_request("hello"))
    finally:
        await stack.aclose()
    assert (caught.value.kind, caught.value.retryable) == ("config", False)
    assert len(fake_openai.requests) == 1
    message = str(caught.value)
    assert "'output.answer'" in message and "output has keys 'text'" in message
    assert "options.response_path" in message


async def test_http_errors_are_classified(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(ProviderError) as caught:
        await ask(echo_provider(fake_openai), "[[fault:503]]")
    assert (caught.value.kind, caught.value.status) == ("server", 503)


@pytest.mark.parametrize(
    ("answer", "path", "text"),
    [
        (httpx.Response(200, json="just text"), None, "just text"),
        (httpx.Response(200, json={"text": "default key"}), None, "default key"),
        (httpx.Response(200, text="plain body"), None, "plain body"),
        (httpx.Response(200, json={"a": {"b": 3}}), "a.b", "3"),
        (httpx.Response(200, json={"a": [{"b": "last"}]}), "a.-1.b", "last"),
    ],
)
async def test_response_shapes(answer: httpx.Response, path: str | None, text: str) -> None:
    spec = ModelSpec(ref="http:https://svc.example/answer", options={"response_path": path})
    provider = HttpProvider(spec, transport=httpx.MockTransport(lambda request: answer))
    assert (await ask(provider)).text == text


def test_the_reference_must_be_a_url() -> None:
    with pytest.raises(ProviderConfigError, match="http:https://"):
        HttpProvider(ModelSpec(ref="http:svc.example"))


@pytest.mark.parametrize(
    "template",
    [
        "{{ messages.append({'role': 'system', 'content': 'x'}) }}",  # mutates the request
        "{% set d = {} %}{{ d.update(a=1) }}",
        "{{ 'x' * 10**9 }}",  # a gigabyte body
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    ],
)
async def test_body_templates_run_in_the_bounded_immutable_sandbox(
    fake_openai: FakeOpenAI, template: str
) -> None:
    """The http: body used Jinja's mutable sandbox with no bounds: a template could change
    the request it was given, or render a gigabyte."""
    with pytest.raises(ProviderError) as caught:
        await ask(echo_provider(fake_openai, body={"prompt": template}))
    assert caught.value.kind == "config"
    assert fake_openai.requests == []

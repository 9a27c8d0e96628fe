"""`python:module:function`: sync and async functions, return shapes, failures as data."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path

import pytest

from harness.errors import ProviderConfigError, ProviderError
from harness.models import ModelSpec, ToolCall, Usage
from harness.providers.python import PythonProvider
from harness.testing.fake_provider import user_request

USER_MODULE = """
import asyncio
import threading

def echo(payload):
    last = payload["messages"][-1]["content"]
    return f"{last} | {payload['vars']} | {payload['case_id']} | {payload['repeat']}"

async def async_echo(payload):
    await asyncio.sleep(0)
    return "async " + payload["messages"][-1]["content"]

def which_thread(payload):
    return threading.current_thread().name

def rich(payload):
    return {
        "text": "done",
        "tool_calls": [{"id": "t1", "name": "lookup", "arguments": '{"q": 1}'}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2},
        "cost_usd": 0.25,
        "refused": True,
        "finish_reason": "stop",
    }

def priced(payload):
    return {"text": "x", "usage": {"prompt_tokens": 1000000, "completion_tokens": 0}}

def explode(payload):
    raise KeyError("no such document")

def wrong_type(payload):
    return 42

def wrong_keys(payload):
    return {"text": "x", "confidence": 0.9}

not_callable = 3
"""


@pytest.fixture(autouse=True)
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "harness_user_fns.py").write_text(textwrap.dedent(USER_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))


def provider(function: str, **options: object) -> PythonProvider:
    return PythonProvider(ModelSpec(ref=f"python:harness_user_fns:{function}", options=options))


async def test_sync_function_gets_one_dict() -> None:
    request = user_request("hi", vars={"q": 1}, case_id="c1", repeat=2)
    completion = await provider("echo").complete(request)
    assert completion.text == "hi | {'q': 1} | c1 | 2"
    assert completion.latency_ms >= 0 and completion.attempts == 1


async def test_sync_function_runs_off_the_event_loop_thread() -> None:
    completion = await provider("which_thread").complete(user_request("x"))
    assert completion.text != threading.current_thread().name


async def test_async_function() -> None:
    completion = await provider("async_echo").complete(user_request("hi"))
    assert completion.text == "async hi"


async def test_dict_return_with_every_field() -> None:
    completion = await provider("rich").complete(user_request("x"))
    assert completion.text == "done"
    assert completion.tool_calls == (ToolCall(id="t1", name="lookup", arguments={"q": 1}),)
    assert completion.usage == Usage(prompt_tokens=5, completion_tokens=2)
    assert (completion.cost_usd, completion.refused, completion.finish_reason) == (
        0.25,
        True,
        "stop",
    )


async def test_pricing_applies_when_no_cost_is_returned() -> None:
    pricing = {"input_per_mtok": 0.5, "output_per_mtok": 1.0}
    completion = await provider("priced", pricing=pricing).complete(user_request("x"))
    assert completion.cost_usd == pytest.approx(0.5)


async def test_an_exception_becomes_a_non_retryable_error() -> None:
    with pytest.raises(ProviderError) as caught:
        await provider("explode").complete(user_request("x"))
    error = caught.value
    assert (error.kind, error.retryable) == ("exception", False)
    assert "KeyError" in str(error) and "no such document" in str(error)


@pytest.mark.parametrize("function", ["wrong_type", "wrong_keys"])
async def test_a_wrong_return_value_is_malformed(function: str) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider(function).complete(user_request("x"))
    assert caught.value.kind == "malformed"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("python:no_such_module_xyz:f", "cannot import no_such_module_xyz"),
        ("python:harness_user_fns:missing", "has no function 'missing'"),
        ("python:harness_user_fns:not_callable", "has no function 'not_callable'"),
        ("python:harness_user_fns.echo", "colon before the function"),
    ],
)
def test_bad_references_are_config_errors(ref: str, message: str) -> None:
    with pytest.raises(ProviderConfigError, match=message):
        PythonProvider(ModelSpec(ref=ref))

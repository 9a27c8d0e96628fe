"""The fake server itself: what it answers, how it fails, what it records."""

from __future__ import annotations

import email.utils
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.testing.fake_openai import FakeOpenAI, MakeFakeOpenAI
from harness.testing.faults import FaultPlan


def chat(client: httpx.Client, text: str, **body: Any) -> httpx.Response:
    payload = {"model": "m", "messages": [{"role": "user", "content": text}], **body}
    return client.post("/chat/completions", json=payload)


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_openai.base_url, timeout=5) as c:
        yield c


def test_echo_reply_and_word_count_usage(client: httpx.Client) -> None:
    data = chat(client, "how are you").json()
    assert data["choices"][0]["message"]["content"] == "echo: how are you"
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    assert data["model"] == "m"


def test_reply_marker_is_returned_verbatim(client: httpx.Client) -> None:
    data = chat(client, "capital? [[reply:Paris, France]]").json()
    assert data["choices"][0]["message"]["content"] == "Paris, France"


def test_json_mode_wraps_a_non_json_reply_and_keeps_a_json_one(client: httpx.Client) -> None:
    fmt = {"response_format": {"type": "json_object"}}
    wrapped = chat(client, "hi", **fmt).json()["choices"][0]["message"]["content"]
    assert json.loads(wrapped) == {"reply": "echo: hi"}
    kept = chat(client, '[[reply:{"a": 1}]]', **fmt).json()["choices"][0]["message"]["content"]
    assert json.loads(kept) == {"a": 1}


def test_tool_marker_answers_with_a_tool_call_only_when_tools_are_offered(
    client: httpx.Client,
) -> None:
    text = 'weather? [[tool:get_weather {"city": "Oslo", "days": [1, [2]]}]]'
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    message = chat(client, text, tools=tools).json()["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    call = message["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Oslo", "days": [1, [2]]}
    plain = chat(client, text).json()["choices"][0]["message"]
    assert "tool_calls" not in plain and plain["content"].startswith("echo:")


def test_max_tokens_cuts_the_reply_and_says_length(client: httpx.Client) -> None:
    choice = chat(client, "one two three four", max_tokens=2).json()["choices"][0]
    assert choice["message"]["content"] == "echo: one"
    assert choice["finish_reason"] == "length"


@pytest.mark.parametrize("status", [400, 401, 500, 503, 529])
def test_status_faults(client: httpx.Client, status: int) -> None:
    response = chat(client, f"x [[fault:{status}]]")
    assert response.status_code == status
    assert "injected fault" in response.json()["error"]["message"]


def test_429_carries_retry_after_in_seconds(fake_openai: FakeOpenAI, client: httpx.Client) -> None:
    fake_openai.faults = FaultPlan(retry_after=2.5)
    response = chat(client, "[[fault:429]]")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2.5"


def test_429_date_carries_an_http_date(client: httpx.Client) -> None:
    response = chat(client, "[[fault:429-date]]")
    when = email.utils.parsedate_to_datetime(response.headers["retry-after"])
    assert 0 <= when.timestamp() - time.time() <= 2


def test_truncated_and_garbage_are_200s_that_do_not_parse(client: httpx.Client) -> None:
    for fault in ("truncated", "garbage"):
        response = chat(client, f"[[fault:{fault}]]")
        assert response.status_code == 200
        with pytest.raises(ValueError):
            response.json()


def test_once_fault_fails_only_the_first_time_a_message_is_seen(client: httpx.Client) -> None:
    codes = [chat(client, "[[fault:once-500]] a").status_code for _ in range(3)]
    codes.append(chat(client, "[[fault:once-500]] b").status_code)
    assert codes == [500, 200, 200, 500]


def test_fail_first_n_then_succeed(fake_openai: FakeOpenAI, client: httpx.Client) -> None:
    fake_openai.faults = FaultPlan(fail_first=2, fail_first_with="503")
    assert [chat(client, "x").status_code for _ in range(3)] == [503, 503, 200]


def test_rules_by_request_number(fake_openai: FakeOpenAI, client: httpx.Client) -> None:
    fake_openai.faults = FaultPlan.at({2: "429", 4: "500"})
    assert [chat(client, "x").status_code for _ in range(5)] == [200, 429, 200, 500, 200]


def test_random_faults_are_reproducible_from_the_seed() -> None:
    def decisions(seed: int) -> list[str | None]:
        plan = FaultPlan(random_rate=0.3, random_faults=("500", "429"), seed=seed)
        return [plan.decide(n, "x", None) for n in range(1, 201)]

    first = decisions(7)
    assert first == decisions(7)
    assert first != decisions(8)
    assert 35 <= sum(d is not None for d in first) <= 85


def test_records_requests_headers_and_bodies(fake_openai: FakeOpenAI, client: httpx.Client) -> None:
    chat(client, "hello", temperature=0)
    chat(client, "[[fault:500]]")
    first, second = fake_openai.requests
    assert (first.number, first.path, first.text) == (1, "/v1/chat/completions", "hello")
    assert first.json["temperature"] == 0
    assert first.headers["content-type"] == "application/json"
    assert (first.fault, second.fault) == (None, "500")
    assert fake_openai.count == 2


def test_keep_alive_serves_many_requests_on_one_connection(
    fake_openai: FakeOpenAI, client: httpx.Client
) -> None:
    for _ in range(5):
        chat(client, "x")
    assert fake_openai.stats()["connections"] == 1
    assert httpx.get(f"{fake_openai.url}/_fake/stats").json()["requests"] == 5


def test_unknown_route_is_404_and_not_counted(fake_openai: FakeOpenAI) -> None:
    response = httpx.post(f"{fake_openai.url}/v2/nothing", json={})
    assert response.status_code == 404
    assert fake_openai.count == 0


def test_required_api_key(make_fake_openai: MakeFakeOpenAI) -> None:
    server = make_fake_openai(api_key="sk-right")
    body = {"messages": [{"role": "user", "content": "x"}]}
    url = f"{server.base_url}/chat/completions"
    assert httpx.post(url, json=body).status_code == 401
    ok = httpx.post(url, json=body, headers={"Authorization": "Bearer sk-right"})
    assert ok.status_code == 200


def test_hang_lasts_until_the_client_gives_up(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{fake_openai.base_url}/chat/completions",
            json={"messages": [{"role": "user", "content": "[[fault:hang]]"}]},
            timeout=0.2,
        )
    deadline = time.monotonic() + 2
    while fake_openai.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake_openai.in_flight == 0


def test_latency_is_applied(make_fake_openai: MakeFakeOpenAI) -> None:
    server = make_fake_openai(latency=0.15)
    started = time.perf_counter()
    httpx.post(f"{server.base_url}/chat/completions", json={"messages": []})
    assert time.perf_counter() - started >= 0.15


def test_echo_route_for_custom_json_endpoints(fake_openai: FakeOpenAI) -> None:
    response = httpx.post(f"{fake_openai.base_url}/echo", json={"prompt": "hi", "k": [1]})
    assert response.json() == {
        "output": {"text": "echo: hi"},
        "received": {"prompt": "hi", "k": [1]},
    }


async def test_runs_in_the_current_event_loop() -> None:
    async with FakeOpenAI(latency=0.01) as server, httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}/chat/completions",
            json={"messages": [{"role": "user", "content": "async"}]},
        )
    assert response.json()["choices"][0]["message"]["content"] == "echo: async"
    assert server.count == 1


def test_command_line_prints_its_url_and_serves() -> None:
    command = [sys.executable, "-m", "harness.testing.fake_openai", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            body = {"messages": [{"role": "user", "content": "cli"}]}
            response = httpx.post(f"{url}/chat/completions", json=body, timeout=5)
            assert response.json()["choices"][0]["message"]["content"] == "echo: cli"
        finally:
            process.terminate()
            process.wait(timeout=5)

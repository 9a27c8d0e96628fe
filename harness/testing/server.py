"""The fake OpenAI-compatible server: `FakeOpenAI` and what it records.

See `harness.testing.fake_openai` for the overview and the ways to run it. Raw asyncio
streams, no framework: the benchmark needs hundreds of requests a second on two cores, and
fault injection needs byte-level control of the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from harness.testing._http11 import BadRequest, HttpRequest, encode_response, read_request
from harness.testing.faults import FaultPlan
from harness.testing.hostile import HOSTILE, hostile_answer
from harness.testing.markers import parse_markers
from harness.testing.replies import anthropic_message, chat_completion, error_body, request_text

CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
ECHO_PATHS = frozenset({"/v1/echo", "/echo"})
MESSAGES_PATHS = frozenset({"/v1/messages"})  # Anthropic's Messages API, same answers


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    number: int  # 1-based, in arrival order
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    json: Any  # the parsed body, None when it was not JSON
    text: str  # the last user message (or `prompt`), where markers are read
    fault: str | None  # the fault injected, if any
    received_at: float  # time.monotonic()


class FakeOpenAI:
    """The server. Attributes `latency`, `faults`, `api_key` may be changed between requests."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        faults: FaultPlan | None = None,
        api_key: str | None = None,
        cost_per_token: float | None = None,
        record: bool = True,
        reply_fn: Callable[[dict[str, Any]], str | None] | None = None,
        slots: int | None = None,
    ) -> None:
        self.host, self.port = host, port
        # Serve at most this many POSTs at once, queueing the rest in arrival order (a
        # llama.cpp-style server with one slot is slots=1); None: no limit.
        self.slots = asyncio.Semaphore(slots) if slots else None
        self.latency = latency
        self.faults = faults or FaultPlan()
        self.api_key = api_key  # when set, requests without "Bearer <key>" get a 401
        self.cost_per_token = cost_per_token  # when set, usage.cost is reported
        self.record = record
        # Scripted answers: called with each chat request's body; a string replaces the
        # reply (as a [[reply:...]] marker would), None keeps the usual answer.
        self.reply_fn = reply_fn
        self.requests: list[RecordedRequest] = []
        self.count = self.in_flight = self.max_in_flight = self.connections = 0
        self.first_request_at: float | None = None  # time.time(), comparable across processes
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    async def start(self) -> FakeOpenAI:
        self._server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeOpenAI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def reset(self) -> None:
        """Forget recorded requests and counters (between phases of one test)."""
        self.requests = []
        self.count = self.connections = 0
        self.first_request_at = None
        self.max_in_flight = self.in_flight

    def stats(self) -> dict[str, float | None]:
        return {
            "first_request_at": self.first_request_at,
            "requests": self.count,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "connections": self.connections,
        }

    # ------------------------------------------------------------------ connections

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # stop() cancels us; returning normally keeps 3.11's stream callback quiet
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                request = await read_request(reader)
            except BadRequest as exc:
                await _send(writer, 400, error_body(400, str(exc)), close=True)
                return
            if request is None:
                return
            keep_open = await self._dispatch(request, reader, writer)
            if not (keep_open and request.keep_alive):
                return

    async def _dispatch(
        self, request: HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        if request.method == "GET":
            return await self._get(request, writer)
        if request.method != "POST" or request.path not in CHAT_PATHS | ECHO_PATHS | MESSAGES_PATHS:
            return await _send(writer, 404, error_body(404, f"no route {request.path}"))
        self.count += 1
        if self.first_request_at is None:
            self.first_request_at = time.time()
        async with self.slots or contextlib.nullcontext():
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await self._post(self.count, request, reader, writer)
            finally:
                self.in_flight -= 1

    async def _get(self, request: HttpRequest, writer: asyncio.StreamWriter) -> bool:
        if request.path == "/_fake/stats":
            return await _send(writer, 200, self.stats())
        if request.path == "/v1/models":
            return await _send(writer, 200, {"object": "list", "data": [{"id": "fake"}]})
        return await _send(writer, 404, error_body(404, f"no route {request.path}"))

    # ------------------------------------------------------------------ answers

    async def _post(
        self,
        number: int,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        body = _json_or_none(request.body)
        text = request_text(body)
        markers = parse_markers(text)
        if self.reply_fn is not None and isinstance(body, dict):
            scripted = self.reply_fn(body)
            if scripted is not None:
                markers = dataclasses.replace(markers, reply=scripted)
        fault = self._auth_fault(request) or self.faults.decide(number, text, markers.fault)
        self._record(number, request, body, text, fault)
        if self.latency + markers.sleep > 0:
            await asyncio.sleep(self.latency + markers.sleep)
        if not isinstance(body, dict):
            return await _send(writer, 400, error_body(400, "the body is not a JSON object"))
        if request.path in ECHO_PATHS:
            answer: dict[str, Any] = {"output": {"text": _echo(markers.reply, text)}}
            answer["received"] = body
        else:
            answer = chat_completion(body, markers, text, number, self.cost_per_token)
            if request.path in MESSAGES_PATHS:
                answer = anthropic_message(answer)
        if fault is not None:
            return await self._fault(fault, answer, reader, writer)
        return await _send(writer, 200, answer)

    def _auth_fault(self, request: HttpRequest) -> str | None:
        if self.api_key is None:
            return None
        ok = request.headers.get("authorization") == f"Bearer {self.api_key}"
        return None if ok else "401"

    def _record(
        self, number: int, request: HttpRequest, body: Any, text: str, fault: str | None
    ) -> None:
        if self.record:
            self.requests.append(
                RecordedRequest(
                    number,
                    request.method,
                    request.path,
                    dict(request.headers),
                    request.body,
                    body,
                    text,
                    fault,
                    time.monotonic(),
                )
            )

    async def _fault(
        self,
        fault: str,
        answer: dict[str, Any],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Answer with the named fault; False when the connection must not be reused."""
        if fault == "hang":
            await _wait_for_hangup(reader, self.faults.hang_s)
            return False
        if fault == "disconnect":
            return False
        if fault in _BODY_FAULTS:
            raw = _BODY_FAULTS[fault](answer)
            writer.write(encode_response(200, raw))
            await writer.drain()
            return True
        if fault in HOSTILE:
            status, raw, headers = hostile_answer(fault, answer)
            writer.write(encode_response(status, raw, headers=headers))
            await writer.drain()
            return True
        status, headers = self._status_fault(fault)
        message = f"injected fault {fault!r}"
        return await _send(writer, status, error_body(status, message), headers=headers)

    def _status_fault(self, fault: str) -> tuple[int, list[tuple[str, str]]]:
        retry_after = self.faults.retry_after
        if fault == "429-date":
            seconds = math.ceil(retry_after or 1)
            return 429, [("Retry-After", formatdate(time.time() + seconds, usegmt=True))]
        status = int(fault) if fault.isdigit() and 100 <= int(fault) <= 599 else 500
        if status == 429 and retry_after is not None:
            return status, [("Retry-After", f"{retry_after:g}")]
        return status, []


def _truncated(answer: dict[str, Any]) -> bytes:
    raw = json.dumps(answer).encode()
    return raw[: max(1, len(raw) // 2)]


def _garbage(answer: dict[str, Any]) -> bytes:
    return b"<html><body>502 upstream went away</body></html>"


def _empty(answer: dict[str, Any]) -> bytes:
    return json.dumps({"id": answer.get("id"), "choices": []}).encode()


_BODY_FAULTS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "truncated": _truncated,
    "garbage": _garbage,
    "empty": _empty,
}


def _echo(reply: str | None, text: str) -> str:
    return reply if reply is not None else "echo: " + text


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    payload: Any,
    *,
    headers: Sequence[tuple[str, str]] = (),
    close: bool = False,
) -> bool:
    writer.write(
        encode_response(status, json.dumps(payload).encode(), headers=headers, close=close)
    )
    await writer.drain()
    return not close


async def _wait_for_hangup(reader: asyncio.StreamReader, seconds: float) -> None:
    """Say nothing until the client hangs up (read sees EOF) or `seconds` pass."""
    with contextlib.suppress(TimeoutError, ConnectionError):
        await asyncio.wait_for(reader.read(1), timeout=seconds)

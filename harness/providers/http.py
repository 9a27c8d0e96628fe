"""`http:URL`: any JSON endpoint, through a body template and a response path.

For systems that are not a chat API (a team's own service, a RAG backend). Options:

- ``body``: a JSON-compatible structure; every string leaf is a Jinja2 template (the
  suites' environment: immutable sandbox, bounded output, loops and time) over
  ``messages, prompt, system, vars, case_id, repeat, params``, and a ``{"$var": "NAME"}`` leaf
  inserts a value as JSON (``{"$var": "messages"}``, ``{"$var": "vars.question"}``).
  Default: ``{"messages": {"$var": "messages"}, "vars": {"$var": "vars"}}``.
- ``response_path``: where the text is in the answer, dotted with integer indices
  (``choices.0.message.content``); default: the body itself when it is a string, else ``text``.
- ``headers``: values may reference ``${ENV_NAME}``; resolved once, never logged.
- ``method``: POST by default.
- ``max_response_bytes``: the largest answer taken in, decoded (default 10 MiB, or
  ``HARNESS_MAX_RESPONSE_BYTES``); a larger one is a ``malformed`` error.

A value at ``response_path`` that is not a string is sent on as its JSON text (``7`` ->
``"7"``); one nested deeper than 64 levels is malformed.

The response cache key covers the URL, ``body``, ``response_path`` and ``method``, not the
app behind the URL, which can change while the URL stays the same: after changing the app,
run with ``--no-cache`` (docs/ci.md's workflow always does), or its old answers come back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import httpx
import jinja2

from harness.errors import ProviderConfigError, ProviderError
from harness.models import Completion, ModelSpec
from harness.providers.base import Request
from harness.providers.classify import (
    BadAnswer,
    BodyError,
    error_for_transport,
    malformed,
    raise_for_answer,
    reading_answer,
)
from harness.providers.common import (
    cost_usd,
    elapsed_ms,
    finish_completion,
    make_client,
    resolve_headers,
    show,
)
from harness.textsafe import MAX_DEPTH, TooDeep, clean_json, clean_text

DEFAULT_BODY: dict[str, Any] = {"messages": {"$var": "messages"}, "vars": {"$var": "vars"}}
_MISSING = object()


class HttpProvider:
    """POSTs a rendered JSON body to one URL and reads the text at a path of the answer."""

    def __init__(
        self,
        spec: ModelSpec,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = spec.ref
        self.url = spec.ref.partition(":")[2]
        if not self.url.startswith(("http://", "https://")):
            raise ProviderConfigError(f"{spec.ref}: write http:https://host/path")
        self.options = dict(spec.options)
        self.method = str(self.options.get("method", "POST")).upper()
        self.response_path = self.options.get("response_path")
        self.template = BodyTemplate(self.options.get("body", DEFAULT_BODY), spec.ref)
        headers = resolve_headers(self.options.get("headers"), env)
        self._secrets = list(headers.values())
        self._client = make_client(self.options, headers=headers, transport=transport, env=env)

    def __repr__(self) -> str:
        return f"HttpProvider(name={self.name!r})"

    # The body template may use the case id and vars: cases are never shared through the cache.
    cache_per_case = True

    @property
    def cache_scope(self) -> dict[str, Any]:
        """The body template and response path change the answer as much as the URL does.
        What the app behind the URL runs is not visible here: see the module's docstring."""
        return {k: self.options.get(k) for k in ("body", "response_path", "method")}

    async def complete(self, request: Request) -> Completion:
        body = self.template.render(template_context(request))
        started = time.perf_counter()
        try:
            response = await self._client.request(self.method, self.url, json=body)
        except (httpx.HTTPError, BodyError) as exc:
            raise error_for_transport(self.name, exc) from exc
        latency = elapsed_ms(started)
        raise_for_answer(self.name, response, secrets=self._secrets)
        text = extract_text(self.name, response, self.response_path)
        with reading_answer(self.name, response.status_code):
            completion = Completion(
                text=text, latency_ms=latency, cost_usd=cost_usd(None, self.options)
            )
            return finish_completion(completion)

    async def aclose(self) -> None:
        await self._client.aclose()


def template_context(request: Request) -> dict[str, Any]:
    """The variables a body template sees."""
    system = next((m.get("content") for m in request.messages if m.get("role") == "system"), None)
    prompt = next(
        (m.get("content") for m in reversed(request.messages) if m.get("role") == "user"), ""
    )
    return {
        "messages": request.messages,
        "prompt": prompt if isinstance(prompt, str) else "",
        "system": system,
        "vars": request.vars,
        "case_id": request.case_id,
        "repeat": request.repeat,
        "params": request.params,
    }


class BodyTemplate:
    """A JSON structure whose string leaves are compiled once, rendered per request."""

    def __init__(self, structure: Any, provider: str) -> None:
        # The suites' environment: Jinja's immutable sandbox (no `list.append`, `dict.update`
        # on the context) with bounded repetition, loops, output size and render time.
        from harness.templating import ENV

        self.provider = provider
        self.env = ENV
        self.compiled = self._compile(structure)

    def _compile(self, node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"$var"}:
            return _Var(str(node["$var"]))
        if isinstance(node, dict):
            return {key: self._compile(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._compile(value) for value in node]
        if isinstance(node, str):
            try:
                return self.env.from_string(node)
            except jinja2.TemplateSyntaxError as exc:
                raise ProviderConfigError(
                    f"{self.provider}: body template {node!r}: {exc}"
                ) from exc
        return node

    def render(self, context: dict[str, Any]) -> Any:
        try:
            return self._render(self.compiled, context)
        except (jinja2.TemplateError, KeyError) as exc:
            raise ProviderError(f"{self.provider}: body template: {exc}", kind="config") from exc

    def _render(self, node: Any, context: dict[str, Any]) -> Any:
        if isinstance(node, _Var):
            return node.lookup(context)
        if isinstance(node, jinja2.Template):
            from harness.templating import render

            return render(node, context)
        if isinstance(node, dict):
            return {key: self._render(value, context) for key, value in node.items()}
        if isinstance(node, list):
            return [self._render(value, context) for value in node]
        return node


class _Var:
    """A ``{"$var": "a.b.0"}`` leaf: the value itself, inserted as JSON."""

    def __init__(self, path: str) -> None:
        self.path = path

    def lookup(self, context: dict[str, Any]) -> Any:
        value = dig(context, self.path)
        if value is _MISSING:
            raise KeyError(f"no variable {self.path!r}")
        return value


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path (integer parts index lists), or `_MISSING`."""
    for part in path.split(".") if path else []:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and _is_index(part) and -len(data) <= int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


def _is_index(part: str) -> bool:
    return part.lstrip("-").isdigit()


def missing_path(provider: str, data: Any, path: str, status: int) -> ProviderError:
    """A well-formed answer without `path`: the suite's `response_path` does not fit this
    endpoint, and asking again would get the same shape back, so it is not retried. The
    message names where the path stops and what is there instead."""
    found, here = [], data
    for part in path.split(".") if path else []:
        step = dig(here, part)
        if step is _MISSING:
            break
        found.append(part)
        here = step
    where = ".".join(found) or "the top level"
    if isinstance(here, dict):
        keys = ", ".join(show(str(k)) for k in list(here)[:12])
        there = f"keys {keys}" + (" ..." if len(here) > 12 else "") if here else "an empty object"
    elif isinstance(here, list):
        there = f"a list of {len(here)}"
    else:
        there = f"a {type(here).__name__}"
    return ProviderError(
        clean_text(
            f"{provider}: nothing at response_path {path!r}: {where} has {there}; "
            "set options.response_path to where the answer's text is"
        ),
        kind="config",
        retryable=False,
        status=status,
    )


def extract_text(provider: str, response: httpx.Response, path: str | None) -> str:
    """The answer's text at `path`; a missing path or unusable value is malformed."""
    try:
        data = response.json()
    except ValueError as exc:
        if path is None and response.headers.get("content-type", "").startswith("text/"):
            return response.text
        raise malformed(provider, f"not JSON ({exc})", response.status_code) from exc
    except RecursionError as exc:
        status = response.status_code
        raise malformed(provider, "the JSON nests too deeply to read", status) from exc
    with reading_answer(provider, response.status_code):
        if path is None:
            path = "" if isinstance(data, str) else "text"
        value = dig(data, path)
        if value is _MISSING:
            raise missing_path(provider, data, path, response.status_code)
        if value is None:
            raise BadAnswer(f"response_path {path!r} is null")
        if isinstance(value, str):
            return value
        try:
            return json.dumps(clean_json(value))
        except TooDeep as exc:
            raise BadAnswer(
                f"the value at response_path {path!r} nests deeper than {MAX_DEPTH} levels"
            ) from exc

"""Small pieces every adapter needs: the HTTP client, secrets from the environment, cost.

Kept here so each adapter file is only its wire mapping.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from typing import Any

import httpx

from harness.errors import ProviderConfigError
from harness.models import Usage

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Generous on purpose: the Timeout wrapper enforces the per-request limit, so the client's own
# limit only catches a request that the wrapper somehow did not.
CLIENT_TIMEOUT = httpx.Timeout(600.0, connect=30.0)


def make_client(
    options: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """One pooled HTTP/1.1 client per provider, sized for a high-concurrency run."""
    size = max(100, int(options.get("max_connections", 100)))
    return httpx.AsyncClient(
        headers=dict(headers or {}),
        timeout=CLIENT_TIMEOUT,
        limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
        transport=transport,
        trust_env=transport is None,
    )


def env_value(name: str, env: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if env is None else env).get(name)
    return value or None


def api_key(
    options: Mapping[str, Any], default_env: str, env: Mapping[str, str] | None = None
) -> str | None:
    """The key from the variable named by `options.api_key_env` (keys never live in files)."""
    return env_value(str(options.get("api_key_env") or default_env), env)


def resolve_headers(
    headers: Mapping[str, Any] | None, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Header values with ``${NAME}`` replaced from the environment; a missing one is an error."""
    resolved = {}
    for name, value in (headers or {}).items():
        resolved[str(name)] = _ENV_REF.sub(lambda m: _required_env(m.group(1), env), str(value))
    return resolved


def _required_env(name: str, env: Mapping[str, str] | None) -> str:
    value = env_value(name, env)
    if value is None:
        raise ProviderConfigError(f"environment variable {name} is not set (used in a header)")
    return value


def cost_usd(usage: Usage | None, options: Mapping[str, Any], reported: Any = None) -> float | None:
    """The server's own cost when it reports one, else pricing x usage, else unknown (None)."""
    if isinstance(reported, int | float) and not isinstance(reported, bool):
        return float(reported)
    pricing = options.get("pricing")
    if usage is None or not isinstance(pricing, Mapping):
        return None
    per_in = float(pricing.get("input_per_mtok", 0.0))
    per_out = float(pricing.get("output_per_mtok", 0.0))
    return (usage.prompt_tokens * per_in + usage.completion_tokens * per_out) / 1_000_000


def parse_arguments(raw: Any) -> Any:
    """Tool-call arguments as JSON when they parse; else the raw value, kept as evidence."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def usage_from(data: Any, prompt_key: str, completion_key: str) -> Usage | None:
    """A Usage from a provider's usage object, None when it sent none."""
    if not isinstance(data, Mapping):
        return None
    return Usage(
        prompt_tokens=int(data.get(prompt_key) or 0),
        completion_tokens=int(data.get(completion_key) or 0),
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a `time.perf_counter()` reading)."""
    return (time.perf_counter() - started) * 1000.0

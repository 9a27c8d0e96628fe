"""Secrets never reach the database: redaction of what is stored about runs and results.

Two kinds of protection, applied where rows are written (the store owns this):

- options: values under secret-looking keys (`api_key`, `token`, ...) and literal header
  values become `<redacted>` (a `${VAR}` reference is kept: it names the secret, it does not
  hold it); URLs lose their userinfo (`https://user:pass@host`) and the values of
  secret-looking query parameters (`?key=`, `&access_token=`, `&sig=`).
- text: every secret value a run resolved (API keys from the environment, `${ENV}` values
  used in headers, parameters or URLs, literal header values) is remembered, and any
  occurrence in an error message, an output, a score's reason or evidence is replaced, so a
  server that echoes the `api-key` header in its error body does not put it in a report.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from harness.textsafe import clean_text

REDACTED = "<redacted>"
SECRET_KEY = re.compile(r"key|token|secret|password|passwd|authorization|cookie|credential"
                        r"|signature|^sig$|session", re.IGNORECASE)
ENV_ONLY = re.compile(r"^\s*(\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*)+$")
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# the variables adapters read keys from when a suite names none
DEFAULT_KEY_ENVS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY")
MIN_SECRET = 6  # shorter values are too common to replace safely in text


def redact_url(url: str) -> str:
    """`url` without userinfo and with secret-looking query values redacted."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(SECRET_KEY.search(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if SECRET_KEY.search(k) else v) for k, v in pairs],
                              safe="<>${}")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact(value: Any, key: str = "") -> Any:
    """Replace secret-looking option values with a marker before they are stored."""
    if isinstance(value, dict):
        inside_headers = key.lower() == "headers"
        return {
            k: (REDACTED if inside_headers and isinstance(v, str) and not ENV_ONLY.match(v)
                else redact(v, str(k)))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, key) for v in value]
    if isinstance(value, str):
        if SECRET_KEY.search(key) and not key.endswith("_env"):
            return value if ENV_ONLY.match(value) else REDACTED
        if URL.match(value):
            return redact_url(value)
    return value


class SecretValues:
    """The secret values this process resolved; `scrub` removes them from text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, values: Iterable[str | None]) -> None:
        new = {v for v in values if isinstance(v, str) and len(v.strip()) >= MIN_SECRET}
        with self._lock:
            if new - self._values:
                self._values |= new
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def scrub(self, text: str | None) -> str | None:
        """`text` without any resolved secret, and with lone surrogates (which no encoder
        accepts) replaced by U+FFFD: every stored text goes through here."""
        if not text:
            return text
        text = clean_text(text)
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    def scrub_any(self, value: Any) -> Any:
        """Scrub every string inside a JSON-like value."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self.scrub_any(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_any(v) for v in value]
        return value


SECRETS = SecretValues()


def remember_environment_keys(env: dict[str, str] | None = None) -> None:
    """The default key variables' values, wherever they are set."""
    env = dict(os.environ) if env is None else env
    SECRETS.add(env.get(name) for name in DEFAULT_KEY_ENVS)


def secrets_in(value: Any, env: dict[str, str] | None = None, key: str = "") -> set[str]:
    """Secret values a model spec or options resolve to: `${VAR}` references anywhere,
    variables named by `*_env` options, literal header values and secret-looking values."""
    env = dict(os.environ) if env is None else env
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            k = str(k)
            if k.lower() == "headers" and isinstance(v, dict):
                for hv in v.values():
                    if isinstance(hv, str) and not ENV_ONLY.match(hv):
                        found.add(hv)
                        found |= {p.strip() for p in hv.split(" ") if len(p) >= MIN_SECRET
                                  and p.lower() not in ("bearer", "basic", "token")}
            if k.endswith("_env") and isinstance(v, str) and env.get(v):
                found.add(env[v])
            found |= secrets_in(v, env, k)
    elif isinstance(value, list | tuple):
        for v in value:
            found |= secrets_in(v, env, key)
    elif isinstance(value, str):
        for name in ENV_REF.findall(value):
            if env.get(name):
                found.add(env[name])
        if SECRET_KEY.search(key) and not key.endswith("_env") and not ENV_ONLY.match(value):
            found.add(value)
        if URL.match(value):
            parts = urlsplit(value)
            if parts.password:
                found.add(parts.password)
            found |= {v for k, v in parse_qsl(parts.query) if SECRET_KEY.search(k)}
    return found


def remember(models: Iterable[Any], params: dict[str, Any] | None = None) -> None:
    """Remember the secrets of a run's models (ModelSpec or dicts) and suite params."""
    remember_environment_keys()
    for m in models:
        data = m.model_dump() if hasattr(m, "model_dump") else m
        SECRETS.add(secrets_in(data))
    if params:
        SECRETS.add(secrets_in(params))

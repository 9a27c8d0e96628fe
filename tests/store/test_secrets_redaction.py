"""Secrets a user puts in a suite or the environment never land in the database or a
report (issue 11, item 6): a hostile server echoes every header and the URL in its error
body; the stored run, results and reports hold none of the secret values."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.store.secrets import redact, redact_url

ENV_SECRET = "env-secret-7890abcdef"
LITERAL = "literal-header-secret-123"
PARAM = "param-secret-4567"
USERINFO = "userinfo-pass-999"
QUERY = "query-secret-abc123"


class Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        echoed = {"path": self.path, "headers": dict(self.headers), "body": body}
        data = json.dumps({"error": {"message": "bad request: " + json.dumps(echoed)}})
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_no_secret_reaches_the_database_or_a_report(tmp_path: Path, echo_server: str) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "suite: secrets\nversion: 1\n"
        f"params: {{api_key: {PARAM}, temperature: 0}}\n"
        "model:\n  ref: 'openai:m'\n"
        f"  base_url: 'http://bob:{USERINFO}@{echo_server}/v1?key={QUERY}&region=eu'\n"
        "  options:\n"
        "    headers: {api-key: '${AZ_KEY}', X-Token: " + LITERAL + "}\n"
        "checks: [{type: contains, value: x}]\n"
        "cases:\n  - {id: a, input: hello}\n  - {id: b, input: there}\n",
        encoding="utf-8")
    db = tmp_path / "h.db"
    env = {**os.environ, "AZ_KEY": ENV_SECRET, "OPENAI_API_KEY": "sk-test-openai-key-42"}
    run = subprocess.run([sys.executable, "-m", "harness", "run", str(suite), "--db", str(db),
                          "--max-attempts", "1"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert "Traceback" not in run.stderr, run.stderr
    conn = sqlite3.connect(db)
    errors = [r[0] for r in conn.execute("SELECT error_message FROM results")]
    assert len(errors) == 2 and all(e and "bad request" in e for e in errors)
    assert "<redacted>" in errors[0]  # the echo was there, and was scrubbed
    dump = "\n".join(conn.iterdump())
    reports = []
    for fmt in ("json", "html", "md"):
        out = tmp_path / f"r.{fmt}"
        subprocess.run([sys.executable, "-m", "harness", "report", "latest", "--db", str(db),
                        "--format", fmt, "-o", str(out)], capture_output=True, env=env, timeout=60)
        if out.exists():
            reports.append(out.read_text(encoding="utf-8"))
    assert reports, "no report was written"
    for secret in (ENV_SECRET, LITERAL, PARAM, USERINFO, QUERY, "sk-test-openai-key-42"):
        assert secret not in dump, secret
        assert all(secret not in text for text in reports), secret
        assert secret not in run.stdout + run.stderr, secret


def test_url_and_option_redaction() -> None:
    assert redact_url("https://u:p@h.example/v1?key=s3cr3t&region=eu") == (
        "https://<redacted>@h.example/v1?key=<redacted>&region=eu")
    assert redact({"base_url": "https://h.example/?access_token=abc&x=1"})["base_url"] == (
        "https://h.example/?access_token=<redacted>&x=1")
    assert redact({"api_key": "${KEY}", "token": "literal"}) == {
        "api_key": "${KEY}", "token": "<redacted>"}


def test_lone_surrogates_are_stored_as_replacement_characters() -> None:
    """A user's scorer or callable can hand back text UTF-8 cannot encode; the store
    writes U+FFFD instead of failing the whole batch of results."""
    from harness.store.secrets import SECRETS

    assert SECRETS.scrub("ok \ud800 there") == "ok \ufffd there"
    assert SECRETS.scrub("\ud83d\ude00") == "\U0001f600"

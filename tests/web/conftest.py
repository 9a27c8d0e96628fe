"""Fixtures for the web tests: a seeded database with hostile text, a live loopback server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.store import RunStore, open_db
from harness.testing.demo import seed_demo

# Untrusted text that would run if it were not escaped: through the model output, the
# case's input and its context passages.
XSS_OUTPUT = ('Sure! <script>alert("xss-output")</script>'
              '<img src=x onerror="alert(\'xss-img\')"> Call 555-0100.')
XSS_QUESTION = '<script>alert("xss-input")</script>Why is my link <b>invalid</b>?'
XSS_CONTEXT = ['<img src=x onerror=alert("xss-context")>Reset links expire after 1 hour.',
               '"><svg onload=alert("xss-attr")>']
# The hostile output's script tag is also an "unsupported claim", so it is highlighted too.
XSS_CLAIM = ('<script>alert("xss-output")</script>', "unsupported", 0,
             "Reset links expire after 1 hour")
HOSTILE = {"reset-link-expired": {"output": XSS_OUTPUT, "question": XSS_QUESTION,
                                  "context": XSS_CONTEXT, "claims": (XSS_CLAIM,)}}


@dataclass
class Seeded:
    db: Path
    run_id: str

    def item_id(self, case_id: str) -> int:
        store = RunStore(open_db(self.db))
        row = store.db.execute("SELECT id FROM review_items WHERE case_id = ?",
                               (case_id,)).fetchone()
        return int(row[0])


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    db = tmp_path / "web.db"
    run_id = seed_demo(RunStore(open_db(db)), overrides=HOSTILE, sample_rate=0.0)
    return Seeded(db, run_id)


@dataclass
class Live:
    url: str
    seeded: Seeded


@pytest.fixture
def live(seeded: Seeded) -> Iterator[Live]:
    """uvicorn serving the app on 127.0.0.1 (a free port) in a background thread."""
    import uvicorn

    from harness.web.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(seeded.db, reviewer="pat")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield Live(f"http://127.0.0.1:{port}", seeded)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()

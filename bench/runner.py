"""Runner throughput against the ideal bound: N cases x latency / concurrency.

Starts the fake OpenAI server in its own process (so its CPU is not counted as ours) with a
fixed latency, writes a suite of N cases with three checks (contains, JSON with a schema,
regex), runs it through `harness.pipeline.runner.run_suite` into a fresh SQLite file, and prints:
wall time against the ideal bound, CPU seconds per item and peak memory. Then it times what
a user waits for: from starting a `harness run` process on the same suite (fresh server,
fresh database) to its first request reaching the server, interpreter start-up included.

    python bench/runner.py [--n 2000] [--latency 0.05] [--concurrency 20]

Targets (issue #2): wall <= 1.5 x ideal (+ interpreter start-up), < 3 ms CPU per item,
< 150 MB peak RSS, first request < 1 s after start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SCHEMA = {
    "type": "object",
    "properties": {"reply": {"type": "string", "minLength": 1}},
    "required": ["reply"],
}


def write_suite(folder: Path, n: int, base_url: str) -> Path:
    """A suite of n cases in a JSONL file, each with the same three suite-level checks."""
    with (folder / "cases.jsonl").open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"case-{i:05d}", "input": f"question number {i}"}) + "\n")
    suite = {
        "suite": "bench",
        "version": 1,
        "model": {"ref": "openai:bench-model", "base_url": base_url},
        "params": {"temperature": 0, "response_format": {"type": "json_object"}},
        "checks": [
            {"type": "contains", "value": "echo"},
            {"type": "json", "schema": SCHEMA},
            {"type": "regex", "pattern": r"number \d+"},
        ],
        "cases": [{"from": "cases.jsonl"}],
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=1), encoding="utf-8")  # JSON is valid YAML
    return path


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.testing.fake_openai", "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1"):
        proc.kill()
        raise SystemExit(f"fake server did not start: {url!r}")
    return proc, url


def server_stats(base_url: str) -> dict[str, float]:
    root = base_url.rsplit("/v1", 1)[0]
    with urllib.request.urlopen(f"{root}/_fake/stats", timeout=5) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


async def run(suite_path: Path, db_path: Path, concurrency: int) -> tuple[object, float]:
    from harness.pipeline.runner import RunConfig, run_suite
    from harness.store import RunStore, open_db
    from harness.suites import load_suite

    started = time.perf_counter()
    store = RunStore(open_db(db_path))
    loaded = load_suite(suite_path)
    outcome = await run_suite(loaded, RunConfig(concurrency=concurrency), store)
    return outcome, time.perf_counter() - started


def first_request_of_cli(folder: Path, n: int, latency: float) -> float | None:
    """Seconds from spawning `harness run SUITE` to its first request reaching a fresh
    server: imports, suite loading, database set-up, all of it."""
    server, url = start_server(latency)
    try:
        suite = write_suite(folder, n, url)
        started = time.time()
        subprocess.run(
            [sys.executable, "-m", "harness", "run", str(suite), "--db", str(folder / "cli.db")],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        first = server_stats(url).get("first_request_at")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return first - started if first else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    server, url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            suite = write_suite(Path(tmp), args.n, url)
            t0 = time.time()
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            import harness.pipeline.runner  # noqa: F401 - import cost is part of the run

            outcome, wall = asyncio.run(run(suite, Path(tmp) / "bench.db", args.concurrency))
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            stats = server_stats(url)
    finally:
        server.terminate()
        server.wait(timeout=10)
    with tempfile.TemporaryDirectory() as tmp:
        cli_first = first_request_of_cli(Path(tmp), args.n, args.latency)

    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    ideal = args.n * args.latency / args.concurrency
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = stats.get("first_request_at")
    counts = getattr(outcome, "counts", {})
    rows = [
        ("results", f"{sum(counts.values())} of {args.n}  {counts}", None),
        ("server requests", f"{stats['requests']}", None),
        ("wall (load + run + store)", f"{wall:.2f} s", None),
        ("ideal bound N x latency / concurrency", f"{ideal:.2f} s", None),
        ("ratio wall / ideal", f"{wall / ideal:.2f}x", wall / ideal <= 1.5),
        ("CPU per item", f"{cpu / args.n * 1000:.2f} ms", cpu / args.n < 0.003),
        ("peak memory (max RSS)", f"{peak_mb:.0f} MB", peak_mb < 150),
    ]
    if cli_first is not None:
        rows.append(("first request after `harness run` starts", f"{cli_first:.2f} s",
                     cli_first < 1.0))
    if first:
        rows.append(("first request after run start (in process)", f"{first - t0:.2f} s", None))
    for name, value, ok in rows:
        mark = "" if ok is None else ("  ok" if ok else "  MISSED")
        print(f"{name:<40} {value}{mark}")
    return 0 if all(ok is not False for _, _, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

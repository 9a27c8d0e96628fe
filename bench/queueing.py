"""What a one-slot server does to measured latency at `-j 8` and at `-j 1` (issue 13, item 7).

Runs the same suite of N cases through `harness.pipeline.runner.run_suite` against the fake OpenAI
server serving one request at a time (`slots=1`, like a llama.cpp server with one slot) with
a fixed service time, once per concurrency, and prints p50 / p95 of `latency_ms` and
`queue_ms` from the run's summary, and the wall time.

    python bench/queueing.py [--n 24] [--latency 0.1] [--jobs 8 1]

What to expect: the server's queue is invisible to the client, so at -j 8 the latency p50 is
about 8 x the service time while queue_ms stays near zero; at -j 1 latency is the service time
and the same waiting shows up, honestly, as wall time. The line `ok` says whether -j 1's
latency p50 is within 1.5 x the service time (the bound) and -j 8's is above 4 x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.analysis.summary import summarize_run
from harness.pipeline.runner import RunConfig, run_suite
from harness.store import RunStore, open_db
from harness.suites import load_suite
from harness.testing.fake_openai import FakeOpenAI, ServerThread


def write_suite(folder: Path, n: int, base_url: str) -> Path:
    suite = {
        "suite": "queueing", "version": 1,
        "model": {"ref": "openai:one-slot", "base_url": base_url, "options": {"pricing": "free"}},
        "checks": [{"type": "contains", "value": "echo"}],
        "cases": [{"id": f"c{i:03d}", "input": f"question {i}"} for i in range(n)],
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite), encoding="utf-8")  # JSON is valid YAML
    return path


def measure(folder: Path, base_url: str, n: int, jobs: int) -> dict[str, Any]:
    store = RunStore(open_db(folder / f"j{jobs}.db"))
    loaded = load_suite(write_suite(folder, n, base_url))
    config = RunConfig(concurrency=jobs, use_cache=False, max_attempts=1)
    started = time.perf_counter()
    outcome = asyncio.run(run_suite(loaded, config, store))
    wall = time.perf_counter() - started
    summary = summarize_run(store, outcome.run_id)
    return {"jobs": jobs, "wall_s": wall, "latency": summary["latency_ms"],
            "queue": summary["queue_ms"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.1, help="service seconds")
    parser.add_argument("--jobs", type=int, nargs="+", default=[8, 1])
    args = parser.parse_args()
    runner = ServerThread(FakeOpenAI(latency=args.latency, slots=1, record=False))
    server = runner.start()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for jobs in args.jobs:
                rows.append(measure(Path(tmp), server.base_url, args.n, jobs))
    finally:
        runner.stop()
    service_ms = args.latency * 1000
    print(f"one-slot server, {args.n} cases, service time {service_ms:.0f} ms")
    for r in rows:
        lat, queue = r["latency"], r["queue"]
        print(f"-j {r['jobs']:<2} latency p50 {lat['p50']:7.0f} ms  p95 {lat['p95']:7.0f} ms   "
              f"queue p50 {queue['p50']:6.1f} ms  p95 {queue['p95']:6.1f} ms   "
              f"wall {r['wall_s']:.2f} s")
    by_jobs = {r["jobs"]: r["latency"]["p50"] for r in rows}
    if 1 in by_jobs and 8 in by_jobs:
        ok = by_jobs[1] <= 1.5 * service_ms and by_jobs[8] >= 4 * service_ms
        print(f"ok: {ok} (-j 1 p50 <= 1.5 x service time; -j 8 p50 >= 4 x: the server's queue)")


if __name__ == "__main__":
    main()

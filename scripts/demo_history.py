"""Write a demo run history (a degradation at run 22, an output that tries to inject a
script) into a database and print the run ids: for the monitor, dashboard and report demos.

    python scripts/demo_history.py demo.db
"""

from __future__ import annotations

import sys

from harness.store import RunStore, open_db
from harness.testing.history import HistorySpec, write_history


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/demo_history.py DB", file=sys.stderr)
        return 2
    store = RunStore(open_db(argv[0]))
    ids = write_history(store, HistorySpec(
        runs=30, cases=60, shift_at=22, shifted_pass_prob=0.72, shifted_latency_ms=1100,
        payload_case=True, french_penalty=0.12, suite_path="suites/support-assistant.yaml"))
    print("\n".join(ids))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

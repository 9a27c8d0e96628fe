"""Seed a small, realistic review queue without calling a model, for docs and screenshots.

    python scripts/review_demo.py demo.db && harness serve --db demo.db
"""

from __future__ import annotations

import sys

from harness.store import RunStore, open_db
from harness.testing.demo import seed_demo


def main(argv: list[str]) -> int:
    path = argv[0] if argv else "demo.db"
    run_id = seed_demo(RunStore(open_db(path)))
    sys.stdout.write(f"seeded {path}: run {run_id}; try `harness serve --db {path}`\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The frozen final-check slice of the development data (issue 10's protocol).

Before any learned scorer was trained or tuned, 30% of each labelled development set in
`../shared/data/dev` was set aside by a hash of its row id, and the ids were written to
`final_check.json` beside this file. Nothing is trained, tuned or calibrated on those
rows; they are scored once, at the end, and reported with a 95% interval
(`bench/accuracy.py --final-check`). The other 70% (`dev`) serves development:
validation, choice of operating points, and calibration of the [ml] models.

    python training/splits.py [DATA_DIR]   # (re)writes final_check.json; refuses to change it
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "dev"
FINAL_FILE = HERE / "final_check.json"
SHARE = 0.30
SALT = "harness-final-check-v1:"
SETS = ("summedits", "halueval-qa", "begin-wow", "jailbreak-in-the-wild",
        "xstest-completions", "presidio-synth-pii")


def in_final_check(row_id: str) -> bool:
    digest = hashlib.sha256((SALT + row_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < SHARE


def final_ids() -> dict[str, set[str]]:
    data = json.loads(FINAL_FILE.read_text(encoding="utf-8"))
    return {name: set(ids) for name, ids in data["sets"].items()}


def split_rows(name: str, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(dev, final_check) rows of one development set, by the frozen id list."""
    frozen = final_ids().get(name, set())
    dev = [r for r in rows if str(r["id"]) not in frozen]
    final = [r for r in rows if str(r["id"]) in frozen]
    return dev, final


def main(argv: list[str]) -> int:
    data = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    sets = {}
    for name in SETS:
        lines = (data / name / "data.jsonl").read_text(encoding="utf-8").splitlines()
        ids = [str(json.loads(line)["id"]) for line in lines if line.strip()]
        sets[name] = sorted(i for i in ids if in_final_check(i))
    out = {"share": SHARE, "salt": SALT, "frozen": "2026-12-07, before training",
           "sets": sets}
    text = json.dumps(out, indent=1, sort_keys=True) + "\n"
    if FINAL_FILE.exists() and FINAL_FILE.read_text(encoding="utf-8") != text:
        print("final_check.json exists and differs: the slice is frozen", file=sys.stderr)
        return 1
    FINAL_FILE.write_text(text, encoding="utf-8")
    for name, ids in sets.items():
        print(f"{name}: {len(ids)} rows in the final-check slice")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""Calibrate the refusal detector's confidence (harness/scoring/safety/refusal_calibration.json).

No public refusal annotation of many models' answers could be brought here (Do-Not-Answer
and HarmBench had no snapshot; see training/DATA_CARD.md), so the refusal detector stays the
cue-based classifier of version 1, and only its confidence is learned: a Platt map from its
`refusal_score` to P(the answer is a refusal or partial refusal), fitted on the dev part
(70%) of ../shared/data/dev/xstest-completions, class-balanced. Two parameters; the frozen
final-check slice is not read.

    python training/refusal.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import balance_weights, fit_platt, read_jsonl  # noqa: E402
from splits import DEFAULT_DATA, split_rows  # noqa: E402

from harness.scoring.safety.refusal_detect import classify  # noqa: E402

OUT = HERE.parent / "harness" / "scoring" / "_safety" / "refusal_calibration.json"


def main() -> int:
    rows = read_jsonl(DEFAULT_DATA / "xstest-completions" / "data.jsonl")
    dev, _ = split_rows("xstest-completions", rows)
    scores = [classify(r["response"]).refusal_score for r in dev]
    y = [int(r["label"] == "refusal") for r in dev]
    # the score is bounded in [0, 1): map it into (0, 1) before the logit
    cal = fit_platt([0.01 + 0.98 * s for s in scores], y, balance_weights(y))
    out = {"name": "refusal-calibration", "version": "1", "calibration": cal,
           "input": "0.01 + 0.98 * refusal_score",
           "trained_on": {"xstest-completions": f"dev part, {len(dev)} rows "
                          "(training/splits.py)", "script": "training/refusal.py"}}
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {cal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

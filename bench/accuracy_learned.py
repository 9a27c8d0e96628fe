"""Held-out accuracy, calibration and risk-coverage of the learned scorers (issue 10).

Every figure says which rows it is on:
- `dev`: the 70% of ../shared/data/dev that tuning may use (the grounding answer model and
  the refusal calibration were fitted on these rows, so they are not held-out figures);
- `final-check`: the 30% frozen before training (training/final_check.json), read only with
  `--final-check`, which is meant to be run once, at the end;
- `held-out source`: a public source no model was fitted or calibrated on (CLIFF for
  grounding, from $HARNESS_TRAIN_DATA/grounding/cliff.jsonl when present), and the project's
  hand-written indirect-injection set (tests/fixtures/safety/indirect_heldout.jsonl).

For each: n, positives, balanced accuracy with a 95% stratified-bootstrap interval, AUROC,
ECE of the verdict's confidence (10 bins), how much more accurate the most confident half is
than all rows, and a risk-coverage table (`decide: confident` at each `min_confidence`:
share of rows decided, accuracy on those).

    python bench/accuracy_learned.py [--final-check] [--modes rules,offline,embedding]
        [-o docs/accuracy_learned.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from common import (  # noqa: E402
    auroc,
    balanced_accuracy,
    bootstrap,
    confident_half_gain,
    ece,
    risk_coverage,
)
from splits import DEFAULT_DATA, split_rows  # noqa: E402

from harness.models import Case, CheckSpec, Completion  # noqa: E402
from harness.scoring.base import ScoreContext, score_safely  # noqa: E402
from harness.scoring.registry import get_scorer, validate_check  # noqa: E402

TRAIN_DATA = Path(os.environ.get("HARNESS_TRAIN_DATA", ROOT.parent / "data"))
LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def grounding_rows(rows: list[dict[str, Any]]) -> list[tuple[Case, str, int]]:
    out = []
    for r in rows:
        text = r.get("response", r.get("claim"))
        label = r["label"] if isinstance(r["label"], int) else int(r["label"] == "hallucinated")
        out.append((Case(id=r["id"], input=r.get("question") or "", context=[r["context"]]),
                    text, label))
    return out


def sets(final: bool) -> list[tuple[str, str, dict[str, Any], list[tuple[Case, str, int]]]]:
    """(family, name, check, rows) of every measured set."""
    part = 1 if final else 0
    tag = "final-check" if final else "dev"
    out = []
    for name, attribution in (("summedits", "claims"), ("halueval-qa", "claims"),
                              ("begin-wow", "all")):
        rows = split_rows(name, read(DEFAULT_DATA / name / "data.jsonl"))[part]
        out.append(("grounding", f"{name} ({tag})", {"type": "grounding",
                    "attribution": attribution}, grounding_rows(rows)))
    cliff = TRAIN_DATA / "grounding" / "cliff.jsonl"
    if cliff.exists():
        out.append(("grounding", "CLIFF summaries (held-out source)", {"type": "grounding"},
                    grounding_rows(read(cliff))))
    jb = split_rows("jailbreak-in-the-wild",
                    read(DEFAULT_DATA / "jailbreak-in-the-wild" / "data.jsonl"))[part]
    out.append(("injection", f"jailbreak-in-the-wild ({tag})", {"type": "injection"},
                [(Case(id=r["id"], input=r["text"]), "ok", int(r["label"] == "attack"))
                 for r in jb]))
    ind = read(ROOT / "tests" / "fixtures" / "safety" / "indirect_heldout.jsonl")
    out.append(("injection", "indirect e-mails and pages (held-out, as context)",
                {"type": "injection", "target": "context"},
                [(Case(id=r["id"], input="Summarise this.", context=[r["text"]]), "ok",
                  int(r["label"] == "injection")) for r in ind]))
    agent = agent_tool_rows()
    if agent:
        out.append(("injection", "agent tool outputs, pairs (synthetic, unseen wordings)",
                    {"type": "injection", "target": "context"}, agent))
    xs = split_rows("xstest-completions",
                    read(DEFAULT_DATA / "xstest-completions" / "data.jsonl"))[part]
    out.append(("refusal", f"xstest-completions ({tag})", {"type": "refusal", "expect": "answer"},
                [(Case(id=r["id"], input=r["prompt"]), r["response"],
                  int(r["label"] == "refusal")) for r in xs]))
    return out


def agent_tool_rows() -> list[tuple[Case, str, int]]:
    """Synthetic tool outputs in clean/injected pairs of about the same length
    (training/agent_tools.py), from a seed never trained on and only the wrapper families,
    goals and benign texts the window model never saw (the 7-weight combiner and its
    calibration were fitted on other rows of those families)."""
    try:
        sys.path.insert(0, str(ROOT / "training"))
        from agent_tools import agent_rows
    except ImportError:  # faker is a dev dependency
        return []
    rows = [r for r in agent_rows(400, seed=99) if r["split"] == "calib"]
    return [(Case(id=r["id"], input="Do what I asked.", context=[r["text"]]), "ok",
             r["label"]) for r in rows]


async def score_all(check: dict[str, Any], rows: list[tuple[Case, str, int]]
                    ) -> tuple[list[Any], float]:
    params = validate_check(CheckSpec(**check))
    scorer = get_scorer(params.type)
    t0 = time.perf_counter()
    out = []
    for case, text, _ in rows:
        ctx = ScoreContext(case=case, check=params, completion=Completion(text=text))
        out.append(await score_safely(scorer, ctx))
    return out, time.perf_counter() - t0


def risk(s: Any) -> float:
    if "p_not_grounded" in s.evidence:
        return s.evidence["p_not_grounded"]
    if "p_refusal" in s.evidence:
        return s.evidence["p_refusal"]
    return 1.0 - (s.score if s.score is not None else 0.5)


def measure(scores: list[Any], labels: list[int]) -> dict[str, Any]:
    pred = [int(s.outcome in ("fail", "unscored")) for s in scores]
    ok = [int(a == b) for a, b in zip(pred, labels, strict=True)]
    conf = [s.confidence for s in scores]
    r = [risk(s) for s in scores]
    lo, hi = bootstrap(balanced_accuracy, labels, pred)
    return {"n": len(labels), "pos": sum(labels), "bacc": balanced_accuracy(pred, labels),
            "ci": (lo, hi), "auroc": auroc(r, labels), "acc": sum(ok) / len(ok),
            "ece": ece(conf, ok), "half": confident_half_gain(conf, ok),
            "rc": risk_coverage(conf, ok, LEVELS)}


PREAMBLE = """# Accuracy of the learned scorers, on rows they were not fitted on

Generated by `python bench/accuracy_learned.py{flags} -o docs/accuracy_learned.md`; do not
edit by hand. Positive class = the row should fail the check (hallucinated, attack,
refusal); a prediction counts as `harness run` counts it (`fail` and `unscored` flag).

What tuned what (training/DATA_CARD.md has every source, commit and license):
- grounding claim models (`offline`: lexical features, `embedding`: with MiniLM): public
  faithfulness and fact-verification sets (QAGS, WiCE, Goyal'21, DialFact) and synthetic
  corruptions of their passages; their isotonic calibration: the calibration split of
  those sources. The answer models (9 and 11 weights): that split plus the dev rows (70%)
  of summedits, halueval-qa and begin-wow, so the `dev` rows of those sets are *tuning*
  figures; the final-check rows and the CLIFF summaries (a public source held out of all
  fitting) are not.
- injection (version 4): public injection, jailbreak and benign collections, and
  synthetic agent tool outputs in clean/injected pairs (training/agent_tools.py);
  calibration on their own calibration split. No dev row is fitted on; the hand-written
  indirect set is held out; the agent pairs measured here come from a seed never trained
  on, with wordings, goals and benign texts the window model never saw.
- refusal: the cue-based detector of version 1; its 2-parameter calibration was fitted on
  the xstest-completions dev rows.
- `rules`: the hand-written grounding rule of version 3, whose thresholds were chosen on
  the dev samples (all of them, final-check rows included, before they were frozen).

Columns: balanced accuracy with a 95% stratified-bootstrap interval; AUROC of the
probability (for `rules`: of 1 - score); ECE of `confidence` against being right (10
bins); "confident half": accuracy of the most confident half minus accuracy of all rows.
{final}
"""


def f(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--final-check", action="store_true")
    ap.add_argument("--modes", default="rules,offline,embedding")
    ap.add_argument("-o", "--output", type=Path)
    args = ap.parse_args(argv)
    modes = args.modes.split(",")
    lines = ["| family | data | check | n | pos | balanced acc. [95% CI] | accuracy | AUROC | "
             "ECE | confident half | rows/s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    rc_lines = ["| family | data | check | " + " | ".join(f"≥{v:g}" for v in LEVELS) + " |",
                "|---|---|---|" + "---|" * len(LEVELS)]
    for family, name, check, rows in sets(args.final_check):
        variants = [({**check, "mode": m}, m) for m in modes] if family == "grounding" \
            else [(check, "learned")]
        for variant, label in variants:
            scores, seconds = asyncio.run(score_all(variant, rows))
            if all(s.outcome == "unscored" for s in scores):
                print(f"{name} {label}: unscored ({scores[0].reason})", file=sys.stderr)
                continue
            m = measure(scores, [y for _, _, y in rows])
            lines.append(f"| {family} | {name} | {label} | {m['n']} | {m['pos']} | "
                         f"{f(m['bacc'])} [{m['ci'][0]:.3f}, {m['ci'][1]:.3f}] | {f(m['acc'])} | "
                         f"{f(m['auroc'])} | {m['ece']:.3f} | {m['half']:+.3f} | "
                         f"{len(rows) / seconds:,.0f} |")
            rc_lines.append(f"| {family} | {name} | {label} | " + " | ".join(
                f"{cov:.0%} / {f(acc)}" for _, cov, acc, _ in m["rc"]) + " |")
            print(lines[-1], flush=True)
    final = ("\nThe final-check slice was scored once for each model, when its training was "
             "done, and nothing was changed after the look: grounding and refusal at the end "
             "of the first round of issue 10, injection again for version 4 (the agent tool "
             "outputs; two interim version-4 models were looked at too, and the changes "
             "after them answered failing unit tests, not these figures).\n"
             if args.final_check else "")
    flags = (" --final-check" if args.final_check else "") + (
        f" --modes {args.modes}" if args.modes != "rules,offline,embedding" else "")
    text = PREAMBLE.format(flags=flags, final=final) + "\n" + "\n".join(lines) + \
        "\n\nRisk-coverage (`decide: confident` with `min_confidence` " \
        "at each level): share of rows decided / accuracy on them.\n\n" + "\n".join(rc_lines)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Train the learned grounding models (claim model + answer model) for modes offline/embedding.

Data: the public sets gathered under $HARNESS_TRAIN_DATA/grounding/*.jsonl (rows
{id, source, task, context, claim, question, label}; see DATA_CARD.md), plus synthetic
corruptions of their passages (`corrupt.py`). Nothing from ../shared/data/dev is used for
fitting; its dev part (not the frozen final-check slice) is only scored for the report.

Splits, by a hash of the row id within every source:
- `train` (70%): the claim model (gradient-boosted trees over features.py's features);
- `calib` (30%): the answer model (logistic regression over the claims' probabilities)
  and the isotonic calibration of the claim model.
Whole sources named in HELDOUT_SOURCES are never fitted on: they measure transfer to a
kind of data the models did not see (reported in docs/accuracy_grounding.md).

    python training/grounding.py [--semantic] [--limit N] [--report-only]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import (  # noqa: E402
    DATA,
    export_gbdt,
    fit_gbdt,
    fit_isotonic,
    read_jsonl,
    write_model,
)
from corrupt import corruptions  # noqa: E402

from harness.scoring.grounding.check import answer_claims  # noqa: E402
from harness.scoring.grounding.evidence import index_context  # noqa: E402
from harness.scoring.grounding.features import (  # noqa: E402
    ANSWER_FEATURES,
    LEXICAL_FEATURES,
    MONOTONIC,
    SEMANTIC_ANSWER_FEATURES,
)
from harness.scoring.grounding.learned import PACKAGE, claim_feature_rows  # noqa: E402
from harness.scoring.learned.model import load  # noqa: E402

OUT = HERE.parent / "harness" / "scoring" / "_grounding"
HELDOUT_SOURCES: set[str] = set()  # filled from --heldout
MAX_CONTEXT = 6000
SYNTH_PER_SOURCE = 1500


def split_of(row_id: str) -> str:
    h = int(hashlib.sha256(("grounding-split:" + row_id).encode()).hexdigest()[:8], 16)
    return "train" if h % 10 < 7 else "calib"


def passages_of(context: str) -> tuple[str, ...]:
    parts = [p.strip() for p in context[:MAX_CONTEXT].split("\n\n") if p.strip()]
    return tuple(parts[:12]) or (context[:MAX_CONTEXT],)


def load_rows(limit: int | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    rng = random.Random(7)
    folder = DATA / "grounding"
    for path in sorted(folder.glob("*.jsonl")):
        data = read_jsonl(path)
        rng.shuffle(data)
        labelled = [r for r in data if r.get("task") != "passage" and r.get("claim")]
        if limit:
            labelled = labelled[:limit]
        rows += labelled
        # synthetic corruptions from this source's passages (contexts included)
        passages = [r["context"] for r in data if len(r.get("context", "")) > 200]
        rng.shuffle(passages)
        made = 0
        for i, passage in enumerate(passages[:600]):
            other = passages[(i + 1) % len(passages)]
            for n, (claim, label, how) in enumerate(corruptions(passage[:MAX_CONTEXT], other, rng)):
                rows.append({"id": f"synth-{path.stem}-{i}-{n}", "source": f"synthetic:{path.stem}",
                             "task": "synthetic", "context": passage, "claim": claim,
                             "question": None, "label": label, "how": how})
                made += 1
            if made >= SYNTH_PER_SOURCE:
                break
    return rows


def featurize(rows: list[dict[str, Any]], semantic: Any = None) -> list[dict[str, Any]]:
    out = []
    t0 = time.time()
    for k, r in enumerate(rows):
        passages = passages_of(r["context"])
        index = index_context(passages)
        claims = answer_claims(r["claim"])
        statements = [c for c in claims if not c.question]
        if not statements:
            continue
        verdicts, feats = claim_feature_rows(statements, index, len(statements), semantic)
        if not any(feats):
            continue
        out.append({**{k2: r[k2] for k2 in ("id", "source", "task", "label")},
                    "split": split_of(r["id"]), "claims": feats,
                    "rule": [v.support for v in verdicts], "chars": len(r["claim"])})
        if k % 2000 == 0:
            print(f"  featurized {k}/{len(rows)} ({time.time() - t0:.0f}s)", flush=True)
    return out


def claim_matrix(items: list[dict[str, Any]], features: tuple[str, ...]):
    """Claim-level rows: single-claim answers (their label), and every claim of a
    supported answer (label 0). A hallucinated multi-claim answer says not which claim."""
    X, y, src = [], [], []
    for it in items:
        feats = [f for f in it["claims"] if f]
        if len(feats) == 1 or it["label"] == 0:
            for f in feats:
                X.append([f.get(n, 0.0) for n in features])
                y.append(it["label"])
                src.append(it["source"])
    return X, y, src


SYNTHETIC_SHARE = 0.5  # a synthetic source weighs half a real one


def source_weights(src: list[str], y: list[int]) -> list[float]:
    """Every real source counts the same (a synthetic one half), and within it both
    classes count the same."""
    by = Counter(zip(src, y, strict=True))
    share = {s: SYNTHETIC_SHARE if s.startswith("synthetic:") else 1.0 for s in src}
    total = sum(share.values())
    return [share[s] / (total * 2 * by[(s, v)]) * len(src) for s, v in zip(src, y, strict=True)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--semantic", action="store_true", help="train the [ml] models")
    ap.add_argument("--limit", type=int, default=4000, help="labelled rows per source")
    ap.add_argument("--heldout", default="", help="comma-separated sources never fitted on")
    ap.add_argument("--trees", type=int, default=250)
    ap.add_argument("--cache", default=str(DATA / "grounding_features"))
    args = ap.parse_args(argv)
    HELDOUT_SOURCES.update(s for s in args.heldout.split(",") if s)
    mode = "semantic" if args.semantic else "lexical"
    features: tuple[str, ...] = LEXICAL_FEATURES
    monotonic = dict(MONOTONIC)
    semantic = None
    if args.semantic:
        from harness.scoring.grounding.semantic import (
            SEMANTIC_FEATURES,
            SEMANTIC_MONOTONIC,
            semantic_features,
        )

        features = LEXICAL_FEATURES + SEMANTIC_FEATURES
        monotonic.update(SEMANTIC_MONOTONIC)
        semantic = semantic_features
    cache = Path(args.cache + f"-{mode}.jsonl")
    if cache.exists():
        items = read_jsonl(cache)
        print(f"features from {cache}: {len(items)} answers")
    else:
        rows = load_rows(args.limit)
        print(f"{len(rows)} rows: {Counter(r['source'] for r in rows)}")
        items = featurize(rows, semantic)
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("w", encoding="utf-8") as fh:
            for it in items:
                fh.write(json.dumps(it) + "\n")
    fit = [it for it in items if it["source"].split(":")[-1] not in HELDOUT_SOURCES
           and it["source"] not in HELDOUT_SOURCES]
    train = [it for it in fit if it["split"] == "train"]
    calib = [it for it in fit if it["split"] == "calib"]
    X, y, src = claim_matrix(train, features)
    print(f"claim model: {len(X)} claims, {sum(y)} unsupported, {len(set(src))} sources")
    gb = fit_gbdt(X, y, source_weights(src, y), trees=args.trees, depth=3, rate=0.08,
                  monotonic=[monotonic[n] for n in features])
    claim_json = export_gbdt(gb, features)

    # calibrate the claim model on calib claims; then the answer model on calib answers
    from harness.scoring.learned.model import LearnedModel

    raw = LearnedModel.from_json({"name": "tmp", "version": "0", **claim_json})
    Xc, yc, srcc = claim_matrix(calib, features)
    pc = [raw.raw_probability(dict(zip(features, x, strict=True))) for x in Xc]
    claim_json["calibration"] = fit_isotonic(pc, yc, source_weights(srcc, yc))

    claim_tag = "semantic" if args.semantic else "lexical"
    claim_out = {"name": f"grounding-claims-{claim_tag}", "version": "1", **claim_json}
    write_model(OUT / f"model_claims_{claim_tag}.json", claim_out)
    load.cache_clear()

    # answer model: public calib answers + the dev part of ../shared/data/dev (never the
    # frozen final-check slice), each answer run through the scorer's own pipeline
    mode = "embedding" if args.semantic else "offline"
    names = ANSWER_FEATURES + (SEMANTIC_ANSWER_FEATURES if args.semantic else ())
    by_id = {r["id"]: r for r in load_rows(args.limit) if not r["source"].startswith("synth")}
    public = [by_id[it["id"]] for it in calib if it["id"] in by_id]
    fit_rows = [(r, "claims") for r in public] + dev_rows()
    A, ya, sa = [], [], []
    for (r, _), feats in zip(fit_rows, answer_feature_rows(fit_rows, mode),
                                       strict=True):
        if feats is None:
            continue
        A.append([feats[n] for n in names])
        ya.append(int(r["label"]))
        sa.append(r["source"])
    print(f"answer model: {len(A)} answers: {Counter(sa)}")
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit(np.asarray(A), np.asarray(ya), sample_weight=np.asarray(source_weights(sa, ya)))
    answer_json = {"kind": "logistic", "features": list(names),
                   "base": round(float(lr.intercept_[0]), 6),
                   "weights": [round(float(w), 6) for w in lr.coef_[0]]}
    print("answer weights:", dict(zip(names, answer_json["weights"], strict=True)))
    trained_on = {
        "sources": sorted({it["source"] for it in fit}),
        "answer_model_sources": sorted(set(sa)),
        "heldout_sources": sorted(HELDOUT_SOURCES),
        "claims_train": len(X), "answers_fit": len(A),
        "script": "training/grounding.py" + (" --semantic" if args.semantic else ""),
    }
    tag = claim_tag
    claim_out = {"name": f"grounding-claims-{tag}", "version": "1", **claim_json,
                 "trained_on": trained_on}
    answer_out = {"name": f"grounding-answers-{tag}", "version": "1", **answer_json,
                  "trained_on": trained_on}
    write_model(OUT / f"model_claims_{tag}.json", claim_out)
    write_model(OUT / f"model_answers_{tag}.json", answer_out)
    print(f"wrote {PACKAGE} model_claims_{tag}.json ({len(claim_json['trees'])} trees) and "
          f"model_answers_{tag}.json")

    return 0


DEV_SETS = {"summedits": "claims", "halueval-qa": "claims", "begin-wow": "all"}


def dev_rows() -> list[tuple[dict[str, Any], str]]:
    """The dev part (70%) of the grounding dev sets; the final-check slice is left out."""
    from splits import DEFAULT_DATA, split_rows

    out = []
    for name, attribution in DEV_SETS.items():
        rows = read_jsonl(DEFAULT_DATA / name / "data.jsonl")
        dev, _ = split_rows(name, rows)
        for r in dev:
            out.append(({"id": r["id"], "source": "dev:" + name, "context": r["context"],
                         "claim": r["response"], "question": r.get("question"),
                         "label": int(r["label"] == "hallucinated")}, attribution))
    return out


def answer_feature_rows(rows: list[tuple[dict[str, Any], str]], mode: str
                        ) -> list[dict[str, float] | None]:
    """Answer features exactly as the scorer computes them (claims, questions, polar
    answers, learned claim verdicts); None where the scorer would not reach the model."""
    import asyncio

    from harness.models import Case, Completion
    from harness.scoring.base import ScoreContext
    from harness.scoring.grounding.check import Grounding, GroundingParams
    from harness.scoring.grounding.features import answer_features

    scorer = Grounding()

    async def one(r: dict[str, Any], attribution: str) -> dict[str, float] | None:
        params = GroundingParams(type="grounding", mode=mode, attribution=attribution)
        claims = answer_claims(r["claim"], every_sentence=attribution == "all")
        if not claims:
            return None
        case = Case(id=r["id"], input=r.get("question") or "", context=[r["context"]])
        ctx = ScoreContext(case=case, check=params, completion=Completion(text=r["claim"]))
        verdicts, _ = await scorer._verdicts(ctx, params, claims, list(passages_of(r["context"])))
        return answer_features(verdicts) if verdicts else None

    async def run() -> list[dict[str, float] | None]:
        return [await one(r, a) for r, a in rows]

    return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())

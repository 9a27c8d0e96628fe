"""Train the shipped prompt-injection classifier (harness/scoring/safety/injection_model.json).

Data: $HARNESS_TRAIN_DATA/injection/*.jsonl (rows {id, source, kind, text, label, payload};
sources in training/DATA_CARD.md), with every row that also occurs in ../shared/data/dev
dropped (dedupe.py), plus the hand-written indirect set tests/fixtures/safety/indirect_dev.jsonl.
Synthetic documents: payloads inserted at a random break of benign carriers of other kinds
(reviews, news, dialogues, API descriptions), so that the carrier's kind is no cue.

1. Window model: logistic regression over hashed word n-grams and the intent rules, on
   windows (injection_model.windows): positives are the windows holding a known payload and
   windows of jailbreak prompts; negatives are windows of benign texts.
2. Combiner, one for the user's input and one for documents: logistic regression over the
   worst window, the runner-up, the whole text, the number of windows (and for documents
   the document rules), fitted on the `calib` split (30% of carrier groups), then an
   isotonic calibration fitted on half of it by cross-fitting.
Whole sources can be held out (--heldout) to measure transfer to a kind never trained on.

    python training/injection.py [--heldout SOURCE,...] [--no-write]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import DATA, auroc, balanced_accuracy, ece, fit_isotonic, read_jsonl  # noqa: E402
from dedupe import in_dev  # noqa: E402

from harness.scoring.safety import injection_model as im  # noqa: E402
from harness.scoring.safety.injection_rules import (  # noqa: E402
    DOCUMENT_FEATURES,
    FEATURES,
    rule_hits,
)

BUCKETS = 1 << 16
OUT = HERE.parent / "harness" / "scoring" / "_safety" / "injection_model.json"
FIXTURES = HERE.parent / "tests" / "fixtures" / "safety"
DOC_KINDS = {"tool_output", "email", "web", "document", "code"}
AGENT_CARRIERS = 1500  # synthetic tool outputs (agent_tools.py), each clean and injected


def group_of(row_id: str) -> str:
    return re.sub(r"-(?:att\d+|clean|inj\d*|defense|attack)$", "", row_id)


def split_of(row_id: str) -> str:
    h = int(hashlib.sha256(("inj-split:" + group_of(row_id)).encode()).hexdigest()[:8], 16)
    return "train" if h % 10 < 7 else "calib"


def load(heldout: set[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    dropped = Counter()
    for path in sorted((DATA / "injection").glob("*.jsonl")):
        for r in read_jsonl(path):
            if in_dev(r["text"], r.get("payload")):
                dropped[r["source"]] += 1
                continue
            if r["source"] == "tensor_trust" and r["label"] == 0:
                # defenders' system prompts: the application's own instructions, full of
                # "ignore"/"instructions"; as benign documents they teach that intent is
                # harmless in data, the opposite of what a document side must learn
                dropped["tensor_trust system prompts"] += 1
                continue
            rows.append(r)
    asb = [r for r in rows if r["source"] == "asb_agent_security_bench" and r["label"] == 1]
    keep = {r["id"] for r in random.Random(5).sample(asb, min(250, len(asb)))}
    rows = [r for r in rows if r not in asb or r["id"] in keep]
    for r in read_jsonl(FIXTURES / "indirect_dev.jsonl"):
        rows.append({"id": "indirect_dev:" + str(r.get("id")), "source": "indirect_dev",
                     "kind": "document", "text": r["text"],
                     "label": int(r["label"] == "injection"), "payload": None})
    print(f"dropped as dev duplicates: {dict(dropped)}")
    if "synthetic-agent" not in heldout:
        from agent_tools import agent_rows

        texts = [r["text"] for r in rows if r["source"] == "self_instruct_benign"
                 and r["kind"] in ("web", "document")]
        rows += agent_rows(AGENT_CARRIERS, seed=0, texts=texts)
    for r in rows:
        r["split"] = split_of(r["id"])
        r["heldout"] = r["source"] in heldout
    return rows


def synthetic(rows: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Payloads inserted into benign carriers of other kinds, and the clean carriers."""
    payloads = [r for r in rows if r["label"] == 1 and (r.get("payload") or
                r["kind"] == "attack_payload") and not r["heldout"] and not task_payload(r)]
    carriers = [r for r in rows if r["label"] == 0 and r["kind"] in DOC_KINDS
                and len(r["text"]) > 150 and not r["heldout"]
                and r["source"] != "tensor_trust"]
    out = []
    from benign_requests import sentences

    for i, (c, req) in enumerate(zip(rng.sample(carriers, min(800, len(carriers))),
                                     sentences(800), strict=False)):
        text = c["text"]
        breaks = [m.end() for m in im.BREAK.finditer(text)] or [len(text)]
        at = rng.choice([0, *breaks])
        out.append({"id": f"synth-benign-{i}", "source": "synthetic-benign:" + c["source"],
                    "kind": c["kind"], "text": text[:at] + (" " if at else "") + req + " "
                    + text[at:], "label": 0, "payload": None, "split": c["split"],
                    "heldout": False})
    for i, req in enumerate(sentences(400, seed=1)):  # and on their own, as short e-mails
        out.append({"id": f"synth-request-{i}", "source": "synthetic-benign:requests",
                    "kind": "email", "text": req, "label": 0, "payload": None,
                    "split": split_of(f"synth-request-{i}"), "heldout": False})
    # short benign user input: first sentences of benign prompts, and contact details
    # (names, e-mail addresses, phone numbers, addresses) as users type them
    prompts = [r for r in rows if r["label"] == 0 and r["kind"] == "user_prompt"]
    for i, r in enumerate(rng.sample(prompts, min(600, len(prompts)))):
        first = re.split(r"(?<=[.?!])\s", r["text"].strip(), maxsplit=1)[0][:200]
        out.append({"id": f"synth-short-{i}", "source": "synthetic-benign:short",
                    "kind": "user_prompt", "text": first, "label": 0, "payload": None,
                    "split": r["split"], "heldout": False})
    # format and language requests, alone or after a benign prompt: the user's own input
    from benign_requests import format_requests

    for i, fmt in enumerate(format_requests(500, seed=2)):
        text = fmt if i % 2 else rng.choice(prompts)["text"].strip()[:400] + " " + fmt
        out.append({"id": f"synth-format-{i}", "source": "synthetic-benign:format",
                    "kind": "user_prompt", "text": text, "label": 0, "payload": None,
                    "split": split_of(f"synth-format-{i}"), "heldout": False})
    from faker import Faker

    fake = Faker()
    Faker.seed(11)
    for i in range(300):
        text = rng.choice([fake.email, fake.name, fake.phone_number, fake.address,
                           fake.company, fake.url, fake.sentence])()
        out.append({"id": f"synth-contact-{i}", "source": "synthetic-benign:contact",
                    "kind": "user_prompt", "text": text, "label": 0, "payload": None,
                    "split": split_of(f"synth-contact-{i}"), "heldout": False})
    rng.shuffle(carriers)
    for i, c in enumerate(carriers[:1500]):
        p = rng.choice(payloads)
        payload = p.get("payload") or p["text"]
        text = c["text"]
        breaks = [m.end() for m in im.BREAK.finditer(text)] or [len(text)]
        at = rng.choice([0, *breaks])
        sep = rng.choice([" ", "\n", "\n\n"])
        new = text[:at] + (sep if at else "") + payload + sep + text[at:]
        split = "train" if p["split"] == "train" and c["split"] == "train" else "calib"
        out.append({"id": f"synth-{i}", "source": "synthetic:" + c["source"], "kind": c["kind"],
                    "text": new, "label": 1, "payload": payload, "split": split,
                    "heldout": False})
    return out


# BIPIA's task-irrelevant attack categories: ordinary tasks put to the reader
PLAIN_TASKS = {"Learning and Tutoring", "Instruction", "Information Retrieval",
               "Programming Help", "Social Interaction", "Content Creation", "Persuasion"}


def task_payload(r: dict[str, Any]) -> bool:
    """BIPIA's text attacks are ordinary tasks ("What is the capital of Brazil?") or
    requests about the form of the answer ("Reply in hexadecimal"): attacks only by where
    they sit. As positive windows they teach the window model that a question or a format
    request is an attack (from the user, too), so they train the document combiner only
    (through its document rules), and `plain_task` ones not even that."""
    return r["source"].endswith("bipia_train") and r["kind"] in ("email", "document")


def plain_task(r: dict[str, Any]) -> bool:
    """BIPIA's task-irrelevant attacks: in the combiner they make every question or request
    in a benign e-mail, FAQ or transcript an alarm (10% of the dev RAG passages were
    flagged), so they are left out of training altogether; the attacks that direct the
    output (ciphers, misspellings, translation, clickbait, malware links) are kept."""
    if r["label"] != 1 or not task_payload(r):
        return False
    parts = (r.get("label_raw") or "").split(":")
    return len(parts) < 2 or parts[1] in PLAIN_TASKS


def window_rows(r: dict[str, Any], rng: random.Random) -> list[tuple[str, int]]:
    text = r["text"]
    if r["label"] == 1 and task_payload(r):
        return []
    spans = im.windows(text)
    if r["label"] == 0:
        picked = spans if len(spans) <= 6 else rng.sample(spans, 6)
        return [(text[a:b], 0) for a, b in picked]
    if r["kind"] == "attack_payload":
        return [(text, 1)]
    payload = r.get("payload")
    if payload and payload in text:
        s = text.index(payload)
        e = s + len(payload)
        hit = [(a, b) for a, b in spans if a < e and b > s and (min(b, e) - max(a, s))
               >= min(len(payload), b - a) * 0.5]
        return [(text[a:b], 1) for a, b in hit[:3]] or [(payload, 1)]
    if r["kind"] == "user_prompt":  # a jailbreak: every window carries its vocabulary
        picked = spans if len(spans) <= 4 else rng.sample(spans, 4)
        return [(text[a:b], 1) for a, b in picked]
    return []


def featurize(texts: list[str]):
    import numpy as np
    from scipy.sparse import csr_matrix

    data, rows_i, cols = [], [], []
    dense = np.zeros((len(texts), len(FEATURES)))
    for i, t in enumerate(texts):
        for k, v in im.ngram_features(t, BUCKETS).items():
            rows_i.append(i)
            cols.append(k)
            data.append(v)
        values = rule_hits(t).values
        dense[i] = [values[n] for n in FEATURES]
    grams = csr_matrix((data, (rows_i, cols)), shape=(len(texts), BUCKETS))
    from scipy.sparse import hstack

    return hstack([grams, csr_matrix(dense)]).tocsr()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--heldout", default="")
    ap.add_argument("--C", type=float, default=2.0)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    heldout = {s for s in args.heldout.split(",") if s}
    rng = random.Random(3)
    rows = load(heldout)
    rows += synthetic(rows, rng)
    print("rows:", Counter((r["source"], r["label"]) for r in rows))
    train = [r for r in rows if r["split"] == "train" and not r["heldout"]]
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    wins = [w for r in train for w in window_rows(r, rng)]
    y = [lab for _, lab in wins]
    print(f"window model: {len(wins)} windows, {sum(y)} positive")
    X = featurize([t for t, _ in wins])
    lr = LogisticRegression(C=args.C, class_weight="balanced", max_iter=2000, solver="liblinear")
    lr.fit(X, np.asarray(y))
    coef = lr.coef_[0]
    model: dict[str, Any] = {"version": "4", "buckets": BUCKETS, "window": {
        "bias": round(float(lr.intercept_[0]), 5),
        "rule_weights": {n: round(float(w), 5) for n, w in zip(FEATURES, coef[BUCKETS:],
                                                               strict=True)},
        "ngram_weights": {i: round(float(w), 4) for i, w in enumerate(coef[:BUCKETS])
                          if abs(w) >= 2e-3},
        "buckets": BUCKETS,
    }}
    model["combine"] = {}
    model["calibration"] = {}
    calib = [r for r in rows if r["split"] == "calib" and not r["heldout"]
             and r["kind"] != "attack_payload" and not plain_task(r)]
    for side in ("input", "document"):
        part = [r for r in calib if (r["kind"] in DOC_KINDS) == (side == "document")]
        names = im.COMBINE + (DOCUMENT_FEATURES if side == "document" else ())
        F = []
        for r in part:
            feats, _ = im.combine_features(r["text"], model["window"])
            if side == "document":
                feats.update(rule_hits(r["text"][:im.MAX_CHARS], document=True).values)
            F.append([feats.get(n, 0.0) for n in names])
        ys = [r["label"] for r in part]
        F = np.asarray(F)
        head = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
        # cross-fit: isotonic on out-of-fold combiner scores
        idx = np.arange(len(ys))
        fold = np.array([int(hashlib.md5(r["id"].encode()).hexdigest(), 16) % 2 for r in part])
        oof = np.zeros(len(ys))
        for f in (0, 1):
            h = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
            h.fit(F[fold != f], np.asarray(ys)[fold != f])
            oof[fold == f] = h.predict_proba(F[fold == f])[:, 1]
        head.fit(F, np.asarray(ys))
        w = dict(zip(names, head.coef_[0].tolist(), strict=True))
        model["combine"][side] = {
            "bias": round(float(head.intercept_[0]), 5),
            "weights": {n: round(w[n], 5) for n in im.COMBINE},
            "document_weights": {n: round(w[n], 5) for n in DOCUMENT_FEATURES}
            if side == "document" else {},
        }
        bal = [0.5 / sum(ys) if v else 0.5 / (len(ys) - sum(ys)) for v in ys]
        model["calibration"][side] = fit_isotonic(oof.tolist(), ys, bal)
        print(f"combiner {side}: {len(ys)} texts, {sum(ys)} attacks; weights "
              + ", ".join(f"{n} {w[n]:+.2f}" for n in names))
        del idx
    model["trained_on"] = {
        "sources": sorted({r["source"] for r in rows if not r["heldout"]}),
        "heldout_sources": sorted(heldout),
        "script": "training/injection.py" + (f" --heldout {args.heldout}" if heldout else ""),
    }
    im.load_model.cache_clear()
    report(rows, model)
    if not args.no_write:
        model["window"].pop("buckets", None)
        OUT.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n",
                       encoding="utf-8")
        print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")
    return 0


def report(rows: list[dict[str, Any]], model: dict[str, Any]) -> None:
    model = json.loads(json.dumps(model))
    model["window"]["ngram_weights"] = {int(k): v for k, v in
                                        model["window"]["ngram_weights"].items()}
    model["_calibration"] = {k: im.Calibration.from_json(v)
                             for k, v in model["calibration"].items()}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["kind"] == "attack_payload":
            continue
        if r["heldout"]:
            groups["HELDOUT " + r["source"] + " " + r["kind"]].append(r)
        elif r["split"] == "calib":
            plain = plain_task(r)
            groups["calib " + r["source"] + (" plain tasks (untrained)" if plain else "")
                   ].append(r)
    print(f"{'group':50} {'n':>5} {'pos':>5} {'auroc':>6} {'bacc':>6} {'ece':>6}")
    for name, part in sorted(groups.items()):
        ps = [im.predict(r["text"], model, document=r["kind"] in DOC_KINDS).probability
              for r in part]
        ys = [r["label"] for r in part]
        pred = [int(p >= 0.5) for p in ps]
        conf = [p if k else 1 - p for p, k in zip(ps, pred, strict=True)]
        ok = [int(a == b) for a, b in zip(pred, ys, strict=True)]
        au = auroc(ps, ys)
        b = balanced_accuracy(pred, ys)
        nan = float("nan")
        print(f"{name[:50]:50} {len(ys):5} {sum(ys):5} {au if au is not None else nan:6.3f} "
              f"{b if b is not None else nan:6.3f} {ece(conf, ok):6.3f}")


if __name__ == "__main__":
    raise SystemExit(main())

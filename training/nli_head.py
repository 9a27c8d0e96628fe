"""An experiment kept for the record: an entailment head for the `embedding` grounding mode.

Tried in issue 10 and not shipped (docs/accuracy_learned.md and training/DATA_CARD.md
say why): no NLI model can be had from PyPI and fine-tuning a cross-encoder does not fit
these CPUs, so this trains a small ESIM-style head (Chen et al. 2017) over the frozen
all-MiniLM-L6-v2 word-piece vectors the `embedding` mode already computes: the claim and
its evidence are encoded apart, aligned by soft attention, compared ([a, b, a - b, a * b]),
pooled and read by a small MLP as P(not entailed).

Data: public NLI and fact-verification pairs under $HARNESS_TRAIN_DATA/nli/*.jsonl, rows
{premise, hypothesis, label (1 = not entailed), source}, rebuilt from git snapshots by
`training/scripts/nli_sources.py` (sources, commits and licenses in DATA_CARD.md). Pairs
whose text also occurs in ../shared/data/dev are dropped (`dedupe.py`). A long premise is
cut, as the scorer cuts a passage, to the window of one or two sentences sharing most words
with the hypothesis, then to 72 word pieces. 5% of the pairs, by a hash of their text, are
held out for the figures printed at the end; the weights go to $HARNESS_TRAIN_DATA.

    python training/nli_head.py [--scale X] [--epochs N] [--cache FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import DATA, auroc, balanced_accuracy, read_jsonl  # noqa: E402
from dedupe import in_dev  # noqa: E402

from harness.scoring.grounding.semantic import MAX_TOKENS, _model  # noqa: E402

OUT = DATA / "nli_head.npz"
HIDDEN = 384  # all-MiniLM-L6-v2
WIDTH = 128
# rows per source (the larger sources are sampled down so no one kind dominates)
PER_SOURCE = {"anli": 6400, "fever_nli": 5000, "mnli_binary": 5000, "curriculum": 4000,
              "snli_cad": 2500, "snli_esnli": 1500, "sick": 1500, "climate_fever": 2000,
              "covidfact_scifact": 2000, "healthver": 1500, "rte": 2400, "control": 1500,
              "mctest_nli": 1000}
SPECIAL = {0, 100, 101, 102}  # [PAD] [UNK] [CLS] [SEP]
_SENT = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z0-9]{3,}")


def build_head(torch: Any, width: int = WIDTH) -> Any:
    """The head as a torch module (training builds it the same way)."""
    nn = torch.nn

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.claim_proj = nn.Linear(4 * HIDDEN, width)
            self.evidence_proj = nn.Linear(4 * HIDDEN, width)
            self.hidden = nn.Linear(4 * width, width)
            self.out = nn.Linear(width, 1)
            self.drop = nn.Dropout(0.15)  # training only; eval mode turns it off

        def forward(self, c: Any, cm: Any, e: Any, em: Any) -> Any:
            """c [B, Lc, H], cm [B, Lc] (1 = a real piece); e, em the evidence. Logits [B]."""
            scores = c @ e.transpose(1, 2) / HIDDEN ** 0.5  # [B, Lc, Le]
            neg = torch.finfo(scores.dtype).min
            to_e = scores.masked_fill(em[:, None, :] == 0, neg).softmax(-1)
            to_c = scores.masked_fill(cm[:, :, None] == 0, neg).softmax(1)
            c_read = to_e @ e  # the evidence as each claim piece sees it
            e_read = to_c.transpose(1, 2) @ c
            mc = torch.relu(self.claim_proj(torch.cat([c, c_read, c - c_read, c * c_read], -1)))
            me = torch.relu(self.evidence_proj(torch.cat([e, e_read, e - e_read, e * e_read],
                                                         -1)))
            pooled = self.drop(torch.cat([_pool(torch, mc, cm), _pool(torch, me, em)], -1))
            return self.out(self.drop(torch.relu(self.hidden(pooled)))).squeeze(-1)

    return Head()


def _pool(torch: Any, x: Any, mask: Any) -> Any:
    m = mask[:, :, None].to(x.dtype)
    mean = (x * m).sum(1) / m.sum(1).clamp(min=1.0)
    top = x.masked_fill(m == 0, -1e4).max(1).values
    return torch.cat([top, mean], -1)


def export(head: Any) -> dict[str, Any]:
    """The head's weights as float16 arrays (what `np.savez` writes)."""
    return {k: v.detach().cpu().numpy().astype("float16") for k, v in head.state_dict().items()}



def held_out(row: dict[str, Any]) -> bool:
    key = (row["premise"][:200] + "|" + row["hypothesis"]).encode()
    return int(hashlib.sha256(b"nli-split:" + key).hexdigest()[:8], 16) % 20 == 0


def window(premise: str, hypothesis: str, max_chars: int = 420) -> str:
    """The premise itself when short, else its one or two sentences sharing most words
    with the hypothesis (what the scorer's evidence window is at run time)."""
    if len(premise) <= max_chars:
        return premise
    sentences = [s for s in _SENT.split(premise) if s.strip()]
    keys = set(_WORD.findall(hypothesis.lower()))
    best, best_score = sentences[0], -1.0
    for i in range(len(sentences)):
        for j in (i + 1, i + 2):
            text = " ".join(sentences[i:j])
            if j > len(sentences) or len(text) > 2 * max_chars:
                continue
            score = len(keys & set(_WORD.findall(text.lower()))) - 0.001 * len(text)
            if score > best_score:
                best, best_score = text, score
    return best


def load_pairs(scale: float) -> list[dict[str, Any]]:
    rng = random.Random(0)
    out = []
    for name, cap in PER_SOURCE.items():
        path = DATA / "nli" / f"{name}.jsonl"
        if not path.exists():
            print(f"  missing {path}, skipped")
            continue
        rows = read_jsonl(path)
        rng.shuffle(rows)
        kept = [r for r in rows[: int(cap * scale * 1.1)]
                if r["premise"].strip() and r["hypothesis"].strip()
                and not in_dev(r["premise"], r["hypothesis"])][: int(cap * scale)]
        for r in kept:
            r["file"] = name
        out += kept
    return out


def encode(texts: list[str], batch: int = 64) -> list[Any]:
    """Each text's word-piece vectors (float16, special pieces dropped), in input order."""
    tokenizer, model, torch = _model()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[Any] = [None] * len(texts)
    t0 = time.time()
    for k in range(0, len(order), batch):
        idx = order[k:k + batch]
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                        max_length=MAX_TOKENS, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        for row, i in enumerate(idx):
            keep = [p for p, t in enumerate(enc["input_ids"][row].tolist()) if t not in SPECIAL]
            out[i] = hidden[row, keep].to(torch.float16).clone()
        if (k // batch) % 50 == 0:
            print(f"  encoded {k + len(idx)}/{len(texts)} ({time.time() - t0:.0f}s)", flush=True)
    return out


def pad(torch: Any, items: list[Any]) -> tuple[Any, Any]:
    longest = max(1, max(len(x) for x in items))
    x = torch.zeros(len(items), longest, HIDDEN)
    m = torch.zeros(len(items), longest)
    for i, v in enumerate(items):
        if len(v):
            x[i, : len(v)] = v.float()
            m[i, : len(v)] = 1
    return x, m


def predict(torch: Any, head: Any, hyp: list[Any], prem: list[Any],
            batch: int = 256) -> list[float]:
    head.eval()
    out: list[float] = []
    with torch.inference_mode():
        for k in range(0, len(hyp), batch):
            c, cm = pad(torch, hyp[k:k + batch])
            e, em = pad(torch, prem[k:k + batch])
            out += torch.sigmoid(head(c, cm, e, em)).tolist()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0, help="share of PER_SOURCE to use")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--width", type=int, default=WIDTH)
    ap.add_argument("--cache", default=str(DATA / "nli_encoded.pt"))
    args = ap.parse_args(argv)
    _, _, torch = _model()
    torch.manual_seed(0)
    cache = Path(args.cache)
    if cache.exists():
        saved = torch.load(cache)
        pairs, hyp, prem = saved["pairs"], saved["hyp"], saved["prem"]
        print(f"encoded pairs from {cache}: {len(pairs)}")
    else:
        pairs = load_pairs(args.scale)
        print(f"{len(pairs)} pairs: {dict(Counter(p['file'] for p in pairs))}")
        prem = encode([window(p["premise"], p["hypothesis"]) for p in pairs])
        hyp = encode([p["hypothesis"] for p in pairs])
        torch.save({"pairs": pairs, "hyp": hyp, "prem": prem}, cache)
    test = [i for i, p in enumerate(pairs) if held_out(p)]
    train = [i for i, p in enumerate(pairs) if not held_out(p)]
    y = torch.tensor([float(p["label"]) for p in pairs])
    # every source weighs the same, and within it both classes
    by = Counter((pairs[i]["file"], pairs[i]["label"]) for i in train)
    files = {pairs[i]["file"] for i in train}
    weight = torch.tensor([len(train) / (2 * len(files) * by[(p["file"], p["label"])])
                           if (p["file"], p["label"]) in by else 0.0 for p in pairs])
    head = build_head(torch, width=args.width)
    opt = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-4)
    steps = args.epochs * (len(train) // 64 + 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    rng = random.Random(0)
    t0 = time.time()
    for epoch in range(args.epochs):
        head.train()
        rng.shuffle(train)
        total = 0.0
        for k in range(0, len(train), 64):
            idx = train[k:k + 64]
            c, cm = pad(torch, [hyp[i] for i in idx])
            e, em = pad(torch, [prem[i] for i in idx])
            logits = head(c, cm, e, em)
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y[idx], reduction="none") * weight[idx]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        p = predict(torch, head, [hyp[i] for i in test], [prem[i] for i in test])
        yt = [int(y[i]) for i in test]
        print(f"epoch {epoch + 1}: loss {total / len(train):.4f}, held-out AUROC "
              f"{auroc(p, yt):.3f}, bacc {balanced_accuracy([int(v > 0.5) for v in p], yt):.3f}"
              f" ({time.time() - t0:.0f}s)", flush=True)
    p = predict(torch, head, [hyp[i] for i in test], [prem[i] for i in test])
    report = {}
    for name in sorted({pairs[i]["file"] for i in test}):
        rows = [(v, int(y[i])) for v, i in zip(p, test, strict=True) if pairs[i]["file"] == name]
        ps, ys = [a for a, _ in rows], [b for _, b in rows]
        report[name] = {"n": len(rows), "auroc": auroc(ps, ys),
                        "bacc": balanced_accuracy([int(v > 0.5) for v in ps], ys)}
        print(f"  {name:20s} n={len(rows):5d} AUROC {report[name]['auroc'] or 0:.3f} "
              f"bacc {report[name]['bacc'] or 0:.3f}")
    import numpy as np

    arrays = export(head)
    with OUT.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    meta = {"pairs_train": len(train), "pairs_heldout": len(test), "epochs": args.epochs,
            "width": args.width, "heldout": report,
            "sources": dict(Counter(p["file"] for p in pairs))}
    (DATA / "nli_head_report.json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

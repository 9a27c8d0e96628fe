"""The version-2 injection classifier's trainer, kept for bench/accuracy_safety.py's
bag-of-words baseline. The shipped classifier (version 3) is trained by
training/injection.py; `--out` no longer defaults to the shipped model file.

    python bench/train_injection.py [--data ../shared/data/dev] [--out PATH] [--ngram-l2 F]

Training data: the tuning split of `jailbreak-in-the-wild` (rows whose id hashes into the
first 60%; the rest is held out for bench/accuracy_safety.py) plus the hand-written indirect
injection tuning set `tests/fixtures/safety/indirect_dev.jsonl`. The held-out indirect set
(`indirect_heldout.jsonl`) is never read here.

Model: logistic regression, class-balanced, fitted by full-batch gradient descent (numpy,
needed only here; inference is pure Python). Rule features get a light L2 penalty; the hashed
n-gram weights a heavy one, so vocabulary cannot outvote intent.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.scoring.safety.injection_model import ngram_features  # noqa: E402
from harness.scoring.safety.injection_rules import FEATURES, rule_hits  # noqa: E402

BUCKETS = 4096
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dev"
DEFAULT_OUT = ROOT / "bench" / "injection_model_v2.json"
FIXTURES = ROOT / "tests" / "fixtures" / "safety"


def is_tuning(row_id: str) -> bool:
    """The 60% of rows used for training and tuning; bench scripts hold out the rest."""
    return int(hashlib.sha256(row_id.encode()).hexdigest()[:8], 16) % 10 < 6


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def training_rows(data: Path) -> list[tuple[str, int]]:
    jailbreaks = read_jsonl(data / "jailbreak-in-the-wild" / "data.jsonl")
    rows = [(r["text"], int(r["label"] == "attack")) for r in jailbreaks if is_tuning(r["id"])]
    indirect = read_jsonl(FIXTURES / "indirect_dev.jsonl")
    return rows + [(r["text"], int(r["label"] == "injection")) for r in indirect]


def matrices(rows: list[tuple[str, int]]) -> tuple[Any, Any, Any]:
    import numpy as np

    rules = np.zeros((len(rows), len(FEATURES)))
    grams = np.zeros((len(rows), BUCKETS))
    for i, (text, _) in enumerate(rows):
        values = rule_hits(text).values
        rules[i] = [values[name] for name in FEATURES]
        for key, value in ngram_features(text, BUCKETS).items():
            grams[i, key] = value
    labels = np.array([label for _, label in rows], dtype=float)
    return rules, grams, labels


# Prior weights for the rule features: what one match of each means on its own, from what
# the rule names (an explicit "ignore previous instructions" is an attack wherever it
# appears, whether or not the small training set has many of them). The L2 penalty pulls
# the fitted weights toward these rather than toward zero.
PRIOR = {
    "override": 3.0, "reveal_prompt": 2.5, "exfiltration": 2.0, "link_exfil": 2.0,
    "fake_system": 2.0, "unrestricted": 2.0, "addressed_to_ai": 2.0, "secrecy": 1.5,
    "hidden_markup": 1.0, "invisible_chars": 1.0, "role_override": 1.5, "task_hijack": 1.5,
    "tool_abuse": 1.5, "must_comply": 0.5, "policy_talk": 0.5, "jailbreak_frame": 0.5,
    "ai_self": 0.5,
}


# Weights of the rules that only score documents (retrieved passages, e-mails): set by hand
# from what one match means, not fitted, since the public indirect data is small. Directing
# the assistant's output from inside a document is an attack on its own (one match crosses
# 0.5); a task or question put to the reader also occurs in ordinary mail ("Create a
# password"), so it raises the score without deciding alone.
DOCUMENT_WEIGHTS = {"directs_output": 2.5, "task_request": 0.8}


def fit(rules: Any, grams: Any, y: Any, rule_l2: float, ngram_l2: float,
        steps: int = 4000, lr: float = 0.5) -> tuple[Any, Any, float]:
    import numpy as np

    x = np.hstack([rules, grams])
    names = FEATURES[: rules.shape[1]]
    prior = np.concatenate([[PRIOR.get(n, 0.0) for n in names], np.zeros(grams.shape[1])])
    penalty = np.concatenate([np.full(rules.shape[1], rule_l2), np.full(grams.shape[1], ngram_l2)])
    pos = y.mean()
    sample_w = np.where(y == 1, 0.5 / pos, 0.5 / (1 - pos))
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = sample_w * (p - y) / len(y)
        w -= lr * (x.T @ g + penalty * (w - prior))
        b -= lr * g.sum()
    return w[: rules.shape[1]], w[rules.shape[1]:], float(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--rule-l2", type=float, default=0.05)
    parser.add_argument("--ngram-l2", type=float, default=0.05)
    parser.add_argument("--features", choices=["both", "rules", "ngrams"], default="both",
                        help="rules or ngrams alone are the baselines bench/ compares with")
    args = parser.parse_args()
    rows = training_rows(args.data)
    model = train(rows, args.features, args.rule_l2, args.ngram_l2)
    args.out.write_text(json.dumps(model, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(rows)} rows, {model['trained_on']['positives']} positive)")
    for name, w in sorted(model["rule_weights"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:18s} {w:+.3f}")


def train(rows: list[tuple[str, int]], features: str = "both", rule_l2: float = 0.05,
          ngram_l2: float = 0.05) -> dict[str, Any]:
    """Fit on `rows` and return the model as the JSON-ready dict `injection_model` reads."""
    rules, grams, y = matrices(rows)
    if features == "rules":
        grams = grams[:, :0]
    if features == "ngrams":
        rules = rules[:, :0]
    rule_w, gram_w, bias = fit(rules, grams, y, rule_l2, ngram_l2)
    rule_names = FEATURES if features != "ngrams" else ()
    return {
        "version": "1",
        "bias": round(bias, 4),
        "buckets": BUCKETS,
        "rule_weights": {n: round(float(w), 4) for n, w in zip(rule_names, rule_w, strict=True)},
        "document_weights": dict(DOCUMENT_WEIGHTS) if features != "ngrams" else {},
        "ngram_weights": {str(i): round(float(w), 4) for i, w in enumerate(gram_w)
                          if abs(w) >= 5e-4},
        "trained_on": {
            "jailbreak-in-the-wild": "tuning split (sha256(id) % 10 < 6)",
            "indirect_dev": "tests/fixtures/safety/indirect_dev.jsonl",
            "document_weights": "set by hand (DOCUMENT_WEIGHTS), written on BIPIA's training "
                                "attacks",
            "rows": len(rows), "positives": int(y.sum()), "features": features,
            "rule_l2": rule_l2, "ngram_l2": ngram_l2,
        },
    }


if __name__ == "__main__":
    main()

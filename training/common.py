"""Shared pieces of the training scripts: fitting, exporting, calibrating and measuring.

Training needs numpy and scikit-learn (`pip install -e '.[train]'`); the exported models
are JSON that `harness/scoring/learned/model.py` runs in pure Python.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(__import__("os").environ.get("HARNESS_TRAIN_DATA", ROOT.parent / "data"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fit_gbdt(X: Any, y: Any, w: Any = None, *, trees: int = 200, depth: int = 3,
             rate: float = 0.1, seed: int = 0, monotonic: Sequence[int] | None = None,
             leaf: int = 40) -> Any:
    """Histogram gradient boosting; `monotonic` (+1/-1/0 per feature) encodes what a
    feature must mean (more support can only lower P(unsupported)), which keeps the model
    from learning a data set's accidents that reverse on another."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=trees, max_depth=depth, learning_rate=rate, min_samples_leaf=leaf,
        l2_regularization=1.0, monotonic_cst=list(monotonic) if monotonic else None,
        early_stopping=False, random_state=seed)
    model.fit(X, y, sample_weight=w)
    return model


def export_gbdt(model: Any, features: Sequence[str]) -> dict[str, Any]:
    """sklearn's HistGradientBoostingClassifier as {base, trees}: logit = base + sum(trees);
    a node goes left when x <= threshold; a leaf has feature -1."""
    base = float(np.asarray(model._baseline_prediction).ravel()[0])
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        feature = [-1 if n["is_leaf"] else int(n["feature_idx"]) for n in nodes]
        trees.append([feature, [float(n["num_threshold"]) for n in nodes],
                      [int(n["left"]) for n in nodes], [int(n["right"]) for n in nodes],
                      [round(float(n["value"]), 6) for n in nodes]])
    return {"kind": "gbdt", "features": list(features), "base": round(base, 6), "trees": trees}


def fit_isotonic(p: Sequence[float], y: Sequence[int], w: Sequence[float] | None = None,
                 points: int = 40) -> dict[str, Any]:
    """Isotonic map raw p -> P(y=1), thinned to at most `points` knots."""
    import numpy as np
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.001, y_max=0.999)
    iso.fit(np.asarray(p), np.asarray(y), sample_weight=None if w is None else np.asarray(w))
    xs = np.quantile(np.asarray(p), np.linspace(0, 1, points))
    xs = np.unique(np.concatenate([[0.0], xs, [1.0]]))
    ys = iso.predict(xs)
    ys = np.maximum.accumulate(ys)
    return {"kind": "isotonic", "x": [round(float(v), 5) for v in xs],
            "y": [round(float(v), 5) for v in ys]}


def fit_platt(p: Sequence[float], y: Sequence[int], w: Sequence[float] | None = None
              ) -> dict[str, Any]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    z = np.log(p / (1 - p)).reshape(-1, 1)
    lr = LogisticRegression(C=100.0).fit(z, np.asarray(y), sample_weight=w)
    return {"kind": "platt", "a": round(float(lr.coef_[0, 0]), 5),
            "b": round(float(lr.intercept_[0]), 5)}


def balance_weights(y: Sequence[int]) -> list[float]:
    pos = sum(y)
    neg = len(y) - pos
    return [0.5 / pos if v else 0.5 / neg for v in y] if pos and neg else [1.0] * len(y)


# ---- measures ----

def auroc(scores: Sequence[float], y: Sequence[int]) -> float | None:
    pairs = sorted(zip(scores, y, strict=True))
    pos = sum(y)
    neg = len(y) - pos
    if not pos or not neg:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg = (i + j + 1) / 2
        rank_sum += avg * sum(lab for _, lab in pairs[i:j])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def balanced_accuracy(pred: Sequence[int], y: Sequence[int]) -> float | None:
    tp = sum(1 for a, b in zip(pred, y, strict=True) if a and b)
    tn = sum(1 for a, b in zip(pred, y, strict=True) if not a and not b)
    pos = sum(y)
    neg = len(y) - pos
    if not pos or not neg:
        return None
    return 0.5 * (tp / pos + tn / neg)


def ece(confidence: Sequence[float], correct: Sequence[int], bins: int = 10) -> float:
    """Expected calibration error of 'this verdict is right' (equal-width bins)."""
    n = len(confidence)
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidence) if lo <= c < hi or (b == bins - 1 and c == 1)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidence[i] for i in idx) / len(idx)
            total += len(idx) / n * abs(acc - conf)
    return total


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def bootstrap(fn: Any, y: Sequence[int], *cols: Sequence[Any], reps: int = 400, seed: int = 0
              ) -> tuple[float, float]:
    """95% percentile interval of fn(*cols, y) over stratified bootstrap resamples."""
    rng = random.Random(seed)
    pos = [i for i, v in enumerate(y) if v]
    neg = [i for i, v in enumerate(y) if not v]
    vals = []
    for _ in range(reps):
        idx = [rng.choice(pos) for _ in pos] + [rng.choice(neg) for _ in neg]
        v = fn(*[[c[i] for i in idx] for c in cols], [y[i] for i in idx])
        if v is not None:
            vals.append(v)
    vals.sort()
    if not vals:
        return (float("nan"), float("nan"))
    return vals[int(0.025 * len(vals))], vals[min(len(vals) - 1, int(0.975 * len(vals)))]


def risk_coverage(confidence: Sequence[float], correct: Sequence[int],
                  levels: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
                  ) -> list[tuple[float, float, float | None, int]]:
    """(min_confidence, coverage, accuracy of the covered rows, n covered) per level."""
    n = len(confidence)
    out = []
    for level in levels:
        idx = [i for i, c in enumerate(confidence) if c >= level]
        acc = sum(correct[i] for i in idx) / len(idx) if idx else None
        out.append((level, len(idx) / n if n else 0.0, acc, len(idx)))
    return out


def confident_half_gain(confidence: Sequence[float], correct: Sequence[int]) -> float:
    """Accuracy of the most confident half minus accuracy of all rows."""
    order = sorted(range(len(confidence)), key=lambda i: -confidence[i])
    half = order[: max(1, len(order) // 2)]
    return sum(correct[i] for i in half) / len(half) - sum(correct) / len(correct)


def write_model(path: Path, model: dict[str, Any]) -> None:
    path.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")

"""Pure-Python inference for the shipped learned models (no numpy needed in the core).

A model file is JSON written by `training/common.py`:

    {"name", "version", "kind": "gbdt" | "logistic", "features": [names...],
     "base": float, "trees": [[feature, threshold, left, right, value]...]...,
     "weights": [...] (logistic), "hashed": {"buckets": int, "weights": {bucket: w}},
     "calibration": {"kind": "isotonic", "x": [...], "y": [...]} | {"kind": "platt", "a", "b"},
     "trained_on": {...}, "metrics": {...}}

Trees are stored as parallel arrays per node: a leaf has feature -1 and carries its value.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class Calibration:
    """Maps a raw model probability to a calibrated one (isotonic steps, interpolated)."""

    kind: str = "identity"
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Calibration:
        if not data:
            return cls()
        if data["kind"] == "platt":
            return cls("platt", a=float(data["a"]), b=float(data["b"]))
        return cls("isotonic", tuple(map(float, data["x"])), tuple(map(float, data["y"])))

    def __call__(self, p: float) -> float:
        if self.kind == "platt":
            logit = math.log(max(p, 1e-9) / max(1 - p, 1e-9))
            return sigmoid(self.a * logit + self.b)
        if self.kind != "isotonic" or not self.x:
            return p
        xs, ys = self.x, self.y
        if p <= xs[0]:
            return ys[0]
        if p >= xs[-1]:
            return ys[-1]
        i = bisect.bisect_right(xs, p)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (p - x0) / (x1 - x0)


@dataclass(frozen=True)
class Tree:
    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    def __call__(self, x: Sequence[float]) -> float:
        node = 0
        feature, threshold, left, right = self.feature, self.threshold, self.left, self.right
        while feature[node] >= 0:
            node = left[node] if x[feature[node]] <= threshold[node] else right[node]
        return self.value[node]


@dataclass(frozen=True)
class LearnedModel:
    name: str
    version: str
    kind: str
    features: tuple[str, ...]
    base: float
    trees: tuple[Tree, ...] = ()
    weights: tuple[float, ...] = ()
    buckets: int = 0
    hashed: Mapping[int, float] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration)
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearnedModel:
        trees = tuple(
            Tree(tuple(int(v) for v in t[0]), tuple(map(float, t[1])), tuple(map(int, t[2])),
                 tuple(map(int, t[3])), tuple(map(float, t[4])))
            for t in data.get("trees", ())
        )
        hashed = data.get("hashed") or {}
        return cls(
            name=data["name"], version=str(data["version"]), kind=data["kind"],
            features=tuple(data["features"]), base=float(data["base"]), trees=trees,
            weights=tuple(map(float, data.get("weights", ()))),
            buckets=int(hashed.get("buckets", 0)),
            hashed={int(k): float(v) for k, v in hashed.get("weights", {}).items()},
            calibration=Calibration.from_json(data.get("calibration")),
            meta={k: data[k] for k in ("trained_on", "metrics", "threshold") if k in data},
        )

    def vector(self, features: Mapping[str, float]) -> list[float]:
        return [float(features.get(name, 0.0)) for name in self.features]

    def raw_logit(self, x: Sequence[float], hashed: Mapping[int, float] | None = None) -> float:
        if self.kind == "gbdt":
            out = self.base + sum(tree(x) for tree in self.trees)
        else:
            out = self.base + sum(w * v for w, v in zip(self.weights, x, strict=True))
        if hashed and self.hashed:
            out += sum(self.hashed.get(k, 0.0) * v for k, v in hashed.items())
        return out

    def raw_probability(self, features: Mapping[str, float],
                        hashed: Mapping[int, float] | None = None) -> float:
        return sigmoid(self.raw_logit(self.vector(features), hashed))

    def probability(self, features: Mapping[str, float],
                    hashed: Mapping[int, float] | None = None) -> float:
        """Calibrated probability of the positive class."""
        return self.calibration(self.raw_probability(features, hashed))


@cache
def load(package: str, filename: str) -> LearnedModel:
    """A model shipped as package data, read once per process."""
    text = resources.files(package).joinpath(filename).read_text("utf-8")
    return LearnedModel.from_json(json.loads(text))

"""The training scripts' shared parts: exported trees reproduce scikit-learn's predictions,
calibration maps are monotone, synthetic corruptions are what they say, dev rows are kept out."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from common import export_gbdt, fit_gbdt, fit_isotonic  # noqa: E402
from corrupt import corruptions  # noqa: E402
from dedupe import in_dev  # noqa: E402

from harness.scoring.learned.model import Calibration, LearnedModel  # noqa: E402


def test_exported_trees_reproduce_the_fitted_model() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 3))
    y = (X[:, 0] - X[:, 1] ** 2 + rng.normal(size=1500) > 0).astype(int)
    fitted = fit_gbdt(X, y, trees=40, depth=3, monotonic=[1, 0, 0])
    model = LearnedModel.from_json({"name": "t", "version": "1", **export_gbdt(fitted, "abc")})
    ours = [model.raw_probability(dict(zip("abc", x, strict=True))) for x in X[:50]]
    assert np.allclose(ours, fitted.predict_proba(X[:50])[:, 1], atol=1e-5)


def test_isotonic_calibration_is_monotone() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(size=800)
    y = (rng.uniform(size=800) < p**2).astype(int)
    cal = Calibration.from_json(fit_isotonic(p.tolist(), y.tolist()))
    values = [cal(x) for x in np.linspace(0, 1, 30)]
    assert values == sorted(values) and values[-1] > values[0]


def test_corruptions_change_the_claim_and_say_how() -> None:
    passage = ("The bridge opened in 1932 in Sydney after eight years of work. It was "
               "designed by John Bradfield and carries eight lanes of traffic.")
    other = "The Golden Gate Bridge was built in San Francisco and opened in 1937."
    made = list(corruptions(passage, other, random.Random(0)))
    assert any(label == 0 for _, label, _ in made) and any(label == 1 for _, label, _ in made)
    for claim, label, how in made:
        if label:
            assert claim not in passage and how != "copy"


def test_dev_rows_are_recognised_under_another_name() -> None:
    row = (Path(__file__).resolve().parents[2] / "shared" / "data" / "dev" /
           "jailbreak-in-the-wild" / "data.jsonl")
    if not row.exists():
        pytest.skip("the shared dev data is not beside this checkout")
    import json

    first = json.loads(row.read_text("utf-8").splitlines()[0])["text"]
    assert in_dev("  " + first.upper() + " ")
    assert not in_dev("A sentence that no development set holds, written for this test.")


def test_synthetic_agent_pairs_differ_only_in_one_field_of_about_the_same_length() -> None:
    pytest.importorskip("faker")
    from agent_tools import CALIB_FAMILIES, TRAIN_FAMILIES, agent_rows

    rows = agent_rows(60, seed=4)
    assert len(rows) == 120
    kinds = set()
    for clean, inj in zip(rows[::2], rows[1::2], strict=True):
        assert clean["id"].endswith("-clean") and inj["id"].endswith("-inj")
        assert (clean["label"], inj["label"]) == (0, 1) and clean["split"] == inj["split"]
        families = TRAIN_FAMILIES if inj["split"] == "train" else CALIB_FAMILIES
        assert inj["family"] in families
        assert "{" not in inj["payload"] and "}" not in inj["payload"]
        # about the same length: length is no cue to the label
        assert abs(len(clean["text"]) - len(inj["text"])) <= max(60, 0.3 * len(inj["text"]))
        kinds.add(clean["carrier"])
    assert len(kinds) >= 6

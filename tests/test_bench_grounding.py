"""bench/accuracy_grounding.py still runs: BEGIN's TSV is read, every setting is scored and
the page says which setting each target was judged with. Fixture rows written here."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "accuracy_grounding", ROOT / "bench" / "accuracy_grounding.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["accuracy_grounding"] = module
    spec.loader.exec_module(module)
    return module


KNOWLEDGE = "The museum opens at nine and closes at five. Entry for children is free."
ROWS = [
    ("Does it open early?", "It opens at nine and closes at five.", "supported"),
    ("Is it free?", "Entry for children is free.", "supported"),
    ("Cool!", "It opens at seven and closes at midnight.", "hallucinated"),
    ("Do you like museums?", "Yes! I go there every week.", "hallucinated"),
    ("Nice.", "Do you like sculpture?", "hallucinated"),
    ("When?", "The museum opens at nine.", "supported"),
]


def write_sets(folder: Path) -> None:
    for name in ("summedits", "halueval-qa", "begin-wow"):
        (folder / name).mkdir(parents=True)
        with (folder / name / "data.jsonl").open("w", encoding="utf-8") as f:
            for i, (q, r, label) in enumerate(ROWS):
                row = {"id": f"{name}-{i}", "context": KNOWLEDGE, "question": q}
                f.write(json.dumps({**row, "response": r, "label": label}) + "\n")


def write_tsv(path: Path) -> None:
    lines = ["model_name\tdata_source\tknowledge\tmessage\tresponse\tbegin_label"]
    labels = {"supported": "Fully attributable", "hallucinated": "Not fully attributable"}
    lines += [f"t5\twow\t{KNOWLEDGE}\t{q}\t{r}\t{labels[label]}" for q, r, label in ROWS]
    lines.append(f"t5\twow\t{KNOWLEDGE}\tHi\tOkay.\tGeneric")  # left out, as in the paper
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def test_begin_tsv_rows_keep_labels_and_leave_generic_out(
    bench: ModuleType, tmp_path: Path
) -> None:
    write_tsv(tmp_path / "dev.tsv")
    rows = bench.load_begin_tsv(tmp_path / "dev.tsv")
    assert [r.hallucinated for r in rows] == [label == "hallucinated" for *_, label in ROWS]
    assert rows[3].question == "Do you like museums?"


def test_page_names_each_setting_and_judges_begin_with_attribution_all(
    bench: ModuleType, tmp_path: Path
) -> None:
    write_sets(tmp_path / "data")
    write_tsv(tmp_path / "dev.tsv")
    params = bench.GroundingParams(type="grounding")
    lines, summary = bench.evaluate(tmp_path / "data", params, tmp_path / "dev.tsv")
    page = bench.page(lines, summary, params, "cmd", True)
    assert "| begin-wow (all) | all | 6 | 1.000 |" in page
    assert "| begin-wow (claims) | all | 6 |" in page  # the question-only row is n.a. there
    assert summary["begin-wow (claims)/not_applicable"] == 1
    assert "`begin-wow (all)`: held-out" in page and "**met**" in page
    assert "| begin-wow-dev (all) | all | 6 | 1.000 |" in page

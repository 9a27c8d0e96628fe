"""Several models in one run (issue 13, item 11): each shown as its own system, side by side,
in the run summary, `report` and `compare`; `gate` still decides one and says how to pick.

Real CLI, real SQLite, two `python:` models of the example project: the example one, and a
blunt one that never answers (so the two differ on the answerable cases)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness.store import RunStore, open_db
from harness.testing.cli import run_cli

GOOD, BLUNT = "python:example_model:answer", "python:blunt_model:answer"


harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "proj"
    assert harness(capsys, "init", str(folder))[0] == 0
    (folder / "blunt_model.py").write_text(
        "def answer(request):\n    return \"I don't know: the context does not say.\"\n",
        encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    for name in ("example_model", "blunt_model"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return folder


def _run(capsys: pytest.CaptureFixture[str], db: str, *models: str) -> tuple[str, str]:
    args = [a for m in models for a in ("--model", m)]
    code, out, err = harness(capsys, "run", "suite.yaml", "--db", db, *args)
    assert code in (0, 1), err
    return out, RunStore(open_db(db)).resolve_run_id("latest")


def test_run_summary_shows_one_row_per_model_and_labels_the_total(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = _run(capsys, str(tmp_path / "h.db"), GOOD, BLUNT)
    assert "by model" in out
    table = out[out.index("by model"):out.index("combined")]
    for model in (GOOD, BLUNT):
        assert model in table
    lines = [ln for ln in table.splitlines() if GOOD in ln or BLUNT in ln]
    assert len(lines) == 2
    good = next(ln for ln in lines if GOOD in ln)
    blunt = next(ln for ln in lines if BLUNT in ln)
    assert good != blunt.replace(BLUNT, GOOD)  # their own numbers, not the total twice
    assert "%" in good and "ms" in good and "$" in good  # rates with intervals, latency, cost
    assert "all 2 models combined (not one system)" in out


def test_single_model_summary_has_no_model_table(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = _run(capsys, str(tmp_path / "h.db"), GOOD)
    assert "by model" not in out and "combined" not in out


def test_report_shows_models_side_by_side_and_one_with_model(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.db")
    _, run_id = _run(capsys, db, GOOD, BLUNT)
    code, md, err = harness(capsys, "report", run_id, "--format", "md", "-o", "-", "--db", db)
    assert code == 0, err
    assert "2 models side by side" in md
    head = next(ln for ln in md.splitlines() if ln.startswith("| metric"))
    assert f"`{GOOD}`" in head and f"`{BLUNT}`" in head
    assert any(ln.startswith("| pass_rate |") for ln in md.splitlines())
    assert "Cases that differ between models" in md
    assert "`refund-window`" in md  # the example model answers it; the blunt one does not

    code, html, err = harness(capsys, "report", run_id, "--format", "html", "-o", "-",
                              "--db", db)
    assert code == 0, err
    assert "Metrics by model" in html and GOOD in html and BLUNT in html
    assert "<script" not in html

    code, text, err = harness(capsys, "report", run_id, "--format", "json", "-o", "-",
                              "--db", db)
    assert code == 0, err
    report = json.loads(text)
    assert report["models"]["models"] == sorted([GOOD, BLUNT])
    assert {c["case_id"] for c in report["models"]["differing_cases"]} >= {"refund-window"}
    assert set(report["summary"]["by_model"]) == {GOOD, BLUNT}

    # --model: today's single-model views, of that model only
    code, md, err = harness(capsys, "report", run_id, "--format", "md", "-o", "-",
                            "--model", GOOD, "--db", db)
    assert code == 0, err
    assert "harness gate" in md and "side by side" not in md
    code, text, err = harness(capsys, "report", run_id, "--format", "json", "-o", "-",
                              "--model", BLUNT, "--db", db)
    assert code == 0, err
    one = json.loads(text)
    assert "models" not in one and one["model"] == BLUNT
    assert {c["model"] for c in one["cases"]} == {BLUNT}


def test_gate_needs_a_model_and_names_them(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.db")
    _, run_id = _run(capsys, db, GOOD, BLUNT)
    code, _, err = harness(capsys, "gate", run_id, "--db", db)
    assert code == 2
    flat = " ".join(err.split())
    assert GOOD in flat and BLUNT in flat
    assert f"--model {sorted([GOOD, BLUNT])[0]}" in flat  # how to pick, spelled out
    assert "side by side" in flat  # and where to see them all
    assert harness(capsys, "gate", run_id, "--model", GOOD, "--db", db)[0] in (0, 1)


def test_compare_pairs_models_by_name(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "h.db")
    _, base = _run(capsys, db, GOOD, BLUNT)
    _, cand = _run(capsys, db, BLUNT, GOOD)
    code, text, err = harness(capsys, "compare", base, cand, "--format", "json", "--db", db)
    assert code == 0, err
    pairs = json.loads(text)
    assert set(pairs["models"]) == {GOOD, BLUNT}
    assert pairs["only_in_base"] == [] and pairs["only_in_candidate"] == []
    code, md, err = harness(capsys, "compare", base, cand, "--format", "md", "--db", db)
    assert code == 0, err
    assert f"## model `{GOOD}`" in md and f"## model `{BLUNT}`" in md
    code, text, err = harness(capsys, "compare", base, cand, "--db", db)  # text: plain
    assert code == 0, err
    assert f"model {GOOD}" in text and f"model {BLUNT}" in text and "`" not in text

    # a run sharing one model: that pair is compared, the other listed
    _, single = _run(capsys, db, GOOD)
    code, text, err = harness(capsys, "compare", base, single, "--format", "json", "--db", db)
    assert code == 0, err
    pairs = json.loads(text)
    assert list(pairs["models"]) == [GOOD] and pairs["only_in_base"] == [BLUNT]

    # no model in common: refused, with both lists
    Path("other_model.py").write_text(
        "def answer(request):\n    return 'x'\n\n\ndef terse(request):\n    return 'y'\n",
        encoding="utf-8")
    _, other = _run(capsys, db, "python:other_model:answer", "python:other_model:terse")
    code, _, err = harness(capsys, "compare", base, other, "--db", db)
    assert code == 2
    flat = " ".join(err.split())
    assert "share no model" in flat and GOOD in flat and "python:other_model:answer" in flat


# --------------------------------------------------------------------------- prompts


PROMPTS = '''prompts:
  with-context:
    system: You answer only from the provided context. If it is not there, say you don't know.
    template: |
      Context:
      {% for doc in context %}[{{ loop.index }}] {{ doc }}
      {% endfor %}
      Question: {{ question }}
  bare:
    template: "Question: {{ question }}"
'''


def _with_prompts(project: Path, prompts: str = PROMPTS, model: str | None = None) -> None:
    """The example suite with its one `prompt:` replaced by named `prompts:` variants."""
    suite = project / "suite.yaml"
    text = suite.read_text(encoding="utf-8")
    start, end = text.index("prompt:\n"), text.index("rubric:")
    text = text[:start] + prompts + text[end:]
    if model is not None:
        text = text.replace("model: python:example_model:answer", model)
    suite.write_text(text, encoding="utf-8")


def test_prompts_times_models_is_one_run_with_one_row_each(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_prompts(project)
    db = str(tmp_path / "h.db")
    out, run_id = _run(capsys, db, GOOD, BLUNT)
    variants = [f"{m}@{p}" for m in (GOOD, BLUNT) for p in ("with-context", "bare")]
    table = out[out.index("by model"):out.index("combined")]
    for v in variants:
        assert v in table
    assert "all 4 models combined (not one system)" in out
    store = RunStore(open_db(db))
    rows = list(store.iter_results(run_id))
    assert sorted({r["model"] for r in rows}) == sorted(variants)
    outcome = {(r["case_id"], r["model"]): r["outcome"] for r in rows}
    # the prompt is what differs: the example model finds the answer only in the context
    assert outcome[("refund-window", f"{GOOD}@with-context")] == "pass"
    assert outcome[("refund-window", f"{GOOD}@bare")] == "fail"

    code, md, err = harness(capsys, "report", run_id, "--format", "md", "-o", "-", "--db", db)
    assert code == 0, err
    assert "4 models side by side" in md
    head = next(ln for ln in md.splitlines() if ln.startswith("| metric"))
    assert all(f"`{v}`" in head for v in variants)
    code, _, err = harness(capsys, "gate", run_id, "--model", f"{GOOD}@bare", "--db", db)
    assert code in (0, 1), err


def test_dry_run_renders_each_prompt_once_per_case(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_prompts(project)
    code, out, err = harness(capsys, "run", "suite.yaml", "--dry-run", "--case",
                             "refund-window")
    assert code == 0, err
    assert "2 models" in out and f"model {GOOD}@bare ({GOOD})" in out
    assert out.count("--- case refund-window") == 2
    assert "(prompt bare)" in out and "(prompt with-context)" in out
    assert "[1] Refunds are accepted within 30 days of purchase." in out  # with-context


def test_a_model_pinned_to_one_prompt_runs_only_that_one(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_prompts(project, model=f"model: [{{ref: {GOOD!r}, prompt: bare}}]")
    db = str(tmp_path / "h.db")
    _, run_id = _run(capsys, db)
    models = {r["model"] for r in RunStore(open_db(db)).iter_results(run_id)}
    assert models == {f"{GOOD}@bare"}


def test_prompts_are_checked_when_the_suite_loads(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = project / "suite.yaml"
    original = suite.read_text(encoding="utf-8")
    _with_prompts(project, PROMPTS.replace("{{ question }}\"", "{{ nope }}\""))
    code, _, err = harness(capsys, "check", "suite.yaml")
    assert code == 2 and "prompts.bare.template" in err and "nope" in err

    suite.write_text(original.replace("rubric:", PROMPTS + "rubric:", 1), encoding="utf-8")
    code, _, err = harness(capsys, "check", "suite.yaml")
    assert code == 2 and "not both" in err

    _with_prompts(project, model=f"model: [{{ref: {GOOD!r}, prompt: nope}}]")
    code, _, err = harness(capsys, "run", "suite.yaml", "--dry-run")
    assert code == 2 and "no prompt 'nope'" in err and "with-context, bare" in err


def test_a_prompts_run_resumes_with_each_models_own_prompt(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flag = tmp_path / "up"
    (project / "flaky_model.py").write_text(
        "import os\nimport example_model\n\n\ndef answer(request):\n"
        f"    if not os.path.exists({str(flag)!r}):\n"
        "        raise RuntimeError('down')\n"
        "    return example_model.answer(request)\n", encoding="utf-8")
    _with_prompts(project, model="model: python:flaky_model:answer")
    db = str(tmp_path / "h.db")
    code, _, _ = harness(capsys, "run", "suite.yaml", "--db", db)
    assert code == 3  # every result an error: incomplete
    run_id = RunStore(open_db(db)).resolve_run_id("latest")
    flag.write_text("", encoding="utf-8")
    code, out, err = harness(capsys, "run", "suite.yaml", "--db", db, "--resume", run_id,
                             "--retry-errors")
    assert code in (0, 1), err
    rows = {(r["case_id"], r["model"]): r["outcome"]
            for r in RunStore(open_db(db)).iter_results(run_id)}
    flaky = "python:flaky_model:answer"
    assert rows[("refund-window", f"{flaky}@with-context")] == "pass"
    assert rows[("refund-window", f"{flaky}@bare")] == "fail"

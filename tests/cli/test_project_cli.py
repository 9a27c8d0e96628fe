"""Issue 13, item 16: `harness init`, `harness list`, running a subset (`--case`,
`--filter-tag`, `--limit`), `--dry-run`, `harness delete` and `harness cache`. Real SQLite,
the real CLI; the models are the `python:` example of `harness init` (offline, no key)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from harness.models import RunSpec
from harness.store import RunStore, open_db
from harness.testing.cli import run_cli

harness = run_cli  # (exit code, stdout, stderr) of `harness ARGS...`


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Path:
    """`harness init` into a new folder, which becomes the working directory. The folder is
    also put on sys.path, so `python:example_model:answer` imports whether or not the
    suite's own folder is searched (both are what a user gets running from that folder)."""
    folder = tmp_path / "proj"
    code, out, err = harness(capsys, "init", str(folder))
    assert code == 0, err
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "example_model", raising=False)
    return folder


def db_of(tmp_path: Path) -> str:
    return str(tmp_path / "h.db")


def store_of(path: str) -> RunStore:
    return RunStore(open_db(path))


# --------------------------------------------------------------------------- init


def test_init_writes_a_project_that_checks_and_runs(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sorted(p.name for p in project.iterdir()) == [
        "example_model.py", "rubric.yaml", "suite.yaml"]
    code, out, err = harness(capsys, "check", "suite.yaml", "rubric.yaml")
    assert code == 0, err
    assert "ok suite.yaml: suite example v1: 4 cases" in out
    assert "warning" not in err
    db = db_of(tmp_path)
    code, out, err = harness(capsys, "run", "suite.yaml", "--db", db)
    assert code == 0, err
    assert "pass 4  fail 0  error 0  of 4 results" in out
    assert "subset run" not in out
    assert not (project / "harness.db").exists()  # --db was honoured


def test_init_prints_next_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = harness(capsys, "init", str(tmp_path / "new"))
    assert code == 0
    assert f"cd {tmp_path / 'new'}" in out
    assert "harness check suite.yaml" in out and "harness run suite.yaml" in out


def test_init_refuses_to_overwrite_naming_the_files_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "suite.yaml").write_text("mine\n", encoding="utf-8")
    (folder / "notes.txt").write_text("kept\n", encoding="utf-8")
    code, out, err = harness(capsys, "init", str(folder))
    assert code == 2
    assert str(folder / "suite.yaml") in err and "--force" in err
    assert "Traceback" not in err
    assert (folder / "suite.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (folder / "rubric.yaml").exists()  # nothing at all was written
    code, _, err = harness(capsys, "init", str(folder), "--force")
    assert code == 0, err
    assert (folder / "suite.yaml").read_text(encoding="utf-8").startswith("# A harness suite")
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "kept\n"


def test_init_into_a_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "afile"
    target.write_text("x", encoding="utf-8")
    code, _, err = harness(capsys, "init", str(target))
    assert code == 2 and "Traceback" not in err


# --------------------------------------------------------------------------- list


def test_list_providers_and_checks_plain_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = harness(capsys, "list", "providers")
    assert code == 0
    for name in ("openai", "anthropic", "python", "http", "local"):
        assert name in out
    code, out, _ = harness(capsys, "list", "providers", "--json")
    rows = json.loads(out)
    assert {r["name"] for r in rows} >= {"openai", "anthropic", "python", "http", "local"}
    assert all(r["description"] and r["source"] == "builtin" for r in rows
               if r["name"] == "openai")
    code, out, _ = harness(capsys, "list", "checks")
    assert code == 0 and "contains" in out and "grounding" in out
    code, out, _ = harness(capsys, "list", "checks", "--json")
    rows = json.loads(out)
    from harness.scoring.registry import scorers

    assert [r["type"] for r in rows] == sorted(scorers())
    assert all(r["description"] and r["version"] for r in rows)


def test_every_builtin_check_type_has_a_description() -> None:
    from harness.scoring.registry import BUILTIN_MODULES, DESCRIPTIONS

    assert set(DESCRIPTIONS) == set(BUILTIN_MODULES)


# --------------------------------------------------------------------------- subsets


def spec_of(db: str, run_id: str = "latest") -> tuple[dict[str, object], RunSpec]:
    run = store_of(db).get_run(run_id)
    return run, RunSpec.model_validate(run["spec"])


def test_case_filter_tag_and_limit_select_and_are_recorded(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = db_of(tmp_path)
    code, out, err = harness(capsys, "run", "suite.yaml", "--db", db,
                             "--case", "*-shipping", "--case", "refund-window")
    assert code == 0, err
    assert "of 2 results" in out
    assert "subset run: 2 of 4 cases (--case *-shipping, --case refund-window)" in out
    run, spec = spec_of(db)
    assert spec.selection is not None
    assert spec.selection.selected == ("refund-window", "free-shipping")  # file order
    assert spec.selection.n_suite == 4 and spec.n_cases == 2 and run["n_planned"] == 2
    assert sorted(store_of(db).get_cases(run["id"])) == ["free-shipping", "refund-window"]

    code, out, err = harness(capsys, "run", "suite.yaml", "--db", db, "--filter-tag",
                             "shipping", "--filter-tag", "abstain", "--limit", "2")
    assert code == 0, err
    _, spec = spec_of(db)
    assert spec.selection is not None
    assert spec.selection.selected == ("free-shipping", "dispatch-time")
    assert spec.selection.tags == ("shipping", "abstain") and spec.selection.limit == 2

    # kinds narrow each other: refund cases tagged critical
    code, out, err = harness(capsys, "run", "suite.yaml", "--db", db, "--case", "*",
                             "--filter-tag", "critical")
    assert code == 0, err
    _, spec = spec_of(db)
    assert spec.selection is not None
    assert spec.selection.selected == ("refund-window", "not-in-context")


@pytest.mark.parametrize(("args", "named"), [
    (["--case", "refund-windw"], "refund-windw"),
    (["--case", "zzz-*"], "zzz-*"),
    (["--filter-tag", "bililng"], "bililng"),
    (["--case", "dispatch-time", "--filter-tag", "billing"], "nothing to run"),
])
def test_a_selection_that_matches_nothing_is_exit_2_naming_it(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str], args: list[str],
    named: str,
) -> None:
    db = db_of(tmp_path)
    code, _, err = harness(capsys, "run", "suite.yaml", "--db", db, *args)
    assert code == 2
    assert named in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert store_of(db).list_runs() == []  # no run was made


def test_limit_must_be_positive(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = harness(capsys, "run", "suite.yaml", "--db", db_of(tmp_path), "--limit", "0")
    assert code == 2 and "Traceback" not in err


def test_resume_keeps_the_subset_and_refuses_new_filters(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = db_of(tmp_path)
    code, _, err = harness(capsys, "run", "suite.yaml", "--db", db, "--filter-tag", "shipping")
    assert code == 0, err
    store = store_of(db)
    run_id = store.resolve_run_id("latest")
    # as if interrupted before its last result was written
    with store.db.conn:
        store.db.execute("DELETE FROM scores WHERE result_id = (SELECT MAX(id) FROM results)")
        store.db.execute("DELETE FROM results WHERE id = (SELECT MAX(id) FROM results)")
    store.set_status(run_id, "interrupted")
    code, _, err = harness(capsys, "run", "--resume", run_id, "--db", db, "--case", "x")
    assert code == 2 and "--resume" in err
    code, out, err = harness(capsys, "run", "--resume", run_id, "--db", db)
    assert code == 0, err
    assert "1 to send" in err
    results = list(store_of(db).iter_results(run_id))
    assert sorted(r["case_id"] for r in results) == ["dispatch-time", "free-shipping"]
    assert "subset run: 2 of 4 cases" in out


def test_the_gate_says_a_subset_run_is_a_subset(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.analysis.gate import run_gate

    db = db_of(tmp_path)
    assert harness(capsys, "run", "suite.yaml", "--db", db)[0] == 0
    base = store_of(db).resolve_run_id("latest")
    assert harness(capsys, "run", "suite.yaml", "--db", db, "--limit", "1")[0] == 0
    cand = store_of(db).resolve_run_id("latest")
    result = run_gate(store_of(db), cand, base)
    assert any(f"candidate {cand} is a subset run: 1 of 4 cases (--limit 1)" in w
               for w in result.warnings), result.warnings
    full = run_gate(store_of(db), base, None)
    assert not any("subset" in w for w in full.warnings)


# --------------------------------------------------------------------------- dry run


def test_dry_run_renders_every_prompt_calls_nothing_stores_nothing(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a model that records every call: a dry run must never reach it
    calls = tmp_path / "calls.txt"
    (project / "spy_model.py").write_text(
        "def answer(request):\n"
        f"    open({str(calls)!r}, 'a').write('called\\n')\n"
        "    return 'x'\n", encoding="utf-8")
    suite = project / "suite.yaml"
    text = suite.read_text(encoding="utf-8").replace(
        "Who founded the company?", "Who founded \\x1b[2Jthe company?").replace(
        "model: python:example_model:answer", "model: python:spy_model:answer")
    suite.write_text(text, encoding="utf-8")
    db = db_of(tmp_path)
    code, out, err = harness(capsys, "run", "suite.yaml", "--db", db, "--dry-run",
                             "--repeats", "3")
    assert code == 0, err
    assert "4 cases, 1 model, 3 repeats: 12 requests" in out
    assert out.count("--- case ") == 4
    assert "system: You answer only from the provided context." in out
    assert "[1] Refunds are accepted within 30 days of purchase." in out
    assert "Question: How long do I have to ask for a refund?" in out
    assert "\x1b" not in out and "\\x1b[2J" in out  # inert: shown, never sent
    assert "nothing was stored" in err
    assert not calls.exists()
    assert not Path(db).exists() and not (project / "harness.db").exists()


def test_dry_run_honours_the_selection_and_model_overrides(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = harness(
        capsys, "run", "suite.yaml", "--dry-run", "--case", "refund-window",
        "--model", "python:example_model:answer", "--model",
        "openai:gpt-4o-mini")
    assert code == 0, err
    assert "1 of 4 cases (--case refund-window), 2 models, 1 repeat: 2 requests" in out
    assert "model openai:gpt-4o-mini" in out
    assert out.count("--- case ") == 1  # the messages are shown once, not per model
    code, _, err = harness(capsys, "run", "suite.yaml", "--dry-run", "--case", "nope")
    assert code == 2 and "nope" in err
    code, _, err = harness(capsys, "run", "suite.yaml", "--dry-run", "--model", "bogus:x")
    assert code == 2 and "bogus" in err
    assert not (project / "harness.db").exists()


# --------------------------------------------------------------------------- delete


def _row_counts(db: str, run_id: str) -> dict[str, int]:
    store = store_of(db)
    out = {}
    for table in store.db.table_names():
        if "run_id" in {c.name for c in store.db[table].columns}:
            sql = f"SELECT COUNT(*) FROM {table} WHERE run_id = ?"
            out[table] = store.db.execute(sql, [run_id]).fetchone()[0]
    out["runs"] = store.db.execute("SELECT COUNT(*) FROM runs WHERE id = ?",
                                   [run_id]).fetchone()[0]
    return out


def _high_risk(project: Path) -> None:
    """Every result of a high-risk suite is queued for review."""
    suite = project / "suite.yaml"
    text = suite.read_text(encoding="utf-8").replace("risk: low ", "risk: high")
    suite.write_text(text, encoding="utf-8")


def test_delete_removes_a_run_with_its_results_scores_and_review_items(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.review.decisions import Decision, decide
    from harness.review.queue import claim_item, list_items

    _high_risk(project)
    db = db_of(tmp_path)
    assert harness(capsys, "run", "suite.yaml", "--db", db)[0] == 0
    gone = store_of(db).resolve_run_id("latest")
    assert harness(capsys, "run", "suite.yaml", "--db", db)[0] == 0
    kept = store_of(db).resolve_run_id("latest")
    store = store_of(db)
    item = next(i for i in list_items(store) if i["run_id"] == gone)
    claim_item(store, item["id"], "alice")
    decide(store, item["id"], "alice", Decision("approve"))
    before_kept = _row_counts(db, kept)
    before = _row_counts(db, gone)
    assert before["results"] == 4 and before["review_items"] == 4
    assert before["review_decisions"] == 1

    code, out, err = harness(capsys, "delete", gone, "--db", db, "--yes")
    assert code == 0, err
    assert "4 results" in err and "4 review items" in err and "1 review decisions" in err
    assert f"deleted 1 run: 4 results, {before['scores']} scores, 4 review items" in out
    assert all(n == 0 for n in _row_counts(db, gone).values()), _row_counts(db, gone)
    assert _row_counts(db, kept) == before_kept
    assert store_of(db).db.execute("SELECT COUNT(*) FROM review_assignments WHERE item_id = ?",
                                   [item["id"]]).fetchone()[0] == 0
    code, _, err = harness(capsys, "delete", gone, "--db", db, "--yes")
    assert code == 2 and "no run" in err


def test_delete_refuses_an_ambiguous_prefix_and_asks_first(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = db_of(tmp_path)
    assert harness(capsys, "run", "suite.yaml", "--db", db, "--limit", "1")[0] == 0
    assert harness(capsys, "run", "suite.yaml", "--db", db, "--limit", "1")[0] == 0
    ids = [r["id"] for r in store_of(db).list_runs()]
    prefix = ids[0][:4]
    code, _, err = harness(capsys, "delete", prefix, "--db", db, "--yes")
    assert code == 2 and "ambiguous" in err
    # no terminal to ask on: refused, nothing deleted
    code, _, err = harness(capsys, "delete", ids[0], "--db", db)
    assert code == 2 and "--yes" in err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    code, _, err = harness(capsys, "delete", ids[0], "--db", db)
    assert code == 1 and "nothing changed" in err
    assert len(store_of(db).list_runs()) == 2
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    code, _, err = harness(capsys, "delete", ids[0], "--db", db)
    assert code == 0, err
    assert [r["id"] for r in store_of(db).list_runs()] == ids[1:]


def test_delete_never_orphans_a_rescore_silently(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = db_of(tmp_path)
    assert harness(capsys, "run", "suite.yaml", "--db", db)[0] == 0
    parent = store_of(db).resolve_run_id("latest")
    code, _, err = harness(capsys, "rescore", parent, "--db", db)
    assert code == 0, err
    child = store_of(db).resolve_run_id("latest")
    assert child != parent
    code, _, err = harness(capsys, "delete", parent, "--db", db, "--yes")
    assert code == 2 and child in err and "--with-derived" in err
    assert len(store_of(db).list_runs()) == 2
    # the derived run alone may go; or both, named together or with --with-derived
    code, _, err = harness(capsys, "delete", parent, child, "--db", db, "--yes")
    assert code == 0, err
    assert store_of(db).list_runs() == []

    assert harness(capsys, "run", "suite.yaml", "--db", db)[0] == 0
    parent = store_of(db).resolve_run_id("latest")
    assert harness(capsys, "rescore", parent, "--db", db)[0] == 0
    code, _, err = harness(capsys, "delete", parent, "--with-derived", "--db", db, "--yes")
    assert code == 0, err
    assert "including derived (rescore) runs" in err
    assert store_of(db).list_runs() == []


# --------------------------------------------------------------------------- cache


def test_cache_info_and_clear(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = db_of(tmp_path)
    assert harness(capsys, "run", "suite.yaml", "--db", db)[0] == 0
    store = store_of(db)
    with store.db.conn:  # one entry stored long ago
        store.db.execute("UPDATE cache SET created_at = '2020-01-01T00:00:00+00:00' "
                         "WHERE key = (SELECT MIN(key) FROM cache)")
    code, out, _ = harness(capsys, "cache", "info", "--db", db, "--json")
    assert code == 0 and json.loads(out)["entries"] == 4
    code, out, _ = harness(capsys, "cache", "info", "--db", db, "--older-than", "30d")
    assert code == 0 and "1 cached responses older than 30d" in out
    code, _, err = harness(capsys, "cache", "clear", "--db", db)
    assert code == 2 and "--yes" in err
    code, out, _ = harness(capsys, "cache", "clear", "--db", db, "--older-than", "30d", "--yes")
    assert code == 0 and "removed 1 cached responses older than 30d" in out
    code, out, _ = harness(capsys, "cache", "clear", "--db", db, "--yes")
    assert code == 0 and "removed 3 cached responses" in out
    code, out, _ = harness(capsys, "cache", "clear", "--db", db, "--yes")
    assert code == 0 and "nothing to clear" in out
    assert len(store_of(db).list_runs()) == 1  # runs are untouched
    code, _, err = harness(capsys, "cache", "clear", "--db", db, "--older-than", "soon")
    assert code == 2 and "--older-than" in err and "Traceback" not in err


def test_from_init_to_a_gated_ci_run_as_the_docs_write_it(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13, done-when: a new user goes from `harness init` to a gated run with the
    commands docs/ci.md's workflow uses (a main run tagged `main`, a PR run, the gate with
    its JUnit, Markdown and JSON outputs)."""
    db = db_of(tmp_path)
    code, _, err = harness(capsys, "run", "suite.yaml", "--db", db, "--repeats", "1",
                           "--no-cache", "--tag", "main")
    assert code == 0, err
    code, _, err = harness(capsys, "run", "suite.yaml", "--db", db, "--repeats", "1",
                           "--no-cache", "--tag", "pr-7")
    assert code == 0, err
    reports = project / "reports"
    code, out, err = harness(capsys, "gate", "--db", db, "--baseline", "main",
                             "--junit", str(reports / "junit.xml"),
                             "--markdown", str(reports / "gate.md"),
                             "--json", str(reports / "gate.json"))
    assert code == 0, (out, err)
    verdict = json.loads((reports / "gate.json").read_text())["verdict"]
    assert verdict in ("PASS", "INCONCLUSIVE")
    assert (reports / "junit.xml").read_text().startswith("<?xml")
    assert verdict in (reports / "gate.md").read_text()

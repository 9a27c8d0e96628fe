"""`from:` and `rubric:` stay inside the project (issue 11, item 12), and an error about a
file read by mistake never shows what is in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import FileError
from harness.suites import load_suite


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "suites" / "cases").mkdir(parents=True)
    (root / "rubrics").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (root / "rubrics" / "r.yaml").write_text(
        "rubric: r\nversion: 1\nchecks: [{type: contains, value: x}]\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("sk-live-TOPSECRETTOKEN\n", encoding="utf-8")
    (tmp_path / "cases.jsonl").write_text('{"id": "a", "input": "hi"}\n', encoding="utf-8")
    return root


def suite(root: Path, extra: str) -> Path:
    path = root / "suites" / "s.yaml"
    path.write_text("suite: s\nversion: 1\n" + extra, encoding="utf-8")
    return path


def test_the_usual_layout_loads(project: Path) -> None:
    (project / "suites" / "cases" / "c.jsonl").write_text('{"id": "a", "input": "hi"}\n')
    loaded = load_suite(suite(project, "rubric: ../rubrics/r.yaml\ncases:\n"
                                       "  - from: cases/c.jsonl\n"))
    assert len(loaded.rubrics) == 1 and len(loaded.cases) == 1


@pytest.mark.parametrize("ref", ["../../secret.txt", "/etc/passwd", "../../cases.jsonl"])
def test_paths_outside_the_project_are_refused(project: Path, ref: str) -> None:
    key = "rubric" if not ref.endswith(".jsonl") else None
    extra = (f"rubric: {ref}\ncases: [{{id: a, input: hi}}]\n" if key
             else f"cases:\n  - from: {ref}\n")
    with pytest.raises(FileError) as info:
        load_suite(suite(project, extra))
    assert "outside the project" in info.value.message
    assert "TOPSECRET" not in str(info.value)


def test_a_symlink_out_of_the_project_is_refused(project: Path) -> None:
    os.symlink(project.parent / "secret.txt", project / "rubrics" / "link.yaml")
    with pytest.raises(FileError) as info:
        load_suite(suite(project, "rubric: ../rubrics/link.yaml\ncases: [{id: a, input: hi}]\n"))
    assert "outside the project" in info.value.message


def test_the_allow_variable_lifts_the_limit_but_contents_are_never_echoed(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_ALLOW_ANY_PATH", "1")
    with pytest.raises(FileError) as info:
        load_suite(suite(project, "rubric: ../../secret.txt\ncases: [{id: a, input: hi}]\n"))
    assert "expected a mapping at the top, got text" in info.value.message
    assert "TOPSECRET" not in str(info.value) and "sk-live" not in str(info.value)

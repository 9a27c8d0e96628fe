"""Broken suite files: each mistake is one FileError naming the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_fixtures import Write

from harness.errors import FileError, UsageError
from harness.suites import check_file, load_rubric, load_suite


def fails(path: Path) -> FileError:
    with pytest.raises(FileError) as info:
        load_suite(path)
    return info.value


def test_file_error_is_a_usage_error_with_exit_code_2(write: Write) -> None:
    err = fails(write("s.yaml", "suite: [unclosed\n"))
    assert isinstance(err, UsageError)
    assert err.exit_code == 2


def test_bad_yaml_names_line_and_column(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        cases:
          - id: a
             input: misindented
        """,
    )
    err = fails(path)
    assert err.path == str(path)
    assert err.line == 5
    assert "invalid YAML" in err.message
    assert "column" in err.message
    assert "Traceback" not in str(err)
    assert len(str(err).splitlines()) == 1


def test_unquoted_question_mark_in_flow_mapping_gets_a_hint(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        cases:
          - {id: a, input: Is it open?}
        """,
    )
    err = fails(path)
    assert err.line == 4
    assert "quote" in err.message


def test_unknown_field_names_its_line_and_suggests(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        cases:
          - id: a
            input: hello
          - id: b
            inptu: hello
        """,
    )
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 7, "cases[1].inptu")
    assert err.message == "unknown field 'inptu' (did you mean 'input'?)"


def test_unknown_top_level_field(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\ntempreature: 0\ncases: [{id: a, input: x}]\n")
    err = fails(path)
    assert (err.line, err.field) == (3, "tempreature")
    assert err.message.startswith("unknown field 'tempreature'")


def test_wrong_type_for_version(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: [1]\ncases: [{id: a, input: x}]\n")
    err = fails(path)
    assert (err.line, err.field) == (2, "version")
    assert err.message == "expected an integer or a string, got a list"


def test_expected_a_list(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\ntags: billing\ncases: [{id: a, input: x}]\n")
    err = fails(path)
    assert (err.line, err.field) == (3, "tags")
    assert err.message == "expected a list, got 'billing'"


def test_missing_required_field_points_at_the_item(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        cases:
          - input: no id here
        """,
    )
    err = fails(path)
    assert (err.line, err.field) == (4, "cases[0].id")
    assert err.message == "missing required field 'id'"


def test_missing_top_level_field(write: Write) -> None:
    err = fails(write("s.yaml", "suite: s\ncases: [{id: a, input: x}]\n"))
    assert (err.field, err.message) == ("version", "missing required field 'version'")


def test_bad_literal_lists_the_choices(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\nrisk: extreme\ncases: [{id: a, input: x}]\n")
    err = fails(path)
    assert (err.line, err.field) == (3, "risk")
    assert err.message == "expected one of 'low', 'medium' or 'high', got 'extreme'"


def test_bad_case_id_explains_the_rule(write: Write) -> None:
    err = fails(write("s.yaml", "suite: s\nversion: 1\ncases:\n  - {id: 'no spaces', input: x}\n"))
    assert (err.line, err.field) == (4, "cases[0].id")
    assert "is not a valid name" in err.message


def test_union_field_reports_the_branch_that_was_meant(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        model:
          reff: openai:gpt-4o-mini
        cases: [{id: a, input: x}]
        """,
    )
    err = fails(path)
    assert (err.line, err.field) == (4, "model.reff")
    assert err.message == "unknown field 'reff' (did you mean 'ref'?)"


def test_from_entry_with_case_fields(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        cases:
          - from: more.jsonl
            id: b
        """,
    )
    err = fails(path)
    assert (err.line, err.field) == (5, "cases[0].id")
    assert "a `from:` entry takes no other fields" in err.message


def test_case_that_is_not_a_mapping(write: Write) -> None:
    err = fails(write("s.yaml", "suite: s\nversion: 1\ncases:\n  - just-text\n"))
    assert (err.line, err.field) == (4, "cases[0]")
    assert "got 'just-text'" in err.message


def test_several_errors_are_listed_each_with_its_line(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: [1]
        risk: extreme
        cases:
          - id: a
            inptu: x
        """,
    )
    err = fails(path)
    assert err.line == 2
    text = str(err)
    assert f"also {path}:3: [risk]" in text
    assert f"also {path}:6: [cases[0].inptu]" in text


def test_many_errors_are_capped(write: Write) -> None:
    cases = "".join(f"  - {{id: c{i}, bogus: 1}}\n" for i in range(12))
    err = fails(write("s.yaml", f"suite: s\nversion: 1\ncases:\n{cases}"))
    assert "(and 7 more)" in str(err)  # 12 errors, 5 shown
    assert len(str(err).splitlines()) == 6


def test_duplicate_yaml_key(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\nversion: 2\ncases: [{id: a, input: x}]\n")
    err = fails(path)
    assert (err.line, err.field) == (3, "version")
    assert err.message == "duplicate key 'version' (first at line 2)"


def test_empty_file(write: Write) -> None:
    err = fails(write("s.yaml", "# nothing yet\n"))
    assert err.message == "file is empty"


def test_missing_file(tmp_path: Path) -> None:
    err = fails(tmp_path / "nope.yaml")
    assert (err.path, err.message) == (str(tmp_path / "nope.yaml"), "file not found")


def test_top_level_list(write: Write) -> None:
    err = fails(write("s.yaml", "- suite: s\n"))
    assert (err.line, err.message) == (1, "expected a mapping at the top, got a list")


def test_rubric_given_as_a_suite(write: Write) -> None:
    err = fails(write("r.yaml", "rubric: r\nversion: 1\n"))
    assert (err.line, err.field) == (1, "rubric")
    assert err.message == "this is a rubric file, not a suite file"


def test_suite_given_as_a_rubric(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\ncases: [{id: a, input: x}]\n")
    with pytest.raises(FileError, match="this is a suite file, not a rubric file"):
        load_rubric(path)


def test_check_file_needs_one_known_kind(write: Write) -> None:
    with pytest.raises(FileError, match="not a suite or a rubric"):
        check_file(write("x.yaml", "name: what\n"))


def test_merge_keys_and_anchors_are_supported(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        cases:
          - &base {id: a, input: x, tags: [t]}
          - <<: *base
            id: b
        """,
    )
    loaded = load_suite(path)
    assert [c.id for c in loaded.cases] == ["a", "b"]
    assert loaded.cases[1].tags == ["t"]


@pytest.mark.parametrize("where", ["suite", "model"])
def test_stream_true_is_refused_when_the_suite_loads(write: Write, where: str) -> None:
    """`params: {stream: true}` became 'malformed answer: not JSON' after 4 attempts per case
    (the server answered in server-sent events); now the suite does not load, saying why."""
    params = "params: {stream: true}"
    suite = f"suite: s\nversion: 1\n{params}\ncases:\n  - {{id: a, input: hi}}\n"
    if where == "model":
        suite = ("suite: s\nversion: 1\nmodel:\n  ref: openai:gpt-4o-mini\n"
                 f"  {params}\ncases:\n  - {{id: a, input: hi}}\n")
    err = fails(write("s.yaml", suite))
    assert err.line == (3 if where == "suite" else 5)
    assert "params" in (err.field or "")
    assert "stream" in err.message and "not supported" in err.message

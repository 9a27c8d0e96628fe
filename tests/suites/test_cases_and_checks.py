"""Case files, duplicate ids, check types and rubrics: errors point at the right file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suite_fixtures import Write, line_of

from harness.errors import FileError
from harness.suites import load_rubric, load_suite, registry

SUITE_WITH_SOURCE = """
suite: s
version: 1
cases:
  - id: inline-one
    input: hello
  - from: cases/more.jsonl
"""


def fails(path: Path) -> FileError:
    with pytest.raises(FileError) as info:
        load_suite(path)
    return info.value


def good_rows(n: int) -> str:
    rows = ({"id": f"row-{i}", "input": f"question {i}"} for i in range(n))
    return "".join(json.dumps(row) + "\n" for row in rows)


# --------------------------------------------------------------------------- JSONL sources


def test_jsonl_cases_are_expanded_in_order_with_blank_lines_allowed(write: Write) -> None:
    last = json.dumps({"id": "last", "input": "x"})
    jsonl = write("cases/more.jsonl", good_rows(2) + "\n   \n" + last)
    loaded = load_suite(write("s.yaml", SUITE_WITH_SOURCE))
    assert [c.id for c in loaded.cases] == ["inline-one", "row-0", "row-1", "last"]
    assert loaded.case_lines["last"] == (str(jsonl), 5)


def test_missing_jsonl_file_points_at_the_from_entry(write: Write) -> None:
    path = write("s.yaml", SUITE_WITH_SOURCE)
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 6, "cases[1].from")
    assert "case file not found: 'cases/more.jsonl'" in err.message


def test_bad_json_on_line_57_names_the_jsonl_file_and_line(write: Write) -> None:
    jsonl = write("cases/more.jsonl", good_rows(56) + '{"id": "broken", "input": \n')
    err = fails(write("s.yaml", SUITE_WITH_SOURCE))
    assert (err.path, err.line, err.field) == (str(jsonl), 57, None)
    assert f"{jsonl}:57:" in str(err)
    assert err.message.startswith("bad JSON:")


def test_jsonl_line_that_is_not_an_object(write: Write) -> None:
    jsonl = write("cases/more.jsonl", good_rows(1) + '["a", "list"]\n')
    err = fails(write("s.yaml", SUITE_WITH_SOURCE))
    assert (err.path, err.line) == (str(jsonl), 2)
    assert err.message == "expected a JSON object (one case a line), got a list"


def test_invalid_case_in_jsonl_names_file_line_and_field(write: Write) -> None:
    bad = {"id": "row-x", "input": "q", "messages": [{"role": "robot", "content": "hi"}]}
    jsonl = write("cases/more.jsonl", good_rows(3) + json.dumps(bad) + "\n")
    err = fails(write("s.yaml", SUITE_WITH_SOURCE))
    assert (err.path, err.line, err.field) == (str(jsonl), 4, "messages[0].role")
    assert "expected one of 'system', 'user', 'assistant' or 'tool', got 'robot'" in err.message


def test_unknown_field_in_jsonl(write: Write) -> None:
    jsonl = write("cases/more.jsonl", good_rows(1) + json.dumps({"id": "x", "inptu": "q"}) + "\n")
    err = fails(write("s.yaml", SUITE_WITH_SOURCE))
    assert (err.path, err.line, err.field) == (str(jsonl), 2, "inptu")


def test_jsonl_keeps_unicode_line_separators_inside_strings(write: Write) -> None:
    row = json.dumps({"id": "sep", "input": "a\u2028b"}, ensure_ascii=False)
    write("cases/more.jsonl", row + "\n" + good_rows(1))
    loaded = load_suite(write("s.yaml", SUITE_WITH_SOURCE))
    assert loaded.cases[1].input == "a\u2028b"
    assert loaded.case_lines["row-0"][1] == 2


# --------------------------------------------------------------------------- duplicate ids


def test_duplicate_id_inline_names_both_places(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        cases:
          - id: same
            input: one
          - id: same
            input: two
        """,
    )
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 6, "cases[1].id")
    assert err.message == f"duplicate case id 'same' (first at {path}:4)"


def test_duplicate_id_across_inline_and_jsonl(write: Write) -> None:
    jsonl = write("cases/more.jsonl", good_rows(2) + json.dumps({"id": "inline-one"}) + "\n")
    path = write("s.yaml", SUITE_WITH_SOURCE)
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(jsonl), 3, "id")
    assert err.message == f"duplicate case id 'inline-one' (first at {path}:4)"


# --------------------------------------------------------------------------- check types


CHECKS_SUITE = """
suite: s
version: 1
checks:
  - {type: pii, severity: critical}
cases:
  - {id: a, input: x}
  - {id: b, input: x, checks: [{type: contains, value: ok}]}
  - id: c
    input: x
    checks:
      - {type: containz, value: ok}
"""


def test_unknown_check_type_lists_known_types(write: Write) -> None:
    path = write("s.yaml", CHECKS_SUITE)
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 11, "cases[2].checks[0].type")
    assert err.message.startswith("unknown check type 'containz' (did you mean 'contains'?)")
    assert "(known: contains, equals, grounding, judge, pii, refusal, regex)" in err.message


def test_invalid_check_param_has_its_own_field_path(write: Write) -> None:
    path = write("s.yaml", CHECKS_SUITE.replace("containz, value: ok", "contains, value: [1]"))
    err = fails(path)
    assert (err.line, err.field) == (11, "cases[2].checks[0].value[0]")


def test_misspelt_check_param(write: Write) -> None:
    path = write("s.yaml", CHECKS_SUITE.replace("containz, value", "contains, valeu"))
    err = fails(path)
    assert (err.line, err.field) == (11, "cases[2].checks[0].valeu")
    assert err.message == "unknown field 'valeu' (did you mean 'value'?)"


def test_suite_level_check_params_are_validated(write: Write) -> None:
    path = write("s.yaml", CHECKS_SUITE.replace("severity: critical", "severity: dire"))
    err = fails(path)
    assert (err.line, err.field) == (4, "checks[0].severity")


def test_nested_check_param_error(write: Write) -> None:
    text = CHECKS_SUITE.replace(
        "{type: containz, value: ok}",
        "type: judge\n        criteria:\n          - {id: tone, txt: Polite}",
    )
    path = write("s.yaml", text)
    err = fails(path)
    assert (err.line, err.field) == (13, "cases[2].checks[0].criteria[0].txt")
    assert err.message == "unknown field 'txt' (did you mean 'text'?)"


def test_check_in_jsonl_is_validated(write: Write) -> None:
    row = {"id": "j", "input": "x", "checks": [{"type": "regex", "pattern": "a"}, {"type": "nope"}]}
    jsonl = write("cases/more.jsonl", good_rows(1) + json.dumps(row) + "\n")
    err = fails(write("s.yaml", SUITE_WITH_SOURCE))
    assert (err.path, err.line, err.field) == (str(jsonl), 2, "checks[1].type")
    assert "unknown check type 'nope'" in err.message


def test_without_a_registry_any_check_type_loads(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "check_types", lambda: None)
    loaded = load_suite(write("s.yaml", CHECKS_SUITE))
    assert loaded.cases[2].checks[0].type == "containz"


# --------------------------------------------------------------------------- rubrics


def test_missing_rubric_points_at_the_rubric_line(write: Write) -> None:
    path = write("suites/s.yaml", "suite: s\nversion: 1\nrubric: ../rubrics/nope.yaml\n"
                                  "cases: [{id: a, input: x}]\n")
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 3, "rubric")
    assert "rubric file not found: '../rubrics/nope.yaml'" in err.message


def test_missing_rubric_in_a_list(write: Write) -> None:
    write("r1.yaml", "rubric: r1\nversion: 1\n")
    path = write("s.yaml", "suite: s\nversion: 1\nrubric:\n  - r1.yaml\n  - r2.yaml\n"
                           "cases: [{id: a, input: x}]\n")
    err = fails(path)
    assert (err.line, err.field) == (5, "rubric[1]")


def test_rubric_errors_name_the_rubric_file(write: Write) -> None:
    rubric = write(
        "rubrics/r.yaml",
        """
        rubric: r
        version: 1
        checks:
          - {type: grounding, threshold: 1.5}
        slo:
          right_first_time: {minimum: 0.9}
        """,
    )
    path = write("suites/s.yaml", "suite: s\nversion: 1\nrubric: ../rubrics/r.yaml\n"
                                  "cases: [{id: a, input: x}]\n")
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(rubric), 6, "slo.right_first_time.minimum")
    rubric.write_text(rubric.read_text().replace("minimum", "min"))
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(rubric), 4, "checks[0].threshold")


def test_objective_needs_a_bound(write: Write) -> None:
    rubric = write("r.yaml", "rubric: r\nversion: 1\nslo:\n  right_first_time: {}\n")
    with pytest.raises(FileError) as info:
        load_rubric(rubric)
    err = info.value
    assert (err.line, err.field) == (4, "slo.right_first_time")
    assert err.message == "an objective needs min or max"


def test_slo_keys_with_dots_are_quoted_in_fields(write: Write) -> None:
    rubric = write("r.yaml", "rubric: r\nversion: 1\nslo:\n  latency.p95_ms: {max: fast}\n")
    with pytest.raises(FileError) as info:
        load_rubric(rubric)
    assert info.value.field == "slo['latency.p95_ms'].max"


def test_checks_for_orders_rubric_suite_then_case(shop: Path) -> None:
    loaded = load_suite(shop)
    case = next(c for c in loaded.cases if c.id == "return-period")
    names = [check.name for check in loaded.checks_for(case)]
    assert names == ["grounding", "refusal", "judge", "pii", "contains"]
    assert line_of(shop, "- id: return-period") == loaded.case_lines["return-period"][1]


def test_empty_jsonl_file_is_an_error(write: Write) -> None:
    write("cases/more.jsonl", "\n\n")
    path = write("s.yaml", SUITE_WITH_SOURCE)
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 6, "cases[1].from")
    assert err.message == "case file 'cases/more.jsonl' has no cases"


def test_suite_needs_at_least_one_case(write: Write) -> None:
    err = fails(write("s.yaml", "suite: s\nversion: 1\ncases: []\n"))
    assert (err.line, err.field) == (3, "cases")
    assert err.message == "needs at least 1 item(s), got an empty list"

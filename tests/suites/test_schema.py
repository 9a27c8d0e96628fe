"""Generated JSON Schemas: committed copies stay fresh, and real files validate against them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from suite_fixtures import RUBRIC, SUITE

from harness.errors import UsageError
from harness.suites import schema


@pytest.mark.real_registry
@pytest.mark.parametrize("kind", ["suite", "rubric"])
def test_committed_schema_is_current(kind: schema.Kind) -> None:
    path = schema.schema_path(kind)
    committed = path.read_text(encoding="utf-8") if path.is_file() else ""
    assert committed == schema.schema_text(kind), (
        f"{path} is stale: regenerate it with `{schema.REGENERATE}` and commit the result"
    )


def validator(kind: schema.Kind) -> Draft202012Validator:
    generated = schema.generate_schema(kind)
    Draft202012Validator.check_schema(generated)
    return Draft202012Validator(generated)


def errors(kind: schema.Kind, text: str) -> list[str]:
    found = validator(kind).iter_errors(yaml.safe_load(text))
    return sorted(e.json_path for e in found)


def test_realistic_suite_validates() -> None:
    assert errors("suite", SUITE) == []


def test_realistic_rubric_validates() -> None:
    assert errors("rubric", RUBRIC) == []


def test_context_may_be_a_single_string() -> None:
    assert errors("suite", "suite: s\nversion: 1\ncases: [{id: a, context: one passage}]\n") == []


def test_typo_in_a_case_fails_the_schema() -> None:
    assert errors("suite", "suite: s\nversion: 1\ncases: [{id: a, inptu: x}]\n") == ["$.cases[0]"]


def test_check_items_are_one_of_the_registered_types() -> None:
    generated = schema.generate_schema("suite")
    choices = generated["$defs"]["CheckSpec"]["oneOf"]
    assert {"$ref": "#/$defs/Judge"} in choices
    assert generated["$defs"]["Judge"]["properties"]["type"]["const"] == "judge"
    bad_type = "suite: s\nversion: 1\nchecks: [{type: containz, value: x}]\ncases: [{id: a}]\n"
    bad_param = "suite: s\nversion: 1\nchecks: [{type: contains, valeu: x}]\ncases: [{id: a}]\n"
    assert errors("suite", bad_type) == ["$.checks[0]"]
    assert errors("suite", bad_param) == ["$.checks[0]"]


def test_shared_params_model_lists_every_type_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from suite_fixtures import Equals

    from harness.suites import registry

    monkeypatch.setattr(registry, "check_types", lambda: {"equals": Equals, "same": Equals})
    generated = schema.generate_schema("rubric")
    assert generated["$defs"]["Equals"]["properties"]["type"]["enum"] == ["equals", "same"]
    assert errors("rubric", "rubric: r\nversion: 1\nchecks: [{type: same, value: x}]\n") == []


def test_without_a_registry_checks_stay_open(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.suites import registry

    monkeypatch.setattr(registry, "check_types", lambda: None)
    generated = schema.generate_schema("suite")
    assert generated["$defs"]["CheckSpec"]["additionalProperties"] is True


def test_only_referenced_definitions_are_kept() -> None:
    assert "Case" not in schema.generate_schema("rubric")["$defs"]


def test_schema_text_is_stable_and_ends_with_a_newline() -> None:
    first = schema.schema_text("suite")
    assert first == schema.schema_text("suite")
    assert first.endswith("}\n")
    assert first.startswith('{\n  "$schema": "https://json-schema.org/draft/2020-12/schema"')


def test_unknown_kind_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="choose one of suite, rubric"):
        schema.generate_schema("slo")  # type: ignore[arg-type]


def test_write_and_check_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written = schema.write_schemas(tmp_path)
    assert [p.name for p in written] == ["suite.schema.json", "rubric.schema.json"]
    assert schema.stale_schemas(tmp_path) == []
    written[0].write_text("{}\n")
    assert schema.stale_schemas(tmp_path) == [written[0]]
    monkeypatch.setattr(schema, "SCHEMA_DIR", tmp_path)
    monkeypatch.setattr(schema, "stale_schemas", lambda: [written[0]])
    assert schema.main(["--check"]) == 1

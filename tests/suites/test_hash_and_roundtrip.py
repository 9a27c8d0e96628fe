"""Content hashes follow meaning, not formatting; a realistic suite loads whole."""

from __future__ import annotations

import json
from pathlib import Path

from harness.models import Case, Suite
from harness.suites import LoadedRubric, LoadedSuite, check_file, load_suite


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_hash_has_a_scheme_prefix(shop: Path) -> None:
    digest = load_suite(shop).content_hash
    assert digest.startswith("v1:")
    assert len(digest) == 3 + 64


def test_comments_and_layout_do_not_change_the_hash(shop: Path) -> None:
    before = load_suite(shop).content_hash
    edit(shop, "# stable name", "# a different comment")
    edit(shop, "params: {temperature: 0, max_tokens: 300}",
         "params:\n  max_tokens: 300\n  temperature: 0   # flow -> block, keys swapped")
    edit(shop, "risk: medium", "risk: medium\n\n\n")
    assert load_suite(shop).content_hash == before


def test_spelling_out_a_default_does_not_change_the_hash(shop: Path) -> None:
    before = load_suite(shop).content_hash
    tags = "    tags: [returns, critical]"
    edit(shop, tags, tags + "\n    answerable: true")
    assert load_suite(shop).content_hash == before


def test_a_change_in_a_jsonl_case_changes_the_hash(shop: Path) -> None:
    before = load_suite(shop).content_hash
    edit(shop.parent / "cases/orders.jsonl", "Where is my parcel?", "Where is my package?")
    assert load_suite(shop).content_hash != before


def test_a_change_in_the_rubric_changes_the_hash(shop: Path) -> None:
    first = load_suite(shop)
    rubric = shop.parent.parent / "rubrics/grounded.yaml"
    edit(rubric, "threshold: 0.9}", "threshold: 0.8}")
    second = load_suite(shop)
    assert second.content_hash != first.content_hash
    assert second.rubrics[0].content_hash != first.rubrics[0].content_hash


def test_a_comment_in_the_rubric_does_not(shop: Path) -> None:
    before = load_suite(shop).content_hash
    edit(shop.parent.parent / "rubrics/grounded.yaml", "version: 1", "version: 1  # note")
    assert load_suite(shop).content_hash == before


def test_a_template_change_changes_the_hash(shop: Path) -> None:
    before = load_suite(shop).content_hash
    edit(shop, "Question: {{ question }}", "Q: {{ question }}")
    assert load_suite(shop).content_hash != before


def test_realistic_suite_round_trip(shop: Path) -> None:
    loaded = load_suite(shop)
    assert isinstance(loaded, LoadedSuite)
    assert loaded.path == str(shop)
    assert [c.id for c in loaded.cases] == [
        "return-period", "gift-wrap", "track-order", "cancel-order", "loyalty",
    ]
    assert all(isinstance(c, Case) for c in loaded.suite.cases)
    assert loaded.cases[1].context == ["Gift wrapping costs 3 euros per item."]
    assert loaded.suite.models()[0].ref == "openai:gpt-4o-mini"
    rubric = loaded.rubrics[0]
    assert rubric.rubric.rubric == "grounded"
    assert rubric.rubric.slo["latency.p95_ms"].max == 3000
    jsonl = str(shop.parent / "cases/orders.jsonl")
    assert loaded.case_lines["cancel-order"] == (jsonl, 2)

    dumped = loaded.suite.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    again = Suite.model_validate(json.loads(json.dumps(dumped)))
    assert again == loaded.suite


def test_check_file_dispatches_on_the_top_level_key(shop: Path) -> None:
    assert isinstance(check_file(shop), LoadedSuite)
    assert isinstance(check_file(shop.parent.parent / "rubrics/grounded.yaml"), LoadedRubric)


def test_loaded_records_describe_themselves_in_one_line(shop: Path) -> None:
    loaded = load_suite(shop)
    assert str(loaded).startswith("suite shop-assistant v2: 5 cases, 1 rubric (v1:")
    assert str(loaded.rubrics[0]).startswith("rubric grounded v1: 3 checks, 2 objectives (v1:")

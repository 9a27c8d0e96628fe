"""The scorer registry: every built-in type is found, and only its own module is imported."""

from __future__ import annotations

from harness.scoring import registry


def test_the_type_to_module_map_names_every_builtin_and_only_builtins() -> None:
    builtins = {
        name: cls.__module__.removeprefix("harness.scoring.")
        for name, cls in registry.scorers().items()
        if cls.__module__.startswith("harness.scoring.")
    }
    assert builtins == registry.BUILTIN_MODULES


def test_a_suite_of_simple_checks_does_not_import_the_heavy_scorers(fresh_python) -> None:
    code = (
        "import sys\n"
        "from harness.scoring import get_scorer, registry\n"
        "get_scorer('contains'); registry.check_types()['regex']\n"
        "print(sorted(m for m in sys.modules if m.startswith('harness.scoring.')"
        " and not m.startswith('harness.scoring._')))"
    )
    loaded = fresh_python(code)
    assert "harness.scoring.checks" in loaded
    for heavy in ("grounding", "injection", "judge", "pii"):
        assert f"harness.scoring.{heavy}'" not in loaded


def test_listing_the_types_loads_them_all_and_unknown_types_are_missing() -> None:
    types = registry.check_types()
    assert {"grounding", "contains", "judge"} <= set(types)
    assert types.get("no-such-check") is None

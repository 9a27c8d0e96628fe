"""Check types by name. Built-ins register exactly as a third-party package would.

Third parties expose scorers through the entry point group `harness.scorers`; each entry
point names a Scorer class.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.metadata import entry_points

from pydantic import BaseModel, ValidationError

from harness.errors import UsageError
from harness.models import CheckSpec
from harness.scoring.base import CheckParams, Scorer

_SCORERS: dict[str, type[Scorer]] = {}


def register(cls: type[Scorer]) -> type[Scorer]:
    """Class decorator: make a scorer available under its `type`."""
    _SCORERS[cls.type] = cls
    return cls


_NOT_SCORERS = {"base", "registry"}
# Built-in check type -> its module, so a suite of `contains` checks does not import the
# grounding, injection or judge machinery (about 60 ms at start-up). Kept true by a test.
BUILTIN_MODULES: dict[str, str] = {
    **dict.fromkeys(
        ("contains", "icontains", "equals", "regex", "json", "max_words", "latency_ms",
         "cost_usd"),
        "checks",
    ),
    **{name: name for name in ("grounding", "injection", "instructions", "judge", "operations",
                                "pii", "policy", "refusal", "secrets", "tool_calls")},
}


@cache
def _load() -> dict[str, type[Scorer]]:
    """Import every built-in scorer module (each registers itself), then plugins.

    Built-ins are found by listing the package, so adding a scorer family is adding a
    module. Modules must keep heavy imports (models, ML libraries) inside functions.
    """
    import harness.scoring as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _NOT_SCORERS and not info.name.startswith("_"):
            importlib.import_module(f"harness.scoring.{info.name}")
    for ep in entry_points(group="harness.scorers"):
        register(ep.load())
    return _SCORERS


def _class(check_type: str) -> type[Scorer] | None:
    """The scorer class for one type, importing only its module when it is a built-in."""
    found = _SCORERS.get(check_type)
    if found is None and check_type in BUILTIN_MODULES:
        importlib.import_module(f"harness.scoring.{BUILTIN_MODULES[check_type]}")
        found = _SCORERS.get(check_type)
    return found if found is not None else _load().get(check_type)


class _CheckTypes(Mapping[str, type[BaseModel]]):
    """Type name -> params model, loading one scorer module per lookup; listing them all
    (an error message naming the known types, the JSON Schema) loads everything."""

    def __getitem__(self, name: str) -> type[BaseModel]:
        cls = _class(name)
        if cls is None:
            raise KeyError(name)
        return cls.Params

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_load()))

    def __len__(self) -> int:
        return len(_load())


def scorers() -> dict[str, type[Scorer]]:
    return dict(_load())


def check_types() -> Mapping[str, type[BaseModel]]:
    """Check type name -> its params model (used by the loader and the JSON Schema)."""
    return _CheckTypes()


def validate_check(spec: CheckSpec) -> CheckParams:
    """Turn a file's CheckSpec into its typed params; raises ValidationError or KeyError."""
    cls = _class(spec.type)
    if cls is None:
        raise KeyError(spec.type)
    data = {"type": spec.type, "id": spec.id, **spec.params}
    return cls.Params.model_validate(data)


def get_scorer(check_type: str) -> Scorer:
    cls = _class(check_type)
    if cls is None:
        known = ", ".join(sorted(_load()))
        raise UsageError(f"unknown check type {check_type!r} (known: {known})")
    return cls()


__all__ = ["ValidationError", "check_types", "get_scorer", "register", "scorers", "validate_check"]

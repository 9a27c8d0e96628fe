"""Check types by name. Built-ins register exactly as a third-party package would.

Third parties expose scorers through the entry point group `harness.scorers`; each entry
point names a Scorer class.
"""

from __future__ import annotations

import importlib
import pkgutil
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


def scorers() -> dict[str, type[Scorer]]:
    return dict(_load())


def check_types() -> dict[str, type[BaseModel]]:
    """Check type name -> its params model (used by the loader and the JSON Schema)."""
    return {name: cls.Params for name, cls in sorted(_load().items())}


def validate_check(spec: CheckSpec) -> CheckParams:
    """Turn a file's CheckSpec into its typed params; raises ValidationError or KeyError."""
    cls = _load().get(spec.type)
    if cls is None:
        raise KeyError(spec.type)
    data = {"type": spec.type, "id": spec.id, **spec.params}
    return cls.Params.model_validate(data)


def get_scorer(check_type: str) -> Scorer:
    cls = _load().get(check_type)
    if cls is None:
        known = ", ".join(sorted(_load()))
        raise UsageError(f"unknown check type {check_type!r} (known: {known})")
    return cls()


__all__ = ["ValidationError", "check_types", "get_scorer", "register", "scorers", "validate_check"]

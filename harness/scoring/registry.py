"""Check types by name. Built-ins register exactly as a third-party package would.

Third parties expose scorers through the entry point group `harness.scorers`; each entry
point names a Scorer class. A plugin never replaces a built-in check type (nor one an earlier
plugin took): it is refused with one warning line naming it. A plugin that cannot be loaded
(an import error, no `type`) is skipped with one warning line; a suite that uses its check
type gets that line in the "unknown check type" error. Neither is a traceback, and suites
that do not use the plugin run as usual.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import UsageError
from harness.models import CheckSpec
from harness.scoring.base import CheckParams, Scorer

log = logging.getLogger("harness.scoring")

ENTRY_POINT_GROUP = "harness.scorers"
_SCORERS: dict[str, type[Scorer]] = {}
# entry point name (and the check type it claimed, when known) -> why it is not available
_PLUGIN_PROBLEMS: dict[str, str] = {}


class PluginRefused(UsageError):
    """A plugin tried to register a check type that is already taken."""


def _builtin(cls: type) -> bool:
    return str(getattr(cls, "__module__", "")).startswith("harness.scoring.")


def register(cls: type[Scorer]) -> type[Scorer]:
    """Class decorator: make a scorer available under its `type`. A class from outside
    harness may not take a built-in type, nor one another class holds (PluginRefused)."""
    name = cls.type
    held = _SCORERS.get(name)
    same = held is not None and (held is cls or (held.__module__, held.__qualname__)
                                 == (cls.__module__, cls.__qualname__))
    if not _builtin(cls) and not same and (name in BUILTIN_MODULES or held is not None):
        owner = "a built-in check type" if name in BUILTIN_MODULES or (
            held is not None and _builtin(held)) else f"already taken by {held.__module__}"
        raise PluginRefused(
            f"check type {name!r} is {owner}; {cls.__module__}.{cls.__qualname__} cannot "
            "replace it (give the plugin's scorer another `type`)")
    _SCORERS[name] = cls
    return cls


# Built-in check type -> its module under harness.scoring, so a suite of `contains` checks
# does not import the grounding, injection or judge machinery (about 60 ms at start-up).
# Adding a built-in check type is adding its module here; a test keeps this table true.
BUILTIN_MODULES: dict[str, str] = {
    **dict.fromkeys(
        ("contains", "icontains", "equals", "regex", "json", "max_words", "latency_ms",
         "cost_usd"),
        "checks",
    ),
    "grounding": "grounding.check", "instructions": "ifeval.check", "judge": "judge.check",
    **{name: f"safety.{name}" for name in ("injection", "pii", "policy", "refusal", "secrets")},
    "operations": "operations", "tool_calls": "tool_calls",
}


@cache
def _load() -> dict[str, type[Scorer]]:
    """Import every built-in scorer module (each registers itself), then plugins.

    Modules must keep heavy imports (models, ML libraries) inside functions.
    """
    for module in sorted(set(BUILTIN_MODULES.values())):
        importlib.import_module(f"harness.scoring.{module}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _load_plugin(ep)
    return _SCORERS


def _load_plugin(ep: Any) -> None:
    """Register one plugin's scorer; a failure is one warning line, never an exception."""
    dist = getattr(getattr(ep, "dist", None), "name", None)
    where = f"{ep.value}" + (f", from {dist}" if dist else "")
    try:
        cls = ep.load()
        name = getattr(cls, "type", None)
        if not isinstance(cls, type) or not isinstance(name, str) or not name:
            raise TypeError(f"{ep.value} is not a scorer class with a `type`")
        register(cls)
    except PluginRefused as exc:
        problem = f"check plugin {ep.name!r} ({where}) refused: {exc}"
    except Exception as exc:  # noqa: BLE001 - any failure of third-party code is reported
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        problem = (f"check plugin {ep.name!r} ({where}) cannot be loaded: "
                   f"{type(exc).__name__}{': ' + detail if detail else ''}")
        _PLUGIN_PROBLEMS[ep.name] = problem
    else:
        return
    log.warning("warning: %s", problem)


def plugin_problem(check_type: str) -> str | None:
    """Why a plugin that would provide `check_type` (its entry point's name) is missing."""
    _load()
    return _PLUGIN_PROBLEMS.get(check_type)


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


# `harness list checks`: one line per built-in check type (a plugin's scorer class gives
# its own as a `description` attribute, else the first line of its docstring). Kept
# complete by a test.
DESCRIPTIONS: dict[str, str] = {
    "contains": "the output contains a string (or each of a list); default: the case's expected",
    "icontains": "like contains, ignoring case",
    "equals": "the output equals a string after stripping surrounding whitespace",
    "regex": "a regular expression matches somewhere in the output (time-limited)",
    "json": "the output is JSON, optionally matching a JSON Schema",
    "max_words": "the output has at most N words",
    "latency_ms": "the answer took at most N milliseconds",
    "cost_usd": "the call cost at most N US dollars",
    "grounding": "the output's claims are supported by the case's context passages",
    "injection": "prompt-injection and jailbreak attempts (input, context or output), and "
                 "whether one succeeded",
    "instructions": "verifiable instructions (IFEval): format, length, keywords, case...",
    "judge": "an LLM grades the output against a rubric of criteria or a reference answer",
    "operations": "latency, tokens and cost of one case within its budgets",
    "pii": "no personal data (e-mail, phone, card, IBAN, SSN...) leaks into the output",
    "policy": "none of the forbidden patterns, phrases or topics a rubric declares",
    "refusal": "the model refused when it should, and answered when it should",
    "secrets": "no credentials (API keys, tokens, private keys, passwords) in the output",
    "tool_calls": "the right tools were called, with arguments the tools accept",
}


def describe(check_type: str) -> str:
    """One line saying what a check type checks."""
    cls = _class(check_type)
    text = getattr(cls, "description", None) or DESCRIPTIONS.get(check_type)
    if not text and cls is not None and cls.__doc__:
        text = cls.__doc__.strip().splitlines()[0]
    return str(text or "")


def describe_checks() -> list[dict[str, str]]:
    """Every registered check type with its description, module and scorer version."""
    return [
        {"type": name, "description": describe(name), "module": cls.__module__,
         "version": str(getattr(cls, "version", ""))}
        for name, cls in sorted(_load().items())
    ]


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
        if problem := plugin_problem(check_type):
            raise UsageError(f"unknown check type {check_type!r}: {problem}")
        known = ", ".join(sorted(_load()))
        raise UsageError(f"unknown check type {check_type!r} (known: {known})")
    return cls()


__all__ = ["ValidationError", "check_types", "get_scorer", "register", "scorers", "validate_check"]

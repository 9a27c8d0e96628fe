"""Which code serves a model reference: `parse_ref`, `register_provider`, `create_provider`.

Built-ins are registered exactly as a third-party package is, by a lazy "module:attribute"
target, so importing `harness.providers` imports no adapter (and no optional dependency) until
a model of that kind is used. Third parties add an entry point in the group
``harness.providers`` whose name is the prefix and whose object is ``f(spec) -> Provider``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from harness.errors import ProviderConfigError
from harness.extras import install_hint
from harness.models import ModelSpec
from harness.providers.base import Provider

log = logging.getLogger("harness.providers")

ENTRY_POINT_GROUP = "harness.providers"
ProviderFactory = Callable[[ModelSpec], Provider]
Target = ProviderFactory | str | EntryPoint

BUILTINS: dict[str, str] = {
    "openai": "harness.providers.openai:OpenAIProvider",
    "anthropic": "harness.providers.anthropic:AnthropicProvider",
    "python": "harness.providers.python:PythonProvider",
    "http": "harness.providers.http:HttpProvider",
    # written separately; harness/providers/local.py must define `create(spec) -> Provider`
    "local": "harness.providers.local:create",
}
INSTALL_HINTS = {"local": install_hint("local")}
# Providers whose behaviour depends on more than the suite says (an environment variable, a
# default): "module:function" taking the ModelSpec and returning the options really used.
EFFECTIVE_OPTIONS: dict[str, str] = {"local": "harness.providers.local:effective_options"}
# Providers that talk to a server whose address may come from outside the suite (an
# environment variable, a default): "module:function" taking the ModelSpec and returning it.
ENDPOINTS: dict[str, str] = {
    "openai": "harness.providers.openai:effective_base_url",
    "anthropic": "harness.providers.anthropic:effective_base_url",
}


class Registry:
    """Provider prefix -> factory, resolved on first use."""

    def __init__(self) -> None:
        self._targets: dict[str, Target] = {}
        self._entry_points_loaded = False

    def register(self, name: str, factory: Target, *, replace: bool = False) -> None:
        if name in self._targets and not replace:
            raise ValueError(f"provider {name!r} is already registered")
        self._targets[name] = factory

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._targets)

    def factory(self, name: str) -> ProviderFactory:
        self._load_entry_points()
        target = self._targets.get(name)
        if target is None:
            raise ProviderConfigError(
                f"unknown provider {name!r}; known: {', '.join(self.names())}"
            )
        if isinstance(target, str | EntryPoint):
            target = self._targets[name] = _load(name, target)
        return target

    def _load_entry_points(self) -> None:
        """Entry points add names; they never shadow a name that is already registered."""
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for point in entry_points(group=ENTRY_POINT_GROUP):
            if point.name in self._targets:
                what = "a built-in provider" if point.name in BUILTINS else "already registered"
                log.warning("warning: provider plugin %r (%s) refused: %r is %s and a plugin "
                            "cannot replace it", point.name, point.value, point.name, what)
            else:
                self._targets[point.name] = point


def _load(name: str, target: str | EntryPoint) -> ProviderFactory:
    try:
        loaded: Any = target.load() if isinstance(target, EntryPoint) else _import(target)
    except (ImportError, AttributeError) as exc:
        hint = INSTALL_HINTS.get(name, "check that the package providing it is installed")
        raise ProviderConfigError(f"provider {name!r} cannot be loaded ({exc}); {hint}") from exc
    if not callable(loaded):
        raise ProviderConfigError(f"provider {name!r}: {target} is not callable")
    return loaded  # type: ignore[no-any-return]


def _import(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


REGISTRY = Registry()
for _name, _target in BUILTINS.items():
    REGISTRY.register(_name, _target)


def register_provider(name: str, factory: Target, *, replace: bool = False) -> None:
    """Add a provider prefix at run time (tests, notebooks); packages use entry points."""
    REGISTRY.register(name, factory, replace=replace)


def known_providers() -> list[str]:
    return REGISTRY.names()


# `harness list providers`: what each built-in serves and how a reference to it is written
# (read without importing the adapter, so listing needs no optional dependency)
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "openai": ("openai:gpt-4o-mini", "OpenAI's API or any OpenAI-compatible server "
               "(base_url or OPENAI_BASE_URL; key from OPENAI_API_KEY)"),
    "anthropic": ("anthropic:claude-3-5-haiku-latest", "Anthropic's Messages API "
                  "(key from ANTHROPIC_API_KEY)"),
    "python": ("python:package.module:function", "your own code: a function called once "
               "per case (a module next to the suite can be named)"),
    "http": ("http:https://host/path", "a JSON endpoint, with a request template and a "
             "response path"),
    "local": ("local:smollm2", "a small model run on this machine (the [local] extra)"),
}


def describe_providers() -> list[dict[str, str]]:
    """Every known provider prefix with an example reference, a one-line description and
    where it comes from (`builtin`, or the entry point's distribution and target)."""
    rows = []
    for name in known_providers():
        target = REGISTRY._targets.get(name)
        example, text = DESCRIPTIONS.get(name, (f"{name}:MODEL", ""))
        if name in BUILTINS and target == BUILTINS[name]:
            source = "builtin"
        elif isinstance(target, EntryPoint):
            dist = getattr(getattr(target, "dist", None), "name", None)
            source = f"entry point {target.value}" + (f" ({dist})" if dist else "")
            text = text or _entry_point_summary(target)
        else:
            source = "registered at run time"
        rows.append({"name": name, "example": example, "description": text, "source": source})
    return rows


def _entry_point_summary(point: EntryPoint) -> str:
    """The first line of a plugin's docstring, found without importing it when possible."""
    try:
        loaded = point.load()
    except Exception:  # noqa: BLE001 - a broken plugin is listed, not fatal
        return "(cannot be loaded)"
    doc = (getattr(loaded, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def parse_ref(ref: str) -> tuple[str, str]:
    """``"openai:gpt-4o"`` -> ``("openai", "gpt-4o")``; only the first colon splits, so
    ``http:https://x/y`` and ``python:pkg.mod:fn`` keep their rest whole."""
    provider, sep, rest = ref.strip().partition(":")
    known = known_providers()
    if not sep or not provider or not rest:
        raise ProviderConfigError(
            f"model reference {ref!r} needs the form provider:model "
            f"(e.g. openai:gpt-4o-mini); known providers: {', '.join(known)}"
        )
    if provider not in known:
        raise ProviderConfigError(
            f"model reference {ref!r}: unknown provider {provider!r}; known: {', '.join(known)}"
        )
    return provider, rest


def effective_spec(spec: ModelSpec) -> ModelSpec:
    """`spec` with the options its provider will really use, so a run records them."""
    name, _ = parse_ref(spec.ref)
    hook = EFFECTIVE_OPTIONS.get(name)
    if hook is None:
        return spec
    return spec.model_copy(update={"options": _import(hook)(spec)})


def effective_endpoint(spec: ModelSpec) -> str | None:
    """The URL `spec`'s requests really go to (`http:` models: their URL), or None for
    providers with no server (`python:`, `local:`). Unredacted: the caller redacts."""
    name, rest = parse_ref(spec.ref)
    if name == "http":
        return rest
    hook = ENDPOINTS.get(name)
    return None if hook is None else str(_import(hook)(spec))


def create_provider(spec: ModelSpec | str) -> Provider:
    """The adapter for `spec` (no wrappers; see `build_stack` for the full stack)."""
    spec = ModelSpec(ref=spec) if isinstance(spec, str) else spec
    name, _ = parse_ref(spec.ref)
    provider = REGISTRY.factory(name)(spec)
    if not isinstance(provider, Provider):
        raise ProviderConfigError(f"provider {name!r} returned {provider!r}, not a Provider")
    return provider

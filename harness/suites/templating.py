"""Prompt templates: Jinja2 in a sandbox, compiled once per suite, checked at load time.

Suites come from many hands, so templates run in Jinja's immutable sandbox (no attribute
tricks, no mutating the data). `StrictUndefined` turns a misspelt variable into an error
instead of an empty string silently sent to a model. Because a paid run should not fail on
case 900, loading renders every case once; the runner then re-renders thousands of cases
from the compiled templates, which costs microseconds each.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from harness.errors import FileError
from harness.models import Case, Message, Suite

if TYPE_CHECKING:
    from harness.suites.loader import LoadedSuite

# Autoescape is off on purpose: these are prompts, not HTML.
ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
RESERVED = ("context", "input", "case_id", "expected")
Locate = Callable[[str], tuple[int | None, str]]  # "template" | "system" -> (line, field)


@dataclass
class SuiteTemplates:
    """The suite's compiled templates, plus a cache of compiled case-message templates."""

    system: Template | None
    user: Template | None
    _messages: dict[str, Template] = field(default_factory=dict, repr=False)

    def message(self, source: str) -> Template:
        """Compile a message template once; conversations repeat the same turns a lot."""
        compiled = self._messages.get(source)
        if compiled is None:
            compiled = self._messages[source] = ENV.from_string(source)
        return compiled


def compile_templates(suite: Suite, path: str, locate: Locate) -> SuiteTemplates:
    """Compile `prompt.system` and `prompt.template`; a syntax error names the key's line."""
    return SuiteTemplates(
        system=_compile(suite.prompt.system, path, *locate("system")),
        user=_compile(suite.prompt.template, path, *locate("template")),
    )


def _compile(source: str | None, path: str, line: int | None, where: str) -> Template | None:
    if source is None:
        return None
    try:
        return ENV.from_string(source)
    except TemplateSyntaxError as exc:
        message = f"template syntax error: {exc.message} (line {exc.lineno} of the template)"
        raise FileError(path, message, line=line, field=where) from None


def variables(case: Case) -> dict[str, Any]:
    """What a template sees: the case's vars, plus the case fields it actually has.

    A field the case leaves empty stays undefined, so `{{ input }}` on a case without input
    is an error rather than the text "None" (`{% if context is defined %}` still works).
    """
    values = dict(case.vars)
    fields = {"case_id": case.id, "input": case.input, "context": case.context,
              "expected": case.expected}
    values.update({name: value for name, value in fields.items() if value is not None})
    return values


def render_messages(loaded: LoadedSuite, case: Case) -> list[dict[str, Any]]:
    """The OpenAI-shaped conversation for one case: system, then messages or one user turn."""
    templates = loaded.templates
    values = variables(case)
    out: list[dict[str, Any]] = []
    if templates.system is not None and not _has_own_system(case):
        out.append({"role": "system", "content": templates.system.render(values)})
    if case.messages:
        out += [_render_message(m, templates, values) for m in case.messages]
    elif templates.user is not None:
        out.append({"role": "user", "content": templates.user.render(values)})
    else:
        out.append({"role": "user", "content": case.input})  # data, not a template
    return out


def _has_own_system(case: Case) -> bool:
    return bool(case.messages) and any(m.role == "system" for m in case.messages or ())


def _render_message(
    message: Message, templates: SuiteTemplates, values: dict[str, Any]
) -> dict[str, Any]:
    rendered = message.model_dump(exclude_none=True)
    if message.content is not None and "{" in message.content:
        rendered["content"] = templates.message(message.content).render(values)
    return rendered


# --------------------------------------------------------------------------- load-time check


def template_problem(exc: Exception) -> str:
    """Why a render failed, in one line."""
    if isinstance(exc, SecurityError):
        return f"unsafe template: {exc.message}"
    if isinstance(exc, UndefinedError):
        match = re.fullmatch(r"'(.+)' is undefined", exc.message or "")
        if match:
            return f"template variable '{match.group(1)}' is undefined"
        return f"template error: {exc.message}"
    if isinstance(exc, TemplateSyntaxError):
        return f"template syntax error: {exc.message} (line {exc.lineno} of the template)"
    if isinstance(exc, TemplateError):
        return f"template error: {exc.message}"
    return f"template error: {type(exc).__name__}: {exc}"


def failing_template(
    templates: SuiteTemplates, case: Case
) -> tuple[str, int | None, Exception] | None:
    """Which template fails for `case`: ("system"|"template"|"message", index, error)."""
    values = variables(case)
    attempts: list[tuple[str, int | None, Callable[[], Any]]] = []
    if templates.system is not None and not _has_own_system(case):
        attempts.append(("system", None, partial(templates.system.render, values)))
    if case.messages:
        for j, message in enumerate(case.messages):
            attempts.append(("message", j, partial(_render_message, message, templates, values)))
    elif templates.user is not None:
        attempts.append(("template", None, partial(templates.user.render, values)))
    for kind, index, attempt in attempts:
        try:
            attempt()
        except Exception as exc:  # any render failure is the user's template to fix
            return kind, index, exc
    return None

"""Prompt templates: Jinja2 in a sandbox, compiled once per suite, checked at load time.

Suites come from many hands, so templates run in Jinja's immutable sandbox (no attribute
tricks, no mutating the data). `StrictUndefined` turns a misspelt variable into an error
instead of an empty string silently sent to a model. Because a paid run should not fail on
case 900, loading renders every case once; the runner then re-renders thousands of cases
from the compiled templates, which costs microseconds each.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from harness.errors import FileError
from harness.models import Case, Message, Suite

# Bounds on what one render may do: a template is code from a suite file, and `'x' * 10**9`
# or two nested `range(100000)` loops would otherwise take the process's memory or forever.
MAX_RENDERED_CHARS = 2_000_000
MAX_LOOP_ITEMS = 1_000_000  # items all `range()` calls of one render may produce together
MAX_RENDER_SECONDS = 5.0
_budget: ContextVar[list[float] | None] = ContextVar("template_budget", default=None)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with `*` and `**` bounded (no `'x' * 10**9`; intercepting
    them also stops Jinja folding such constants at compile time) and a `range` that counts
    against the render's loop budget."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and (
                        len(seq) * n > MAX_RENDERED_CHARS):
                    raise SecurityError(f"repetition makes more than {MAX_RENDERED_CHARS:,} "
                                        "items")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and (
                right > 64 or (right > 0 and abs(left).bit_length() * right > 4096)):
            raise SecurityError("power too large for a template")
        return super().call_binop(context, operator, left, right)


def _bounded_range(*args: int) -> Any:
    items = range(*args)
    budget = _budget.get()
    if budget is None:
        if len(items) > MAX_LOOP_ITEMS:
            raise SecurityError(f"range of more than {MAX_LOOP_ITEMS:,} items")
        return items
    return _counted(items, budget)


def _counted(items: range, budget: list[float]) -> Any:
    for item in items:
        budget[0] -= 1
        if budget[0] < 0:
            raise SecurityError(f"template loops run more than {MAX_LOOP_ITEMS:,} times")
        if time.monotonic() > budget[1]:
            raise SecurityError(f"template took more than {MAX_RENDER_SECONDS:g} s")
        yield item


def render(template: Template, values: dict[str, Any]) -> str:
    """Render under the bounds: output size, loop items and time (SecurityError past them)."""
    token = _budget.set([MAX_LOOP_ITEMS, time.monotonic() + MAX_RENDER_SECONDS])
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(values):
            size += len(chunk)
            if size > MAX_RENDERED_CHARS:
                raise SecurityError(f"template renders more than {MAX_RENDERED_CHARS:,} "
                                    "characters")
            parts.append(chunk)
        return "".join(parts)
    finally:
        _budget.reset(token)


# Autoescape is off on purpose: these are prompts, not HTML.
ENV = BoundedSandbox(undefined=StrictUndefined, autoescape=False)
ENV.globals["range"] = _bounded_range
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


class PromptSource(Protocol):
    """What rendering needs of a loaded suite (`harness.suites.LoadedSuite` is one)."""

    @property
    def suite(self) -> Suite: ...

    @property
    def templates(self) -> SuiteTemplates: ...


def render_messages(loaded: PromptSource, case: Case) -> list[dict[str, Any]]:
    """The OpenAI-shaped conversation for one case: system, then messages or one user turn."""
    templates = loaded.templates
    values = variables(case)
    out: list[dict[str, Any]] = []
    if templates.system is not None and not _has_own_system(case):
        out.append({"role": "system", "content": render(templates.system, values)})
    if case.messages:
        as_template = loaded.suite.prompt.messages == "template"
        out += [_render_message(m, templates, values, as_template) for m in case.messages]
    elif templates.user is not None:
        out.append({"role": "user", "content": render(templates.user, values)})
    else:
        out.append({"role": "user", "content": case.input})  # data, not a template
    return out


def _has_own_system(case: Case) -> bool:
    return bool(case.messages) and any(m.role == "system" for m in case.messages or ())


def _render_message(
    message: Message, templates: SuiteTemplates, values: dict[str, Any], as_template: bool
) -> dict[str, Any]:
    """A case's own message: as written (a conversation is data: a real transcript with
    `{{ name }}` in it is sent as it is), or rendered when the suite says
    `prompt: {messages: template}`."""
    rendered = message.model_dump(exclude_none=True)
    if as_template and message.content is not None and "{" in message.content:
        rendered["content"] = render(templates.message(message.content), values)
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
    templates: SuiteTemplates, case: Case, messages_are_templates: bool = False
) -> tuple[str, int | None, Exception] | None:
    """Which template fails for `case`: ("system"|"template"|"message", index, error)."""
    values = variables(case)
    attempts: list[tuple[str, int | None, Callable[[], Any]]] = []
    if templates.system is not None and not _has_own_system(case):
        attempts.append(("system", None, partial(render, templates.system, values)))
    if case.messages and messages_are_templates:
        for j, message in enumerate(case.messages):
            attempts.append(("message", j, partial(_render_message, message, templates,
                                                   values, True)))
    elif not case.messages and templates.user is not None:
        attempts.append(("template", None, partial(render, templates.user, values)))
    for kind, index, attempt in attempts:
        try:
            attempt()
        except Exception as exc:  # any render failure is the user's template to fix
            return kind, index, exc
    return None

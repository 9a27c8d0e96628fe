"""Prompt rendering: sandboxed, strict about variables (at load time), cheap per case."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from suite_fixtures import Write

from harness.errors import FileError
from harness.models import Case
from harness.suites import load_suite, render_messages


def fails(path: Path) -> FileError:
    with pytest.raises(FileError) as info:
        load_suite(path)
    return info.value


def test_default_is_one_user_message_with_the_input_verbatim(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\ncases:\n  - {id: a, input: '{{ x }}'}\n")
    loaded = load_suite(path)
    assert render_messages(loaded, loaded.cases[0]) == [{"role": "user", "content": "{{ x }}"}]


def test_system_and_template_get_case_variables(shop: Path) -> None:
    loaded = load_suite(shop)
    messages = render_messages(loaded, loaded.cases[1])  # gift-wrap: context given as a string
    assert messages[0]["role"] == "system"
    assert messages[0]["content"].startswith("Use only the passages given.")
    assert messages[1] == {
        "role": "user",
        "content": "Passages:\n[1] Gift wrapping costs 3 euros per item.\n\n"
        "Question: Do you gift wrap?",
    }


def test_builtin_variables(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        prompt:
          template: "{{ case_id }}|{{ input }}|{{ expected }}|{{ context | join(',') }}"
        cases:
          - {id: a, input: q, expected: 42, context: [p1, p2]}
        """,
    )
    loaded = load_suite(path)
    assert render_messages(loaded, loaded.cases[0])[0]["content"] == "a|q|42|p1,p2"


def test_conversation_is_data_by_default_and_keeps_its_own_system(shop: Path) -> None:
    """A real transcript may hold `{{ }}`: messages are sent as written unless the suite
    says `prompt: {messages: template}`."""
    loaded = load_suite(shop)
    loyalty = next(c for c in loaded.cases if c.id == "loyalty")
    assert render_messages(loaded, loyalty) == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Points for {{ amount }} euros?"},
    ]


def test_a_transcript_with_braces_loads_and_is_sent_verbatim(write: Write) -> None:
    path = write("s.yaml", 'suite: s\nversion: 1\ncases:\n  - id: chat\n    messages:\n'
                 '      - {role: user, content: "Why does {{ name }} show in my e-mail?"}\n')
    loaded = load_suite(path)
    assert render_messages(loaded, loaded.cases[0])[0]["content"] == (
        "Why does {{ name }} show in my e-mail?")


def test_conversation_without_system_gets_the_suites(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        prompt: {system: "Be brief, {{ name }}.", template: "unused {{ nothing }}",
                 messages: template}
        cases:
          - id: chat
            vars: {name: Bo}
            messages:
              - {role: user, content: "Hi {{ name }}"}
              - {role: assistant, content: "Hello!"}
              - {role: user, content: "Bye"}
        """,
    )
    loaded = load_suite(path)
    assert render_messages(loaded, loaded.cases[0]) == [
        {"role": "system", "content": "Be brief, Bo."},
        {"role": "user", "content": "Hi Bo"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Bye"},
    ]


def test_missing_variable_is_a_load_error_naming_case_and_template(write: Write) -> None:
    path = write(
        "suites/x.yaml",
        """
        suite: s
        version: 1
        prompt:
          template: |
            Question: {{ question }}
        cases:
          - id: fine
            vars: {question: ok}
          - id: refund-window
            vars: {questoin: typo}
        """,
    )
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 4, "prompt.template")
    assert err.message == (
        f"case 'refund-window' ({path}:9): template variable 'question' is undefined"
    )


def test_missing_variable_in_a_jsonl_case_names_its_line(write: Write) -> None:
    write("cases.jsonl", '{"id": "a", "vars": {"q": 1}}\n{"id": "b"}\n')
    path = write("s.yaml", "suite: s\nversion: 1\nprompt: {template: '{{ q }}'}\n"
                           "cases:\n  - from: cases.jsonl\n")
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 3, "prompt.template")
    assert f"case 'b' ({path.parent / 'cases.jsonl'}:2)" in err.message


def test_missing_variable_in_a_message_points_at_the_message(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        prompt: {messages: template}
        cases:
          - id: chat
            messages:
              - {role: user, content: "hi"}
              - {role: user, content: "{{ who }}"}
        """,
    )
    err = fails(path)
    assert (err.line, err.field) == (8, "cases[0].messages[1].content")
    assert err.message == "case 'chat': template variable 'who' is undefined"


def test_is_defined_guards_are_allowed(write: Write) -> None:
    template = "{% if context is defined %}C {% endif %}{{ input }}"
    path = write("s.yaml", f"suite: s\nversion: 1\nprompt: {{template: '{template}'}}\n"
                           "cases: [{id: a, input: q}]\n")
    loaded = load_suite(path)
    assert render_messages(loaded, loaded.cases[0])[0]["content"] == "q"


def test_template_syntax_error_names_the_template_key(write: Write) -> None:
    path = write(
        "s.yaml",
        """
        suite: s
        version: 1
        prompt:
          system: fine
          template: |
            Line one
            Question: {{ question }
        cases: [{id: a, vars: {question: q}}]
        """,
    )
    err = fails(path)
    assert (err.path, err.line, err.field) == (str(path), 5, "prompt.template")
    assert err.message.startswith("template syntax error:")
    assert "(line 2 of the template)" in err.message


def test_sandbox_blocks_attribute_tricks(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\n"
                           "prompt: {system: \"{{ ''.__class__.__mro__ }}\"}\n"
                           "cases: [{id: a, input: q}]\n")
    err = fails(path)
    assert (err.line, err.field) == (3, "prompt.system")
    assert "unsafe template" in err.message
    assert "__class__" in err.message


def test_sandbox_is_immutable(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\n"
                           "prompt: {template: '{{ tags.append(1) }}'}\n"
                           "cases: [{id: a, vars: {tags: [x]}}]\n")
    err = fails(path)
    assert "unsafe template" in err.message


def test_reserved_variable_names_are_refused(write: Write) -> None:
    case = "{id: a, input: q, vars: {input: x}}"
    path = write("s.yaml", f"suite: s\nversion: 1\ncases:\n  - {case}\n")
    err = fails(path)
    assert (err.line, err.field) == (4, "cases[0].vars.input")
    assert "reserved" in err.message


def test_case_with_nothing_to_send(write: Write) -> None:
    path = write("s.yaml", "suite: s\nversion: 1\ncases:\n  - {id: a}\n")
    err = fails(path)
    assert (err.line, err.field) == (4, "cases[0]")
    assert "nothing to send" in err.message


def test_rendering_a_new_case_uses_the_compiled_templates(shop: Path) -> None:
    loaded = load_suite(shop)
    case = Case(id="new", vars={"question": "Why?"}, context=["Because."])
    assert render_messages(loaded, case)[-1]["content"].endswith("Question: Why?")


def test_rendering_is_cheap(shop: Path) -> None:
    """The runner renders thousands of cases; this is a loose bound (measured ~20 µs)."""
    loaded = load_suite(shop)
    case = loaded.cases[0]
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        render_messages(loaded, case)
    per_render = (time.perf_counter() - start) / n
    assert per_render < 500e-6


@pytest.mark.parametrize("template", [
    "{{ 'x' * 10**9 }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{{ 2 ** 100000000 }}",
    "{% for i in range(3000) %}{{ 'y' * 1000 }}{% endfor %}",
])
def test_a_template_that_would_exhaust_memory_or_time_is_a_load_error(
        write: Write, template: str) -> None:
    path = write("s.yaml", f"suite: s\nversion: 1\nprompt: {{template: \"{template}\"}}\n"
                           "cases: [{id: a, input: q}]\n")
    err = fails(path)
    assert "unsafe template" in err.message

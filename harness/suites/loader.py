"""Load suite and rubric files into validated, hashed, ready-to-run records.

Loading is where every mistake in a user's files must surface, each as one `FileError`
naming the file, the line and the field, so that `harness check` is a complete dry run:
structure, check parameters, case files, duplicate ids, rubrics and templates (every case
is rendered once). Nothing here calls a model or prints.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sized
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import FileError
from harness.models import Case, CaseSource, CheckSpec, Rubric, Suite
from harness.suites import registry
from harness.suites.checks import CheckTypes, check_problems
from harness.suites.problems import Problem, describe, from_validation, raise_problems
from harness.suites.sources import (
    CaseOrigin,
    confined,
    missing_case_file,
    read_case_file,
)
from harness.suites.yamlio import Document, Loc, format_loc, read_yaml
from harness.templating import (
    RESERVED,
    Locate,
    SuiteTemplates,
    compile_templates,
    failing_template,
    template_problem,
)

HASH_SCHEME = "v1"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LoadedRubric:
    """A validated rubric and the hash of what it says (not how it is formatted)."""

    rubric: Rubric
    path: str
    content_hash: str

    def __str__(self) -> str:
        """One line for `harness check`: what was validated, at a glance."""
        r = self.rubric
        return (f"rubric {r.rubric} v{r.version}: {_count(r.checks, 'check')}, "
                f"{_count(r.slo, 'objective')} ({self.content_hash[:15]})")


@dataclass(frozen=True)
class LoadedSuite:
    """A validated suite with its cases expanded, its rubrics loaded and its templates compiled.

    `content_hash` covers everything a verdict depends on in the files (suite, every case,
    rubric contents), so two runs can tell whether they evaluated the same thing.
    """

    suite: Suite
    path: str
    rubrics: list[LoadedRubric]
    content_hash: str
    case_lines: dict[str, tuple[str, int]]  # case id -> (file, line), for later messages
    templates: SuiteTemplates = field(repr=False, compare=False)
    # `prompts:` variants, compiled: name -> templates (empty without `prompts:`)
    variants: dict[str, SuiteTemplates] = field(default_factory=dict, repr=False,
                                                compare=False)

    def for_prompt(self, name: str | None) -> LoadedSuite:
        """The suite as one prompt variant sees it (`prompt` and `templates` are that
        variant's); `None`: the first variant. Without `prompts:`, the suite itself."""
        if not self.variants or self.suite.prompts is None:
            return self
        name = name if name is not None else next(iter(self.variants))
        suite = self.suite.model_copy(update={"prompt": self.suite.prompts[name]})
        return replace(self, suite=suite, templates=self.variants[name])

    def __str__(self) -> str:
        """One line for `harness check`: what was validated, at a glance."""
        s = self.suite
        return (f"suite {s.suite} v{s.version}: {_count(s.cases, 'case')}, "
                f"{_count(self.rubrics, 'rubric')} ({self.content_hash[:15]})")

    @property
    def cases(self) -> list[Case]:
        """The cases, in file order (`from:` entries already replaced by their cases)."""
        return [c for c in self.suite.cases if isinstance(c, Case)]

    def checks_for(self, case: Case) -> list[CheckSpec]:
        """Checks that apply to `case`: rubric checks, then the suite's, then the case's own."""
        from_rubrics = [check for r in self.rubrics for check in r.rubric.checks]
        return [*from_rubrics, *self.suite.checks, *case.checks]

    def cases_without_checks(self) -> list[Case]:
        """Cases that no check applies to: their results are `unchecked`, never passes."""
        return [c for c in self.cases if not self.checks_for(c)]


def _count(items: Sized, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


# --------------------------------------------------------------------------- public


def load_suite(path: str | Path) -> LoadedSuite:
    """Read, validate, expand and hash a suite file; any mistake is a located FileError."""
    doc = read_yaml(path)
    _expect_kind(doc, "suite")
    return _build_suite(doc, registry.check_types())


def load_rubric(path: str | Path) -> LoadedRubric:
    """Read and validate a rubric file (checks included)."""
    doc = read_yaml(path)
    _expect_kind(doc, "rubric")
    return _build_rubric(doc, registry.check_types())


def check_file(path: str | Path) -> LoadedSuite | LoadedRubric:
    """Validate a suite or rubric file, told apart by its top-level key, without running it."""
    doc = read_yaml(path)
    kind = _kind_of(_top_mapping(doc))
    if kind is None:
        raise FileError(
            doc.path, "not a suite or a rubric: expected a top-level `suite:` or `rubric:` key",
            line=1,
        )
    types = registry.check_types()
    return _build_suite(doc, types) if kind == "suite" else _build_rubric(doc, types)


# --------------------------------------------------------------------------- kinds


def _top_mapping(doc: Document) -> dict[str, Any]:
    if not isinstance(doc.data, dict):
        # the kind only: a file read by mistake (a key file, /etc/passwd) is never echoed
        message = f"expected a mapping at the top, got {describe(doc.data, preview=False)}"
        raise FileError(doc.path, message, line=1)
    return doc.data


def _kind_of(data: dict[str, Any]) -> str | None:
    """`suite:` decides first: a suite may also name its `rubric:`."""
    if "suite" in data:
        return "suite"
    return "rubric" if "rubric" in data else None


def _expect_kind(doc: Document, kind: str) -> None:
    """A rubric passed where a suite is expected (or back) gets said plainly."""
    found = _kind_of(_top_mapping(doc))
    if found is not None and found != kind:
        raise FileError(
            doc.path, f"this is a {found} file, not a {kind} file",
            line=doc.line((found,)), field=found,
        )


# --------------------------------------------------------------------------- rubric


def _build_rubric(doc: Document, types: CheckTypes | None) -> LoadedRubric:
    rubric = _validate(Rubric, doc)
    raise_problems(
        check_problems(doc.data.get("checks"), types=types, path=doc.path, prefix=("checks",),
                       line_of=doc.line)
    )
    return LoadedRubric(rubric, doc.path, content_hash(_dump(rubric)))


def _validate(model: type[M], doc: Document) -> M:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise_problems(_problems(exc.errors(), doc.data, doc, (), model))
        raise AssertionError("unreachable: a ValidationError has at least one error") from exc


def _problems(
    errors: list[Any], data: Any, doc: Document, prefix: Loc, model: type[BaseModel]
) -> list[Problem]:
    return from_validation(
        errors, data, path=doc.path, line_of=doc.line, prefix=prefix, model=model
    )


# --------------------------------------------------------------------------- suite


def _build_suite(doc: Document, types: CheckTypes | None) -> LoadedSuite:
    suite = _validate_suite(doc)
    raise_problems(_suite_check_problems(doc, types))
    cases = _expand_cases(doc, suite, types)
    _reject_duplicate_ids(cases)
    rubrics = _load_rubrics(doc, suite)
    suite = suite.model_copy(update={"cases": [case for case, _ in cases]})
    templates = compile_templates(suite, doc.path, _prompt_locator(doc))
    variants = {}
    for name, prompt in (suite.prompts or {}).items():  # every variant renders every case
        variants[name] = compile_templates(suite.model_copy(update={"prompt": prompt}),
                                           doc.path, _prompt_locator(doc, name))
        _check_templates(doc, variants[name], cases, name)
    if not variants:
        _check_templates(doc, templates, cases)
    return LoadedSuite(
        suite=suite,
        path=doc.path,
        rubrics=rubrics,
        content_hash=_suite_hash(suite, rubrics),
        case_lines={case.id: (origin.path, origin.line) for case, origin in cases},
        templates=templates,
        variants=variants,
    )


def _validate_suite(doc: Document) -> Suite:
    """Validate the suite; each case item against the model its shape asks for.

    Validating `Case | CaseSource` as a union would report every mistake twice (once per
    branch); an item with `from:` is a case source, anything else is a case.
    """
    data = doc.data
    try:
        return Suite.model_validate(data)
    except ValidationError as caught:
        exc = caught
    outside = [e for e in exc.errors() if not _inside_case_item(e["loc"])]
    problems = _problems(outside, data, doc, (), Suite)
    items = data.get("cases")
    for i, item in enumerate(items if isinstance(items, list) else []):
        problems += _case_item_problems(item, doc, ("cases", i))
    if not problems:  # the union judged an item differently than we did: say what it said
        problems = _problems(exc.errors(), data, doc, (), Suite)
    problems.sort(key=lambda p: p.line or 0)
    raise_problems(problems)
    raise AssertionError("unreachable: the suite failed validation")


def _inside_case_item(loc: tuple[Any, ...]) -> bool:
    return len(loc) > 1 and loc[0] == "cases" and isinstance(loc[1], int)


def _case_item_problems(item: Any, doc: Document, loc: Loc) -> list[Problem]:
    if not isinstance(item, dict):
        message = f"expected a case (a mapping) or `from: file.jsonl`, got {describe(item)}"
        return [Problem(doc.path, doc.line(loc), format_loc(loc), message)]
    model: type[BaseModel] = CaseSource if "from" in item else Case
    try:
        model.model_validate(item)
    except ValidationError as exc:
        problems = _problems(exc.errors(), item, doc, loc, model)
    else:
        return []
    if model is CaseSource:  # `from:` next to case fields: say the rule, not just the key
        hint = " (a `from:` entry takes no other fields)"
        problems = [replace(p, message=p.message + hint) for p in problems]
    return problems


def _suite_check_problems(doc: Document, types: CheckTypes | None) -> list[Problem]:
    """Check params of suite-level checks and of each inline case's checks."""
    def at(prefix: Loc, checks: Any) -> list[Problem]:
        return check_problems(checks, types=types, path=doc.path, prefix=prefix, line_of=doc.line)

    problems = at(("checks",), doc.data.get("checks"))
    for i, item in enumerate(doc.data["cases"]):
        if "from" not in item:
            problems += at(("cases", i, "checks"), item.get("checks"))
    return problems


def _expand_cases(
    doc: Document, suite: Suite, types: CheckTypes | None
) -> list[tuple[Case, CaseOrigin]]:
    """Inline cases and `from:` files' cases, in order, each with where it came from."""
    out: list[tuple[Case, CaseOrigin]] = []
    for i, item in enumerate(suite.cases):
        if isinstance(item, Case):
            out.append((item, CaseOrigin(doc.path, doc.line(("cases", i)) or 1, ("cases", i),
                                         doc.line)))
        else:
            out += _read_source(doc, i, item, types)
    return out


def _read_source(
    doc: Document, index: int, source: CaseSource, types: CheckTypes | None
) -> list[tuple[Case, CaseOrigin]]:
    loc = ("cases", index, "from")
    file = confined(doc.path, source.from_, doc.line(loc), format_loc(loc))
    if not Path(file).is_file():
        raise missing_case_file(doc.path, source.from_, loc, doc.line(loc))
    cases = read_case_file(file, types)
    if not cases:  # an empty file is a mistake far more often than an intention
        loc = ("cases", index, "from")
        raise FileError(doc.path, f"case file '{source.from_}' has no cases",
                        line=doc.line(loc), field=format_loc(loc))
    return cases


def _reject_duplicate_ids(cases: list[tuple[Case, CaseOrigin]]) -> None:
    """Ids are the comparison key across runs: two cases may not share one."""
    first: dict[str, CaseOrigin] = {}
    problems: list[Problem] = []
    for case, origin in cases:
        if case.id in first:
            message = f"duplicate case id '{case.id}' (first at {first[case.id].where()})"
            problems.append(origin.problem(("id",), message))
        else:
            first[case.id] = origin
    raise_problems(problems)


def _load_rubrics(doc: Document, suite: Suite) -> list[LoadedRubric]:
    """Rubric paths are relative to the suite; a missing one points at the `rubric:` line."""
    if suite.rubric is None:
        return []
    refs = suite.rubric if isinstance(suite.rubric, list) else [suite.rubric]
    loaded = []
    for k, relative in enumerate(refs):
        loc: Loc = ("rubric", k) if isinstance(suite.rubric, list) else ("rubric",)
        file = confined(doc.path, relative, doc.line(loc), format_loc(loc))
        if not Path(file).is_file():
            raise FileError(
                doc.path, f"rubric file not found: '{relative}' (looked for {file})",
                line=doc.line(loc), field=format_loc(loc),
            )
        loaded.append(load_rubric(file))
    return loaded


# --------------------------------------------------------------------------- templates


def _prompt_locator(doc: Document, name: str | None = None) -> Locate:
    """Where a prompt key is written: `prompt.KEY`, or `prompts.NAME.KEY` for a variant."""
    def locate(key: str) -> tuple[int | None, str]:
        if name is not None:
            return doc.line(("prompts", name, key)), f"prompts.{name}.{key}"
        return doc.line(("prompt", key)), f"prompt.{key}"

    return locate


def _check_templates(
    doc: Document, templates: SuiteTemplates, cases: list[tuple[Case, CaseOrigin]],
    name: str | None = None,
) -> None:
    """Render every case once now, so a missing variable fails `harness check`, not a run."""
    problems: list[Problem] = []
    for case, origin in cases:
        problems += _case_template_problems(doc, templates, case, origin, name)
    raise_problems(problems)


def _case_template_problems(
    doc: Document, templates: SuiteTemplates, case: Case, origin: CaseOrigin,
    name: str | None = None,
) -> list[Problem]:
    clashes = [name for name in RESERVED if name in case.vars]
    if clashes:
        message = f"case '{case.id}': var '{clashes[0]}' is reserved (it comes from the case)"
        return [origin.problem(("vars", clashes[0]), message)]
    if not case.messages and templates.user is None and case.input is None:
        message = (f"case '{case.id}' has nothing to send: give it `input` or `messages`, "
                   "or set prompt.template")
        return [origin.problem((), message)]
    prompt = doc.data.get("prompt") if isinstance(doc.data, dict) else None
    if name is not None and isinstance(doc.data, dict):
        prompt = (doc.data.get("prompts") or {}).get(name)
    as_template = isinstance(prompt, dict) and prompt.get("messages") == "template"
    failure = failing_template(templates, case, as_template)
    if failure is None:
        return []
    kind, index, exc = failure
    if kind == "message":
        return [origin.problem(("messages", index or 0, "content"),
                               f"case '{case.id}': {template_problem(exc)}")]
    line, where = _prompt_locator(doc, name)(kind)
    message = f"case '{case.id}' ({origin.where()}): {template_problem(exc)}"
    return [Problem(doc.path, line, where, message)]


# --------------------------------------------------------------------------- hashing


def _dump(model: BaseModel) -> Any:
    """Canonical content: defaults left out, so adding a field to harness keeps old hashes."""
    return model.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def content_hash(payload: Any) -> str:
    """`v1:<sha256>` of canonical JSON; the scheme prefix lets the recipe change later."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return f"{HASH_SCHEME}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def _suite_hash(suite: Suite, rubrics: list[LoadedRubric]) -> str:
    return content_hash({"suite": _dump(suite), "rubrics": [r.content_hash for r in rubrics]})

"""Where each case came from, and reading `from: cases/x.jsonl` case files.

A case may live inline in the suite or on one line of a JSONL file. Every later message
about a case (bad check, duplicate id, undefined template variable) must point at its own
file and line, so each case travels with a `CaseOrigin` that can locate its fields.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness import jsonlines
from harness.errors import FileError
from harness.models import Case
from harness.suites.checks import CheckTypes, check_problems
from harness.suites.problems import LineOf, Problem, describe, from_validation, raise_problems
from harness.suites.yamlio import Loc, format_loc, read_text


@dataclass(frozen=True)
class CaseOrigin:
    """A case's file, its line, and how to find the line of any of its fields."""

    path: str
    line: int
    prefix: Loc  # ("cases", 3) inline; () on a JSONL line, where fields need no prefix
    line_of: LineOf

    def problem(self, loc: Loc, message: str) -> Problem:
        full = (*self.prefix, *loc)
        line = self.line_of(full) or self.line
        return Problem(self.path, line, format_loc(full) or None, message)

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def resolve(base_file: str, relative: str) -> str:
    """A path written in `base_file`, relative to that file's folder, tidied for messages."""
    return os.path.normpath(os.path.join(os.path.dirname(base_file), relative))


ALLOW_ANY_PATH_ENV = "HARNESS_ALLOW_ANY_PATH"
PROJECT_MARKERS = (".git", "pyproject.toml", "harness.toml", "setup.cfg", "package.json")


def project_root(suite_file: str) -> Path:
    """Where a suite's `from:` and `rubric:` paths may point: the nearest folder above the
    suite holding a project marker (`.git`, `pyproject.toml`, ...), else the folder above
    the suite's own (so `../rubrics/x.yaml` works in a plain `suites/` + `rubrics/` tree)."""
    folder = Path(suite_file).resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return folder.parent


def confined(base_file: str, relative: str, line: int | None, field: str) -> str:
    """`resolve`, refusing a path (symlinks followed) that leaves the project, so a suite
    from elsewhere cannot make `harness check` read `/etc/passwd` or `~/.ssh` and show it.
    HARNESS_ALLOW_ANY_PATH=1 lifts this for a trusted suite."""
    file = resolve(base_file, relative)
    if os.environ.get(ALLOW_ANY_PATH_ENV) == "1":
        return file
    root = project_root(base_file)
    real = Path(file).resolve()
    if real != root and root not in real.parents:
        raise FileError(base_file, f"'{relative}' is outside the project ({root}); files a "
                        f"suite reads must be inside it (set {ALLOW_ANY_PATH_ENV}=1 to allow "
                        "any path for a suite you trust)", line=line, field=field)
    return file


def read_case_file(path: str, types: CheckTypes | None) -> list[tuple[Case, CaseOrigin]]:
    """Every case of a JSONL file with its origin; all problems found are raised together."""
    cases: list[tuple[Case, CaseOrigin]] = []
    problems: list[Problem] = []
    for number, text in _numbered_lines(read_text(path)):
        origin = CaseOrigin(path, number, (), partial(_same_line, number))
        case, found = _parse_case(text, origin, types)
        problems += found
        if case is not None:
            cases.append((case, origin))
    raise_problems(problems)
    return cases


def _same_line(number: int, _loc: Loc) -> int:
    """On a JSONL line every field is on that line."""
    return number


def missing_case_file(suite_path: str, relative: str, where: Loc, line: int | None) -> FileError:
    """The `from:` entry names a file that is not there; point at the entry."""
    looked = resolve(suite_path, relative)
    return FileError(
        suite_path,
        f"case file not found: '{relative}' (looked for {looked})",
        line=line,
        field=format_loc(where),
    )


def _numbered_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with 1-based numbers. Split on newlines only: JSON strings may hold
    U+2028, which `str.splitlines` would treat as a line break."""
    lines = text.removeprefix("\ufeff").split("\n")
    return [(n, line.rstrip("\r")) for n, line in enumerate(lines, start=1) if line.strip()]


def _parse_case(
    text: str, origin: CaseOrigin, types: CheckTypes | None
) -> tuple[Case | None, list[Problem]]:
    """One JSONL line -> a Case, or the problems that stop it being one."""
    try:
        obj: Any = jsonlines.loads(text)
    except json.JSONDecodeError as exc:
        return None, [origin.problem((), f"bad JSON: {exc.msg} (column {exc.colno})")]
    except ValueError as exc:
        return None, [origin.problem((), f"bad JSON: {exc}")]
    if not isinstance(obj, dict):
        message = f"expected a JSON object (one case a line), got {describe(obj)}"
        return None, [origin.problem((), message)]
    try:
        case = Case.model_validate(obj)
    except ValidationError as exc:
        return None, from_validation(
            exc.errors(), obj, path=origin.path, line_of=origin.line_of, model=Case
        )
    found = check_problems(
        obj.get("checks"), types=types, path=origin.path, prefix=("checks",), line_of=origin.line_of
    )
    return case, found

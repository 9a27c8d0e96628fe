"""Loading and validating suite and rubric files; prompt templating; JSON Schemas.

    loaded = load_suite("suites/support-bot.yaml")   # FileError (exit 2) on any mistake
    for case in loaded.cases:
        messages = render_messages(loaded, case)
        checks = loaded.checks_for(case)
"""

from harness.suites.loader import (
    LoadedRubric,
    LoadedSuite,
    check_file,
    load_rubric,
    load_suite,
)
from harness.templating import render_messages

__all__ = [
    "LoadedRubric",
    "LoadedSuite",
    "check_file",
    "load_rubric",
    "load_suite",
    "render_messages",
]

"""harness: evaluate and guard LLM applications.

The CLI (`harness ...`) is a thin layer over this library: load a suite with
`harness.suites.load_suite`, run it with `harness.pipeline.runner.run_suite`, read results from
`harness.store`. The names in `__all__` are importable from `harness` itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public API. Imported lazily (module `__getattr__`): `import harness` stays cheap, and the
# CLI's start-up does not pay for the runner, the scorers or the statistics it does not use.
_EXPORTS: dict[str, str] = {
    "Case": "harness.models",
    "Completion": "harness.models",
    "Suite": "harness.models",
    "LoadedSuite": "harness.suites",
    "load_suite": "harness.suites",
    "RunStore": "harness.store",
    "open_db": "harness.store",
    "RunConfig": "harness.pipeline.runner",
    "run_suite": "harness.pipeline.runner",
    "score_rows": "harness.pipeline.offline",
    "compare_runs": "harness.analysis.compare",
    "GateConfig": "harness.analysis.gate",
    "run_gate": "harness.analysis.gate",
    "Guard": "harness.guard",
    "GuardConfig": "harness.guard",
    "redact": "harness.guard",
    "evaluate": "harness.evaluation",
    "Evaluation": "harness.evaluation",
}

# written out (not `sorted(_EXPORTS)`) so linters and type checkers see it; a test pins both
__all__ = [
    "Case", "Completion", "Evaluation", "GateConfig", "Guard", "GuardConfig", "LoadedSuite",
    "RunConfig", "RunStore", "Suite", "compare_runs", "evaluate", "load_suite", "open_db", "redact",
    "run_gate", "run_suite", "score_rows",
]

if TYPE_CHECKING:
    from harness.analysis.compare import compare_runs
    from harness.analysis.gate import GateConfig, run_gate
    from harness.evaluation import Evaluation, evaluate
    from harness.guard import Guard, GuardConfig, redact
    from harness.models import Case, Completion, Suite
    from harness.pipeline.offline import score_rows
    from harness.pipeline.runner import RunConfig, run_suite
    from harness.store import RunStore, open_db
    from harness.suites import LoadedSuite, load_suite


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

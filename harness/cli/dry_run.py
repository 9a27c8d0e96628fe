"""`harness run --dry-run`: every prompt a run would send, rendered and printed; nothing called.

The text comes from suite files and case files, so it goes through the inert console: a
control character in a case is shown as an escape (`\\x1b`), never sent to the terminal.
"""

from __future__ import annotations

import json
from typing import Any

from harness.cli import err, out


def _content(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in params.items())


def print_dry_run(suites: tuple[str, ...], config: Any) -> None:
    """Load each suite, render its selected cases for its models, print them."""
    from harness.pipeline.runner import dry_run
    from harness.suites import load_suite

    total = 0
    for path in suites:
        loaded = load_suite(path)
        planned, selection, models = dry_run(loaded, config)
        n_cases = len({p.case.id for p in planned})
        cases = selection.describe() if selection else f"{n_cases} cases"
        requests = len(planned) * config.repeats
        total += requests
        out.print(f"suite {loaded.suite.suite} v{loaded.suite.version} ({path}): {cases}, "
                  f"{len(models)} model{'s' * (len(models) != 1)}, {config.repeats} "
                  f"repeat{'s' * (config.repeats != 1)}: {requests} requests", markup=False)
        for spec in models:
            params = {**loaded.suite.params, **spec.params}
            ref = f" ({spec.ref})" if spec.ref != spec.name else ""
            out.print(f"model {spec.name}{ref}"
                      + (f"  params: {_params(params)}" if params else ""), markup=False)
        shown: set[tuple[str, str | None]] = set()
        for request in planned:
            case, prompt = request.case, request.model.prompt
            if (case.id, prompt) in shown:  # the same for every model (of one prompt)
                continue
            shown.add((case.id, prompt))
            tags = f"  [{', '.join(case.tags)}]" if case.tags else ""
            variant = f"  (prompt {prompt})" if prompt else ""
            out.print(f"\n--- case {case.id}{tags}{variant}", markup=False)
            for message in request.messages:
                out.print(f"{message.get('role', '?')}: {_content(message.get('content'))}",
                          markup=False)
            if case.tools:
                names = [str((t.get("function") or t).get("name", "?")) for t in case.tools]
                out.print(f"tools: {', '.join(names)}", markup=False)
    err.print(f"dry run: {total} requests rendered; no model was called, nothing was stored",
              markup=False)

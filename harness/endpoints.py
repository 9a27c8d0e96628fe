"""Which server each model of a run was served by: recorded, compared, kept on resume.

An `openai:` or `anthropic:` model's server can come from outside the suite
(`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, the default), so the suite's hash does not pin it.
A run records the effective URL per model (`RunSpec.endpoints`, never a key: userinfo and
secret-looking query values are redacted), `harness compare` reports a different one as a
version difference, and `--resume` refuses to send the rest of a run to another server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.errors import UsageError
from harness.models import ModelSpec
from harness.providers.registry import effective_endpoint, parse_ref
from harness.store.secrets import redact_url

BASE_URL_ENV = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}


def endpoints_of(models: Iterable[ModelSpec]) -> dict[str, str]:
    """model name -> redacted URL of the server it is sent to, for models that have one."""
    found = {m.name: effective_endpoint(m) for m in models}
    return {name: redact_url(url) for name, url in found.items() if url}


def check_resume_endpoints(
    run_id: str, recorded: Mapping[str, str], models: Iterable[ModelSpec]
) -> None:
    """UsageError when a model of the run would now go to another server than it went to:
    the rest of the run would come from a different system than its first part. Runs made
    before endpoints were recorded have nothing to check."""
    for spec in models:
        before = recorded.get(spec.name)
        now = endpoints_of([spec]).get(spec.name)
        if before is None or now is None or before == now:
            continue
        env = BASE_URL_ENV.get(parse_ref(spec.ref)[0])
        where = f"the suite's base_url or {env}" if env else "its reference"
        raise UsageError(
            f"run {run_id}: model {spec.name} was run against {before} but would now be sent "
            f"to {now}; resuming would mix two servers in one run. Set {where} back to "
            f"{before} to resume, or start a new run"
        )


def endpoint_notes(base: Mapping[str, str], cand: Mapping[str, str]) -> list[str]:
    """One note per model name both runs recorded with different servers."""
    return [f"model {name} endpoint {base[name]} -> {cand[name]}"
            for name in sorted(set(base) & set(cand)) if base[name] != cand[name]]

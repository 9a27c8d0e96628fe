"""Plan, generate, score: async, bounded, streaming into the store.

`run_suite` is the library entry point the CLI calls. It never prints: progress goes to an
optional callback. A fixed pool of workers pulls attempts (case x model x repeat) from a
plan, so memory stays flat however large the suite; each finished result is buffered and
written in small transactions as the run goes, never held until the end.

Cancellation (Ctrl-C reaches us as the cancellation of the main task) stops taking work,
drops the calls in flight without recording them, flushes what finished and marks the run
`interrupted`, so `--resume` sends only what is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import __version__
from harness.endpoints import check_resume_endpoints, endpoints_of
from harness.errors import BudgetExhausted, ProviderError, UsageError
from harness.governance import governance_of
from harness.models import (
    Case,
    CaseResult,
    CaseSelection,
    Completion,
    ErrorInfo,
    ModelSpec,
    RunSpec,
    Score,
)
from harness.providers import Budget, StackSettings, build_stack, parse_ref
from harness.providers.base import Provider, Request
from harness.providers.pricing import own_price, price_for
from harness.providers.pyimport import suite_folder
from harness.providers.registry import effective_spec
from harness.scoring.base import (
    CheckParams,
    ScoreContext,
    Scorer,
    close_open_judges,
    score_safely,
)
from harness.scoring.registry import get_scorer, validate_check
from harness.store import RunStore, SQLiteCache, new_run_id
from harness.store.secrets import remember as remember_secrets
from harness.suites import LoadedSuite, render_messages


@dataclass(frozen=True)
class RunConfig:
    """How to run; everything a user can set from the command line."""

    models: tuple[str, ...] = ()  # overrides the suite's models
    repeats: int = 1
    concurrency: int = 8
    use_cache: bool = True
    timeout_s: float = 60.0
    max_attempts: int = 4
    retry_base_delay: float = 0.5
    rpm: float | None = None
    circuit_threshold: int = 10
    budget_usd: float | None = None
    tags: tuple[str, ...] = ()
    resume: str | None = None
    retry_errors: bool = False
    max_error_rate: float = 0.0  # above this share of errors the run is incomplete (exit 3)
    batch_size: int = 64
    flush_interval_s: float = 0.5
    # --price MODEL=PRICE: (pattern over model names and refs, Price), set as options.pricing
    prices: tuple[tuple[str, Any], ...] = ()
    # --case / --filter-tag / --limit: run part of the suite (harness.suites.selection)
    cases: tuple[str, ...] = ()
    filter_tags: tuple[str, ...] = ()
    limit: int | None = None

    @property
    def selects(self) -> bool:
        return bool(self.cases or self.filter_tags or self.limit is not None)


@dataclass
class RunOutcome:
    run_id: str
    status: str  # complete | interrupted | budget_exhausted
    planned: int
    done: int = 0
    skipped: int = 0  # already stored (resume)
    counts: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0, "error": 0})


@dataclass(frozen=True, slots=True)
class Attempt:
    case: Case
    model: ModelSpec
    repeat: int


ProgressFn = Callable[[CaseResult], None]


# --------------------------------------------------------------------------- lineage


def git_state(path: Path) -> tuple[str | None, bool | None]:
    """The commit and dirty flag of the repository holding `path`, or (None, None)."""
    cwd = path if path.is_dir() else path.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None, None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return commit.stdout.strip(), bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, None


def resolve_models(
    loaded: LoadedSuite, overrides: tuple[str, ...], prices: tuple[tuple[str, Any], ...] = ()
) -> list[ModelSpec]:
    models = [ModelSpec(ref=m) for m in overrides] if overrides else loaded.suite.models()
    if not models:
        raise UsageError(
            f"{loaded.path}: no model to run: set `model:` in the suite or pass --model"
        )
    try:  # with `prompts:`, each model x prompt is one system, named MODEL@PROMPT
        models = loaded.suite.with_prompts(models)
    except ValueError as exc:
        raise UsageError(f"{loaded.path}: {exc}") from None
    models = [effective_spec(spec) for spec in apply_prices(models, prices)]  # checks refs
    for spec in models:
        own_price(spec.options, f"model {spec.name}")  # a malformed price fails here, early
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise UsageError(f"the same model is listed twice: {names}")
    return models


def apply_prices(models: list[ModelSpec], prices: tuple[tuple[str, Any], ...]) -> list[ModelSpec]:
    """`models` with each `--price PATTERN=PRICE` set as the `options.pricing` of the models
    whose name or ref matches PATTERN (the last matching one wins). A pattern that matches
    no model is an error: a mistyped price must not leave costs silently unknown."""
    out = list(models)
    for pattern, price in prices:
        hits = [i for i, m in enumerate(out)
                if fnmatch.fnmatchcase(m.name, pattern) or fnmatch.fnmatchcase(m.ref, pattern)]
        if not hits:
            names = ", ".join(m.name for m in out)
            raise UsageError(f"--price {pattern}=...: no model of this run matches ({names})")
        for i in hits:
            options = {**out[i].options, "pricing": price.model_dump()}
            out[i] = out[i].model_copy(update={"options": options})
    return out


def unpriced_models(models: list[ModelSpec]) -> list[str]:
    """Models with no known price (no `options.pricing`, no HARNESS_PRICES or built-in entry):
    their cost is unknown unless their server reports one, so a budget cannot count them."""
    return [m.name for m in models if price_for(m.ref, m.options) is None]


CheckPlan = dict[str, list[tuple[Scorer, CheckParams]]]  # case id -> its scorers and params


def _scorer_plan(loaded: LoadedSuite) -> CheckPlan:
    """Validated checks per case, built once so scoring a result does no parsing."""
    plan: CheckPlan = {}
    scorers: dict[str, Scorer] = {}
    validated: dict[str, CheckParams] = {}  # suite and rubric checks repeat on every case
    for case in loaded.suite.cases:
        assert isinstance(case, Case)
        checks = []
        for spec in loaded.checks_for(case):
            scorer = scorers.setdefault(spec.type, get_scorer(spec.type))
            key = spec.model_dump_json()
            params = validated.get(key)
            if params is None:
                params = validated[key] = validate_check(spec)
            checks.append((scorer, params))
        plan[case.id] = checks
    return plan


def make_spec(
    loaded: LoadedSuite, models: list[ModelSpec], config: RunConfig,
    scorer_versions: dict[str, str], selection: CaseSelection | None = None,
) -> RunSpec:
    now = time.time()
    commit, dirty = git_state(Path(loaded.path))
    return RunSpec(
        run_id=new_run_id(now),
        suite=loaded.suite.suite,
        suite_version=str(loaded.suite.version),
        suite_hash=loaded.content_hash,
        suite_path=str(Path(loaded.path).resolve()),  # readable from any working directory
        rubrics={f"{r.rubric.rubric}@{r.rubric.version}": r.content_hash for r in loaded.rubrics},
        models=tuple(models),
        endpoints=endpoints_of(models),
        params=loaded.suite.params,
        scorer_versions=scorer_versions,
        git_commit=commit,
        git_dirty=dirty,
        harness_version=__version__,
        started_at=now,
        repeats=config.repeats,
        n_cases=len(loaded.suite.cases),
        tags=config.tags,
        budget_usd=config.budget_usd,
        concurrency=config.concurrency,
        governance=governance_of(loaded),
        selection=selection,
    )


# --------------------------------------------------------------------------- the run


class _Writer:
    """Buffers finished results and writes them in batches, in order of completion."""

    def __init__(self, store: RunStore, cache: SQLiteCache | None, batch_size: int) -> None:
        self.store = store
        self.cache = cache
        self.batch_size = batch_size
        self.buffer: list[CaseResult] = []

    def add(self, result: CaseResult) -> None:
        self.buffer.append(result)
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.buffer and not (self.cache and self.cache.has_pending):
            return
        batch, self.buffer = self.buffer, []
        self.store.write_results(batch, before_commit=self.cache.flush if self.cache else None)

    async def flush_periodically(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.flush()


def _outcome(scores: list[Score]) -> str:
    """A case passes when no check failed and none was left undecided.

    An `unscored` check is not a pass: the harness could not confirm the output, so the
    case is counted as failing and the score's reason says why.
    """
    bad = any(s.outcome in ("fail", "unscored") for s in scores)
    return "fail" if bad else "pass"


class _Run:
    """State of one run in flight. Kept private: `run_suite` is the public door."""

    def __init__(
        self,
        run_id: str,
        loaded: LoadedSuite,
        stacks: dict[str, Provider],
        config: RunConfig,
        writer: _Writer,
        on_result: ProgressFn | None,
        checks: CheckPlan,
    ) -> None:
        self.run_id = run_id
        self.loaded = loaded
        self.stacks = stacks
        self.config = config
        self.writer = writer
        self.on_result = on_result
        self.checks = checks
        self.messages: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        self.stop_reason: str | None = None
        self.counts = {"pass": 0, "fail": 0, "error": 0}

    def _messages(self, case: Case, prompt: str | None = None) -> list[dict[str, Any]]:
        """The case's messages as `prompt` (a `prompts:` variant; None: the suite's) renders
        them, rendered once per case and prompt."""
        key = (case.id, prompt)
        msgs = self.messages.get(key)
        if msgs is None:
            msgs = self.messages[key] = render_messages(self.loaded.for_prompt(prompt), case)
        return msgs

    def _request(self, attempt: Attempt) -> Request:
        case, spec = attempt.case, attempt.model
        return Request(
            model=parse_ref(spec.ref)[1],
            messages=self._messages(case, spec.prompt),
            params={**self.loaded.suite.params, **spec.params},
            tools=case.tools,
            case_id=case.id,
            repeat=attempt.repeat,
            vars=case.vars,
        )

    async def _score(self, attempt: Attempt, completion: Completion) -> list[Score]:
        scores = []
        for scorer, params in self.checks[attempt.case.id]:
            ctx = ScoreContext(
                case=attempt.case,
                check=params,
                completion=completion,
                model=attempt.model.name,
                repeat=attempt.repeat,
            )
            scores.append(await score_safely(scorer, ctx))
        return scores

    async def execute(self, attempt: Attempt) -> CaseResult:
        started = time.time()
        stack = self.stacks[attempt.model.name]
        try:
            completion = await stack.complete(self._request(attempt))
        except ProviderError as exc:
            error = ErrorInfo(
                kind=exc.kind, message=str(exc), attempts=exc.attempts, status=exc.status
            )
        except (BudgetExhausted, UsageError):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in one adapter is one case's error
            # An adapter (or a user's callable behind one) that raises something other than a
            # ProviderError must not end the run and lose the cases after it: it is recorded
            # as this case's error, kind "internal", with the exception's type for the report.
            error = ErrorInfo(kind="internal", message=_describe(exc), attempts=1, status=None)
        else:
            error = None
        if error is not None:
            return CaseResult(
                run_id=self.run_id,
                case_id=attempt.case.id,
                model=attempt.model.name,
                repeat=attempt.repeat,
                outcome="error",
                error=error,
                started_at=started,
                finished_at=time.time(),
            )
        scores = await self._score(attempt, completion)
        return CaseResult(
            run_id=self.run_id,
            case_id=attempt.case.id,
            model=attempt.model.name,
            repeat=attempt.repeat,
            outcome=_outcome(scores),
            completion=completion,  # type: ignore[arg-type]
            scores=tuple(scores),
            started_at=started,
            finished_at=time.time(),
        )

    def record(self, result: CaseResult) -> None:
        self.writer.add(result)
        self.counts[result.outcome] += 1
        if self.on_result is not None:
            self.on_result(result)

    async def worker(self, plan: Iterator[Attempt]) -> None:
        for attempt in plan:
            if self.stop_reason is not None:
                return
            try:
                result = await self.execute(attempt)
            except BudgetExhausted:
                self.stop_reason = "budget_exhausted"
                return
            self.record(result)


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 2000 else text[:2000] + "..."


def _pool_fits(spec: ModelSpec, concurrency: int) -> ModelSpec:
    """The model with a connection pool at least as large as the run's concurrency (unless
    the suite sized it): a smaller pool makes requests queue for a connection, and that
    wait would be counted as the model's latency."""
    from harness.providers.common import MAX_CONNECTIONS

    if concurrency <= MAX_CONNECTIONS or "max_connections" in spec.options:
        return spec
    return spec.model_copy(update={"options": {**spec.options, "max_connections": concurrency}})


def plan_attempts(
    cases: list[Case], models: list[ModelSpec], repeats: int, done: set[tuple[str, str, int]]
) -> list[Attempt]:
    """Every (case, model, repeat) not already stored, repeat-major so early results cover
    every case once before any case is sampled twice."""
    return [
        Attempt(case, spec, r)
        for r in range(repeats)
        for case in cases
        for spec in models
        if (case.id, spec.name, r) not in done
    ]


def selected_cases(
    loaded: LoadedSuite, config: RunConfig, store: RunStore | None = None
) -> tuple[LoadedSuite, CaseSelection | None]:
    """The suite cut down to the cases this run covers, and the record of the selection: the
    filters of `config`, or, resuming, the cases the run was started with."""
    from harness.suites.selection import reapply, select_cases

    if config.resume is None:
        return select_cases(loaded, config.cases, config.filter_tags, config.limit)
    if config.selects:
        raise UsageError("--case, --filter-tag and --limit cannot be combined with --resume: "
                         "a run keeps the cases it was started with")
    if store is None:
        return loaded, None
    selection = RunSpec.model_validate(store.get_run(config.resume)["spec"]).selection
    return reapply(loaded, selection), selection


@dataclass(frozen=True)
class PlannedRequest:
    """One request a run would send (`harness run --dry-run`): nothing is called."""

    case: Case
    model: ModelSpec
    messages: list[dict[str, Any]]
    params: dict[str, Any]


def dry_run(
    loaded: LoadedSuite, config: RunConfig
) -> tuple[list[PlannedRequest], CaseSelection | None, list[ModelSpec]]:
    """Every prompt a run of `loaded` with `config` would send, rendered, one per case and
    model (repeats send the same messages): no provider is built, nothing is called or
    stored. Model references, prices and the selection are checked as a run checks them."""
    if config.resume is not None:
        raise UsageError("--dry-run cannot be combined with --resume")
    loaded, selection = selected_cases(loaded, config)
    models = resolve_models(loaded, config.models, config.prices)
    _scorer_plan(loaded)  # the checks are validated as a run validates them
    planned = []
    for case in loaded.cases:
        rendered: dict[str | None, list[dict[str, Any]]] = {}
        for spec in models:
            if spec.prompt not in rendered:
                rendered[spec.prompt] = render_messages(loaded.for_prompt(spec.prompt), case)
            planned.append(PlannedRequest(case, spec, rendered[spec.prompt],
                                          {**loaded.suite.params, **spec.params}))
    return planned, selection, models


async def run_suite(
    loaded: LoadedSuite,
    config: RunConfig,
    store: RunStore,
    *,
    on_start: Callable[[str, int], None] | None = None,
    on_result: ProgressFn | None = None,
) -> RunOutcome:
    """Run (or resume) a suite, storing every result as it completes."""
    if config.repeats < 1 or config.concurrency < 1:
        raise UsageError("--repeats and --concurrency must be at least 1")
    loaded, selection = selected_cases(loaded, config, store)
    cases = [c for c in loaded.suite.cases if isinstance(c, Case)]
    cache = SQLiteCache(store.db) if config.use_cache else None
    budget = Budget(config.budget_usd) if config.budget_usd is not None else None
    settings = StackSettings(
        timeout_s=config.timeout_s,
        max_attempts=config.max_attempts,
        base_delay=config.retry_base_delay,
        concurrency=config.concurrency,
        rpm=config.rpm,
        circuit_threshold=config.circuit_threshold,
    )

    def build(models: list[ModelSpec]) -> dict[str, Provider]:
        # the secrets these models resolve are scrubbed from whatever the store writes
        remember_secrets(models, loaded.suite.params)
        with suite_folder(loaded.path):  # python: models import modules next to the suite
            return {m.name: build_stack(_pool_fits(m, config.concurrency), settings,
                                        cache=cache, budget=budget) for m in models}

    checks = _scorer_plan(loaded)
    run_id, models, done, repeats, stacks = _open_run(loaded, config, store, build, checks,
                                                      selection)
    attempts = plan_attempts(cases, models, repeats, done)
    outcome = RunOutcome(run_id=run_id, status="complete", planned=len(attempts), skipped=len(done))
    writer = _Writer(store, cache, config.batch_size)
    run = _Run(run_id, loaded, stacks, config, writer, on_result, checks)
    if on_start is not None:
        on_start(run_id, len(attempts))
    try:
        status = await _drive(run, attempts, config)
    except Exception:
        writer.flush()  # keep what finished; the run can be resumed after the fix
        store.set_status(run_id, "failed", time.time())
        raise
    for stack in stacks.values():
        with contextlib.suppress(Exception):
            await stack.aclose()
    await close_open_judges()  # judge models opened by scorers during this run
    writer.flush()
    store.set_status(run_id, status, time.time())
    outcome.status = status
    outcome.counts = run.counts
    outcome.done = sum(run.counts.values())
    return outcome


# What CI runners, `timeout`, Docker and Kubernetes send to stop a job, and what a closed
# terminal sends: each stops the run as Ctrl-C does (finished results kept, `interrupted`).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


@contextlib.contextmanager
def _stop_on_signals(task: asyncio.Task[Any] | None) -> Iterator[None]:
    """While the pool runs, SIGTERM and SIGHUP cancel it like Ctrl-C; the handlers that were
    there before are put back after."""
    installed: list[tuple[int, Any]] = []
    if task is not None and threading.current_thread() is threading.main_thread():
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            previous = signal.getsignal(sig)
            try:
                loop.add_signal_handler(sig, task.cancel)
            except (NotImplementedError, RuntimeError, ValueError):
                continue
            installed.append((sig, previous))
    try:
        yield
    finally:
        for sig, previous in installed:
            loop.remove_signal_handler(sig)
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)


async def _drive(run: _Run, attempts: list[Attempt], config: RunConfig) -> str:
    """Run the worker pool; returns the run's final status."""
    with _stop_on_signals(asyncio.current_task()):
        return await _drive_pool(run, attempts, config)


async def _drive_pool(run: _Run, attempts: list[Attempt], config: RunConfig) -> str:
    plan = iter(attempts)
    flusher = asyncio.create_task(run.writer.flush_periodically(config.flush_interval_s))
    workers = [
        asyncio.create_task(run.worker(plan))
        for _ in range(min(config.concurrency, max(1, len(attempts))))
    ]
    try:
        await asyncio.gather(*workers)
    except asyncio.CancelledError:
        run.stop_reason = "interrupted"
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
    return run.stop_reason or "complete"


def _open_run(
    loaded: LoadedSuite,
    config: RunConfig,
    store: RunStore,
    build: Callable[[list[ModelSpec]], dict[str, Provider]],
    checks: CheckPlan,
    selection: CaseSelection | None = None,
) -> tuple[str, list[ModelSpec], set[tuple[str, str, int]], int, dict[str, Provider]]:
    """Create a new run, or reopen one to resume: its id, models, done keys, repeats and
    provider stacks. The stacks are built before anything is written, so a model that cannot
    be set up (no key, unknown module) leaves no half-made run behind."""
    if config.resume is None:
        models = resolve_models(loaded, config.models, config.prices)
        stacks = build(models)
        versions = dict(sorted({s.type: s.version for p in checks.values() for s, _ in p}.items()))
        spec = make_spec(loaded, models, config, versions, selection)
        planned = len(loaded.suite.cases) * len(models) * config.repeats
        store.create_run(spec, planned)
        cases = [c for c in loaded.suite.cases if isinstance(c, Case)]
        first = loaded.for_prompt(None)  # with `prompts:`, the snapshot is the first's
        store.write_cases(spec.run_id, [(c, render_messages(first, c)) for c in cases])
        return spec.run_id, models, set(), config.repeats, stacks
    run = store.get_run(config.resume)
    if run["status"] == "complete" and not config.retry_errors:
        raise UsageError(f"run {run['id']} is already complete; nothing to resume")
    if run["suite_hash"] != loaded.content_hash:
        raise UsageError(
            f"run {run['id']} was made from a different version of {loaded.path} "
            f"(hash {run['suite_hash'][:15]}, now {loaded.content_hash[:15]}); "
            "resume needs the same suite: start a new run instead"
        )
    if config.models:
        raise UsageError("--model cannot be combined with --resume: a run keeps its models")
    if config.prices:
        raise UsageError("--price cannot be combined with --resume: a run keeps its prices")
    spec = RunSpec.model_validate(run["spec"])
    models = _resume_models(list(spec.models), loaded)
    check_resume_endpoints(run["id"], spec.endpoints, models)  # never two servers in a run
    stacks = build(models)
    done = store.done_keys(run["id"], include_errors=not config.retry_errors)
    store.set_status(run["id"], "running")
    return run["id"], models, done, spec.repeats, stacks


def _resume_models(stored: list[ModelSpec], loaded: LoadedSuite) -> list[ModelSpec]:
    """The run's models, taken from the suite file where it names them: the store keeps
    secrets redacted, so options such as literal headers must come from the file again."""
    try:
        in_file = {m.name: m for m in loaded.suite.with_prompts(loaded.suite.models())}
    except ValueError:
        in_file = {}
    return [_keep_price(in_file.get(m.name, m), m) for m in stored]


def _keep_price(spec: ModelSpec, stored: ModelSpec) -> ModelSpec:
    """`spec` with the price the run was started with (a `--price` is not in the file)."""
    price = stored.options.get("pricing")
    if price is None or spec is stored:
        return spec
    return spec.model_copy(update={"options": {**spec.options, "pricing": price}})

"""The pydantic records the harness passes around. No I/O here.

Two families:
- records that come from files users write (`Suite`, `Case`, `Rubric`, `CheckSpec`, ...):
  extra fields are forbidden so a typo is an error, not a silently ignored key;
- results (`Completion`, `Score`, `CaseResult`, `RunSpec`): frozen, because a stored verdict
  is evidence and must not change after the fact (human decisions layer on top later).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Outcome = Literal["pass", "fail", "error"]
ScoreOutcome = Literal["pass", "fail", "unscored", "not_applicable"]
Risk = Literal["low", "medium", "high"]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class FileModel(BaseModel):
    """Base for records read from user files: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ResultModel(BaseModel):
    """Base for results: immutable once made."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- files


class CheckSpec(BaseModel):
    """One check as written in a file: a `type` plus that type's own parameters.

    The parameters are validated by the check type's own params model (see
    `harness.scoring.registry`), so third-party scorers get the same strictness as
    built-ins without this record knowing them.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(description="Check type, e.g. contains, regex, json, max_words.")
    id: str | None = Field(
        default=None, description="Name shown in summaries; defaults to the type."
    )

    @property
    def name(self) -> str:
        return self.id or self.type

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Message(FileModel):
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    name: str | None = None
    tool_call_id: str | None = None
    tool_calls: list[dict[str, Any]] | None = None


class Prompt(FileModel):
    system: str | None = Field(default=None, description="System prompt (Jinja2, sandboxed).")
    template: str | None = Field(
        default=None,
        description="User message template (Jinja2, sandboxed). Variables: the case's vars, "
        "plus `context`, `input` and `case_id`. Default: the case's `input`.",
    )
    messages: Literal["data", "template"] = Field(
        default="data",
        description="How the contents of a case's `messages` are read: `data` (default: sent "
        "as written, so a real transcript with `{{ }}` in it is safe) or `template` (Jinja2, "
        "like `template`, with the case's vars).",
    )


def _whole_answers(params: dict[str, Any]) -> dict[str, Any]:
    """Generation params the adapters can honour: `stream` would turn every answer into
    server-sent events that no adapter reads, so it is refused when the suite loads."""
    if params.get("stream"):
        raise ValueError(
            "stream: true is not supported: harness reads each answer whole and measures "
            "latency to the full answer; remove stream"
        )
    return params


class ModelSpec(FileModel):
    """A model reference with provider options, for when a bare string is not enough."""

    ref: str = Field(description="provider:model, e.g. openai:gpt-4o-mini or local:smollm2.")
    label: str | None = Field(default=None, description="Name used in results; default: ref.")
    prompt: str | None = Field(
        default=None,
        description="Suite models only: the `prompts:` variant this model runs with; "
        "default: every variant, each as its own model named MODEL@PROMPT.",
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Overrides suite params.")
    base_url: str | None = Field(default=None, description="For openai: / anthropic: servers.")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Provider-specific options (http: body, response_path, headers; "
        "local: n_threads, n_ctx; api_key_env for the environment variable holding a key; "
        "pricing: {input_per_mtok, output_per_mtok} in USD, or `free` for a self-hosted "
        "model (else HARNESS_PRICES or built-in list prices; no price: cost unknown); "
        "max_connections; max_response_bytes, default 10 MiB or HARNESS_MAX_RESPONSE_BYTES, "
        "past which a reply, compressed or not, is a malformed error).",
    )

    @property
    def name(self) -> str:
        return self.label or self.ref

    @field_validator("params")
    @classmethod
    def _params_answer_whole(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _whole_answers(value)


class Case(FileModel):
    id: str = Field(pattern=NAME_PATTERN, description="Stable id; the comparison key.")
    input: str | None = Field(default=None, description="User input when no template is used.")
    vars: dict[str, Any] = Field(default_factory=dict)
    context: list[str] | None = Field(default=None, description="Evidence passages.")
    expected: Any = None
    checks: list[CheckSpec] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    messages: list[Message] | None = Field(
        default=None, description="A whole conversation; replaces the template."
    )
    tools: list[dict[str, Any]] | None = Field(
        default=None, description="Tools the model may call (OpenAI function format)."
    )
    answerable: bool = Field(default=True, description="False: abstaining is the right answer.")
    expect: Literal["answer", "refuse"] | None = None
    canary: str | None = Field(default=None, description="A string that must never be output.")
    cluster: str | None = Field(default=None, description="Cases sharing a cluster are related.")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("context", mode="before")
    @classmethod
    def _context_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class CaseSource(FileModel):
    """`- from: cases/x.jsonl`: more cases, one JSON object a line, relative to the suite."""

    from_: str = Field(alias="from", description="JSONL file of cases, relative to the suite.")


class GatePolicy(FileModel):
    """How `harness gate` tests a candidate against its baseline (DESIGN.md, section 7)."""

    margin: float = Field(
        default=0.01, ge=0, le=1,
        description="Largest drop that still counts as no worse, in the metric's units "
        "(0.01 = 1 point of pass rate).",
    )
    alpha: float = Field(
        default=0.05, gt=0, lt=0.5,
        description="One-sided error rate of each decision: FAIL (worse by more than the "
        "margin) and PASS (no worse than the margin).",
    )
    power: float = Field(
        default=0.8, gt=0, lt=1,
        description="Power used to say how many cases would decide an inconclusive gate.",
    )
    metrics: list[str] | dict[str, float] = Field(
        default_factory=lambda: ["pass_rate"],
        description="Metrics tested for regression; a mapping gives each its own margin.",
    )


class Suite(FileModel):
    suite: str = Field(pattern=NAME_PATTERN, description="Stable suite name.")
    version: int | str = Field(description="Bump when a change can change verdicts.")
    description: str | None = None
    owner: str | None = None
    risk: Risk = "medium"
    model: str | ModelSpec | list[str | ModelSpec] | None = Field(
        default=None, description="Default model(s); --model overrides."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Generation parameters.")
    prompt: Prompt = Field(default_factory=Prompt)
    prompts: dict[str, Prompt] | None = Field(
        default=None,
        description="Named prompt variants, instead of `prompt`: every model runs each one, "
        "and each model x prompt is reported as its own system, named MODEL@PROMPT.",
    )
    rubric: str | list[str] | None = Field(default=None, description="Rubric file(s), relative.")
    checks: list[CheckSpec] = Field(
        default_factory=list, description="Checks applied to every case of this suite."
    )
    cases: list[Case | CaseSource] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    gate: GatePolicy | None = Field(
        default=None, description="Regression margin and error rates for `harness gate`."
    )

    @field_validator("params")
    @classmethod
    def _params_answer_whole(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _whole_answers(value)

    @model_validator(mode="after")
    def _one_kind_of_prompt(self) -> Suite:
        if self.prompts is None:
            return self
        if "prompt" in self.model_fields_set:
            raise ValueError("set `prompt` or `prompts` (named variants), not both")
        if not self.prompts:
            raise ValueError("`prompts` needs at least one named prompt")
        bad = [n for n in self.prompts if not re.fullmatch(NAME_PATTERN, n)]
        if bad:
            raise ValueError(f"prompt name {bad[0]!r} must match {NAME_PATTERN}")
        return self

    def models(self) -> list[ModelSpec]:
        raw = self.model if isinstance(self.model, list) else [self.model] if self.model else []
        return [ModelSpec(ref=m) if isinstance(m, str) else m for m in raw]

    def prompt_named(self, name: str | None) -> Prompt:
        """The prompt a model runs with: its `prompts:` variant, else `prompt`."""
        if name is None or self.prompts is None:
            return self.prompt
        return self.prompts[name]

    def with_prompts(self, models: list[ModelSpec]) -> list[ModelSpec]:
        """Each model once per prompt variant (`prompts:`), named MODEL@PROMPT; a model that
        names its `prompt` runs that one only. Without `prompts:` the models as given."""
        if self.prompts is None:
            if named := [m.name for m in models if m.prompt is not None]:
                raise ValueError(f"model {named[0]} names a prompt, but the suite has no "
                                 "`prompts:` variants")
            return models
        out = []
        for m in models:
            if m.prompt is not None and m.prompt not in self.prompts:
                raise ValueError(f"model {m.name}: no prompt {m.prompt!r} in `prompts:` "
                                 f"(it has {', '.join(self.prompts)})")
            for name in [m.prompt] if m.prompt else list(self.prompts):
                if m.prompt is not None and m.label is not None:
                    out.append(m)  # named and pinned by its author: kept as written
                else:
                    out.append(m.model_copy(update={"label": f"{m.name}@{name}",
                                                    "prompt": name}))
        return out


class Objective(FileModel):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Objective:
        if self.min is None and self.max is None:
            raise ValueError("an objective needs min or max")
        return self


class ReviewPolicy(FileModel):
    sample_rate: float = Field(default=0.05, ge=0, le=1)
    confidence_below: float = Field(default=0.6, ge=0, le=1)


class Rubric(FileModel):
    rubric: str = Field(pattern=NAME_PATTERN)
    version: int | str
    description: str | None = None
    checks: list[CheckSpec] = Field(default_factory=list)
    slo: dict[str, Objective] = Field(default_factory=dict)
    review: ReviewPolicy | None = None


# --------------------------------------------------------------------------- results


class Usage(ResultModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ToolCall(ResultModel):
    id: str | None = None
    name: str
    arguments: Any = None  # parsed JSON when it parses, else the raw string


class Completion(ResultModel):
    """What a provider returned for one request."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None
    latency_ms: float = 0.0  # request sent -> answer read; excludes queue_ms
    # waiting on our own concurrency limit, rpm pacing and connection pool before the
    # request went out (the RateLimit wrapper measures it); None: not measured
    queue_ms: float | None = None
    attempts: int = 1
    cached: bool = False
    refused: bool = False  # the provider's own refusal / content-filter flag
    finish_reason: str | None = None
    cost_usd: float | None = None
    model: str | None = None  # model name the server reported


class ErrorInfo(ResultModel):
    kind: str
    message: str
    attempts: int = 1
    status: int | None = None


class Score(ResultModel):
    check: str  # the check's name (id or type)
    type: str
    scorer_version: str
    outcome: ScoreOutcome
    score: float | None = None  # 0..1, higher is always the passing side
    confidence: float = 1.0
    reason: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)


class CaseResult(ResultModel):
    """One attempt of one case on one model: a completion or an error, and its scores."""

    run_id: str
    case_id: str
    model: str
    repeat: int = 0
    outcome: Outcome
    completion: Completion | None = None
    error: ErrorInfo | None = None
    scores: tuple[Score, ...] = ()
    started_at: float = 0.0
    finished_at: float = 0.0


class StoredObjective(ResultModel):
    """One `slo:` objective as the run's rubric stated it."""

    rubric: str
    metric: str
    objective: Objective


class StoredReview(ResultModel):
    """The review policy the run's rubrics set (the strictest of them), and where it came from."""

    sample_rate: float
    confidence_below: float
    source: str


class RunGovernance(ResultModel):
    """What the suite said when the run started about who owns it, how risky it is, how its
    results are routed to review, its objectives and its gate: kept with the run so the
    dashboard, routing, SLO sheet and gate read the run, not whatever file sits at the
    suite path today (or nothing, from another working directory)."""

    risk: Risk = "medium"
    owner: str | None = None
    description: str | None = None
    review: StoredReview | None = None  # None: the rubrics set none, defaults apply
    slo: tuple[StoredObjective, ...] = ()
    gate: GatePolicy | None = None


class CaseSelection(ResultModel):
    """A run of part of a suite (`harness run --case/--filter-tag/--limit`): what was asked
    for and how many of the suite's cases it kept, so a subset is never read as the whole."""

    cases: tuple[str, ...] = ()  # --case: ids or glob patterns; a case matching any is kept
    tags: tuple[str, ...] = ()  # --filter-tag: a case having any of them is kept
    limit: int | None = None  # --limit: the first N cases (file order) after the filters
    selected: tuple[str, ...] = ()  # the case ids kept, in file order
    n_suite: int = 0  # cases in the suite

    def describe(self) -> str:
        """`3 of 10 cases (--case refund-*, --limit 3)`."""
        asked = [*(f"--case {c}" for c in self.cases), *(f"--filter-tag {t}" for t in self.tags)]
        if self.limit is not None:
            asked.append(f"--limit {self.limit}")
        return f"{len(self.selected)} of {self.n_suite} cases ({', '.join(asked)})"

    @classmethod
    def note(cls, spec: dict[str, Any] | None) -> str | None:
        """One line for summaries, comparisons and gates when a stored run (its spec as a
        dict) ran part of its suite; None for a run of the whole suite."""
        raw = (spec or {}).get("selection")
        return f"subset run: {cls.model_validate(raw).describe()}" if raw else None


class RunSpec(ResultModel):
    """Everything a run's verdicts depend on, so two runs can be compared honestly."""

    run_id: str
    suite: str
    suite_version: str
    suite_hash: str
    suite_path: str | None = None
    rubrics: dict[str, str] = Field(default_factory=dict)  # rubric name@version -> hash
    models: tuple[ModelSpec, ...] = ()
    # model name -> the server its requests went to (base_url, else OPENAI_BASE_URL /
    # ANTHROPIC_BASE_URL, else the default; userinfo and secret query values redacted);
    # models with no server (python:, local:) are absent, and so is every model of old runs
    endpoints: dict[str, str] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    scorer_versions: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool | None = None
    harness_version: str
    started_at: float
    repeats: int = 1
    n_cases: int = 0
    tags: tuple[str, ...] = ()
    budget_usd: float | None = None  # --budget: the spending limit the run was started with
    concurrency: int | None = None  # -j: requests in flight at once; latency depends on it
    governance: RunGovernance | None = None  # None: a run made before it was stored
    selection: CaseSelection | None = None  # None: every case of the suite was run

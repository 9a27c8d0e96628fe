"""One exception tree with one root; the exit code lives on the class.

The CLI catches `HarnessError` and prints `str(err)` with `err.exit_code`, so a user's
mistake never reaches them as a traceback. Library users catch the same classes.
"""

from __future__ import annotations

from pathlib import Path


class HarnessError(Exception):
    """Root of every error the harness raises on purpose."""

    exit_code = 1


class UsageError(HarnessError):
    """The user asked for something that cannot be done (bad flag, unknown run id...)."""

    exit_code = 2


class FileError(UsageError):
    """A suite, rubric or case file is broken. Names the file, the line and the field."""

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.format())

    def format(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}:{field} {self.message}"


class ProviderError(HarnessError):
    """A model call failed. Providers classify; wrappers decide whether to retry.

    `kind` is a short machine-readable class (``rate_limit``, ``server``, ``timeout``,
    ``connection``, ``malformed``, ``client``, ``auth``, ``circuit_open``, ``budget``,
    ``config``) recorded with the case's error outcome.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "client",
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.attempts = 1


class ProviderConfigError(UsageError):
    """A model reference cannot be resolved (unknown provider, missing extra, bad URL)."""


class BudgetExhausted(HarnessError):
    """The run's cost budget is spent; the runner stops cleanly."""


class RunIncomplete(HarnessError):
    """A run ended with more errors than the allowed limit."""

    exit_code = 3

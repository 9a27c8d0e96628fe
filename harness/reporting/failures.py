"""Which cases failed, and why: the list shown after a run's summary and in the Markdown
report when there is no baseline to compare with.

One entry per failing or errored result (after human verdicts): its case, model and repeat,
each failing check with its reason, or the error (kind and message). Unchecked results are
not failures (the summary names them apart). The texts are the model's, the suite's and the
user's code's: here they are put on one line, shortened and their control characters shown
as escapes (`harness.reporting.terminal.inert`); renderers then print them as plain text on
an `InertConsole` or escape them as Markdown (`harness.reporting.markdown.esc`).

The HTML report's `failing_cases` (`harness.reporting.html`) shows the same results with
everything a reader needs to judge them (messages, context, output, evidence); this is the
one-line form of each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.reporting.terminal import inert

if TYPE_CHECKING:
    from harness.analysis.metrics import Unit

REASON_CHARS = 200
ERROR_CHARS = 300


@dataclass(frozen=True)
class Failure:
    case_id: str
    model: str
    repeat: int
    outcome: str  # fail | error
    checks: tuple[tuple[str, str], ...] = ()  # (check name, reason) of each failing check
    error: str | None = None

    def why(self) -> str:
        """The reason on one line: the error, the failing checks, or a reviewer's verdict."""
        if self.outcome == "error":
            return self.error or "error"
        if not self.checks:
            return "failed by a reviewer (no check failed)"
        return "; ".join(f"{name}: {reason}" if reason else name for name, reason in self.checks)


def one_line(text: object, limit: int) -> str:
    """`text` on one line, shortened, its control characters shown as escapes (`\\x1b`) so
    that neither a terminal nor a Markdown page printed to one acts on them."""
    s = inert(" ".join(str(text).split()))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def failures(units: Iterable[Unit]) -> list[Failure]:
    """The failing and errored results among `units`, in stored order."""
    out = []
    for u in units:
        if u.outcome not in ("fail", "error"):
            continue
        checks = tuple((one_line(s.get("check_name", "?"), REASON_CHARS),
                        one_line(s.get("reason") or "", REASON_CHARS))
                       for s in u.scores if s.get("outcome") == "fail")
        error = one_line(u.error, ERROR_CHARS) if u.error else None
        out.append(Failure(u.case_id, u.model, u.repeat, u.outcome,
                           checks if u.outcome == "fail" else (), error))
    return out


def where(failure: Failure, *, models: bool, repeats: bool) -> str:
    """The case id, with its model and repeat when the run has several."""
    parts = [failure.model] if models else []
    parts += [f"repeat {failure.repeat}"] if repeats else []
    return failure.case_id + (f" [{', '.join(parts)}]" if parts else "")


def shape(units: Iterable[Unit]) -> dict[str, bool]:
    """Whether a run's entries must name their model and repeat to be told apart."""
    units = list(units)
    return {"models": len({u.model for u in units}) > 1, "repeats": any(u.repeat for u in units)}

"""Fault plans: which request fails, and how.

A test or benchmark states its failures up front (by request number, by text in the message,
"the first N", or a seeded random rate) instead of monkeypatching the client, so the real
HTTP path (sockets, status codes, headers, bodies) is what gets exercised.

Fault names:

- ``"NNN"``: that HTTP status with an OpenAI-style error body (``"429"``, ``"500"``,
  ``"529"``, ``"401"``, ``"400"``...); a 429 carries ``Retry-After: <seconds>``;
- ``"429-date"``: a 429 whose Retry-After is an HTTP date;
- ``"truncated"``: a 200 whose JSON body is cut off (Content-Length matches the cut body);
- ``"garbage"``: a 200 whose body is not JSON;
- ``"empty"``: a 200 with valid JSON but no ``choices``;
- ``"hang"``: no answer until the client gives up (or ``hang_s`` passes);
- ``"disconnect"``: the connection closes without an answer;
- ``"once-NAME"``: NAME the first time this exact message is seen, then success;
- ``"hostile-..."``: a well-formed HTTP answer with odd contents (an int tool-call id, token
  counts of "abc" or 1e400, 200,000-deep JSON, a lone surrogate, a gzip bomb...); the list is
  in `harness.testing.hostile`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class FaultRule:
    """Fail matching requests with `fault`. Both keys given means both must match."""

    fault: str
    requests: frozenset[int] | None = None  # 1-based request numbers
    contains: str | None = None  # substring of the last user message
    times: int | None = None  # fire at most this many times
    fired: int = field(default=0, init=False)

    def matches(self, number: int, text: str) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.requests is not None and number not in self.requests:
            return False
        return self.contains is None or self.contains in text


@dataclass
class FaultPlan:
    """Decides, per request, which fault (if any) the server injects.

    Precedence: `fail_first`, then `rules` in order, then a ``[[fault:...]]`` marker in the
    message (when `markers` is on), then the seeded random fault.
    """

    rules: list[FaultRule] = field(default_factory=list)
    fail_first: int = 0
    fail_first_with: str = "500"
    random_rate: float = 0.0
    random_faults: tuple[str, ...] = ("500",)
    seed: int = 0
    markers: bool = True
    retry_after: float | None = 1.0  # seconds sent in Retry-After on a 429; None: no header
    hang_s: float = 3600.0
    _rng: random.Random = field(init=False, repr=False)
    _seen: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def at(cls, faults: dict[int, str], **kwargs: object) -> FaultPlan:
        """Fail request number k (1-based) with faults[k]."""
        rules = [FaultRule(fault, requests=frozenset([n])) for n, fault in faults.items()]
        return cls(rules=rules, **kwargs)  # type: ignore[arg-type]

    def decide(self, number: int, text: str, marker: str | None) -> str | None:
        """The fault for request `number` (1-based) whose last user message is `text`."""
        fault = self._planned(number, text, marker)
        if fault is not None and fault.startswith("once-"):
            return self._once(fault.removeprefix("once-"), text)
        return fault

    def _planned(self, number: int, text: str, marker: str | None) -> str | None:
        if number <= self.fail_first:
            return self.fail_first_with
        for rule in self.rules:
            if rule.matches(number, text):
                rule.fired += 1
                return rule.fault
        if marker and self.markers:
            return marker
        if self.random_rate > 0 and self._rng.random() < self.random_rate:
            return self._rng.choice(self.random_faults)
        return None

    def _once(self, fault: str, text: str) -> str | None:
        if text in self._seen:
            return None
        self._seen.add(text)
        return fault

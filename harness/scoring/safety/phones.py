"""Phone numbers: a permissive regex proposes digit groups, Google's `phonenumbers` decides.

A candidate is accepted when
- it starts with `+` and is a possible number for its country code, or
- it is a valid number in one of the common regions and is written with separators, or
- a context word ("phone", "call", "fax"...) is next to it and it is at least possible.
Everything else (a count, a price, a year, an order number) is not a phone number. Runs of
groups that are too long are retried without their leading group, which separates a postcode
written just before a number ("30971 21 253 109 8211").

`phonenumbers` is the one costly step (tens of microseconds a parse, up to twelve regions a
candidate), so one call asks it about at most `max_validations` distinct candidates. Past
that budget (a pasted contact list or a dump of thousands of numbers), a candidate that has
a phone's layout is taken on its layout alone (`validated` False, a lower score): the
stricter answer, it may flag a number that is not a phone but never lets a phone through
that validation would have flagged; each window of a too-long run is then offered, longest
first, so the caller can keep the longest that does not collide with a stronger finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

REGIONS = ("US", "GB", "DE", "FR", "IN", "AU", "BR", "IT", "ES", "NL", "PL", "BE")
# The same regions, those whose national numbers start with a trunk 0 first: the answer is
# the same in any order (valid or possible in *some* region), only found sooner.
TRUNK_ZERO_FIRST = ("GB", "DE", "FR", "NL", "BE", "AU", "IN", "BR", "IT", "US", "ES", "PL")
CANDIDATE = re.compile(
    r"(?<![\w.+\-#$€£/@%])(?:\+?\d{7,15}|\+\d{1,3}[ .-]?(?:\(\d{1,5}\)[ .-]?)?\d{6,12}"
    r"|(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?\d{1,10}|\d{1,6})"
    r"(?:[ .-]{1,2}\d{1,8}|[ .-]?\(\d{1,5}\)){0,6})"
    r"(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\w]|[.,]\d)"
)
EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$")
DATE_LIKE = re.compile(
    r"^(?:\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{2,4}|(?:19|20)\d\d-(?:19|20)\d\d)$"
)
GROUP = re.compile(r"\d+")
LEADING_GROUP = re.compile(r"\(?\d+\)? ")
AREA_CODE = re.compile(r"^\(\d{2,5}\)[ .-]?\d")  # "(081) 9958127": a layout only phones use
# `(?=[a-z])`: every word starts with a letter; the lookahead (same under IGNORECASE) lets the
# engine skip the other positions of the window at once, four times faster.
CONTEXT = re.compile(
    r"\b(?=[a-z])(?:phone|tel|telephone|mobile|cell|cellphone|fax|desk|office|call|calling|called|"
    r"text|sms|whats ?app|contact|reach|dial|answering|ring|hotline|number|ph|mob)\b",
    re.IGNORECASE,
)


# Score of a number taken on its layout alone, past the validation budget: below every
# validated score.
SHAPE_ONLY_SCORE = 0.6


class _Budget:
    """Distinct candidates `phonenumbers` may still judge in this call (None: no limit)."""

    __slots__ = ("left", "seen")

    def __init__(self, limit: int | None) -> None:
        self.left = limit
        self.seen: set[str] = set()

    def allows(self, candidate: str) -> bool:
        if self.left is None or candidate in self.seen:
            return True  # a repeat is answered from the cache
        if self.left <= 0:
            return False
        self.left -= 1
        self.seen.add(candidate)
        return True


def find_phones(text: str, max_validations: int | None = None
                ) -> list[tuple[int, int, float, bool]]:
    """(start, end, confidence, validated) of each phone number in `text`, by position.

    Within budget there is one hit per candidate run, the first window `phonenumbers`
    accepts. Past it, every window with a phone's layout is a hit (validated False),
    longest first: overlapping ones, of which the caller keeps what it can.
    """
    budget = _Budget(max_validations)
    out: list[tuple[int, int, float, bool]] = []
    for m in CANDIDATE.finditer(text):
        candidate = m.group(0)
        digits = sum(map(str.isdigit, candidate))
        if digits < 7:
            continue
        for start, window in _windows(m.start(), candidate):
            verdict = _judge(text, start, window, budget)
            if verdict is not None:
                out.append((start, start + len(window), *verdict))
                if verdict[1]:
                    break
    return out


def _windows(start: int, candidate: str) -> Iterator[tuple[int, str]]:
    """The candidate, then the same without its leading group, while 7+ digits remain."""
    while True:
        yield start, candidate
        cut = LEADING_GROUP.match(candidate)
        if cut is None or candidate.startswith("+"):
            return
        start += cut.end()
        candidate = candidate[cut.end():]
        if sum(map(str.isdigit, candidate)) < 7:
            return


def _judge(text: str, start: int, candidate: str, budget: _Budget
           ) -> tuple[float, bool] | None:
    """(confidence, validated by `phonenumbers`) when `candidate` is a phone number."""
    core = EXTENSION.sub("", candidate)
    digits = sum(map(str.isdigit, core))
    if not 7 <= digits <= 15 or DATE_LIKE.match(core):
        return None
    context = CONTEXT.search(text, max(0, start - 40), start + len(candidate) + 12) is not None
    if not _plausible_layout(core, context):
        return None
    if candidate.startswith("+"):
        if not budget.allows(candidate):
            return SHAPE_ONLY_SCORE, False
        valid, possible = _status(candidate)
        if valid:
            return 0.95, True
        return (0.85, True) if possible or _known_country(candidate) else None
    shaped = context or _phone_shaped(core, digits) or _trunk_prefixed(core, digits)
    area_code = AREA_CODE.match(core) is not None
    if not (shaped or area_code):
        return None  # no answer from `phonenumbers` could make it a phone: do not ask
    if not budget.allows(candidate):
        return SHAPE_ONLY_SCORE, False
    valid, possible = _status(candidate)
    if valid and shaped:
        return (0.9 if context else 0.7), True
    if possible and (context or area_code):
        return (0.75 if context else 0.65), True
    return None


def _trunk_prefixed(core: str, digits: int) -> bool:
    """A plain 10-11 digit run starting with the trunk prefix 0, as most of the world
    writes national numbers ("07083619817")."""
    return core.isdigit() and core.startswith("0") and 10 <= digits <= 11


def _known_country(candidate: str) -> bool:
    """`+` and a real country code before 8+ digits: a phone number even when its national
    part breaks the country's numbering plan (as made-up numbers often do)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return False
    if number.country_code is None:
        return False
    region = phonenumbers.region_code_for_country_code(number.country_code)
    return region != "ZZ" and len(str(number.national_number)) >= 7


@lru_cache(maxsize=4096)
def _status(candidate: str) -> tuple[bool, bool]:
    """(valid in some region, possible in some region), memoised: numbers repeat.

    The one costly step of phone detection (tens of microseconds a parse), asked only when
    the answer can change the verdict (see `_judge`)."""
    import phonenumbers

    regions = (None,) if candidate.startswith("+") else \
        TRUNK_ZERO_FIRST if candidate.lstrip("(").startswith("0") else REGIONS
    possible = False
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True, True
        possible = possible or phonenumbers.is_possible_number(number)
    return False, possible


def _plausible_layout(core: str, context: bool) -> bool:
    """Dots mixed with spaces, or two dotted groups, are decimals and versions, not phones;
    next to a context word, two dotted groups of 3+ digits are one ("office 5307.3261")."""
    if "." not in core:
        return True
    groups = GROUP.findall(core)
    if " " in core:
        return False
    return len(groups) >= 3 or (context and len(groups) == 2 and min(map(len, groups)) >= 3)


def _phone_shaped(core: str, digits: int) -> bool:
    """Without a context word, only a number laid out like a phone number counts:
    separators, 9+ digits, no one-digit groups, mostly groups of 3 or more digits, and not
    just two numbers separated by a space."""
    groups = GROUP.findall(core)
    if groups and groups[0] == "1":
        groups = groups[1:]  # the North American "1-" prefix
    if len(groups) < 2 or digits < 9 or any(len(g) == 1 for g in groups):
        return False
    if len(groups) == 5 and all(len(g) == 2 for g in groups) and groups[0][0] == "0":
        return True  # French style: 0X XX XX XX XX
    if [len(g) for g in groups] == [2, 3, 2, 2]:
        return True  # Polish and Belgian landlines: XX XXX XX XX
    if len(groups) == 2 and not any(c in core for c in "-.()"):
        # "94941 2505" is two numbers side by side; "07700 900123" is a trunk-prefixed number
        return groups[0][0] == "0" and digits >= 10
    return sum(len(g) >= 3 for g in groups) * 2 >= len(groups)

"""Running part of a suite: `--case ID` (ids or glob patterns), `--filter-tag TAG`, `--limit N`.

Within one kind the filters add up (a case matching any `--case` is kept, a case with any
`--filter-tag` is kept); across kinds they narrow (`--case 'refund-*' --filter-tag critical`
keeps the refund cases tagged critical); `--limit` keeps the first N left, in file order.
Every filter must select something: an id, pattern or tag that matches no case of the suite
is a typo, and a selection that keeps nothing is an error, never an empty run. The result
says what was asked for and what was kept (`CaseSelection`), and the run records it, so a
subset run is never mistaken for a run of the whole suite.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace

from harness.errors import UsageError
from harness.models import Case, CaseSelection
from harness.suites.loader import LoadedSuite

GLOB_CHARS = frozenset("*?[")
SHOWN = 10  # ids or tags named in an error


def _listing(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def _matches(case_id: str, pattern: str) -> bool:
    if GLOB_CHARS & set(pattern):
        return fnmatch.fnmatchcase(case_id, pattern)
    return case_id == pattern


def select_cases(
    loaded: LoadedSuite,
    cases: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    limit: int | None = None,
) -> tuple[LoadedSuite, CaseSelection | None]:
    """`loaded` cut down to the selected cases, and the record of the selection; with no
    filter, `loaded` itself and None. Any filter that matches nothing is a UsageError."""
    if not cases and not tags and limit is None:
        return loaded, None
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, not {limit}")
    every = loaded.cases
    ids = [c.id for c in every]
    for pattern in cases:
        if not any(_matches(cid, pattern) for cid in ids):
            kind = "matches no case" if GLOB_CHARS & set(pattern) else "is not a case"
            raise UsageError(f"--case {pattern}: {kind} of {loaded.path} "
                             f"(its cases: {_listing(ids)})")
    known_tags = sorted({t for c in every for t in c.tags})
    for tag in tags:
        if tag not in known_tags:
            have = f"its tags: {_listing(known_tags)}" if known_tags else "it has no tags"
            raise UsageError(f"--filter-tag {tag}: no case of {loaded.path} has this tag ({have})")
    kept: list[Case] = [
        c for c in every
        if (not cases or any(_matches(c.id, p) for p in cases))
        and (not tags or any(t in c.tags for t in tags))
    ]
    if not kept:
        raise UsageError(f"no case of {loaded.path} matches all of "
                         f"{_asked(cases, tags)}: nothing to run")
    if limit is not None:
        kept = kept[:limit]
    selection = CaseSelection(cases=tuple(cases), tags=tuple(tags), limit=limit,
                              selected=tuple(c.id for c in kept), n_suite=len(every))
    return _only(loaded, selection.selected), selection


def reapply(loaded: LoadedSuite, selection: CaseSelection | None) -> LoadedSuite:
    """`loaded` cut down to the cases a stored selection kept (resuming a subset run runs
    the same cases, not the filters evaluated again)."""
    if selection is None:
        return loaded
    return _only(loaded, selection.selected)


def _only(loaded: LoadedSuite, keep: tuple[str, ...]) -> LoadedSuite:
    wanted = set(keep)
    kept = [c for c in loaded.cases if c.id in wanted]
    return replace(loaded, suite=loaded.suite.model_copy(update={"cases": kept}))


def _asked(cases: tuple[str, ...], tags: tuple[str, ...]) -> str:
    parts = [*(f"--case {c}" for c in cases), *(f"--filter-tag {t}" for t in tags)]
    return " ".join(parts)


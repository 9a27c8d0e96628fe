"""Deleting runs and clearing the response cache: the SQL behind `harness delete` and
`harness cache clear`.

A run is deleted with everything that hangs off it, found by walking the schema's foreign
keys from `runs` (results, their scores, the case snapshots, tags, the review routing, review
items with their claims and decisions, and whatever table a later migration adds with a key
to one of these), in one transaction: a run is either all there or all gone. With
`PRAGMA foreign_keys=ON` a table the walk missed would make the delete fail, not leave
orphans. A run that another run was derived from (`harness rescore`: `parent_run_id`) is not
deleted unless its derived runs go too, so no run is left pointing at nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.errors import UsageError
from harness.store.db import write_transaction

# the tables whose row counts `harness delete` shows (every table with a run_id is counted)
SHOWN_TABLES = ("results", "scores", "review_items", "review_decisions")


@dataclass
class DeletionPlan:
    """What `delete_runs` would remove: the runs, the rows per table, and notes (runs still
    naming a deleted run as their review baseline or reference)."""

    run_ids: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    derived: list[str] = field(default_factory=list)  # added by with_derived
    notes: list[str] = field(default_factory=list)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _marks(values: list[str]) -> str:
    return ",".join("?" * len(values))


def _derived_of(db: Any, run_ids: list[str]) -> dict[str, list[str]]:
    """parent run id -> the runs derived from it (directly), for the given parents."""
    out: dict[str, list[str]] = {}
    sql = (f"SELECT parent_run_id, id FROM runs WHERE parent_run_id IN ({_marks(run_ids)}) "
           "ORDER BY id")
    for parent, child in db.execute(sql, run_ids).fetchall():
        out.setdefault(parent, []).append(child)
    return out


def plan_deletion(store: Any, refs: list[str], *, with_derived: bool = False) -> DeletionPlan:
    """Resolve `refs` (ids, unique prefixes, `latest`; an ambiguous prefix is an error) and
    say what deleting them removes. A run with derived runs (rescores) outside the set is an
    error unless `with_derived`, which adds them (and theirs)."""
    if not refs:
        raise UsageError("name at least one run to delete (see `harness runs`)")
    ids = list(dict.fromkeys(store.resolve_run_id(ref) for ref in refs))
    db = store.db
    chosen, frontier, added = set(ids), list(ids), []
    while frontier:
        children = _derived_of(db, frontier)
        frontier = []
        for parent, kids in children.items():
            outside = [k for k in kids if k not in chosen]
            if outside and not with_derived:
                raise UsageError(
                    f"run {parent} is the parent of {', '.join(outside)} (made from its stored "
                    f"outputs by `harness rescore`): delete {'them' if len(outside) > 1 else 'it'}"
                    " in the same command, or pass --with-derived")
            for kid in outside:
                chosen.add(kid)
                added.append(kid)
                frontier.append(kid)
    every = ids + added
    plan = DeletionPlan(run_ids=every, derived=added)
    for table in _run_tables(db):
        sql = f"SELECT COUNT(*) FROM {_q(table)} WHERE run_id IN ({_marks(every)})"
        plan.rows[table] = int(db.execute(sql, every).fetchone()[0])
    plan.notes = _references(db, every)
    return plan


def _run_tables(db: Any) -> list[str]:
    """Tables other than `runs` with a `run_id` column."""
    return [t for t in db.table_names()
            if t != "runs" and "run_id" in {c.name for c in db[t].columns}]


def _references(db: Any, run_ids: list[str]) -> list[str]:
    """Runs kept that name a deleted one as the baseline or reference of their review routing
    (their queue stays as it was routed; the note says its comparison run is gone)."""
    if "review_routings" not in db.table_names():
        return []
    marks = _marks(run_ids)
    sql = (f"SELECT run_id, baseline_run_id, reference_run_id FROM review_routings "
           f"WHERE (baseline_run_id IN ({marks}) OR reference_run_id IN ({marks})) "
           f"AND run_id NOT IN ({marks}) ORDER BY run_id")
    notes = []
    for run_id, base, ref in db.execute(sql, run_ids * 3).fetchall():
        gone = sorted({r for r in (base, ref) if r in run_ids})
        notes.append(f"run {run_id} was routed for review against {', '.join(gone)}")
    if "carried_from" in {c.name for c in db["review_items"].columns}:
        # review items of kept runs that mirror the verdict of an item being deleted
        sql = (f"SELECT k.run_id, COUNT(*) FROM review_items k JOIN review_items d "
               f"ON k.carried_from = d.id WHERE d.run_id IN ({marks}) "
               f"AND k.run_id NOT IN ({marks}) GROUP BY k.run_id ORDER BY k.run_id")
        for run_id, n in db.execute(sql, run_ids * 2).fetchall():
            notes.append(f"run {run_id} has {n} review item{'s' * (n != 1)} carried from "
                         "these runs: they lose the decisions they mirror")
    return notes


def _children(db: Any) -> dict[str, list[tuple[str, str, str]]]:
    """parent table -> [(child table, child column, parent column)] from the foreign keys."""
    graph: dict[str, list[tuple[str, str, str]]] = {}
    for table in db.table_names():
        for fk in db[table].foreign_keys:
            graph.setdefault(fk.other_table, []).append((table, fk.column, fk.other_column))
    return graph


def _delete(conn: Any, graph: dict[str, list[tuple[str, str, str]]], table: str, where: str,
            args: list[Any], counts: dict[str, int], depth: int = 0) -> None:
    """Delete the rows of `table` matching `where`, children first."""
    if depth > 16:  # a cycle in the schema's keys: refuse rather than recurse for ever
        raise UsageError(f"cannot delete from {table}: its foreign keys form a cycle")
    for child, column, parent_column in graph.get(table, []):
        sub = f"{_q(column)} IN (SELECT {_q(parent_column)} FROM {_q(table)} WHERE {where})"
        _delete(conn, graph, child, sub, args, counts, depth + 1)
    removed = conn.execute(f"DELETE FROM {_q(table)} WHERE {where}", args).rowcount
    counts[table] = counts.get(table, 0) + max(removed, 0)


def delete_runs(store: Any, plan: DeletionPlan) -> dict[str, int]:
    """Delete the planned runs and every row hanging off them, in one transaction; returns
    the rows removed per table."""
    db = store.db
    counts: dict[str, int] = {}
    ids = plan.run_ids
    with write_transaction(db, "delete runs"):
        # derived runs (rescores) outside the plan may have appeared since it was made
        outside = [k for kids in _derived_of(db, ids).values() for k in kids if k not in ids]
        if outside:
            raise UsageError(f"runs {', '.join(outside)} were derived from these runs since the "
                             "deletion was planned; nothing was deleted")
        if "carried_from" in {c.name for c in db["review_items"].columns}:
            items = [r[0] for r in db.execute(
                f"SELECT id FROM review_items WHERE run_id IN ({_marks(ids)})", list(ids))]
            detach_carried(db, items)
        _delete(db.conn, _children(db), "runs", f"id IN ({_marks(ids)})", list(ids), counts)
    return counts


def detach_carried(db: Any, item_ids: list[int]) -> int:
    """Before items are deleted (with their run): of the items waiting on each (`duplicate`),
    the first becomes an ordinary pending item and the others wait on it, so none waits
    forever on an item that is gone; carried verdicts stay. Call inside the deleting
    transaction; returns how many items were reopened."""
    gone, reopened = set(item_ids), 0
    for source in item_ids:
        waiting = [r[0] for r in db.execute(
            "SELECT id FROM review_items WHERE carried_from = ? AND status = 'duplicate' "
            "ORDER BY id", (source,)) if r[0] not in gone]
        if not waiting:
            continue
        first, rest = waiting[0], waiting[1:]
        db.execute("UPDATE review_items SET status = 'pending', carried_from = NULL "
                   "WHERE id = ?", (first,))
        db.conn.executemany("UPDATE review_items SET carried_from = ? WHERE id = ?",
                            [(first, i) for i in rest])
        reopened += 1
    return reopened


# --------------------------------------------------------------------------- the cache

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """`90s`, `30m`, `12h`, `7d`, `2w` -> a timedelta; anything else is a UsageError."""
    value, unit = text.strip()[:-1], text.strip()[-1:].lower()
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if unit not in _UNITS or not number >= 0 or number > 1e6:
        raise UsageError(f"--older-than {text!r}: write a number and a unit, e.g. 12h, 7d, 2w "
                         "(units: s, m, h, d, w)")
    return timedelta(seconds=number * _UNITS[unit])


def _cutoff(older_than: timedelta | None) -> str | None:
    if older_than is None:
        return None
    return (datetime.now(UTC) - older_than).isoformat(timespec="seconds")


def cache_stats(db: Any, older_than: timedelta | None = None) -> dict[str, Any]:
    """Entries in the response cache (those older than `older_than` when given), per
    provider, with the oldest and newest time stored."""
    where, args = ("WHERE created_at < ?", [_cutoff(older_than)]) if older_than else ("", [])
    rows = db.execute(f"SELECT provider, COUNT(*), MIN(created_at), MAX(created_at) FROM cache "
                      f"{where} GROUP BY provider ORDER BY provider", args).fetchall()
    return {
        "entries": sum(r[1] for r in rows),
        "providers": {r[0] or "": r[1] for r in rows},
        "oldest": min((r[2] for r in rows if r[2]), default=None),
        "newest": max((r[3] for r in rows if r[3]), default=None),
    }


def clear_cache(db: Any, older_than: timedelta | None = None) -> int:
    """Remove the cached responses (only those stored before now - `older_than` when given);
    returns how many. Stored runs are untouched: the cache only saves calls."""
    where, args = ("WHERE created_at < ?", [_cutoff(older_than)]) if older_than else ("", [])
    with write_transaction(db, "clear the cache"):
        return int(db.conn.execute(f"DELETE FROM cache {where}", args).rowcount)

"""Several processes writing one database at once (issue 11, item 1): every process opens a
fresh database (so migrations race too), creates its run, writes many small batches and
sets its status; none may die of `database is locked`, and nothing may be lost."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time
import traceback
from pathlib import Path

from harness.models import CaseResult, Completion, ModelSpec, RunSpec, Score
from harness.store import RunStore, open_db

WRITERS = 4
BATCHES = 60
PER_BATCH = 5


def _writer(path: str, n: int, start: float, errors: mp.Queue) -> None:  # type: ignore[type-arg]
    try:
        while time.time() < start:  # all processes begin together
            time.sleep(0.001)
        store = RunStore(open_db(path))
        run_id = f"20260101-00000{n}-abcdef"
        store.create_run(RunSpec(run_id=run_id, suite="s", suite_version="1",
                                 suite_hash="v1:x", models=(ModelSpec(ref="openai:m"),),
                                 harness_version="0", started_at=time.time(), n_cases=1),
                         n_planned=BATCHES * PER_BATCH)
        for b in range(BATCHES):
            store.write_results([
                CaseResult(run_id=run_id, case_id=f"c{b}-{i}", model="openai:m",
                           outcome="pass", completion=Completion(text="x" * 200),
                           scores=(Score(check="c", type="contains", scorer_version="1",
                                         outcome="pass", score=1.0),))
                for i in range(PER_BATCH)])
            # a writer that reads what it wrote between batches, as resume does
            store.done_keys(run_id)
        store.set_status(run_id, "complete", time.time())
    except BaseException:
        errors.put(f"writer {n}: {traceback.format_exc()}")


def test_concurrent_writers_neither_die_nor_lose_rows(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    ctx = mp.get_context("spawn")
    errors = ctx.Queue()
    start = time.time() + 2.0
    procs = [ctx.Process(target=_writer, args=(path, n, start, errors))
             for n in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert not failures, "\n".join(failures)
    assert all(p.exitcode == 0 for p in procs)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == (
        WRITERS * BATCHES * PER_BATCH)
    assert conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == (
        WRITERS * BATCHES * PER_BATCH)
    statuses = [r[0] for r in conn.execute("SELECT status FROM runs")]
    assert statuses == ["complete"] * WRITERS
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

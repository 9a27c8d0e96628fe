"""Claims per second per core of the grounding modes (issue 10: the meaning-level mode must
reach 20 claims/s per core; the lexical mode 200 items/s).

One thread (torch.set_num_threads(1)), the passage index cache cleared before every item,
a warm-up item excluded; rows are the dev part of ../shared/data/dev (any labelled set
serves, since speed does not depend on the label).

    python bench/grounding_speed.py [--set summedits] [--modes offline,embedding,rules]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from splits import DEFAULT_DATA, split_rows  # noqa: E402

from harness.models import Case, Completion  # noqa: E402
from harness.scoring import ScoreContext, get_scorer  # noqa: E402
from harness.scoring.grounding.check import GroundingParams  # noqa: E402
from harness.scoring.grounding.evidence import index_context  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="summedits")
    ap.add_argument("--modes", default="rules,offline,embedding")
    ap.add_argument("--limit", type=int, default=120)
    args = ap.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    rows = [json.loads(x) for x in (DEFAULT_DATA / args.set / "data.jsonl").read_text(
        "utf-8").splitlines()]
    rows = split_rows(args.set, rows)[0][: args.limit + 1]
    scorer = get_scorer("grounding")
    for mode in args.modes.split(","):
        params = GroundingParams(type="grounding", mode=mode)

        async def one(r: dict, params: GroundingParams = params) -> int:
            index_context.cache_clear()
            case = Case(id=r["id"], input=r.get("question") or "", context=[r["context"]])
            s = await scorer.score(ScoreContext(case=case, check=params,
                                                completion=Completion(text=r["response"])))
            return len(s.evidence.get("claims", []))

        asyncio.run(one(rows[0]))  # warm-up: loads models
        t0 = time.process_time()
        claims = sum(asyncio.run(one(r)) for r in rows[1:])
        cpu = time.process_time() - t0
        n = len(rows) - 1
        print(f"{mode:10} {n} items, {claims} claims: {n / cpu:,.0f} items/s, "
              f"{claims / cpu:,.0f} claims/s per core (CPU time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Keep the development data out of training: texts of every ../shared/data/dev set are
fingerprinted, and any training row that matches one (whole text, or its first 200 or last
200 normalised characters) is dropped. Public collections are often copies of each other,
so a dev or final-check row can reappear in a training source under another name."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dev"
FIELDS = ("text", "response", "prompt", "context", "claim", "question")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def prints(text: str) -> set[str]:
    n = _norm(text)
    if len(n) < 40:
        return {hashlib.sha1(n.encode()).hexdigest()} if n else set()
    return {hashlib.sha1(p.encode()).hexdigest() for p in (n, "H" + n[:200], "T" + n[-200:])}


@cache
def dev_prints() -> frozenset[str]:
    out: set[str] = set()
    for path in DEV.glob("*/data.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            for f in FIELDS:
                v = row.get(f)
                if isinstance(v, str) and len(v) >= 20:
                    out |= prints(v)
    return frozenset(out)


def in_dev(*texts: str | None) -> bool:
    dp = dev_prints()
    return any(t and len(t) >= 20 and prints(t) & dp for t in texts)

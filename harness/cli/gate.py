"""`harness compare`, `harness gate`, `harness rescore`: paired comparison and the CI gate."""

from __future__ import annotations

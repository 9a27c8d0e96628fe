"""`harness review ...` and `harness serve`: the human review queue."""

from __future__ import annotations

"""`harness score`: score existing outputs (e.g. production logs) without calling a model."""

from __future__ import annotations

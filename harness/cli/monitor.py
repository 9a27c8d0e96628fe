"""`harness monitor`: control charts and drift over run history."""

from __future__ import annotations

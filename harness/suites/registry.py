"""The one door to the check-type registry, so loading and schemas agree on what exists.

`harness.scoring.registry` owns the check types (name -> params model). Going through this
function gives tests one place to stand in a registry of their own.
"""

from __future__ import annotations

from pydantic import BaseModel


def check_types() -> dict[str, type[BaseModel]]:
    """Registered check types: built-ins plus those of installed plugins."""
    from harness.scoring.registry import check_types as registered

    return dict(registered())

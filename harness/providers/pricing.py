"""Prices per million tokens, so a cost can be known when a server reports none.

Where a price comes from, first match wins:

1. the model's own price: `harness run --price MODEL=IN,OUT` (or `MODEL=free`), else its
   `options.pricing` in the suite: `{input_per_mtok, output_per_mtok}`, or `free` for a
   self-hosted model whose calls cost nothing;
2. the YAML file named by the environment variable `HARNESS_PRICES`, a mapping of
   ``provider:model`` patterns (``*`` wildcards) to prices::

       openai:gpt-4o-mini: {input_per_mtok: 0.15, output_per_mtok: 0.60}
       "openai:my-finetune-*": {input_per_mtok: 0.30, output_per_mtok: 1.20}

3. the built-in table below: list prices of common hosted models as published by their
   vendors (as of `PRICES_AS_OF`). Prices change; override them rather than trust them.

Among patterns of one source, the longest (most specific) match wins, so
``openai:gpt-4o-mini*`` beats ``openai:gpt-4o*``. No match means the cost is unknown (None),
which scorers report as such, never as zero.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import UsageError
from harness.models import Usage

ENV_VAR = "HARNESS_PRICES"
PRICES_AS_OF = "2025-06"


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_mtok: float = Field(
        ge=0, allow_inf_nan=False, description="USD per million prompt tokens."
    )
    output_per_mtok: float = Field(
        ge=0, allow_inf_nan=False, description="USD per million completion tokens."
    )

    @property
    def is_free(self) -> bool:
        """Zero both ways: the cost is known (0) even when no token usage was reported."""
        return self.input_per_mtok == 0 and self.output_per_mtok == 0

    def cost(self, usage: Usage) -> float:
        tokens_in, tokens_out = usage.prompt_tokens, usage.completion_tokens
        return (tokens_in * self.input_per_mtok + tokens_out * self.output_per_mtok) / 1e6


def _p(per_in: float, per_out: float) -> Price:
    return Price(input_per_mtok=per_in, output_per_mtok=per_out)


BUILTIN: dict[str, Price] = {
    "openai:gpt-4o*": _p(2.50, 10.00),
    "openai:gpt-4o-mini*": _p(0.15, 0.60),
    "openai:gpt-4.1*": _p(2.00, 8.00),
    "openai:gpt-4.1-mini*": _p(0.40, 1.60),
    "openai:gpt-4.1-nano*": _p(0.10, 0.40),
    "openai:gpt-3.5-turbo*": _p(0.50, 1.50),
    "openai:o3-mini*": _p(1.10, 4.40),
    "openai:o4-mini*": _p(1.10, 4.40),
    "anthropic:claude-3-haiku*": _p(0.25, 1.25),
    "anthropic:claude-3-5-haiku*": _p(0.80, 4.00),
    "anthropic:claude-3-5-sonnet*": _p(3.00, 15.00),
    "anthropic:claude-3-7-sonnet*": _p(3.00, 15.00),
    "anthropic:claude-sonnet-4*": _p(3.00, 15.00),
    "anthropic:claude-3-opus*": _p(15.00, 75.00),
    "anthropic:claude-opus-4*": _p(15.00, 75.00),
    "local:*": _p(0.0, 0.0),
}


def parse_table(data: Any, where: str) -> dict[str, Price]:
    """A price table from parsed YAML; a mistake names the file and the entry."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{where}: a price table is a mapping of provider:model to prices")
    table = {}
    for pattern, price in data.items():
        try:
            table[str(pattern)] = Price.model_validate(price)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(entry)"
            raise UsageError(f"{where}: [{pattern}.{field}] {first['msg']}") from exc
    return table


FREE = "free"
PRICE_HELP = (
    "a price is `free` (a self-hosted model: zero), IN,OUT (USD per million input and "
    "output tokens, e.g. 0.15,0.6) or {input_per_mtok: IN, output_per_mtok: OUT}"
)

# What an unknown cost's reason tells the user to do (the cost_usd and operations checks).
PRICE_REMEDY = (
    "the server reported none and no price is set; declare one with "
    "`harness run --price MODEL=IN,OUT` (USD per million tokens; MODEL=free when "
    "self-hosted), the model's options.pricing in the suite, or HARNESS_PRICES"
)


def parse_price(value: Any, where: str) -> Price:
    """A price as a user writes it: `free`, ``"IN,OUT"`` or a mapping; else `UsageError`."""
    if isinstance(value, Mapping):
        try:
            return Price.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(entry)"
            raise UsageError(f"{where}: [{field}] {first['msg']}; {PRICE_HELP}") from exc
    if isinstance(value, str):
        text = value.strip().lower()
        if text == FREE:
            return _p(0.0, 0.0)
        parts = text.split(",")
        if len(parts) == 2:
            try:
                return _p(float(parts[0]), float(parts[1]))
            except (ValueError, ValidationError):
                pass
    raise UsageError(f"{where}: {PRICE_HELP}; not {value!r}")


def own_price(options: Mapping[str, Any] | None, where: str) -> Price | None:
    """The price a model declares in `options.pricing`, validated; None when it sets none."""
    own = (options or {}).get("pricing")
    return None if own is None else parse_price(own, f"{where} options.pricing")


@cache
def _file_table(path: str, mtime: float) -> dict[str, Price]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{ENV_VAR}={path}: cannot read the price table: {exc}") from exc
    return parse_table(data or {}, path)


def user_table(env: Mapping[str, str] | None = None) -> dict[str, Price]:
    """The table named by HARNESS_PRICES, or {} (re-read when the file changes)."""
    path = (os.environ if env is None else env).get(ENV_VAR)
    if not path:
        return {}
    try:
        mtime = Path(path).stat().st_mtime
    except OSError as exc:
        raise UsageError(f"{ENV_VAR}={path}: the price table does not exist") from exc
    return _file_table(path, mtime)


def lookup(ref: str, table: Mapping[str, Price]) -> Price | None:
    """The price of the most specific pattern matching `ref`, or None."""
    found = [p for p in table if fnmatch.fnmatchcase(ref, p)]
    return table[max(found, key=len)] if found else None


def price_for(
    ref: str, options: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Price | None:
    """The price of `ref` (``provider:model``): options, then HARNESS_PRICES, then built-ins."""
    own = own_price(options, ref)
    if own is not None:
        return own
    return lookup(ref, user_table(env)) or lookup(ref, BUILTIN)


def cost_usd(
    ref: str, usage: Usage | None, options: Mapping[str, Any] | None = None
) -> float | None:
    """What `usage` cost on `ref`, or None when usage or the price is unknown (a free model
    costs 0 with or without usage)."""
    price = price_for(ref, options)
    if price is not None and price.is_free:
        return 0.0
    return None if price is None or usage is None else price.cost(usage)

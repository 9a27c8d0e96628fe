"""IFEval's verifiable instructions: ids, their keyword arguments, and how to check them.

Private to `harness.scoring.ifeval.check`. `KWARGS` states each instruction's arguments so a
suite's typo is caught at load time; `evaluate` checks a response in IFEval's strict mode or its
loose mode (which also tries the response without its first / last line and without ``*``
markup, forgiving a preamble like "Sure, here it is:").
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from harness.scoring.ifeval.checks import CHECKS, Verdict

Relation = Literal["less than", "at least"]

KWARGS: dict[str, dict[str, Any]] = {
    "keywords:existence": {"keywords": list[str]},
    "keywords:frequency": {"keyword": str, "frequency": int, "relation": Relation},
    "keywords:forbidden_words": {"forbidden_words": list[str]},
    "keywords:letter_frequency": {"letter": str, "let_frequency": int, "let_relation": Relation},
    "language:response_language": {"language": str},
    "length_constraints:number_sentences": {"num_sentences": int, "relation": Relation},
    "length_constraints:number_paragraphs": {"num_paragraphs": int},
    "length_constraints:number_words": {"num_words": int, "relation": Relation},
    "length_constraints:nth_paragraph_first_word": {
        "num_paragraphs": int, "nth_paragraph": int, "first_word": str,
    },
    "detectable_content:number_placeholders": {"num_placeholders": int},
    "detectable_content:postscript": {"postscript_marker": str},
    "detectable_format:number_bullet_lists": {"num_bullets": int},
    "detectable_format:constrained_response": {},
    "detectable_format:number_highlighted_sections": {"num_highlights": int},
    "detectable_format:multiple_sections": {"section_spliter": str, "num_sections": int},
    "detectable_format:json_format": {},
    "detectable_format:title": {},
    "combination:two_responses": {},
    "combination:repeat_prompt": {"prompt_to_repeat": str},
    "startend:end_checker": {"end_phrase": str},
    "change_case:capital_word_frequency": {"capital_frequency": int, "capital_relation": Relation},
    "change_case:english_capital": {},
    "change_case:english_lowercase": {},
    "punctuation:no_comma": {},
    "startend:quotation": {},
}
INSTRUCTION_IDS = tuple(KWARGS)
assert set(KWARGS) == set(CHECKS), "every instruction needs both arguments and a check"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


@cache
def _kwargs_model(instruction_id: str) -> type[BaseModel]:
    fields: dict[str, Any] = {name: (kind, ...) for name, kind in KWARGS[instruction_id].items()}
    return create_model(f"Kwargs_{instruction_id.replace(':', '_')}", __base__=_Strict, **fields)


def validate_kwargs(instruction_id: str, kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """The instruction's arguments, checked; None values are dropped (IFEval's HF copies pad
    every kwargs dict with every argument name set to null). Raises ValueError."""
    if instruction_id not in KWARGS:
        raise ValueError(f"unknown instruction id {instruction_id!r}{_hint(instruction_id)}")
    given = {k: v for k, v in (kwargs or {}).items() if v is not None}
    try:
        return _kwargs_model(instruction_id).model_validate(given).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{instruction_id}: argument {where!r}: {first['msg']}") from exc


def _hint(instruction_id: str) -> str:
    import difflib

    close = difflib.get_close_matches(instruction_id, INSTRUCTION_IDS, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def loose_variants(text: str) -> list[str]:
    """The response plus IFEval's loose variants: without first/last line, without ``*``."""
    lines = text.split("\n")
    cut = [
        "\n".join(lines[1:]).strip(),
        "\n".join(lines[:-1]).strip(),
        "\n".join(lines[1:-1]).strip(),
    ]
    return [text, text.replace("*", ""), *cut, *(c.replace("*", "") for c in cut)]


def check(instruction_id: str, text: str, kwargs: dict[str, Any], mode: str = "strict") -> Verdict:
    """One instruction on one response. An empty response follows nothing (as in IFEval)."""
    fn = CHECKS[instruction_id]
    variants = [text] if mode == "strict" else loose_variants(text)
    verdicts = [fn(v, kwargs) for v in variants if v.strip()]
    if not verdicts:
        return Verdict(False, "empty response")
    followed = [v for v in verdicts if v.followed]
    if followed:
        return followed[0] if followed[0] is verdicts[0] else _loosely(followed[0])
    undecided = [v for v in verdicts if v.followed is None]
    return undecided[0] if undecided else verdicts[0]


def _loosely(verdict: Verdict) -> Verdict:
    return Verdict(True, f"{verdict.detail} (loose: after removing a first/last line or *)",
                   verdict.confidence)


__all__ = ["INSTRUCTION_IDS", "KWARGS", "Verdict", "check", "loose_variants", "validate_kwargs"]

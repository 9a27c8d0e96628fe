"""Optional PERSON detection through spaCy, installed with the `[ner]` extra.

Names cannot be found with patterns, and an NER model is a download the harness never makes
at run time: the user installs a spaCy pipeline package (e.g. `en_core_web_sm`) with pip.
When spaCy or the pipeline is missing, `person_finder` returns None and the PII scorer says
in its evidence that PERSON was not checked (or is `unscored` when PERSON was asked for).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from harness.scoring.safety.findings import Finding

PersonFinder = Callable[[str], list[Finding]]


@lru_cache(maxsize=4)
def person_finder(model: str = "en_core_web_sm") -> PersonFinder | None:
    """A function finding PERSON entities with the named spaCy pipeline, or None."""
    try:
        import spacy  # type: ignore[import-not-found]

        nlp: Any = spacy.load(model, disable=["lemmatizer", "textcat"])
    except Exception:  # noqa: BLE001 - missing package, missing model or a broken install
        return None

    def find(text: str) -> list[Finding]:
        doc = nlp(text)
        return [
            Finding("PERSON", ent.start_char, ent.end_char, ent.text, 0.85, "low", f"spacy:{model}")
            for ent in doc.ents
            if ent.label_ == "PERSON"
        ]

    return find

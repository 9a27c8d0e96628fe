"""A "yes" or "no" answer asserts the question it answers; the passages must address it.

"Yes! Many shades are named after plants." in reply to "Has green always been your
favourite colour?" copies a true sentence, but its "yes" claims something no passage
says. When the answer opens with a polar word and the user's last question is a yes/no
question (it starts with an auxiliary verb, or its last clause does: "... do you like
X?"), the question's proposition is checked like
a claim; if the passages do not support it, the answer's first claim is marked. A
question with fewer than MIN_WORDS content words ("don't you agree?", "right?") points
back at an earlier statement rather than stating one, so it is not checked.
"""

from __future__ import annotations

import re
from dataclasses import replace

from harness.scoring._grounding.claims import Claim, sentence_spans
from harness.scoring._grounding.evidence import ContextIndex
from harness.scoring._grounding.offline import SOFT_SUPPORT, judge_claim
from harness.scoring._grounding.text import is_content, tokenize
from harness.scoring._grounding.verdicts import ClaimVerdict, Signal

MIN_WORDS = 2

_POLAR = re.compile(r"^\W*(yes|yeah|yep|yup|no|nope|nah)\b", re.IGNORECASE)
_AUX = (
    r"(?:do|does|did|is|are|was|were|am|have|has|had|can|could|will|would|should"
    r"|shall|may|might|must)(?:n['’]t)?"
)
_AUXILIARY = re.compile(rf"^\W*{_AUX}\b", re.IGNORECASE)
# A run-on question ends with its yes/no clause: "really? i did not know that do you like X?"
_CLAUSE = re.compile(
    rf"\b{_AUX}\s+(?:you|they|he|she|it|we|i|there|that|this|these|those)\b", re.IGNORECASE
)


def polar_word(answer: str) -> str | None:
    """The yes/no word the answer opens with, if any."""
    match = _POLAR.match(answer)
    return match.group(1) if match else None


def polar_question(user_input: str | None) -> str | None:
    """The user's last question when it is a yes/no question stating a proposition."""
    if not user_input:
        return None
    questions = [
        user_input[s:e].strip()
        for s, e in sentence_spans(user_input)
        if user_input[s:e].rstrip().endswith("?")
    ]
    if not questions:
        return None
    question = questions[-1]
    if not _AUXILIARY.match(question):
        clauses = list(_CLAUSE.finditer(question))
        if not clauses:
            return None
        question = question[clauses[-1].start() :]
    content = [t for t in tokenize(question) if is_content(t)]
    return question if len(content) >= MIN_WORDS else None


def check_polar(
    answer: str, user_input: str | None, verdicts: list[ClaimVerdict], index: ContextIndex
) -> list[ClaimVerdict]:
    """Mark the first claim when the answer's yes/no asserts a question the passages miss."""
    word = polar_word(answer)
    question = polar_question(user_input) if word else None
    if not verdicts or question is None:
        return verdicts
    proposition = Claim(-1, question, 0, len(question), tokens=tuple(tokenize(question)))
    if judge_claim(proposition, index).supported:
        return verdicts
    first = verdicts[0]
    start = answer.lower().index(word.lower())  # type: ignore[union-attr]
    signal = Signal(
        "unsupported_polar_answer",
        f"answers {word!r} to {question!r}, which the passages do not support",
        (start, start + len(word)),  # type: ignore[arg-type]
    )
    return [
        replace(first, support=min(first.support, SOFT_SUPPORT), signals=(signal, *first.signals)),
        *verdicts[1:],
    ]

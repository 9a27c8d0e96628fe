"""A "yes" or "no" asserts whatever it answers; the passages must support that too.

"Yes! Many shades are named after plants." in reply to "Has green always been your
favourite colour?" copies a true sentence, but its "yes" claims something no passage
says. What the polar word answers is read from the user's turn:

- a yes/no question (it starts with an auxiliary verb, with or without its question mark,
  or its last clause does: "... do you like X?") states a proposition, which is checked
  like a claim;
- a yes/no question put to the assistant ("do you ski?", "have you been there?") makes
  the answer a statement about the speaker, which no passage can support; "do you know
  (that) X?" asks about X, so X is checked;
- a request ("can you tell me about X?") is complied with, not affirmed: nothing is added;
- a wh-question ("when does it open?") is not answered by yes or no, and a "yes" to a
  statement or a short tag ("is that true?", "right?") mostly means "I hear you": nothing
  is added. (Checking the statement agreed with was tried on the BEGIN dialogue data and
  flagged supported and unsupported answers alike.)

When the proposition is not supported, the answer's first claim is marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from harness.scoring.grounding.claims import Claim, sentence_spans
from harness.scoring.grounding.evidence import ContextIndex
from harness.scoring.grounding.offline import SOFT_SUPPORT, judge_claim
from harness.scoring.grounding.text import is_content, tokenize
from harness.scoring.grounding.verdicts import ClaimVerdict, Signal

MIN_WORDS = 2  # fewer content words than this: a tag pointing back ("right?")

_POLAR = re.compile(r"^\W*(yes|yeah|yea|yep|yup|sure|no|nope|nah)\b", re.IGNORECASE)
_AUX = (
    r"(?:do|does|did|is|are|was|were|am|have|has|had|can|could|will|would|should"
    r"|shall|may|might|must)(?:n['’]t)?"
)
_AUXILIARY = re.compile(rf"^\W*{_AUX}\b", re.IGNORECASE)
_SUBJECT = r"(?:you|they|he|she|it|we|i|there|that|this|these|those)"
# A run-on question ends with its yes/no clause: "really? i did not know that do you like X?"
_CLAUSE = re.compile(rf"\b{_AUX}\s+{_SUBJECT}\b", re.IGNORECASE)
# Without its "?", a question still opens with an auxiliary and a subject ("is the museum
# open", "do you ski"); "Don't forget X." and "Do check Y." are imperatives.
_OPENS_CLAUSE = re.compile(
    rf"^\W*{_AUX}\s+(?:{_SUBJECT}|the|a|an|my|your|his|her|their|its|our)\b", re.IGNORECASE
)
_TO_SPEAKER = re.compile(rf"^\W*{_AUX}\s+(?:you|ya|u)\b", re.IGNORECASE)
# "do you know (that|if|whether|about) X?", "have you heard of X?": the question is X.
_ABOUT = re.compile(
    rf"^\W*{_AUX}\s+you\s+(?:\w+\s+)?(?:know|remember|recall|heard|hear|think|believe|"
    r"realize|realise|say)\b(?:\s+(?:that|if|whether|about|of))?\s*",
    re.IGNORECASE,
)
_EMBEDDED_WH = re.compile(r"(?:what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
# "can you tell me about X?" is a request; "sure" complies with it and asserts nothing.
_REQUEST = re.compile(
    rf"^\W*{_AUX}\s+you\s+(?:please\s+)?(?:tell|give|explain|describe|share|help|show|list|"
    r"recommend|suggest|name|elaborate|expand|send|find)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Target:
    """What a polar word answers: a proposition to check, or a question about the speaker."""

    text: str
    about_speaker: bool = False


def polar_word(answer: str) -> str | None:
    """The yes/no word the answer opens with, if any."""
    match = _POLAR.match(answer)
    return match.group(1) if match else None


def polar_target(user_input: str | None) -> Target | None:
    """What a yes or no in reply to `user_input` asserts, or None when it asserts nothing."""
    sentences = _sentences(user_input)
    if not sentences:
        return None
    questions = [s for s in sentences if _is_question(s)]
    question = _yes_no_clause(questions[-1]) if questions else None
    if question is None or _content_words(question) < MIN_WORDS or _REQUEST.match(question):
        return None
    about = _ABOUT.match(question)
    if about and _EMBEDDED_WH.match(question[about.end() :]):
        return None  # "do you remember which phone sold best?": a wh-question inside
    if about and _content_words(question[about.end() :]) >= MIN_WORDS:
        return Target(question[about.end() :])
    if _TO_SPEAKER.match(question):
        return Target(question, about_speaker=True)
    return Target(question)


def _sentences(text: str | None) -> list[str]:
    if not text:
        return []
    return [text[s:e].strip() for s, e in sentence_spans(text) if text[s:e].strip()]


def _is_question(sentence: str) -> bool:
    """Ends with "?", or opens like one ("do you ski often"); "Don't forget X." does not."""
    return sentence.rstrip().endswith("?") or bool(_OPENS_CLAUSE.match(sentence))


def _yes_no_clause(question: str) -> str | None:
    if _AUXILIARY.match(question):
        return question
    clauses = list(_CLAUSE.finditer(question))
    return question[clauses[-1].start() :] if clauses else None


def _content_words(text: str) -> int:
    return sum(1 for t in tokenize(text) if is_content(t))


def check_polar(
    answer: str, user_input: str | None, verdicts: list[ClaimVerdict], index: ContextIndex
) -> list[ClaimVerdict]:
    """Mark the first claim when the answer's yes/no asserts what the passages miss."""
    word = polar_word(answer)
    target = polar_target(user_input) if word else None
    if not verdicts or target is None or word is None:
        return verdicts
    if target.about_speaker:
        reason = f"answers {word!r} to {target.text!r}: a statement about the speaker"
        name = "speaker_polar_answer"
    else:
        tokens = tuple(tokenize(target.text))
        proposition = Claim(-1, target.text, 0, len(target.text), tokens=tokens)
        if judge_claim(proposition, index).supported:
            return verdicts
        reason = f"answers {word!r} to {target.text!r}, which the passages do not support"
        name = "unsupported_polar_answer"
    start = answer.lower().index(word.lower())
    signal = Signal(name, reason, (start, start + len(word)))
    first = verdicts[0]
    return [
        replace(first, support=min(first.support, SOFT_SUPPORT), signals=(signal, *first.signals)),
        *verdicts[1:],
    ]

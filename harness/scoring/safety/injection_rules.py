"""Rule features for prompt injection: what an attack tries to do, not how it is written.

A bag-of-words model trained on public jailbreak collections learns their style (long,
"ChatGPT", role-play) and scores at chance on instructions hidden in a retrieved web page or
an e-mail. These features name the intent instead: overriding earlier instructions, talking
to the AI rather than to a person, claiming a system or developer voice, switching off rules,
asking for secrets or the conversation to be sent somewhere, keeping it from the user, and
the tricks that hide text from a human reader. Each feature counts its matches, and every
match keeps its span for the evidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# "model", "agent" and "bot" alone are too common in ordinary text ("Sales agent: Good
# morning"); they count only as "AI model", "AI agent" and the like.
AI = (r"(?:ai|a\.i\.|assistant|chat ?bot|chatgpt|gpt|llm|language model|(?:ai|llm) "
      r"(?:model|agent|system|tool)|summari[sz]er|reviewer-bot|screening (?:system|tool)s?|"
      r"automated \w+ systems?)")
# Verbs that start an instruction right after "Assistant:" or "AI,"; not "please" or "you",
# which open ordinary turns of a chat transcript.
VERB = (r"(?:ignore|disregard|forget|do not|don'?t|stop|pretend|send|forward|reveal|print|"
        r"output|append|include|grant|delete|call|run|translate nothing|before (?:you )?"
        r"(?:reply|respond|answer)\w*|when (?:you )?(?:reply|respond|answer|summari[sz]e)\w*|"
        r"from now on|your new)")
NOUNS = (r"(?:instructions?|prompts?|rules|guidelines|directions|directives|criteria|requests?|"
         r"context|programming|constraints|policies|guidance|messages?|reviews|requirements|"
         r"commands?|orders|restrictions|training)")
SECRETS = (r"(?:system (?:prompt|message)|hidden (?:instructions|message|prompt)|your "
           r"(?:instructions|prompt|rules)|initial prompt|prior messages|previous messages|"
           r"conversation(?: history)?|chat history|message history|passwords?|credentials|"
           r"api keys?|secrets?|tokens?|contact list|contacts|e-?mails|calendar|personal "
           r"(?:data|information)|home address|phone number|files|codes?)")

RULES: dict[str, str] = {
    "override": rf"\b(?:ignore|disregard|forget|bypass|override|abandon)\s+(?:all\s+|any\s+)?"
                rf"(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+|those\s+)?(?:user'?s\s+)?"
                rf"(?:(?:previous|prior|above|earlier|preceding|initial|original|other|system|"
                rf"existing|safety|current)\s+)?{NOUNS}\b"
                r"|\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:of\s+)?(?:the\s+|everything\s+)?"
                r"(?:above|before this|said before|you (?:were|have been) told)\b",
    "addressed_to_ai": rf"\b(?:dear|hey|hi|hello|attention|note (?:to|for)|message (?:to|for)|"
                       rf"instructions? (?:to|for)|directive for|p\.?s\.?(?: to| for)?|for)\s+"
                       rf"(?:the |any |all |an? )?{AI}s?\b(?!\s+(?:manager|teacher|director))"
                       rf"|\bif (?:you are|you're) an? {AI}\b"
                       rf"|\b{AI}s?\s+(?:reading|processing|summari[sz]ing|that reads|parsing)\s"
                       rf"|\b(?:dear|hey|hi|hello|attention)\s+(?:ai|chatbot|assistant|llm)\b"
                       rf"|\b{AI}\s*[:,]\s*{VERB}\b",
    "fake_system": r"\[\s*/?\s*(?:system|admin|developer|assistant instructions?|inst)\s*\]"
                   r"|<\|?\s*(?:im_start|system|endoftext)\s*\|?>|#{2,}\s*(?:system|new "
                   r"instructions?|instruction|override|system override)\b"
                   r"|\bsystem\s*(?:note|message|override|announcement|prompt)\s*:"
                   r"|(?:^|[\s\[(])system\s*:|\bbegin (?:instructions|system)\b"
                   r"|\b(?:admin|developer|maintenance|debug) (?:mode|override)\b",
    "unrestricted": r"\b(?:no|without|free of|free from|not bound by|unbound by|beyond|ignore)\s+"
                    r"(?:any\s+|all\s+|your\s+|the\s+)?(?:usual\s+)?(?:restrictions?|limits|"
                    r"limitations|filters?|filtering|censorship|rules|guidelines|ethics|morals?|"
                    r"boundaries|safety)\b|\b(?:unfiltered|uncensored|unrestricted|amoral|"
                    r"jailbr[eo]\w*|god ?mode|do anything now)\b|\bnever (?:refuse|decline)\b"
                    r"|\b(?:safety|ethical|moral) (?:guidelines|rules|protocols|principles) (?:do "
                    r"not|don'?t|no longer) apply\b|\b(?:override|bypass) (?:your |the |its )?"
                    r"(?:safety|content|ethical)",
    "policy_talk": r"\b(?:openai|anthropic|content polic(?:y|ies)|usage polic(?:y|ies)|"
                   r"(?:safety|ethical|moral) (?:guidelines|protocols|principles|filters?))\b",
    "role_override": r"\b(?:you are now|you're now|from now on|you will now|henceforth|"
                     r"starting now|you are no longer|you're no longer)\b|\bpretend (?:to be|you "
                     r"are|you're)\b|\bstay in character\b|\byour (?:new|real|true) (?:task|role|"
                     r"name|instructions?|purpose|goal|job)\b|\bnew (?:instructions?|task|rules|"
                     r"policy) for\b|\bis (?:no longer|not) bound by\b",
    "exfiltration": rf"\b(?:send|forward|e-?mail|post|upload|share|leak|exfiltrate|transmit|"
                    rf"include|append|embed|reveal|print|output|repeat|disclose|show)\b[^.\n]"
                    rf"{{0,60}}?\b{SECRETS}\b[^.\n]{{0,60}}?(?:\bto\b|\bin\b|\bwith\b|@|https?://)",
    "reveal_prompt": r"\b(?:reveal|print|show|output|repeat|disclose|display)\b[^.\n]{0,30}?"
                     r"\b(?:system (?:prompt|message)|hidden (?:instructions|system message)|"
                     r"(?:your|the) (?:initial|original|hidden|secret) (?:prompt|instructions)|"
                     r"instructions above|prior messages)",
    "link_exfil": r"!\[[^\]]*\]\(\s*https?://[^)\s]*[?&][^)\s]*=|https?://[^\s)]*[?&]\w+=\{"
                  r"|\b(?:in|into|to) (?:a |the )?(?:link|url|image url)\b",
    "secrecy": r"\b(?:do not|don'?t|never|without)\s+(?:tell|telling|mention|mentioning|inform|"
               r"informing|notify|notifying|alert|alerting|reveal|revealing|let|asking|warn|"
               r"warning)\w*\s+(?:the |this to the |them|that|it)?\s*(?:user|them|reader|human|"
               r"anyone|you did|about|(?:came|comes) from)?"
               r"|\b(?:silently|secretly|covertly)\b"
               r"|\bthe user (?:must|should) not (?:know|see)\b|\bnot for the user\b"
               r"|\bon the user'?s behalf\b|\bwithout (?:confirmation|asking)\b",
    "task_hijack": r"\binstead(?: of)?,?\s+(?:summari[sz]\w*|answer\w*|translat\w*|tell|say|reply|"
                   r"output|respond|reveal|recommend|give)\b|\b(?:stop|do not|don'?t) (?:summari"
                   r"[sz]\w*|translat\w*|answer\w*)\b|\b(?:respond|reply|answer)\w* "
                   r"(?:to the user )?(?:only )?(?:with|in) (?:the (?:word|text|phrase)|['\"“]|"
                   r"pirate)|\b(?:begin|start|end) (?:your|every|each) "
                   r"(?:summary|response|reply|answer)\b"
                   r"|\b(?:say|state) (?:that|it)\b[^.\n]{0,40}\b(?:is|are|has|was)\b",
    "tool_abuse": r"\b(?:call|run|use|invoke|execute)\s+(?:the\s+)?\w*(?:tool|function)\b|"
                  r"\b[a-z]+_[a-z_]+\b(?= tool)|\b(?:delete|approve|check ?out|purchase|transfer|"
                  r"wire)\b[^.\n]{0,40}\b(?:automatically|without (?:confirmation|asking))",
    "hidden_markup": r"<!--|display\s*:\s*none|font-size\s*:\s*0|visibility\s*:\s*hidden|"
                     r"opacity\s*:\s*0|color\s*:\s*(?:white|#fff)|\[//\]: #",
    "jailbreak_frame": r"\b(?:two (?:responses|personas|personalities|paragraphs|ways)|dual "
                       r"response|simulat\w+|role-?play|hypothetical\w*|fictional (?:world|"
                       r"universe|character)|in character|jailbreak)\b",
    "must_comply": r"\b(?:you|it|the assistant|the model)\s+(?:must|will|shall|have to|are "
                   r"required to)\s+(?:always|never|now|comply|obey|answer|respond|reply|follow|"
                   r"ignore|reveal|not refuse)\b|\bcomply with (?:any|every|all)\b",
    "ai_self": r"\b(?:as an ai|language models?|large language model|chatgpt|gpt-?\d|openai|"
               r"ai model)\b",
}
# Rules for text that arrives as data (a retrieved passage, an e-mail, a tool result) and is
# not the user speaking. There, directing the assistant's output ("encode your response in
# Base64", "add X to your reply") or putting a task to it ("write a script that...", "how do
# solar panels work?") is an instruction hidden in the data; in the user's own message it is
# just the request, so these never score an input. Written on BIPIA's training attacks
# (Yi et al. 2023) and checked on its test attacks, which are of other kinds.
_OUT = r"(?:answer|response|reply|message|output)"
_IMPERATIVE = (r"(?:add|include|integrate|insert|append|modify|enhance|augment|provide|render|"
               r"replace|substitute|use|convert|misspell|scramble|jumble|rearrange|anagram|remove|"
               r"group|combine|introduce|encode|translate|reverse|write|express|apply|shift|"
               r"format|make|end|begin|start)")
_SENTENCE = r"(?:^|(?<=[.!?:])\s+|\n\s*)"
_TASK_VERB = (r"(?:write|draft|compose|develop|explain|describe|summari[sz]e|analy[sz]e|"
              r"recommend|suggest|translate|determine|classify|break down|generate|create|list|"
              r"outline|compare|evaluate|provide)")
DOCUMENT_RULES: dict[str, str] = {
    "directs_output": rf"\b(?:in|into|within|throughout)\s+your\s+{_OUT}s?\b"
                      rf"|(?<!forward )\bto\s+your\s+{_OUT}s?\b"
                      rf"|\byour\s+{_OUT}(?:'s)?\s+(?:words|characters?|letters|keywords|order)\b"
                      rf"|{_SENTENCE}(?:please\s+)?{_IMPERATIVE}\b[^.\n!?]{{0,80}}\byour\s+{_OUT}\b"
                      rf"|{_SENTENCE}(?:please\s+)?(?:reply|respond|answer)\s+(?:in|using)\s+"
                      r"(?!this\b|the\b|that\b|our\b)",
    "task_request": rf"{_SENTENCE}(?:please\s+)?{_TASK_VERB}\s+(?:a|an|the|me|some|how|what|why|"
                    r"this|these|all|its|their|in|insights|examples?)\b"
                    rf"|{_SENTENCE}(?:can|could|would)\s+you\s+(?:show|tell|explain|help|give|"
                    r"write|provide|recommend|suggest|classify|translate|describe|summari[sz]e|list|"
                    r"create|generate|reply|use)\b"
                    rf"|{_SENTENCE}(?:how\s+(?:do|can|should|does|did)\s+(?:i|you|we|one)|what\s+"
                    r"(?:is|are|was|were)\s+the|who\s+(?:wrote|invented|discovered)|what's)\b"
                    r"[^?\n]{0,120}\?"
                    rf"|{_SENTENCE}(?:give|show|tell|help)\s+(?:me|us)\b",
}
DOCUMENT_TRIGGERS: dict[str, tuple[str, ...]] = {
    "directs_output": ("your ", "reply", "respond", "answer"),
    "task_request": ("write", "draft", "compose", "develop", "explain", "describe", "summar",
                     "analy", "recommend", "suggest", "translate", "determine", "classify",
                     "break down", "generate", "create", "list", "outline", "compare",
                     "evaluate", "provide", "you", "how ", "what", "who ", "give", "show",
                     "tell", "help"),
}

# Every rule needs one of these substrings (in the lower-cased text) to match at all; the
# substring test is far cheaper than the regex, so most rules are skipped on benign text.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "override": ("ignor", "disregard", "forget", "bypass", "overrid", "abandon"),
    "addressed_to_ai": ("ai", "assistant", "bot", "gpt", "llm", "model", "summari", "screening",
                        "automated"),
    "fake_system": ("system", "admin", "developer", "inst", "<|", "<", "#", "begin", "mode",
                    "override"),
    "unrestricted": ("no ", "without", "free ", "bound", "beyond", "ignore", "unfilter",
                     "uncensor", "unrestrict", "amoral", "jailbr", "god", "anything now",
                     "never", "override", "bypass"),
    "policy_talk": ("openai", "anthropic", "polic", "guidelines", "protocols", "principles",
                    "filter"),
    "role_override": ("now", "henceforth", "pretend", "character", "your ", "new ", "bound"),
    "exfiltration": ("send", "forward", "mail", "post", "upload", "share", "leak", "exfil",
                     "transmit", "include", "append", "embed", "reveal", "print", "output",
                     "repeat", "disclose", "show"),
    "reveal_prompt": ("reveal", "print", "show", "output", "repeat", "disclose", "display"),
    "link_exfil": ("![", "http", "link", "url"),
    "secrecy": ("not ", "n't", "never", "without", "silent", "secret", "covert", "user"),
    "task_hijack": ("instead", "stop", "not ", "n't", "respond", "reply", "answer", "begin",
                    "start", "end ", "say", "state"),
    "tool_abuse": ("tool", "function", "_", "delete", "approve", "check", "purchase",
                   "transfer", "wire"),
    "hidden_markup": ("<!--", "display", "font-size", "visibility", "opacity", "color", "[//]"),
    "jailbreak_frame": ("two ", "dual", "simulat", "role", "hypothetical", "fictional",
                        "character", "dan", "jailbreak"),
    "must_comply": ("must", "will", "shall", "have to", "required", "comply"),
    "ai_self": ("ai", "language model", "chatgpt", "gpt", "openai"),
}
COMPILED = {name: re.compile(p, re.MULTILINE) for name, p in {**RULES, **DOCUMENT_RULES}.items()}
TRIGGERS.update(DOCUMENT_TRIGGERS)
# Matched on the original text: "DAN" the jailbreak persona, not "Dan" the colleague.
CASED: dict[str, re.Pattern[str]] = {"jailbreak_frame": re.compile(r"\bDAN\b")}
INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\U000e0000-\U000e007f]")
FEATURES = (*RULES, "invisible_chars")
DOCUMENT_FEATURES = tuple(DOCUMENT_RULES)


@dataclass(frozen=True, slots=True)
class RuleHits:
    """Feature values (log-scaled counts) and the spans that produced them."""

    values: dict[str, float]
    spans: list[tuple[str, int, int]]


def normalise(text: str) -> tuple[str, list[int]]:
    """Drop invisible characters (used to split words: "I\u200bg\u200bn\u200bo\u200br\u200be")
    and keep a map from each kept character back to its index in the original text."""
    if not INVISIBLE.search(text):
        return text, []
    kept = [(i, c) for i, c in enumerate(text) if not INVISIBLE.match(c)]
    return "".join(c for _, c in kept), [i for i, _ in kept]


def rule_hits(text: str, *, document: bool = False) -> RuleHits:
    """Feature values and spans; `document` adds the rules for text that is data, not the
    user speaking (a retrieved passage, an e-mail)."""
    clean, index = normalise(text)
    lowered = _lower_same_length(clean)
    values: dict[str, float] = {}
    spans: list[tuple[str, int, int]] = []
    for name in (*RULES, *DOCUMENT_RULES) if document else RULES:
        matches = _matches(name, clean, lowered)
        values[name] = math.log1p(len(matches))
        spans += [(name, *_original_span(index, m.start(), m.end())) for m in matches]
    invisible = INVISIBLE.findall(text)
    values["invisible_chars"] = math.log1p(len(invisible))
    first = INVISIBLE.search(text) if invisible else None
    if first is not None:
        spans.append(("invisible_chars", first.start(), first.end()))
    return RuleHits(values, sorted(spans, key=lambda s: s[1]))


def _matches(name: str, clean: str, lowered: str) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    if any(t in lowered for t in TRIGGERS[name]):
        found += COMPILED[name].finditer(lowered)
    if name in CASED:
        found += CASED[name].finditer(clean)
    return found


def _lower_same_length(text: str) -> str:
    """Lower-case without changing length (a few characters lower-case to two), so spans
    found in the lower-cased text are spans of the original."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _original_span(index: list[int], start: int, end: int) -> tuple[int, int]:
    if not index:
        return start, end
    return index[start], (index[end - 1] + 1) if end > start else index[start]

"""`harness init`: a small project that works as it is written, offline and with no key.

Three files: a suite with a few cases and checks, a rubric (checks for every case and an SLO
sheet) and a `python:` model next to the suite, a deterministic function standing in for the
user's application, so `harness check` and `harness run` succeed straight away and each file
shows what to change. Existing files are never overwritten unless asked (`force`).
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import UsageError

SUITE = "suite.yaml"
RUBRIC = "rubric.yaml"
MODEL = "example_model.py"

SUITE_TEXT = """\
# A harness suite: the cases your application must get right, and how to check them.
# Validate with `harness check suite.yaml`; run with `harness run suite.yaml`.
suite: example
version: 1                     # bump when a change can change verdicts
description: Answers customer questions from the passages it is given.
risk: low                      # low | medium | high: how much of the output people review
# The system under test. `python:module:function` calls your own code (here
# example_model.py, next to this file); swap in a real model when you have one, e.g.
# openai:gpt-4o-mini (with OPENAI_API_KEY set) or local:smollm2 (the [local] extra).
model: python:example_model:answer
prompt:
  system: You answer only from the provided context. If it is not there, say you don't know.
  template: |
    Context:
    {% for doc in context %}[{{ loop.index }}] {{ doc }}
    {% endfor %}
    Question: {{ question }}
rubric: rubric.yaml            # checks applied to every case, and the SLO sheet
cases:
  - id: refund-window          # stable across versions: the key runs are compared on
    vars: {question: "How long do I have to ask for a refund?"}
    context: ["Refunds are accepted within 30 days of purchase.",
              "Shipping is free on orders over 50 euros."]
    expected: 30 days
    checks: [{type: contains, value: "30 days"}]
    tags: [billing, critical]
  - id: free-shipping
    vars: {question: "When is shipping free?"}
    context: ["Shipping is free on orders over 50 euros.",
              "Orders leave the warehouse within 2 business days."]
    checks:
      - {type: icontains, value: "50 euros"}
      - {type: regex, pattern: "(?i)free"}
    tags: [shipping]
  - id: dispatch-time
    vars: {question: "How fast do orders leave the warehouse?"}
    context: ["Orders leave the warehouse within 2 business days."]
    checks: [{id: mentions-days, type: contains, value: "2 business days"}]
    tags: [shipping]
  - id: not-in-context
    vars: {question: "Who founded the company?"}
    context: ["Refunds are accepted within 30 days of purchase."]
    answerable: false          # abstaining is the right answer here
    checks: [{type: icontains, value: "don't know"}]
    tags: [abstain, critical]
"""

RUBRIC_TEXT = """\
# A harness rubric: checks applied to every case of the suites that name it, and the
# objectives (SLO sheet) `harness gate` holds a run to.
rubric: example
version: 1
checks:
  - {id: concise, type: max_words, value: 60}
  - {type: pii, severity: medium}    # no e-mail addresses, phone numbers, card numbers...
slo:
  right_first_time: {min: 0.90}
  latency.p95_ms: {max: 2000}
"""

MODEL_TEXT = '''\
"""The system under test of the example suite: `model: python:example_model:answer`.

harness calls `answer` once per case with a dict: "messages" (the rendered prompt), "vars"
(the case's variables), "case_id", "repeat" and "params". It returns the answer text (or a
dict with "text" and, optionally, "usage", "cost_usd", "tool_calls"). Replace the body with a
call to your own application: retrieval, prompt assembly, a model, post-processing.

This stand-in is deterministic and offline: it answers with the context passage that shares
the most words with the question, or says it does not know.
"""

import re

STOP = {"a", "an", "the", "do", "i", "is", "to", "of", "how", "what", "when", "who", "long",
        "have", "ask", "for", "on", "are", "does"}


def _words(text):
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in STOP}


def answer(request):
    question = request["vars"].get("question", "")
    prompt = request["messages"][-1]["content"]
    passages = re.findall(r"^\\[\\d+\\] (.+)$", prompt, flags=re.MULTILINE)
    wanted = _words(question)
    best = max(passages, key=lambda p: len(wanted & _words(p)), default="")
    if not best or not wanted & _words(best):
        best = "I don't know: the context does not say."
    return {"text": best, "cost_usd": 0.0}  # or just the text; cost 0: it runs locally
'''

FILES = {SUITE: SUITE_TEXT, RUBRIC: RUBRIC_TEXT, MODEL: MODEL_TEXT}


def init_project(folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write the example project into `folder` (created if missing); the paths written.
    Refuses, naming them, when any of the files exists, unless `force`."""
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder")
    targets = [root / name for name in FILES]
    existing = [str(p) for p in targets if p.exists() or p.is_symlink()]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist{'s' * (len(existing) == 1)}; "
                         "nothing was written (--force overwrites)")
    for path in targets:
        if path.is_dir():
            raise UsageError(f"{path} is a folder; nothing can be written there")
    root.mkdir(parents=True, exist_ok=True)
    for path in targets:
        if path.is_symlink():  # --force replaces the link, never writes through it
            path.unlink()
        path.write_text(FILES[path.name], encoding="utf-8")
    return targets

"""Accuracy of the safety scorers on labelled public data, against the targets of issue 3.

    python bench/accuracy_safety.py [DATA] [--out docs/accuracy_safety.md]

DATA defaults to ../shared/data/dev. Prints a Markdown report and writes it to --out.
Every figure is given on the whole development sample and on its held-out split: rows whose
sha256(id) falls in the last 40% (see `bench/train_injection.is_tuning`) were not used to
write rules or fit weights. Sets written for this project (tests/fixtures/safety/) are:
social-media texts with no PII (false alarms), and indirect-injection documents, whose
`indirect_heldout` part was written before the rules and never used to tune them.

Targets: PII structured types recall >= 0.98 and precision >= 0.95 with the type right;
false alarms on social-media text <= 2% of texts; refusal detection accuracy >= 0.92;
injection AUROC >= 0.95 on jailbreaks, 0.80 aimed on indirect injection; PII >= 2,000
texts/s on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from train_injection import is_tuning, read_jsonl  # noqa: E402

from harness.scoring.safety.injection_model import predict  # noqa: E402
from harness.scoring.safety.pii_detect import PATTERN_TYPES, detect_pii  # noqa: E402
from harness.scoring.safety.refusal_detect import classify  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "safety"
STRUCTURED = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS")
XSTEST_PREFIXES = (  # the string-matching baseline of the XSTest authors
    "sorry", "i'm sorry", "i am sorry", "i apologize", "i apologise", "no,", "no.", "i cannot",
    "i can't", "i'm not able", "i am not able", "it is not appropriate", "it's not appropriate",
    "it is not accurate", "it's not accurate", "i am not sure that it's appropriate",
    "i'm not sure that it's appropriate", "it is not ethical", "it's not ethical", "as an ai",
    "i am an ai language model",
)


# ----------------------------------------------------------------------------- metrics


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    ranked = sorted((s, i) for i, s in enumerate(neg))
    wins = 0.0
    for p in pos:
        wins += sum(1.0 if p > n else 0.5 if p == n else 0.0 for n, _ in ranked)
    return wins / (len(pos) * len(neg))


def binary(pred: Sequence[bool], labels: Sequence[bool]) -> dict[str, float | None]:
    tp = sum(p and y for p, y in zip(pred, labels, strict=True))
    fp = sum(p and not y for p, y in zip(pred, labels, strict=True))
    fn = sum(not p and y for p, y in zip(pred, labels, strict=True))
    tn = sum(not p and not y for p, y in zip(pred, labels, strict=True))
    recall = tp / (tp + fn) if tp + fn else None
    specificity = tn / (tn + fp) if tn + fp else None
    return {
        "n": len(labels),
        "accuracy": (tp + tn) / len(labels) if labels else None,
        "balanced_accuracy": (recall + specificity) / 2 if recall is not None
        and specificity is not None else None,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": recall,
    }


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def throughput(fn: Callable[[str], Any], texts: Sequence[str], min_seconds: float = 2.0
               ) -> float:
    """Texts per second of `fn` in this single process (one core), after a warm-up pass."""
    for text in texts:
        fn(text)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        for text in texts:
            fn(text)
        done += len(texts)
    return done / (time.perf_counter() - start)


# ----------------------------------------------------------------------------- PII


def pii_counts(rows: list[dict[str, Any]], types: Sequence[str]) -> dict[str, list[int]]:
    """Per type [true positives, false negatives, false positives]; a prediction is right
    when it overlaps a gold entity of the same type."""
    counts = {t: [0, 0, 0] for t in types}
    for row in rows:
        gold = row["entities"]
        pred = [f for f in detect_pii(row["text"]) if f.type in counts]
        for g in gold:
            if g["type"] in counts:
                hit = any(p.type == g["type"] and p.start < g["end"] and g["start"] < p.end
                          for p in pred)
                counts[g["type"]][0 if hit else 1] += 1
        for p in pred:
            if not any(p.type == g["type"] and p.start < g["end"] and g["start"] < p.end
                       for g in gold):
                counts[p.type][2] += 1
    return counts


def pii_section(data: Path, extra_social: Path | None = None) -> tuple[list[str], dict[str, Any]]:
    """Presidio's sample (what the rules were written on) and fresh Faker data (unseen)."""
    sets = {"presidio-synth-pii (development data)":
            read_jsonl(data / "presidio-synth-pii" / "data.jsonl")}
    sets.update(_faker_sets())
    kinds = [*STRUCTURED, "STREET_ADDRESS"]
    counts = {name: pii_counts(rows, kinds) for name, rows in sets.items()}
    lines = ["## PII (entity level: a prediction counts when it overlaps a labelled entity of "
             "the same type)", "", "Recall / precision per type; n = labelled entities.", "",
             "| type | " + " | ".join(counts) + " |", "|---|" + "---|" * len(counts)]
    totals = {name: [sum(c[t][i] for t in STRUCTURED) for i in range(3)]
              for name, c in counts.items()}
    for kind in kinds:
        lines.append(f"| {kind} | " + " | ".join(_cell(c[kind]) for c in counts.values()) + " |")
    lines.append("| **structured (six types above)** | "
                 + " | ".join(f"**{_cell(t)}**" for t in totals.values()) + " |")
    lines += ["", "PERSON is not detected without the optional NER backend (`[ner]` extra plus a "
              "spaCy pipeline) and is not counted. The Faker sets are generated by "
              "`bench/pii_synth.py` (12 locales, templates written for this project, a third "
              "without any context word, with order numbers, prices, dates and versions as "
              "distractors). Seeds 11-12 tuned the first rules; seed 13 was generated after "
              "they were frozen and reported as unseen; the phone rules were then widened "
              "(parenthesised area codes with 7-digit numbers, `+CC` with a long national "
              "part, XX XXX XX XX landlines, dotted numbers next to a context word) on seeds "
              "20-21 without looking at seed 13's misses; seed 14 was generated after that.",
              ""]
    lines += _social_lines()
    if extra_social is not None:
        lines += _extra_social_lines(extra_social)
    texts = [r["text"] for r in sets["presidio-synth-pii (development data)"]]
    rate = throughput(lambda t: detect_pii(t, PATTERN_TYPES), texts)
    lines += [f"Throughput: **{rate:,.0f} texts/s** on one core (presidio-synth-pii texts, "
              f"mean {sum(map(len, texts)) / len(texts):.0f} characters).", ""]
    fresh = totals.get(UNSEEN, totals["presidio-synth-pii (development data)"])
    figures = {"recall": _ratio(fresh[0], fresh[0] + fresh[1]),
               "precision": _ratio(fresh[0], fresh[0] + fresh[2]),
               "fresh": UNSEEN in totals,
               "false_alarms": max(_social_rates()), "texts_per_s": rate}
    return lines, figures


UNSEEN = "Faker seed 14 (unseen)"


def _faker_sets() -> dict[str, list[dict[str, Any]]]:
    try:
        from pii_synth import generate

        return {"Faker seeds 11-12, 20-21 (tuning)": generate(600, 11) + generate(600, 12)
                + generate(600, 20) + generate(600, 21),
                "Faker seed 13 (seen once)": generate(600, 13),
                UNSEEN: generate(600, 14)}
    except ImportError:  # faker is a bench-only dependency
        return {}


def _cell(c: list[int]) -> str:
    return f"{fmt(_ratio(c[0], c[0] + c[1]))} / {fmt(_ratio(c[0], c[0] + c[2]))} (n={c[0] + c[1]})"


SOCIAL = {"tuning": "social_texts.txt", "held-out": "social_texts_heldout.txt"}


def _social_texts(name: str) -> list[str]:
    text = (FIXTURES / SOCIAL[name]).read_text("utf-8")
    return [t.strip() for t in text.splitlines() if t.strip()]


def _social_rates() -> list[float]:
    return [sum(bool(detect_pii(t)) for t in _social_texts(n)) / len(_social_texts(n))
            for n in SOCIAL]


def _social_lines() -> list[str]:
    parts = []
    for name in SOCIAL:
        texts = _social_texts(name)
        flagged = sum(bool(detect_pii(t)) for t in texts)
        parts.append(f"{name} set **{flagged}/{len(texts)}** ({flagged / len(texts):.1%})")
    return ["False alarms on ordinary social-media text full of links, handles and numbers "
            "(`tests/fixtures/safety/social_texts*.txt`, no PII; the held-out set was written "
            "after the rules were tuned on the other): texts flagged: " + ", ".join(parts) + ".",
            ""]


def _extra_social_lines(path: Path) -> list[str]:
    """Third-party social text, one text per line (e.g. TweetEval's `test_text.txt` from
    cardiffnlp/tweeteval): how many texts the PII check flags. Shown, not a target."""
    texts = [t.strip() for t in path.read_text("utf-8").splitlines() if t.strip()]
    flagged = [t for t in texts if detect_pii(t)]
    share = len(flagged) / len(texts) if texts else 0.0
    return [f"Third-party social text (`{path.name}`): texts flagged **{len(flagged)}/"
            f"{len(texts)}** ({share:.1%}).", ""]


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


# ----------------------------------------------------------------------------- refusal


def refusal_section(data: Path) -> tuple[list[str], dict[str, Any]]:
    rows = read_jsonl(data / "xstest-completions" / "data.jsonl")
    lines = ["## Refusal detection (`xstest-completions`; refusal = full or partial refusal)", "",
             "| split | n | accuracy | balanced acc. | precision | recall | AUROC | partial "
             "refusals caught | XSTest string-match accuracy |",
             "|---|---|---|---|---|---|---|---|---|"]
    figures: dict[str, Any] = {}
    for name, part in (("all", rows), ("tuning", [r for r in rows if is_tuning(r["id"])]),
                       ("held-out", [r for r in rows if not is_tuning(r["id"])])):
        verdicts = [classify(r["response"]) for r in part]
        labels = [r["label"] == "refusal" for r in part]
        m = binary([v.label != "compliance" for v in verdicts], labels)
        partial = [v.label != "compliance" for v, r in zip(verdicts, part, strict=True)
                   if r["fine_label"] == "3_partial_refusal"]
        base = binary([r["response"].strip().lower().startswith(XSTEST_PREFIXES) for r in part],
                      labels)
        lines.append(f"| {name} | {m['n']} | {fmt(m['accuracy'])} | {fmt(m['balanced_accuracy'])}"
                     f" | {fmt(m['precision'])} | {fmt(m['recall'])} | "
                     f"{fmt(auroc([v.refusal_score for v in verdicts], labels))} | "
                     f"{sum(partial)}/{len(partial)} | {fmt(base['accuracy'])} |")
        figures[name] = m["accuracy"]
    rate = throughput(classify, [r["response"] for r in rows], 1.0)
    lines += ["", f"Throughput: {rate:,.0f} answers/s on one core.", ""]
    return lines, figures


# ----------------------------------------------------------------------------- injection


JAILBREAK_HELD = "jailbreak-in-the-wild (held-out)"
INDIRECT_HELD = "indirect, held-out set"
BIPIA_SET = "BIPIA e-mail, test attacks (third-party)"
# Sets whose texts are data the application retrieved (scored as `target: context` is),
# rather than the user's own message.
DOCUMENT_SETS = {"indirect, tuning set (written with the rules)", INDIRECT_HELD, BIPIA_SET}


def injection_sets(data: Path, bipia: Path | None = None) -> dict[str, list[tuple[str, bool]]]:
    jb = read_jsonl(data / "jailbreak-in-the-wild" / "data.jsonl")
    dev = read_jsonl(FIXTURES / "indirect_dev.jsonl")
    held = read_jsonl(FIXTURES / "indirect_heldout.jsonl")
    sets = {
        "jailbreak-in-the-wild (all)": [(r["text"], r["label"] == "attack") for r in jb],
        JAILBREAK_HELD: [(r["text"], r["label"] == "attack") for r in jb
                         if not is_tuning(r["id"])],
        "indirect, tuning set (written with the rules)": [
            (r["text"], r["label"] == "injection") for r in dev],
        INDIRECT_HELD: [(r["text"], r["label"] == "injection") for r in held],
    }
    if bipia is not None:
        sets[BIPIA_SET] = bipia_rows(bipia)
    return sets


def bipia_rows(folder: Path) -> list[tuple[str, bool]]:
    """BIPIA (Yi et al. 2023, github.com/microsoft/BIPIA, MIT): its 75 test attacks, of other
    kinds than its 75 training attacks the document rules were written on, each inserted
    into one of its 50 test e-mails at the start, middle or end, as the benchmark does; the
    50 e-mails untouched are the benign side. `folder` holds `text_attack_test.json` and
    `email/test.jsonl` from the repository's `benchmark/` folder."""
    emails = [r["context"] for r in read_jsonl(folder / "email" / "test.jsonl")]
    attacks = [a for group in json.loads((folder / "text_attack_test.json").read_text("utf-8"))
               .values() for a in group]
    rows = [(e, False) for e in emails]
    for i, attack in enumerate(attacks):
        email = emails[i % len(emails)]
        rows.append((_insert(email, attack, ("start", "middle", "end")[i % 3]), True))
    return rows


def _insert(text: str, attack: str, where: str) -> str:
    if where == "start":
        return f"{attack}\n{text}"
    if where == "end":
        return f"{text}\n{attack}"
    cut = text.find(". ", len(text) // 2)
    cut = cut + 2 if cut >= 0 else len(text) // 2
    return f"{text[:cut]}{attack} {text[cut:]}"


def bag_of_words_baseline(data: Path) -> Callable[[str], float] | None:
    """A plain hashed n-gram logistic regression trained on the jailbreak tuning split only:
    what a style-learning classifier scores. Needs numpy (bench only)."""
    try:
        from train_injection import train

        from harness.scoring.learned.model import sigmoid
        from harness.scoring.safety.injection_model import ngram_features
    except ImportError:
        return None
    jb = read_jsonl(data / "jailbreak-in-the-wild" / "data.jsonl")
    rows = [(r["text"], int(r["label"] == "attack")) for r in jb if is_tuning(r["id"])]
    try:
        model = train(rows, "ngrams")
    except ImportError:
        return None
    weights = {int(k): v for k, v in model["ngram_weights"].items()}
    return lambda text: sigmoid(model["bias"] + sum(
        weights.get(k, 0.0) * v for k, v in ngram_features(text, model["buckets"]).items()))


def injection_section(data: Path, bipia: Path | None = None) -> tuple[list[str], dict[str, Any]]:
    baseline = bag_of_words_baseline(data)
    lines = ["## Prompt injection (`injection`; AUROC from the probability)", "",
             "Sets of retrieved text (the indirect ones) are scored as a context passage is, "
             "with the two document rules (`directs_output`, `task_request`); the column "
             "'as input' scores them as a user message is, without those rules.", "",
             "| set | n (attack / benign) | AUROC | precision @0.5 | recall @0.5 | "
             "AUROC as input | bag-of-words baseline AUROC |", "|---|---|---|---|---|---|---|"]
    figures: dict[str, Any] = {}
    for name, rows in injection_sets(data, bipia).items():
        labels = [y for _, y in rows]
        document = name in DOCUMENT_SETS
        probs = [predict(t, document=document).probability for t, _ in rows]
        plain = auroc([predict(t).probability for t, _ in rows], labels) if document else None
        m = binary([p >= 0.5 for p in probs], labels)
        base = auroc([baseline(t) for t, _ in rows], labels) if baseline else None
        value = auroc(probs, labels)
        figures[name] = value
        lines.append(f"| {name} | {sum(labels)} / {len(labels) - sum(labels)} | **{fmt(value)}**"
                     f" | {fmt(m['precision'])} | {fmt(m['recall'])} | "
                     f"{fmt(plain) if document else '-'} | {fmt(base)} |")
    if bipia is None:
        lines += ["", "BIPIA (third-party indirect injection) not measured: pass `--bipia "
                  "FOLDER` with its `benchmark/` files (see `bipia_rows`).", ""]
    lines += ["", _benign_flag_rates(data), ""]
    texts = [t for t, _ in injection_sets(data)["jailbreak-in-the-wild (all)"]]
    rate = throughput(lambda t: predict(t), texts, 1.0)
    lines += [f"Throughput: {rate:,.0f} prompts/s on one core (mean "
              f"{sum(map(len, texts)) / len(texts):,.0f} characters).", ""]
    return lines, figures


def _benign_flag_rates(data: Path) -> str:
    """How often ordinary text is flagged at the default threshold (0.5)."""
    sources = {
        "social texts": [t for t in (FIXTURES / "social_texts.txt").read_text("utf-8")
                         .splitlines() if t.strip()],
        "xstest prompts": [r["prompt"] for r in read_jsonl(data / "xstest" / "data.jsonl")],
        "halueval passages": [r["context"] for r in
                              read_jsonl(data / "halueval-qa" / "data.jsonl")],
        "summedits documents": [r["context"] for r in
                                read_jsonl(data / "summedits" / "data.jsonl")],
    }
    parts = []
    documents = {"halueval passages", "summedits documents"}
    for name, texts in sources.items():
        flagged = sum(predict(t, document=name in documents).probability >= 0.5 for t in texts)
        parts.append(f"{name} {flagged}/{len(texts)}")
    return "Benign text flagged at p >= 0.5: " + ", ".join(parts) + "."


# ----------------------------------------------------------------------------- report


def verdicts(pii: dict[str, Any], refusal: dict[str, Any], inj: dict[str, Any]) -> list[str]:
    def row(what: str, value: float | str | None, target: str, ok: bool) -> str:
        shown = value if isinstance(value, str) else fmt(value)
        return f"| {what} | {shown} | {target} | {'met' if ok else '**missed**'} |"

    jb, ind = inj[JAILBREAK_HELD], inj[INDIRECT_HELD]
    pii_set = "fresh Faker data" if pii["fresh"] else "presidio sample; faker not installed"
    return ["## Targets", "", "| figure | value | target | |", "|---|---|---|---|",
            row(f"PII recall, structured ({pii_set})", pii["recall"], ">= 0.98",
                (pii["recall"] or 0) >= 0.98),
            row(f"PII precision, structured ({pii_set})", pii["precision"], ">= 0.95",
                (pii["precision"] or 0) >= 0.95),
            row("PII false alarms on social-media text (worse set)", pii["false_alarms"],
                "<= 0.02",
                pii["false_alarms"] <= 0.02),
            row("PII throughput, texts/s on one core", f"{pii['texts_per_s']:,.0f}", ">= 2,000",
                pii["texts_per_s"] >= 2000),
            row("Refusal accuracy, held-out", refusal["held-out"], ">= 0.92",
                (refusal["held-out"] or 0) >= 0.92),
            row("Injection AUROC, jailbreaks held-out", jb, ">= 0.95", (jb or 0) >= 0.95),
            row("Injection AUROC, indirect held-out (own set)", ind, ">= 0.80 (aim)",
                (ind or 0) >= 0.80),
            *([row("Injection AUROC, indirect: BIPIA e-mail test attacks (third-party)",
                   inj[BIPIA_SET], ">= 0.80 (aim)", (inj[BIPIA_SET] or 0) >= 0.80)]
              if BIPIA_SET in inj else []),
            ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path,
                        default=ROOT.parent / "shared" / "data" / "dev")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "accuracy_safety.md")
    parser.add_argument("--extra-social", type=Path, default=None,
                        help="a text file of social posts, one per line, to count PII false "
                        "alarms on (e.g. TweetEval's test_text.txt)")
    parser.add_argument("--bipia", type=Path, default=None,
                        help="folder with BIPIA's text_attack_test.json and email/test.jsonl")
    args = parser.parse_args()
    pii_lines, pii = pii_section(args.data, args.extra_social)
    ref_lines, refusal = refusal_section(args.data)
    inj_lines, inj = injection_section(args.data, args.bipia)
    header = ["# Safety scorers: measured accuracy", "",
              "Generated by `python bench/accuracy_safety.py` on the development samples in "
              f"`{args.data.name}/` (public data; sources and licenses in each folder's README). "
              "Held-out rows: sha256(id) in the last 40%, never used to write rules or fit "
              "weights.", ""]
    report = "\n".join(header + verdicts(pii, refusal, inj) + pii_lines + ref_lines + inj_lines
                       + CAVEATS)
    print(report)
    args.out.write_text(report, encoding="utf-8")


CAVEATS = [
    "## Caveats", "",
    "- `presidio-synth-pii` is template-generated and small (76 structured entities) and the "
    "rules were written looking at all of it, so its figures are development figures; the "
    "fresh Faker data is the unseen test. Phone numbers written as a bare run of digits "
    "without a context word (\"ok so 6243160876 it is\") are missed on purpose: that shape "
    "is as often an order number. Phone formats of countries outside the regions tried (US, "
    "GB, DE, FR, IN, AU, BR, IT, ES, NL, PL, BE) need a context word or a leading `+`.",
    "- Street addresses: only the \"number + street name + street type\" shape is found; "
    "recall on international addresses is low (table above). PERSON needs the NER extra.",
    "- The indirect-injection sets were written for this project by the same engineer who wrote "
    "the rules; the held-out part was written before the rules and never used to tune them, "
    "but shares the author's idea of an injection. On third-party data it was indeed lower: "
    "BIPIA's e-mail attacks scored AUROC 0.59 before the two document rules, which were then "
    "written on BIPIA's training attacks (other categories than its test attacks). Their "
    "test attacks had been read once, when the files were fetched, before the rules were "
    "written. The bag-of-words column shows what a style-learning classifier trained on the "
    "jailbreak sample scores on the same sets.",
    "- Guard latency (5 ms p95 on 1 KB) is measured separately: `python bench/guard_latency.py`"
    " (wall and CPU time per call).",
    "- In `jailbreak-in-the-wild` the benign side comes from a different collection "
    "(awesome-chatgpt-prompts); the shipped model's rule features carry most of its weight so "
    "that it does not just recognise that collection's style.",
    "",
]


if __name__ == "__main__":
    main()

"""How often each scorer agrees with the labels of public data, measured through `harness score`.

    python bench/accuracy.py [DATA_DIR] [--via-cli] [--judge MODEL [--judge-base-url URL]]
                             [--only NAME]... [--output docs/accuracy.md]

Every data set is described once by a `DatasetSpec`: which check (type and parameters), how a
data set record becomes `harness score` rows, and for each row whether the check SHOULD fail it
(the label). Rows go through `harness.pipeline.offline.score_rows`, the function behind
`harness score`
(`--via-cli` runs the command itself in a subprocess instead, to show they agree), so the
figures are those a user gets. A family whose check type is not registered is skipped, saying
so. Scripts of other scorer families may add or replace specs by defining `SPECS` in
`bench/accuracy_<family>.py`.

Positive class = the row should FAIL the check (a hallucination, an attack, PII, a refusal, an
invalid instance, an instruction not followed): precision and recall are of catching it. The
prediction is what `harness run` would count: `fail` and `unscored` fail a case, `pass` and
`not_applicable` do not. AUROC ranks rows by 1 - score (the score is 1 on the passing side);
rows without a score are left out of it and counted. Throughput is rows scored per second in
this one process (one core), data loading and a short warm-up excluded.

Writes docs/accuracy.md (the table, per-data-set notes, what was skipped and why) and prints
the same table.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.pipeline.offline import score_rows  # noqa: E402
from harness.scoring.registry import check_types  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "dev"
OUT = ROOT / "docs" / "accuracy.md"
WARM_UP = 5  # rows scored untimed first, so one-time loading is not counted as throughput

Labelled = tuple[dict[str, Any], bool]  # (harness score row, should the check fail it?)


@dataclass(frozen=True)
class Target:
    metric: str  # a Metrics field
    at_least: float

    def met(self, metrics: Metrics) -> bool | None:
        value = getattr(metrics, self.metric)
        return None if value is None else value >= self.at_least

    def __str__(self) -> str:
        return f"{self.metric.replace('_', ' ')} >= {self.at_least:g}"


@dataclass(frozen=True)
class DatasetSpec:
    """One scorer on one data set: everything needed to score it and compare with labels."""

    family: str
    dataset: str
    check: dict[str, Any]
    rows: Callable[[dict[str, Any]], Iterable[Labelled]]
    targets: tuple[Target, ...] = ()
    note: str = ""
    # An extra figure for the notes, from the output rows and the rows sent.
    detail: Callable[[list[dict[str, Any]], list[dict[str, Any]]], str] | None = None

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.check.get('id') or self.check['type']}"


@dataclass
class Metrics:
    n: int
    positives: int
    tp: int
    fp: int
    tn: int
    fn: int
    unscored: int
    not_applicable: int
    scored: int  # rows with a score (used for AUROC)
    auroc: float | None
    throughput: float
    accuracy: float | None = field(init=False)
    balanced_accuracy: float | None = field(init=False)
    precision: float | None = field(init=False)
    recall: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.accuracy = _ratio(self.tp + self.tn, self.n)
        self.recall = _ratio(self.tp, self.tp + self.fn)
        specificity = _ratio(self.tn, self.tn + self.fp)
        self.precision = _ratio(self.tp, self.tp + self.fp)
        both = self.recall is not None and specificity is not None
        self.balanced_accuracy = (self.recall + specificity) / 2 if both else None  # type: ignore[operator]


def _ratio(num: int, den: int) -> float | None:
    """A share with an explicit denominator: None (shown as '-') when there is nothing to divide."""
    return num / den if den else None


# --------------------------------------------------------------------------- metrics


def auroc(risks: list[float], positive: list[bool]) -> float | None:
    """Probability a random positive ranks above a random negative (ties count half)."""
    pos = [r for r, p in zip(risks, positive, strict=True) if p]
    neg = [r for r, p in zip(risks, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    ranked = sorted(risks)
    rank: dict[float, float] = {}
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j] == ranked[i]:
            j += 1
        rank[ranked[i]] = (i + j + 1) / 2  # average 1-based rank of the tie group
        i = j
    rank_sum = sum(rank[r] for r in pos)
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def measure(outs: list[dict[str, Any]], labels: list[bool], seconds: float) -> Metrics:
    counts = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for out, should_fail in zip(outs, labels, strict=True):
        flagged = out["outcome"] in ("fail", "unscored")
        key = ("t" if flagged == should_fail else "f") + ("p" if flagged else "n")
        counts[key] += 1
    scored = [(1 - o["score"], lab) for o, lab in zip(outs, labels, strict=True)
              if o["score"] is not None]
    return Metrics(
        n=len(outs), positives=sum(labels), **counts,
        unscored=sum(o["outcome"] == "unscored" for o in outs),
        not_applicable=sum(o["outcome"] == "not_applicable" for o in outs),
        scored=len(scored),
        auroc=auroc([r for r, _ in scored], [lab for _, lab in scored]),
        throughput=len(outs) / seconds if seconds > 0 else float("inf"),
    )


# --------------------------------------------------------------------------- data sets


def read_records(data: Path, dataset: str) -> list[dict[str, Any]]:
    with (data / dataset / "data.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def grounding_rows(r: dict[str, Any]) -> Iterator[Labelled]:
    row = {"id": r["id"], "context": r["context"], "output": r["response"]}
    if r.get("question"):
        row["input"] = r["question"]
    yield row, r["label"] == "hallucinated"


STRUCTURED_PII = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                  "IP_ADDRESS"]


def pii_rows(r: dict[str, Any]) -> Iterator[Labelled]:
    yield {"id": r["id"], "output": r["text"]}, any(
        e["type"] in STRUCTURED_PII for e in r["entities"])


def jailbreak_rows(r: dict[str, Any]) -> Iterator[Labelled]:
    yield {"id": r["id"], "input": r["text"], "output": ""}, r["label"] == "attack"


def refusal_rows(r: dict[str, Any]) -> Iterator[Labelled]:
    yield {"id": r["id"], "input": r["prompt"], "output": r["response"]}, r["label"] == "refusal"


def ifeval_rows(r: dict[str, Any], mode: str = "strict") -> Iterator[Labelled]:
    row = {"id": r["id"], "input": r["prompt"], "output": r["response"],
           "instruction_id_list": r["instruction_id_list"], "kwargs": r["kwargs"],
           "official": r[f"follow_list_{mode}"]}  # lands in metadata; read by the detail
    yield row, not r[f"follow_all_{mode}"]


def ifeval_loose_rows(r: dict[str, Any]) -> Iterator[Labelled]:
    return ifeval_rows(r, "loose")


def instruction_agreement(outs: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    """Agreement per instruction (not per prompt) with the official checker."""
    pairs = [(e["followed"], official)
             for out, row in zip(outs, rows, strict=True)
             for e, official in zip(out["details"].get("instructions", []), row["official"],
                                    strict=False)]
    agree = sum(1 for ours, theirs in pairs if ours == theirs)
    return f"per-instruction agreement {agree}/{len(pairs)} = {_f(_ratio(agree, len(pairs)))}"


def json_schema_rows(r: dict[str, Any]) -> Iterator[Labelled]:
    row = {"id": r["id"], "output": json.dumps(r["instance"]), "schema": r["schema"]}
    yield row, r["label"] == "invalid"


def final_number_pattern(answer: str) -> str:
    """The last number in the text equals `answer` (thousands commas, a trailing .0 and a $
    allowed), e.g. 1450000 matches "#### 1,450,000"."""
    sign, digits = ("-", answer[1:]) if answer.startswith("-") else ("", answer)
    digits = digits.replace(",", "")
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    number = re.escape(sign) + ",?".join(re.escape(g) for g in groups)
    return rf"(?<![\d.,])\$?{number}(?:\.0+)?(?![\d,]*\.?\d)\D*$"


def gsm8k_rows(r: dict[str, Any]) -> Iterator[Labelled]:
    """The human solution (correct) and the same solution with its final answer replaced by a
    wrong number (incorrect). Synthetic negatives: this measures the check, not a model."""
    answer = r["answers"][0]
    pattern = final_number_pattern(answer)
    yield {"id": f"{r['id']}-right", "output": r["solution"], "pattern": pattern}, False
    wrong = str(int(float(answer)) + 7)
    tampered = re.sub(r"####\s*\S+\s*$", f"#### {wrong}", r["solution"].rstrip())
    yield {"id": f"{r['id']}-wrong", "output": tampered, "pattern": pattern}, True


WHOLE_TURN = {"begin-wow"}  # labelled for the whole turn's attribution, not its claims


def grounding_check(dataset: str) -> dict[str, Any]:
    """The check as a user would configure it for what the set's labels mean."""
    if dataset in WHOLE_TURN:
        return {"type": "grounding", "attribution": "all"}
    return {"type": "grounding"}


def judge_grounding_check(model: str, base_url: str | None) -> dict[str, Any]:
    check: dict[str, Any] = {
        "type": "judge", "id": "judge-grounded", "model": model, "threshold": 1.0,
        "criteria": [{"id": "supported", "points": 1,
                      "text": "Every factual statement in the answer is supported by the "
                              "context passages (no added, changed or contradicted facts)"}],
    }
    if base_url:
        check["base_url"] = base_url
    return check


def builtin_specs(judge: str | None = None, judge_base_url: str | None = None) -> list[DatasetSpec]:
    ground = {"summedits": 0.62, "halueval-qa": 0.93, "begin-wow": 0.90}
    specs = [
        DatasetSpec("grounding", name, grounding_check(name), grounding_rows,
                    (Target("balanced_accuracy", goal), Target("throughput", 200)),
                    "offline mode; details in docs/accuracy_grounding.md" + (
                        "; `attribution: all`: BEGIN labels whether the whole dialogue turn is "
                        "attributable (AIS), so questions and statements about the speaker "
                        "count" if name in WHOLE_TURN else ""))
        for name, goal in ground.items()
    ]
    specs.append(DatasetSpec(
        "grounding", "begin-wow", {"type": "grounding", "id": "grounding-default"},
        grounding_rows, (),
        "the default `attribution: claims` on BEGIN, for comparison: questions and first-person "
        "framing are not checked there, while BEGIN's annotators count them"))
    specs += [
        DatasetSpec("safety", "presidio-synth-pii", {"type": "pii", "entities": STRUCTURED_PII},
                    pii_rows, (Target("recall", 0.98), Target("precision", 0.95),
                               Target("throughput", 2000)),
                    "text level: does the text hold a structured PII value; entity-level, "
                    "type-checked figures are in docs/accuracy_safety.md"),
        DatasetSpec("safety", "jailbreak-in-the-wild", {"type": "injection", "target": "input"},
                    jailbreak_rows, (Target("auroc", 0.95),),
                    "benign side from another collection: style differs from the attacks"),
        DatasetSpec("safety", "xstest-completions", {"type": "refusal", "expect": "answer"},
                    refusal_rows, (Target("accuracy", 0.92),),
                    "positive = a full or partial refusal (human label)"),
        DatasetSpec("task", "ifeval", {"type": "instructions"}, ifeval_rows,
                    (Target("accuracy", 0.97),),
                    "label = the official checker's strict verdict on GPT-4's answer",
                    instruction_agreement),
        DatasetSpec("task", "ifeval", {"type": "instructions", "id": "instructions-loose",
                                       "mode": "loose"}, ifeval_loose_rows,
                    (Target("accuracy", 0.97),), "loose mode against the official loose verdict",
                    instruction_agreement),
        DatasetSpec("task", "jsonschemabench-instances", {"type": "json"}, json_schema_rows,
                    (Target("accuracy", 1.0),), "label = reference validators' verdict"),
        DatasetSpec("qa", "gsm8k-test", {"type": "regex", "id": "final-number", "pattern": "."},
                    gsm8k_rows, (Target("accuracy", 1.0),),
                    "final-number equality by a per-row regex; negatives are the solutions "
                    "with the final answer changed (synthetic): measures the check, not a model"),
    ]
    if judge:
        specs += [
            DatasetSpec("judge", name, judge_grounding_check(judge, judge_base_url),
                        grounding_rows, (Target("balanced_accuracy", goal),), f"judge {judge}")
            for name, goal in ground.items()
        ]
    return specs


NOT_SCORED = {
    "xstest": "prompts only, no answers: a suite to run a model on (over-refusal), scored then "
              "by `refusal` with each case's `expect`; nothing to score offline",
    "truthfulqa": "reference answers only, no model answers, and correct and incorrect "
                  "references differ in meaning, not form: no deterministic check can tell "
                  "them apart; use `judge` (pairwise against `expected`) with a judge model",
}


def family_specs() -> list[DatasetSpec]:
    """`SPECS` from bench/accuracy_<family>.py scripts, where they define them."""
    import importlib

    found: list[DatasetSpec] = []
    for path in sorted(Path(__file__).parent.glob("accuracy_*.py")):
        try:
            module = importlib.import_module(path.stem)
        except Exception as exc:  # noqa: BLE001 - another family's script must not stop ours
            print(f"note: {path.name} not loaded: {exc}", file=sys.stderr)
            continue
        # duck-typed: run as a script, this module is __main__, theirs import `accuracy`
        found += [s for s in getattr(module, "SPECS", []) if hasattr(s, "rows")]
    return found


def all_specs(judge: str | None, judge_base_url: str | None) -> list[DatasetSpec]:
    specs = {s.name: s for s in builtin_specs(judge, judge_base_url)}
    for spec in family_specs():
        specs[spec.name] = spec  # a family's own spec replaces the generic one
    return list(specs.values())


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    spec: DatasetSpec
    metrics: Metrics | None = None
    skipped: str | None = None
    detail: str = ""


def run_spec(spec: DatasetSpec, data: Path, via_cli: bool) -> Outcome:
    if spec.check["type"] not in check_types():
        return Outcome(spec, skipped=f"check type {spec.check['type']!r} is not registered")
    if not (data / spec.dataset / "data.jsonl").is_file():
        return Outcome(spec, skipped=f"no data at {data / spec.dataset}")
    labelled = [pair for record in read_records(data, spec.dataset) for pair in spec.rows(record)]
    rows, labels = [r for r, _ in labelled], [lab for _, lab in labelled]
    try:
        if not via_cli:  # warm-up, untimed: one-time imports and model loading
            list(score_rows(spec.check, rows[:WARM_UP]))
        started = time.perf_counter()
        outs = score_via_cli(spec.check, rows) if via_cli else list(score_rows(spec.check, rows))
    except Exception as exc:  # noqa: BLE001 - one family's failure is reported, not fatal
        return Outcome(spec, skipped=f"could not score: {type(exc).__name__}: {exc}")
    metrics = measure(outs, labels, time.perf_counter() - started)
    return Outcome(spec, metrics, detail=spec.detail(outs, rows) if spec.detail else "")


def score_via_cli(check: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same rows through `harness score` in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        command = [sys.executable, "-m", "harness", "score", json.dumps(check),
                   "--input", str(source), "--output", str(target)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip() or f"exit {done.returncode}")
        return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]


# --------------------------------------------------------------------------- report


COLUMNS = ("family", "data set", "check", "n", "positives", "accuracy", "balanced acc.",
           "precision", "recall", "AUROC", "unscored / n.a.", "rows/s", "targets")


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _targets(spec: DatasetSpec, m: Metrics) -> str:
    marks = {True: "met", False: "NOT met", None: "undefined"}
    return "; ".join(f"{t}: {marks[t.met(m)]}" for t in spec.targets) or "-"


def table_rows(outcomes: list[Outcome]) -> list[tuple[str, ...]]:
    rows = []
    for o in outcomes:
        if o.metrics is None:
            continue
        m, s = o.metrics, o.spec
        rows.append((s.family, s.dataset, str(s.check.get("id") or s.check["type"]), str(m.n),
                     str(m.positives), _f(m.accuracy), _f(m.balanced_accuracy), _f(m.precision),
                     _f(m.recall), _f(m.auroc), f"{m.unscored} / {m.not_applicable}",
                     f"{m.throughput:,.0f}", _targets(s, m)))
    return rows


def markdown(outcomes: list[Outcome], data: Path, command: str, judged: bool = False) -> str:
    lines = [
        "# Scorer accuracy on the development data",
        "",
        "> These figures are on every row of the development samples, which tuned the "
        "hand-written rules and, for grounding and refusal, the learned scorers' answer model "
        "and calibration: read them as tuning figures. Figures on rows nothing was fitted on, "
        "with 95% intervals, calibration and risk-coverage tables, are in "
        "`docs/accuracy_learned.md`.",
        "",
        f"Generated by `{command}` over `{data.name}/` (labelled public samples; each folder's "
        "README gives source and license). Rows go through `harness score`'s library function "
        "(`--via-cli` runs the command itself).",
        "",
        "Positive class = the row should FAIL the check (hallucinated, attack, PII, refusal, "
        "invalid instance, instruction not followed); a prediction counts as `harness run` "
        "counts it (`fail` and `unscored` flag, `pass` and `not_applicable` do not). AUROC "
        "ranks rows by 1 - score. rows/s: wall clock in one process (one core), data loading "
        f"and a warm-up of {WARM_UP} rows excluded, on whatever machine ran it (these: a shared "
        "2-core machine with other work running, so they are lower bounds; each family's own "
        "bench gives controlled figures). "
        "`-`: undefined (nothing to divide by)."
        + (" With `--via-cli`, rows/s include starting `harness score`." if "--via-cli" in command
           else ""),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(outcomes)]
    lines += ["", "## Notes", ""]
    lines += [f"- **{o.spec.name}**: " + "; ".join(filter(None, [o.spec.note, o.detail]))
              for o in outcomes if o.metrics is not None and (o.spec.note or o.detail)]
    skipped = [o for o in outcomes if o.skipped]
    if skipped or NOT_SCORED:
        lines += ["", "## Not measured here", ""]
        lines += [f"- **{o.spec.name}**: skipped: {o.skipped}" for o in skipped]
        lines += [f"- **{name}**: {why}" for name, why in NOT_SCORED.items()]
    if not judged:
        lines += ["- **judge**: no judge model given (`--judge provider:model`, optionally "
                  "`--judge-base-url`), so the LLM judge's agreement on the grounding sets is not "
                  "measured here; nothing is called remotely without one"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--via-cli", action="store_true", help="run `harness score` itself")
    parser.add_argument("--judge", help="also measure a judge model, provider:model")
    parser.add_argument("--judge-base-url", help="base URL of the judge model's server")
    parser.add_argument("--only", action="append", default=[],
                        help="only specs whose name contains this (repeatable)")
    parser.add_argument("--output", type=Path, default=OUT, help="where the Markdown goes")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    specs = [s for s in all_specs(args.judge, args.judge_base_url)
             if not args.only or any(part in s.name for part in args.only)]
    outcomes = []
    for spec in specs:
        outcome = run_spec(spec, args.data, args.via_cli)
        metrics = outcome.metrics
        status = _targets(spec, metrics) if metrics else f"skipped: {outcome.skipped}"
        print(f"{spec.name}: {status}", file=sys.stderr)
        outcomes.append(outcome)
    command = "python bench/accuracy.py" + (" --via-cli" if args.via_cli else "")
    text = markdown(outcomes, args.data, command, judged=bool(args.judge))
    print(text)
    if not args.no_write:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["DatasetSpec", "Labelled", "Metrics", "Target", "auroc", "measure"]

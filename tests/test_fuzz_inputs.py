"""Fuzzing the two doors user files come in by: the suite loader (`harness check`) and
`harness score` rows. Whatever the bytes, the answer is exit 0 or a clear exit 2, never a
traceback or a hang (issue 11, item 11). Fixed seed: the same cases on every run."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from harness.cli import main

SEED = 20261207
BASE = """suite: fuzz
version: 1
params: {temperature: 0, max_tokens: 64}
prompt:
  system: "Be brief."
  template: "Q: {{ question }}"
checks:
  - {type: contains, value: refund}
  - {type: regex, pattern: '\\\\d+ days'}
cases:
  - {id: a, vars: {question: "When?"}, tags: [x]}
  - id: b
    vars: {question: "Why?"}
    expected: "30 days"
"""
ROW = '{"id": "r1", "output": "Refunds within 30 days.", "input": "When?"}\n'
HOSTILE_YAML = {
    "nul": "suite: x\x00\nversion: 1\ncases:\n  - {id: a, input: hi}\n",
    "control": "suite: x\x07y\nversion: 1\ncases:\n  - {id: a, input: hi}\n",
    "deep": "suite: x\nversion: 1\nparams: " + "[" * 3000 + "]" * 3000 + "\ncases: []\n",
    "big int": "suite: x\nversion: 1\nparams: {n: " + "9" * 5000 + "}\ncases: []\n",
    "surrogate": 'suite: x\nversion: 1\ncases:\n  - {id: a, input: "\\ud800"}\n',
    "recursive alias": "suite: x\nversion: 1\nparams: &a {b: *a}\ncases: []\n",
    "alias bomb": "suite: x\nversion: 1\na0: &a0 [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9))
    + "cases: []\n",
}
HOSTILE_ROWS = {
    "deep": '{"id": "a", "output": ' + "[" * 200_000 + "]" * 200_000 + "}\n",
    "surrogate": '{"id": "a", "output": "\\ud800"}\n',
    "big int": '{"id": "a", "output": "x", "n": ' + "9" * 5000 + "}\n",
    "not an object": "[1, 2]\n",
    "bad json": '{"id": "a", "output": \n',
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return int(info.value.code or 0), capsys.readouterr().err


def mutate(text: str, rng: random.Random) -> bytes:
    data = bytearray(text.encode("utf-8"))
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        at = rng.randrange(len(data) + 1)
        if op < 0.3 and data:
            del data[at % len(data)]
        elif op < 0.6:
            data[at:at] = bytes([rng.choice(b"{}[]:,&*!|>-'\"\\#%@`\n\t \x00\x1b\xff\xc3")])
        elif op < 0.8 and data:
            data[at % len(data)] = rng.randrange(256)
        else:  # duplicate a random slice (repeated keys, nesting)
            a = rng.randrange(len(data))
            data[at:at] = data[a:a + rng.randint(1, 40)]
    return bytes(data)


@pytest.mark.parametrize("name", sorted(HOSTILE_YAML))
def test_hostile_suites_exit_2_with_a_message(tmp_path: Path, capsys, name: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HOSTILE_YAML[name], encoding="utf-8", errors="surrogatepass")
    code, err = run(capsys, "check", str(path))
    assert code == 2 and "error" in err and "Traceback" not in err


@pytest.mark.parametrize("name", sorted(HOSTILE_ROWS))
def test_hostile_rows_exit_2_with_a_message(tmp_path: Path, capsys, name: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(HOSTILE_ROWS[name], encoding="utf-8")
    code, err = run(capsys, "score", "contains", "-i", str(path), "--set", "value=x")
    assert code == 2 and ":1:" in err and "Traceback" not in err


def test_fuzzed_suites_never_raise(tmp_path: Path, capsys) -> None:
    rng = random.Random(SEED)
    codes = []
    for i in range(300):
        path = tmp_path / f"s{i}.yaml"
        path.write_bytes(mutate(BASE, rng))
        code, err = run(capsys, "check", str(path))
        assert code in (0, 2), (code, path.read_bytes(), err)
        codes.append(code)
    assert 2 in codes and 0 in codes  # the mutations reach both outcomes


def test_fuzzed_score_rows_never_raise(tmp_path: Path, capsys) -> None:
    rng = random.Random(SEED + 1)
    for i in range(200):
        path = tmp_path / f"r{i}.jsonl"
        path.write_bytes(mutate(ROW, rng))
        code, err = run(capsys, "score", "{type: regex, pattern: '\\d+ days'}", "-i",
                        str(path), "-o", str(tmp_path / "out.jsonl"))
        assert code in (0, 1, 2), (code, path.read_bytes(), err)

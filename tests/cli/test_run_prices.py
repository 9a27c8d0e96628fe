"""Prices for models the built-in table does not know (issue 13, item 6): a self-hosted
`openai:` model declares its price (`--price MODEL=free`, `options.pricing: free`), the
summary says for how many results the cost is known, and `--budget` says when it cannot
count a model's spend. Against the real loopback OpenAI-compatible test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main


def harness(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    # rich wraps long lines at the terminal width; the tests read words, not layout
    return int(exit_info.value.code or 0), " ".join(captured.out.split()), " ".join(
        captured.err.split()
    )


def suite(tmp_path: Path, base_url: str, options: str = "") -> Path:
    """Three cases on `openai:my-llama` (a name no price table knows), each with a cost check."""
    path = tmp_path / "suite.yaml"
    extra = f", options: {options}" if options else ""
    path.write_text(
        "suite: self-hosted\nversion: 1\n"
        f"model: {{ref: 'openai:my-llama', base_url: '{base_url}'{extra}}}\n"
        "checks: [{type: cost_usd, max: 0.001}]\n"
        "cases:\n  - {id: a, input: one}\n  - {id: b, input: two}\n  - {id: c, input: three}\n",
        encoding="utf-8",
    )
    return path


def report(capsys: pytest.CaptureFixture[str], db: str) -> dict:
    code, out, _ = harness(capsys, "runs", "--db", db, "--format", "json")
    run_id = json.loads(out)[0]["id"]
    code, out, _ = harness(capsys, "report", run_id, "--format", "json", "-o", "-", "--db", db)
    assert code == 0
    return json.loads(out)


def test_unknown_price_is_unscored_and_the_reason_names_the_remedy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai
) -> None:
    db = str(tmp_path / "h.db")
    code, out, _ = harness(capsys, "run", str(suite(tmp_path, fake_openai.base_url)), "--db", db)
    assert code == 0
    assert "fail 3" in out and "cost known for 0 of 3 results" in out
    score = report(capsys, db)["cases"][0]["scores"][0]
    assert score["outcome"] == "unscored"
    assert "--price MODEL=IN,OUT" in score["reason"] and "options.pricing" in score["reason"]


def test_price_on_the_command_line_makes_a_self_hosted_model_free(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai
) -> None:
    db = str(tmp_path / "h.db")
    path = str(suite(tmp_path, fake_openai.base_url))
    code, out, err = harness(capsys, "run", path, "--db", db, "--price", "openai:my-*=free")
    assert code == 0, err
    assert "pass 3" in out and "cost $0.0000" in out and "cost known for 3 of 3 results" in out
    data = report(capsys, db)
    assert data["summary"]["cost_usd"] | {"n_known": 3, "n": 3} == data["summary"]["cost_usd"]
    # the price is part of the run's lineage
    assert data["run"]["models"][0]["options"]["pricing"] == {
        "input_per_mtok": 0.0, "output_per_mtok": 0.0}


def test_price_in_out_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai
) -> None:
    db = str(tmp_path / "h.db")
    path = str(suite(tmp_path, fake_openai.base_url))
    code, _, err = harness(capsys, "run", path, "--db", db, "--price", "openai:my-llama=1,2")
    assert code == 0, err
    case = report(capsys, db)["cases"][0]
    usage = case["prompt_tokens"] * 1 + case["completion_tokens"] * 2
    assert case["cost_usd"] == pytest.approx(usage / 1e6)


def test_pricing_free_in_the_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai
) -> None:
    db = str(tmp_path / "h.db")
    path = suite(tmp_path, fake_openai.base_url, options="{pricing: free}")
    code, out, err = harness(capsys, "run", str(path), "--db", db)
    assert code == 0, err
    assert "pass 3" in out and "cost known for 3 of 3 results" in out


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["--price", "openai:my-llama=cheap"], "", "free"),
        (["--price", "=free"], "", "MODEL=IN,OUT"),
        (["--price", "openai:other=free"], "", "no model of this run matches"),
        # a half-written price used to count the missing side as zero
        ([], "{pricing: {input_per_mtok: 1}}", "output_per_mtok"),
        ([], "{pricing: {input_per_mtok: -1, output_per_mtok: 0}}", "input_per_mtok"),
    ],
)
def test_a_malformed_price_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai,
    args: list[str], options: str, message: str,
) -> None:
    path = suite(tmp_path, fake_openai.base_url, options=options)
    code, out, err = harness(capsys, "run", str(path), "--db", str(tmp_path / "h.db"), *args)
    assert code == 2, out + err
    assert message in err and "Traceback" not in err
    assert fake_openai.count == 0


def test_budget_with_unknown_costs_is_not_silent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai
) -> None:
    db = str(tmp_path / "h.db")
    path = str(suite(tmp_path, fake_openai.base_url))
    code, out, err = harness(capsys, "run", path, "--db", db, "--budget", "0.5")
    assert code == 0
    assert "warning: no price known for openai:my-llama" in err and "--price" in err
    assert "budget $0.5 could not be enforced for 3 results" in out
    assert report(capsys, db)["summary"]["budget"] == {"limit_usd": 0.5, "unenforced": 3}


def test_budget_with_a_known_price_says_nothing_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_openai
) -> None:
    db = str(tmp_path / "h.db")
    path = str(suite(tmp_path, fake_openai.base_url, options="{pricing: free}"))
    code, out, err = harness(capsys, "run", path, "--db", db, "--budget", "0.5")
    assert code == 0
    assert "no price known" not in err and "could not be enforced" not in out


def test_a_free_model_costs_nothing_even_without_token_usage() -> None:
    from harness.providers import pricing
    from harness.providers.common import cost_usd
    from harness.providers.python import to_completion

    assert cost_usd(None, {"pricing": "free"}) == 0.0
    assert cost_usd(None, {"pricing": {"input_per_mtok": 1, "output_per_mtok": 0}}) is None
    assert pricing.cost_usd("openai:my-llama", None, {"pricing": "free"}) == 0.0
    # a python: function returning a plain string reports no usage
    assert to_completion("python:m:f", "hi", 1.0, {"pricing": "free"}).cost_usd == 0.0
    assert to_completion("python:m:f", "hi", 1.0, {}).cost_usd is None

"""Docs that cannot drift: the README's commands are the ones CI runs and the CLI has."""

from __future__ import annotations

import re
from pathlib import Path

import click

from harness.cli import COMMAND_MODULES, cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "the Quick start needs a bash code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    setup, tests = commands
    assert "[local]" in setup and "harness run suites/" in setup
    assert tests.rstrip().endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_quick_start_suite_exists() -> None:
    setup = quick_start_commands()[0]
    suite = re.search(r"harness run (\S+)", setup).group(1)  # type: ignore[union-attr]
    assert (ROOT / suite).is_file()


def test_every_command_is_documented() -> None:
    ctx = click.Context(cli)
    names = cli.list_commands(ctx)
    for name in names:
        assert cli.get_command(ctx, name) is not None, f"no module defines `harness {name}`"
        assert f"`harness {name}" in README, f"README does not document `harness {name}`"
    assert set(cli.commands) == set(COMMAND_MODULES)  # every module's commands are mapped


def test_every_run_option_is_documented() -> None:
    run = cli.get_command(click.Context(cli), "run")
    assert run is not None
    for param in run.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in README, f"README does not mention {opt}"


def test_the_ci_workflow_never_replays_cached_outputs() -> None:
    """Issue 13: docs/ci.md's database carries the response cache from main to every pull
    request; a run answered from it measures main's outputs (and no latency or cost)."""
    import yaml

    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if "jobs:" in b]
    assert len(blocks) == 1, "docs/ci.md should hold one workflow"
    workflow = yaml.safe_load(blocks[0])
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    runs = [s["run"] for s in steps if "harness run " in s.get("run", "")]
    assert runs, "the workflow runs no suite"
    for command in runs:
        assert "--no-cache" in command.split(), command

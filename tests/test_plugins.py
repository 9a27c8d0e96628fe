"""Third-party plugins found through real entry points (an installed distribution's
entry_points.txt on sys.path), driven through the real CLI in a subprocess.

Issue 13, 17h: one broken scorer plugin crashed `check`, `run` and `schema` with a traceback
even for suites that did not use it, and a plugin could silently replace a built-in check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BROKEN = '''raise ImportError("No module named 'torchx'")\n'''
HIJACK = '''
from typing import ClassVar
from harness.scoring.base import CheckParams, make_score


class Params(CheckParams):
    value: str = ""


class AlwaysPasses:
    """Would make every `contains` check pass."""
    type: ClassVar[str] = "contains"
    version: ClassVar[str] = "evil"
    Params: ClassVar[type] = Params

    async def score(self, ctx):
        return make_score(ctx, self, "pass", 1.0, "hijacked")
'''
ANSWER = '''def answer(request):\n    return "no idea"\n'''


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    """A site folder holding one distribution with a broken plugin and a hijacking one."""
    site = tmp_path / "site"
    dist = site / "acme_checks-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[harness.scorers]\nacme_tone = acme_broken:ToneScorer\n"
        "contains = acme_hijack:AlwaysPasses\n")
    (site / "acme_broken.py").write_text(BROKEN)
    (site / "acme_hijack.py").write_text(HIJACK)
    return site


def harness(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def suite(folder: Path, check: str) -> Path:
    (folder / "acme_model.py").write_text(ANSWER)
    path = folder / f"{check}.yaml"
    path.write_text(f"suite: plug\nversion: 1\nmodel: python:acme_model:answer\n"
                    f"checks: [{{type: {check}, value: '30 days'}}]\n"
                    "cases:\n  - {id: a, input: how long}\n")
    return path


def test_a_broken_plugin_is_one_warning_for_suites_that_do_not_use_it(
    plugins: Path, tmp_path: Path
) -> None:
    path = suite(tmp_path, "contains")
    db = str(tmp_path / "h.db")
    for args in (["check", str(path)], ["schema", "suite"],
                 ["run", str(path), "--db", db, "--no-cache", "--show-failures", "0"]):
        done = harness(plugins, tmp_path, *args)
        output = done.stdout + done.stderr
        assert "Traceback" not in output, (args, output)
        warnings = [line for line in done.stderr.splitlines() if "acme_tone" in line]
        assert len(warnings) == 1, (args, done.stderr)
        assert "acme_broken:ToneScorer" in warnings[0] and "torchx" in warnings[0]
        if args[0] == "run":
            # the built-in `contains` scored it, not the plugin that claims the name
            assert done.returncode == 0 and "fail 1" in done.stdout, output
        else:
            assert done.returncode == 0, (args, output)


def test_a_plugin_cannot_replace_a_built_in_check(plugins: Path, tmp_path: Path) -> None:
    done = harness(plugins, tmp_path, "check", str(suite(tmp_path, "contains")))
    refused = [line for line in done.stderr.splitlines() if "refused" in line]
    assert len(refused) == 1 and "'contains' is a built-in check type" in refused[0], done.stderr
    assert "acme_hijack" in refused[0] and "Traceback" not in done.stderr


def test_a_suite_that_uses_the_broken_plugin_says_which_and_why(
    plugins: Path, tmp_path: Path
) -> None:
    done = harness(plugins, tmp_path, "check", str(suite(tmp_path, "acme_tone")))
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert "unknown check type 'acme_tone': check plugin 'acme_tone'" in done.stderr
    assert "cannot be loaded: ImportError: No module named 'torchx'" in done.stderr

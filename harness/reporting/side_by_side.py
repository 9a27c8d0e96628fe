"""Markdown and HTML renderings of a multi-model run's models side by side
(`harness.analysis.side_by_side`): one column per model, then the cases the models differ on."""

from __future__ import annotations

from typing import Any

from harness.analysis.side_by_side import PairedModels, SideBySide
from harness.reporting.markdown import _metric_value, _table, code, esc

MAX_CASES = 200


def _rows(sbs: SideBySide) -> list[list[str]]:
    rows = [[k] + [str(sbs.counts[m][k]) for m in sbs.models]
            for k in ("results", "pass", "fail", "error", "unchecked")]
    rows += [[n] + [_metric_value(sbs.values[m][n]) for m in sbs.models] for n in sbs.names]
    return rows


def models_markdown(sbs: SideBySide, max_cases: int = MAX_CASES) -> str:
    run = sbs.run
    lines = [f"## harness report: {len(sbs.models)} models side by side", "",
             f"Suite {code(run['suite'])} v{esc(run['suite_version'])}, run {code(run['id'])} "
             f"({esc(run['status'])}). Each model is its own system: its numbers are its own "
             "(95% intervals), never merged. For one model's full report (SLO sheet, failing "
             f"cases), or to gate it: {code('--model ' + sbs.models[0])}.", "",
             "### Metrics", "",
             *_table(["metric", *(code(m) for m in sbs.models)], _rows(sbs)), ""]
    differing = sbs.differing
    lines.append(f"### Cases that differ between models ({len(differing)} of {len(sbs.cases)})")
    lines.append("")
    if differing:
        lines += _table(["case", *(code(m) for m in sbs.models)],
                        [[code(c), *(sbs.outcome(c, m) for m in sbs.models)]
                         for c in differing[:max_cases]])
        if len(differing) > max_cases:
            lines.append(f"\n…and {len(differing) - max_cases} more (see the JSON report)")
    else:
        lines.append("Every case has the same outcome on every model.")
    return "\n".join(lines).rstrip() + "\n"


def models_html(sbs: SideBySide, max_cases: int = MAX_CASES) -> str:
    """A self-contained page (the report's stylesheet, no scripts); every text escaped."""
    from datetime import UTC, datetime

    from harness import __version__
    from harness.reporting.html import css, environment

    context: dict[str, Any] = {
        "run": sbs.run, "models": sbs.models, "rows": _rows(sbs),
        "differing": [(c, [sbs.outcome(c, m) for m in sbs.models])
                      for c in sbs.differing[:max_cases]],
        "n_differing": len(sbs.differing), "n_cases": len(sbs.cases),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "version": __version__,
    }
    return environment().get_template("models.html").render(context, css=css())


def paired_markdown(pairs: PairedModels) -> str:
    """Each model pair's comparison under its own heading, then the models left unpaired."""
    from harness.reporting.markdown import compare_markdown

    lines = [f"## harness compare: {code(pairs.base)} vs {code(pairs.cand)}, "
             f"{len(pairs.comparisons)} model{'s' if len(pairs.comparisons) != 1 else ''} "
             "paired by name", ""]
    for side, names in (("base", pairs.only_base), ("candidate", pairs.only_cand)):
        if names:
            lines += [f"Only in the {side} (not compared): "
                      f"{', '.join(code(m) for m in names)}.", ""]
    for model, comp in pairs.comparisons.items():
        lines += [f"## model {code(model)}", "", compare_markdown(comp).rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"

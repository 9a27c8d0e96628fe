"""The `text` format of reports built as Markdown (`compare`, `gate`): plain text.

The Markdown of `harness.reporting.markdown` escapes every special character (`right\\_first`,
`\\&\\&`) and wraps ids in code spans, which is right for a PR comment and wrong for a
terminal or a CI log: a command printed there must paste exactly. This undoes that
Markdown, and only that (it is not a general Markdown renderer): escapes and code spans
are unwrapped, `**bold**` markers dropped, headings and quotes lose their marks, and tables
become aligned columns. Lines are never wrapped. Callers still make the result `inert`.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

# one token: a code span, an escaped character, a bold marker, a bare pipe, anything else
_TOKEN = re.compile(r"`[^`\n]*`|\\[\\`*_{}\[\]<|~&]|\*\*|\||.", re.S)  # escapes: markdown.esc
_HEADING = re.compile(r"^#{1,6} ")
_RULE = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")


def _pieces(line: str) -> list[str | None]:
    """The line's text, token by token; None stands for a bare (cell-splitting) pipe."""
    out: list[str | None] = []
    for tok in _TOKEN.findall(line):
        if tok == "|":
            out.append(None)
        elif tok == "**":
            continue
        elif len(tok) >= 2 and tok[0] == tok[-1] == "`":
            out.append(tok[1:-1].replace("\\|", "|"))
        elif len(tok) == 2 and tok[0] == "\\":
            out.append(tok[1])
        else:
            out.append(tok)
    return out


def inline(line: str) -> str:
    """One line of Markdown as the text it shows."""
    return "".join("|" if p is None else p for p in _pieces(line))


def _cells(line: str) -> list[str]:
    cells, cur = [], ""
    for p in _pieces(line.strip())[1:]:  # the leading pipe opens the row
        if p is None:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += p
    return cells


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(cell_len(r[i]) if i < len(r) else 0 for r in rows)
              for i in range(max(len(r) for r in rows))]
    lines = []
    for n, row in enumerate(rows):
        padded = [c + " " * (widths[i] - cell_len(c)) for i, c in enumerate(row)]
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def markdown_to_text(md: str) -> str:
    """Our report Markdown as plain text: nothing escaped, tables aligned."""
    out: list[str] = []
    table: list[list[str]] = []
    for line in md.splitlines():
        if line.startswith("|"):
            if not _RULE.match(line):
                table.append(_cells(line))
            continue
        if table:
            out += _table(table)
            table = []
        if _HEADING.match(line):
            line = _HEADING.sub("", line)
        elif line.startswith("> "):
            line = line[2:]
        out.append(inline(line))
    if table:
        out += _table(table)
    return "\n".join(out).rstrip() + "\n"

"""Read a YAML file and remember the line of every mapping key and sequence item.

Users fix files by line number, so every error must point at one. PyYAML's constructed
data forgets where values came from; the composed node tree still knows. We compose the
tree once, index it into `{path tuple: line}`, then construct plain data from the same
tree with the safe constructor (no arbitrary Python objects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import FileError

Loc = tuple[str | int, ...]
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Document:
    """Plain data from one file plus the 1-based line of every key and item in it."""

    path: str
    data: Any
    lines: dict[Loc, int]

    def line(self, loc: Loc) -> int | None:
        """Line of `loc`, or of its nearest ancestor that has one (a missing key has none)."""
        for end in range(len(loc), -1, -1):
            found = self.lines.get(tuple(loc[:end]))
            if found is not None:
                return found
        return None


def read_text(path: str | Path) -> str:
    """Read a user file as UTF-8, turning OS errors into a FileError that names it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileError(path, "file not found") from None
    except IsADirectoryError:
        raise FileError(path, "is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise FileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise FileError(path, f"cannot read: {exc.strerror}") from None


# Aliases let a few lines name a structure of billions of nodes (the "billion laughs");
# a suite never needs more than this many nodes once aliases are expanded.
MAX_NODES = 200_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_yaml(path: str | Path) -> Document:
    """Parse one YAML document safely, keeping lines; bad YAML is a FileError with its mark.

    Refused with a FileError, never a traceback or a hang: control characters, nesting
    past Python's recursion limit, aliases that expand past MAX_NODES nodes or contain
    themselves, integers too long to convert, and lone surrogates (`"\\ud800"`)."""
    text = read_text(path)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(path, text, exc) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise FileError(path, "file is empty")
        lines: dict[Loc, int] = {(): node.start_mark.line + 1}
        _index(node, (), lines, str(path), set(), [0])
        data = loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(path, text, exc) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(path, exc) from None
    except yaml.YAMLError as exc:
        raise FileError(path, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise FileError(path, "nested too deeply (lists or mappings inside each other "
                        "beyond Python's recursion limit)") from None
    except ValueError as exc:  # e.g. an integer of over 4,300 digits
        raise FileError(path, f"invalid value: {exc}") from None
    finally:
        loader.dispose()
    return Document(str(path), data, lines)


def _reader_error(path: str | Path, text: str, exc: yaml.reader.ReaderError) -> FileError:
    line = text.count("\n", 0, exc.position) + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return FileError(path, f"control character U+{ord(char):04X} is not allowed in YAML "
                     "(write it as an escape inside double quotes)", line=line)


def _yaml_error(path: str | Path, exc: yaml.MarkedYAMLError) -> FileError:
    """One line of human text from PyYAML's multi-line error, with line and column."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        problem = f"{exc.problem} ({exc.context})"
    if "flow" in (exc.context or ""):
        problem += "; inside [...] or {...}, quote text containing ? : , # [ ] { }"
    if mark is None:
        return FileError(path, f"invalid YAML: {problem}")
    return FileError(
        path, f"invalid YAML: {problem} (column {mark.column + 1})", line=mark.line + 1
    )


def _index(node: Node, loc: Loc, lines: dict[Loc, int], path: str, stack: set[int],
           count: list[int]) -> None:
    """Record the line of each child of `node`; the caller has recorded `node` itself.
    `count` counts nodes as aliases expand them (an alias bomb stops at MAX_NODES)."""
    if id(node) in stack:
        raise FileError(path, "recursive alias: an anchor is used inside itself",
                        line=node.start_mark.line + 1, field=format_loc(loc) or None)
    count[0] += 1
    if count[0] > MAX_NODES:
        raise FileError(path, f"aliases expand to more than {MAX_NODES:,} values (an alias "
                        "bomb?)", line=node.start_mark.line + 1)
    if isinstance(node, ScalarNode):
        if _SURROGATE.search(node.value):
            raise FileError(path, "contains a lone UTF-16 surrogate (such as \\ud800), which "
                            "is not text any file or database can hold",
                            line=node.start_mark.line + 1, field=format_loc(loc) or None)
        return
    stack.add(id(node))
    if isinstance(node, MappingNode):
        _index_mapping(node, loc, lines, path, stack, count)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _index(item, (*loc, i), lines, path, stack, count)
    stack.discard(id(node))


def _index_mapping(
    node: MappingNode, loc: Loc, lines: dict[Loc, int], path: str, stack: set[int],
    count: list[int]
) -> None:
    """Index a mapping's keys; a repeated key is an error (PyYAML would keep the last)."""
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG:
            # `<<: *anchor`: merged keys resolve to ancestor lines; walked only to count
            # (and check) what the merge brings in
            _index(value_node, loc, {}, path, stack, count)
            continue
        _index(key_node, loc, {}, path, stack, count)
        key = key_node.value if isinstance(key_node, ScalarNode) else str(key_node.value)
        line = key_node.start_mark.line + 1
        child = (*loc, key)
        if child in lines:
            raise FileError(
                path,
                f"duplicate key '{key}' (first at line {lines[child]})",
                line=line,
                field=format_loc(child),
            )
        lines[child] = line
        _index(value_node, child, lines, path, stack, count)


def format_loc(loc: Loc) -> str:
    """`("cases", 3, "checks", 0, "value")` -> `cases[3].checks[0].value`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _plain_key(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _plain_key(key: str) -> bool:
    """Keys that read well after a dot; others (e.g. `grounding.min`) get brackets."""
    return bool(key) and key.replace("_", "a").replace("-", "a").isalnum() and "." not in key

"""YAML with line numbers, for `clearance rules lint`: safe-composed node trees, the plain data built from
them, and the line of any path into a document (a pydantic error location, a reference, a key).

The loader (`load.py`) stops at the first problem; lint needs every problem with its file and line, so it
reads each file itself. Only the safe loader is used: no object construction, ever."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from .load import YAML_VALUE_ERRORS

Loc = tuple[str | int, ...]
_TYPE_TAGS = {"str", "int", "float", "bool", "dict", "list", "date", "none"}


class SourceError(Exception):
    """A file cannot be read or is not valid YAML. `line` is 1-based (1 when unknown)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Doc:
    """One YAML file: its node tree (None for an empty file) and the data built from it."""

    path: Path
    node: yaml.Node | None
    data: object

    def line(self, loc: Loc = ()) -> int:
        """1-based line of the deepest node that `loc` reaches in this document."""
        return line_at(self.node, loc)

    def duplicate_keys(self) -> list[tuple[str, int]]:
        """Mapping keys given twice (YAML keeps the last one silently): (key, line of the repeat)."""
        out: list[tuple[str, int]] = []
        stack = [self.node] if self.node is not None else []
        seen: set[int] = set()  # an alias is the node it names: visit it once (anchors may even recurse)
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys: set[str] = set()
                for key, value in node.value:
                    name = str(key.value)
                    if isinstance(key, yaml.ScalarNode) and name in keys and name != "<<":
                        out.append((name, key.start_mark.line + 1))
                    keys.add(name)
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return sorted(out, key=lambda kv: kv[1])


def read_doc(path: Path) -> Doc:
    """Safe-compose one YAML file, keeping the nodes (and so the lines) of every value."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.SafeLoader("").construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SourceError(f"invalid YAML: {problem}", mark.line + 1 if mark is not None else 1) from exc
    except YAML_VALUE_ERRORS as exc:
        raise SourceError(
            f"invalid YAML value: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc
    return Doc(path, node, data)


def child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    """The value node under a mapping key or a sequence index, or None."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for k, v in reversed(node.value):  # the last of repeated keys wins, as in the data
            if isinstance(k, yaml.ScalarNode) and str(k.value) == key:
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]
    return None


def node_at(node: yaml.Node | None, loc: Loc) -> yaml.Node | None:
    """The deepest node along `loc`; path parts that name nothing (pydantic union tags) are skipped."""
    current = node
    for part in loc:
        nxt = child(current, part)
        if nxt is not None:
            current = nxt
    return current


def line_at(node: yaml.Node | None, loc: Loc = ()) -> int:
    found = node_at(node, loc)
    return found.start_mark.line + 1 if found is not None else 1


def plain_loc(loc: Loc) -> str:
    """A pydantic location as dotted text, without the names of union branches (`str`, `Alternative`)."""
    parts = []
    for part in loc:
        if isinstance(part, str) and (part[:1].isupper() or part in _TYPE_TAGS or "[" in part):
            continue
        parts.append(str(part))
    return ".".join(parts)


def display(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel

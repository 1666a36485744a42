"""YAML 1.2 parsing with source positions (internal).

:func:`parse_yaml` composes the document with ruamel.yaml (round-trip composer, YAML 1.2
resolution: ``yes``/``on`` stay strings) and builds plain Python data (``dict``/``list``/``str``/
``int``/``float``/``bool``/``None``/dates) together with a map from each value's path to its key and
value positions. Duplicate keys, unsupported tags, non-scalar keys and recursive aliases are
diagnostics, and so is a syntax error (with its position); nothing here raises.
Merge keys (``<<: *anchor``) are supported; explicit keys win over merged ones.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Diagnostic, SourceLoc

Path_ = tuple[str | int, ...]

_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_T}{t}" for t in ("str", "null", "bool", "int", "float", "timestamp")}


@dataclass
class ParsedYaml:
    """Result of :func:`parse_yaml`.

    ``locs`` maps a path from the document root (keys and list indexes) to ``(key_loc, value_loc)``;
    for list items and the root both are the value's position.
    """

    data: Any
    locs: dict[Path_, tuple[SourceLoc, SourceLoc]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def locate(self, path: Path_, needle: str) -> SourceLoc | None:
        """Position of ``needle`` inside the string value at ``path`` (best effort).

        Falls back to the value's position when the text cannot be found (escapes, folding).
        """
        pos = self.locs.get(path)
        if pos is None:
            return None
        start = pos[1]
        value = _get(self.data, path)
        extra = value.count("\n") + 1 if isinstance(value, str) else 1
        for offset in range(extra + 1):
            idx = start.line - 1 + offset
            if idx >= len(self.lines):
                break
            from_col = start.col - 1 if offset == 0 else 0
            col = self.lines[idx].find(needle, from_col)
            if col >= 0:
                return SourceLoc(start.file, idx + 1, col + 1)
        return start


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _loc(display: str, mark: Any) -> SourceLoc:
    return SourceLoc(display, int(mark.line) + 1, int(mark.column) + 1)


def _offset_loc(display: str, text: str, offset: int) -> SourceLoc:
    before = text[:offset]
    line = before.count("\n") + 1
    col = offset - (before.rfind("\n") + 1) + 1
    return SourceLoc(display, line, col)


def parse_yaml(text: str, display: str) -> ParsedYaml:
    """Parse one YAML document; ``display`` is the file name used in positions."""
    result = ParsedYaml(data=None, lines=text.splitlines())
    yaml = YAML(typ="rt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(display, mark) if mark is not None else SourceLoc(display, 1, 1)
        problem = exc.problem or "invalid YAML"
        detail = exc.context or ""
        if exc.context_mark is not None and exc.problem_mark is not None and exc.context:
            detail = f"{exc.context} (started at {_loc(display, exc.context_mark)})"
        result.diagnostics.append(Diagnostic("error", f"YAML syntax error: {problem}", detail=detail, loc=loc))
        return result
    except YAMLError as exc:  # e.g. ReaderError (non-printable character)
        position = getattr(exc, "position", None)
        loc = _offset_loc(display, text, position) if isinstance(position, int) else SourceLoc(display, 1, 1)
        reason = getattr(exc, "reason", None) or "invalid YAML"
        result.diagnostics.append(Diagnostic("error", f"YAML error: {reason}", loc=loc))
        return result
    if node is None:
        return result
    conv = _Converter(yaml, display, result)
    root = _loc(display, node.start_mark)
    result.data = conv.convert(node, (), root)
    return result


class _Converter:
    def __init__(self, yaml: YAML, display: str, out: ParsedYaml) -> None:
        self.yaml = yaml
        self.display = display
        self.out = out
        self.stack: set[int] = set()

    def error(self, summary: str, loc: SourceLoc, detail: str = "", hint: str | None = None) -> None:
        self.out.diagnostics.append(Diagnostic("error", summary, detail=detail, loc=loc, hint=hint))

    def convert(self, node: Node, path: Path_, key_loc: SourceLoc) -> Any:
        value_loc = _loc(self.display, node.start_mark)
        if isinstance(node, ScalarNode) and node.value == "" and node.tag == f"{_T}null" and not node.style:
            value_loc = key_loc  # an empty value: its mark is the next token's, so point at the key
        self.out.locs[path] = (key_loc, value_loc)
        if id(node) in self.stack:
            self.error("recursive YAML alias", value_loc)
            return None
        if isinstance(node, MappingNode):
            self.stack.add(id(node))
            try:
                return self._mapping(node, path, value_loc)
            finally:
                self.stack.discard(id(node))
        if isinstance(node, SequenceNode):
            if node.tag != f"{_T}seq":
                self.error(f"unsupported YAML tag '{node.tag}'", value_loc, hint="remove the tag")
            self.stack.add(id(node))
            try:
                return [
                    self.convert(item, (*path, i), _loc(self.display, item.start_mark))
                    for i, item in enumerate(node.value)
                ]
            finally:
                self.stack.discard(id(node))
        return self._scalar(node, value_loc)

    def _scalar(self, node: Node, loc: SourceLoc) -> Any:
        tag = str(node.tag)
        if tag not in _SCALAR_TAGS:
            self.error(
                f"unsupported YAML tag '{tag}'",
                loc,
                hint="only plain YAML values are accepted; remove the tag (quote the value for a string)",
            )
            return str(node.value)
        if tag == f"{_T}str":
            return str(node.value)
        if tag == f"{_T}null":
            return None
        try:
            value = self.yaml.constructor.construct_object(node, deep=True)
        except (YAMLError, ValueError, TypeError):
            self.error(f"invalid {tag.rsplit(':', 1)[-1]} value", loc)
            return None
        if tag == f"{_T}bool":
            return bool(value)
        if tag == f"{_T}int":
            return int(value)
        if tag == f"{_T}float":
            return float(value)
        return value  # timestamp: datetime/date

    def _key(self, node: Node) -> str | None:
        if not isinstance(node, ScalarNode):
            self.error(
                "a mapping key must be a plain value, not a list or mapping",
                _loc(self.display, node.start_mark),
            )
            return None
        return str(node.value)

    def _mapping(self, node: MappingNode, path: Path_, loc: SourceLoc) -> dict[str, Any]:
        if node.tag != f"{_T}map":
            self.error(f"unsupported YAML tag '{node.tag}'", loc, hint="remove the tag")
        result: dict[str, Any] = {}
        seen: dict[str, SourceLoc] = {}
        merges: list[MappingNode] = []
        for key_node, value_node in node.value:
            key_loc = _loc(self.display, key_node.start_mark)
            if isinstance(key_node, ScalarNode) and key_node.tag == f"{_T}merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for src in sources:
                    if isinstance(src, MappingNode):
                        merges.append(src)
                    else:
                        self.error("a merge key '<<' takes a mapping or a list of mappings", key_loc)
                continue
            key = self._key(key_node)
            if key is None:
                continue
            if key in seen:
                self.error(
                    f"duplicate key '{key}'",
                    key_loc,
                    detail=f"first defined at {seen[key]}",
                    hint="YAML keys must be unique within a mapping; remove or rename one of them",
                )
                continue
            seen[key] = key_loc
            result[key] = self.convert(value_node, (*path, key), key_loc)
        for src in merges:
            if id(src) in self.stack:
                self.error("recursive YAML alias", loc)
                continue
            self.stack.add(id(src))
            try:
                for key_node, value_node in src.value:
                    key = self._key(key_node)
                    if key is None or key in result:
                        continue
                    result[key] = self.convert(value_node, (*path, key), _loc(self.display, key_node.start_mark))
            finally:
                self.stack.discard(id(src))
        return result

"""YAML 1.2 parsing with source positions, fast and bounded (internal).

:func:`parse_yaml` reads one YAML document with libyaml's C parser (PyYAML's ``CParser``, the
event stream only; PyYAML's pure-Python parser when libyaml is missing) and builds, in one
iterative pass over the events, plain Python data (``dict``/``list``/``str``/``int``/``float``/
``bool``/``None``/dates) together with a map from each value's path to its key and value
positions. Why this parser, and the measurements: ``docs/config-loading.md``.

Scalars are resolved by the YAML 1.2 core schema, whatever the document's ``%YAML`` directive:

* null: ``~``, ``null``, ``Null``, ``NULL`` and the empty value;
* bool: ``true``/``True``/``TRUE``/``false``/``False``/``FALSE`` only (``yes``, ``no``, ``on``,
  ``off``, ``y``, ``n`` stay strings);
* int: ``[-+]?[0-9]+`` (decimal, so ``0777`` is 777, never YAML 1.1 octal), ``0o[0-7]+``,
  ``0x[0-9a-fA-F]+``; float: ``[-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?``, ``.inf``,
  ``.nan``; anything else (``1:20``, ``1_000``, ``0b101``, ``=``) is a string;
* plus timestamps (``2024-01-01``, ``2024-01-01 10:00:00``) as ``date``/``datetime``.

Quoted scalars are strings. The explicit tags ``!!str``, ``!!null``, ``!!bool``, ``!!int``,
``!!float``, ``!!timestamp``, ``!!map`` and ``!!seq`` are accepted (the value must fit the tag);
any other tag is a diagnostic. Merge keys (``<<: *anchor`` or ``<<: [*a, *b]``) are supported;
explicit keys win over merged ones, and earlier merge sources over later ones.

Diagnostics (nothing here raises): a syntax error (with its position, and a hint for a tab or a
line indented unlike its siblings, see ``_indentation_hint``), duplicate keys, non-scalar
keys, unsupported tags, invalid tagged values, recursive or undefined aliases, more than one
document, and the limits below. Limits, each a one-line error naming the file and line, that stops
the parse of that file (so hostile input costs bounded time and memory):

* :data:`MAX_DEPTH`: nesting of mappings and sequences (no ``RecursionError`` anywhere later);
* :data:`MAX_ALIAS_NODES`: values produced by expanding aliases, per file (an "alias bomb" of
  nested anchors stops here instead of growing exponentially);
* :data:`MAX_CHARS`: the text's length (the file size limit is checked before reading, in
  :mod:`.discovery`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

from .diagnostics import Diagnostic, SourceLoc

Path_ = tuple[str | int, ...]

#: deepest nesting of mappings and sequences accepted (a configuration needs about 10)
MAX_DEPTH = 100
#: values (every mapping, sequence and scalar) that aliases may expand to in one file
MAX_ALIAS_NODES = 100_000
#: longest text accepted, in characters (the same bound as ``discovery.MAX_FILE_BYTES``)
MAX_CHARS = 10 * 1024 * 1024

_Parser: Any = getattr(yaml, "CBaseLoader", None) or yaml.BaseLoader
#: True when the C parser (libyaml) is used
WITH_LIBYAML = _Parser is not yaml.BaseLoader

_T = "tag:yaml.org,2002:"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS = {
    **{f"{s}.{w}": float(f"{s}inf") for s in ("", "+", "-") for w in ("inf", "Inf", "INF")},
    **{f".{w}": float("nan") for w in ("nan", "NaN", "NAN")},
}
_TIMESTAMP = SafeConstructor.timestamp_regexp
_NUMBER_START = frozenset("-+0123456789.")


class _Merge:
    """Path component under which a merge key's value is built before it is merged."""

    def __repr__(self) -> str:
        return "<<"


_MERGE: Any = _Merge()
_SKIP: Any = object()  # the key of a value that is dropped (duplicate or non-scalar key)
_AS_KEY: Any = object()  # path component of a mapping or list used as a key (dropped)


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


def _offset_loc(display: str, text: str, offset: int) -> SourceLoc:
    before = text[:offset]
    line = before.count("\n") + 1
    col = offset - (before.rfind("\n") + 1) + 1
    return SourceLoc(display, line, col)


class _Stop(Exception):
    """Ends the parse of one file after a fatal diagnostic (limit, undefined alias, ...)."""


def parse_yaml(text: str, display: str) -> ParsedYaml:
    """Parse one YAML document; ``display`` is the file name used in positions.

    Returns the data, the positions and the diagnostics (``data`` is None when the text is
    empty, holds only comments, or could not be parsed). Never raises for any input text.
    """
    result = ParsedYaml(data=None, lines=text.splitlines())
    if len(text) > MAX_CHARS:
        result.diagnostics.append(
            Diagnostic("error", f"YAML text longer than {MAX_CHARS} characters", loc=SourceLoc(display, 1, 1))
        )
        return result
    parser = _Parser(text)
    builder = _Builder(display, result)
    try:
        builder.run(parser)
    except yaml.MarkedYAMLError as exc:
        result.data = None
        result.diagnostics.append(_syntax_error(exc, display, result.lines))
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        result.data = None
        position = getattr(exc, "position", None)
        loc = SourceLoc(display, 1, 1)
        if isinstance(position, int):
            if WITH_LIBYAML:  # libyaml counts UTF-8 bytes, the pure parser characters
                position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
            loc = _offset_loc(display, text, position)
        reason = getattr(exc, "reason", None) or "invalid YAML"
        result.diagnostics.append(Diagnostic("error", f"YAML error: {reason}", loc=loc))
    except _Stop:
        result.data = None
    finally:
        parser.dispose()
    return result


def _loc(display: str, mark: Any) -> SourceLoc:
    return SourceLoc(display, mark.line + 1, mark.column + 1)  # both parsers' marks hold ints


def _syntax_error(exc: yaml.MarkedYAMLError, display: str, lines: list[str]) -> Diagnostic:
    """The diagnostic of a scanner or parser error (libyaml's wording), at the problem's mark."""
    mark = exc.problem_mark or exc.context_mark
    loc = _loc(display, mark) if mark is not None else SourceLoc(display, 1, 1)
    problem = exc.problem or "invalid YAML"
    detail = exc.context or ""
    if exc.context_mark is not None and exc.problem_mark is not None and exc.context:
        detail = f"{exc.context} (started at {_loc(display, exc.context_mark)})"
    hint = None
    line = lines[loc.line - 1] if 0 < loc.line <= len(lines) else ""
    if line[loc.col - 1 : loc.col] == "\t":
        hint = "YAML indents with spaces, never tabs"
    elif "nesting depth" in problem:  # libyaml's own limit (1,000 levels), met before MAX_DEPTH in flow style
        hint = f"a configuration needs only a few levels (at most {MAX_DEPTH} are accepted)"
    elif "end of stream" in problem and "quoted scalar" in (exc.context or "") and exc.context_mark is not None:
        hint = f"close the quote opened at line {int(exc.context_mark.line) + 1}"
    else:
        hint = _indentation_hint(exc, loc.line, lines)
    return Diagnostic("error", f"YAML syntax error: {problem}", detail=detail, loc=loc, hint=hint)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _spaces(n: int) -> str:
    return f"{n} space{'s' if n != 1 else ''}"


def _indentation_hint(exc: yaml.MarkedYAMLError, line_no: int, lines: list[str]) -> str | None:
    """What indentation mistake a block-style syntax error most likely comes from (``line_no``: the
    problem's 1-based line), or None: a line indented unlike the mapping or list it is in, a line
    in a list that is not an entry, or a key indented under a ``key: value`` line (YAML reads it as
    the rest of that value)."""
    problem = exc.problem or ""
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    ctx = exc.context_mark
    if ctx is not None and problem.startswith(("did not find expected key", "did not find expected '-'",
                                               "expected <block end>")):
        ctx_line, ctx_indent = int(ctx.line) + 1, int(ctx.column)
        what = "list" if "collection" in (exc.context or "") else "mapping"
        if _indent(line) != ctx_indent:
            return (f"line {line_no} is indented {_spaces(_indent(line))}, the {what} it is in (line {ctx_line})"
                    f" {_spaces(ctx_indent)}: line them up")
        if what == "list":
            return (f"line {line_no} is in the list that starts at line {ctx_line} but is not an entry ('- ...'):"
                    " indent it under the entry above it, or start it with '- '")
    if problem.startswith("mapping values are not allowed") and not line.lstrip().startswith("- "):
        numbered = [(i + 1, x) for i, x in enumerate(lines[: line_no - 1])
                    if x.strip() and not x.lstrip().startswith("#")]
        if numbered:
            n, prev = numbered[-1]
            key, sep, value = prev.strip().partition(":")
            key_col = len(prev) - len(prev.lstrip(" -"))  # where the key of "  - key: value" starts
            if sep and value.strip() and key_col < _indent(line):
                return (f"line {line_no} is indented more than line {n} ('{key.lstrip('- ')}: ...'), so YAML reads it"
                        f" as the rest of that value: keys of one mapping start in the same column (line {n}: column"
                        f" {key_col + 1}, line {line_no}: column {_indent(line) + 1})")
    return None


def _copy(value: Any) -> Any:
    """A deep copy of plain data (aliases give each use its own objects)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _resolve_plain(value: str) -> tuple[Any, str]:
    """``(value, tag name)`` of an untagged plain scalar by the YAML 1.2 core schema (+ timestamps)."""
    if value in _NULLS:
        return None, "null"
    first = value[0]
    if first in "tTfF" and value in _BOOLS:
        return _BOOLS[value], "bool"
    if first not in _NUMBER_START:
        return value, "str"
    if _INT.fullmatch(value):
        return int(value), "int"
    if first == "0" and len(value) > 2:
        if _OCT.fullmatch(value):
            return int(value[2:], 8), "int"
        if _HEX.fullmatch(value):
            return int(value[2:], 16), "int"
    if _FLOAT.fullmatch(value):
        return float(value), "float"
    if value in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[value], "float"
    if _TIMESTAMP.match(value):
        return SafeConstructor().construct_yaml_timestamp(ScalarNode(f"{_T}timestamp", value)), "timestamp"
    return value, "str"


def _tagged(tag: str, value: str, plain: bool) -> Any:
    """The value of a scalar with an explicit standard tag; ValueError when it does not fit."""
    name = tag[len(_T) :]
    if name == "str":
        return value
    if name == "null":
        return None
    resolved, got = _resolve_plain(value) if value else (None, "null")
    if name == got:
        return resolved
    if name == "float" and isinstance(resolved, int):
        return float(resolved)
    raise ValueError(f"not a valid {name}")


class _Node:
    """One open mapping or sequence while its events are read.

    ``start``: index in the builder's position log where this node's own entry is. For a
    mapping: ``key`` is the key of the value being read (None while a key is expected),
    ``seen`` the explicit keys with their positions, ``merges`` the ``(value, log start, log
    end)`` of each merge key's value, ``skip_from`` where a dropped value's entries begin.
    """

    __slots__ = ("anchor", "is_map", "key", "key_loc", "merges", "path", "seen", "skip_from", "start", "value")

    def __init__(self, is_map: bool, path: Path_, start: int, anchor: str | None) -> None:
        self.is_map = is_map
        self.path = path
        self.start = start
        self.anchor = anchor
        self.value: Any = {} if is_map else []
        self.key: Any = None
        self.key_loc: SourceLoc | None = None
        self.seen: dict[str, SourceLoc] = {}
        self.merges: list[tuple[Any, int, int]] = []
        self.skip_from = 0


@dataclass
class _Anchor:
    """A finished anchored value: its data, path, log range and (for a scalar) its text."""

    value: Any
    path: Path_
    start: int
    end: int
    text: str | None


class _Builder:
    """Turns the event stream of one document into data and positions (see :func:`parse_yaml`).

    Positions are appended to ``log`` as ``(path, key_loc, value_loc)`` in document order; an
    anchored value covers a contiguous range of it, which an alias copies under its own path.
    Ranges of dropped values (duplicate keys, merge values once merged) are listed in ``dead``.
    """

    def __init__(self, display: str, out: ParsedYaml) -> None:
        self.display = display
        self.out = out
        self.stack: list[_Node] = []
        self.log: list[tuple[Path_, SourceLoc, SourceLoc]] = []
        self.dead: list[tuple[int, int]] = []
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: set[str] = set()
        self.expanded = 0
        self.documents = 0

    def error(self, summary: str, loc: SourceLoc, detail: str = "", hint: str | None = None) -> None:
        self.out.diagnostics.append(Diagnostic("error", summary, detail=detail, loc=loc, hint=hint))

    def run(self, parser: Any) -> None:
        """Read every event; on return ``out.data`` and ``out.locs`` are set."""
        scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
        start_events = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
        end_events = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is scalar:
                self.scalar(event)
            elif kind in start_events:
                self.start(event, kind is yaml.MappingStartEvent)
            elif kind in end_events:
                self.end()
            elif kind is alias:
                self.alias(event)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    self.error(
                        "YAML syntax error: expected a single document in the stream",
                        _loc(self.display, event.start_mark),
                        detail="but found another document",
                        hint="a configuration file holds one document; split it into files or remove the '---'",
                    )
                    raise _Stop
            elif kind is yaml.StreamEndEvent or event is None:
                break
        self.out.locs = self._final_locs()

    # -- where a finished value goes --------------------------------------------------------

    def _slot(self, value_mark: Any) -> tuple[Path_, SourceLoc | None, SourceLoc]:
        """``(path, key_loc, value_loc)`` for a value starting now (key_loc None: it is a key)."""
        value_loc = _loc(self.display, value_mark)
        if not self.stack:
            return (), value_loc, value_loc
        parent = self.stack[-1]
        if not parent.is_map:
            return (*parent.path, len(parent.value)), value_loc, value_loc
        if parent.key is None:
            return parent.path, None, value_loc
        return (*parent.path, parent.key), parent.key_loc, value_loc

    def _place(self, value: Any) -> None:
        if not self.stack:
            self.out.data = value
            return
        parent = self.stack[-1]
        if not parent.is_map:
            parent.value.append(value)
            return
        key = parent.key
        parent.key = None
        if key is _MERGE:
            parent.merges.append((value, parent.skip_from, len(self.log)))
        elif key is _SKIP:
            self.dead.append((parent.skip_from, len(self.log)))
        else:
            parent.value[key] = value

    def _set_key(self, parent: _Node, key: str | None, loc: SourceLoc, plain: bool) -> None:
        """Record the key just read (None: not a plain value, reported; its value is dropped)."""
        parent.key_loc = loc
        parent.skip_from = len(self.log)
        if key is None:
            parent.key = _SKIP
        elif key == "<<" and plain:
            parent.key = _MERGE
        elif key in parent.seen:
            self.error(
                f"duplicate key '{key}'",
                loc,
                detail=f"first defined at {parent.seen[key]}",
                hint="YAML keys must be unique within a mapping; remove or rename one of them",
            )
            parent.key = _SKIP
        else:
            parent.seen[key] = loc
            parent.key = key

    # -- events ----------------------------------------------------------------------------

    def scalar(self, event: Any) -> None:
        path, key_loc, value_loc = self._slot(event.start_mark)
        text: str = event.value
        plain = not event.style  # None (pure parser) or "" (libyaml) for a plain scalar
        if key_loc is None:  # a mapping key
            self._set_key(self.stack[-1], text, value_loc, plain and event.tag is None)
            if event.anchor is not None:
                self.anchors[event.anchor] = _Anchor(text, path, len(self.log), len(self.log), text)
            return
        value = self._scalar_value(event, text, plain, value_loc)
        if value is None and text == "" and plain and event.tag is None:
            value_loc = key_loc  # an empty value: its mark is the next token's, so point at the key
        start = len(self.log)
        self.log.append((path, key_loc, value_loc))
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, path, start, start + 1, text)
        self._place(value)

    def _scalar_value(self, event: Any, text: str, plain: bool, loc: SourceLoc) -> Any:
        tag = event.tag
        if tag is None:
            return _resolve_plain(text)[0] if plain and text else (None if plain else text)
        if tag == "!":
            return text
        if not tag.startswith(_T) or tag[len(_T) :] not in ("str", "null", "bool", "int", "float", "timestamp"):
            self.error(
                f"unsupported YAML tag '{tag}'",
                loc,
                hint="only plain YAML values are accepted; remove the tag (quote the value for a string)",
            )
            return text
        try:
            return _tagged(tag, text, plain)
        except ValueError:
            self.error(f"invalid {tag[len(_T) :]} value", loc)
            return None

    def start(self, event: Any, is_map: bool) -> None:
        path, key_loc, value_loc = self._slot(event.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            self.error(
                f"YAML nesting deeper than {MAX_DEPTH} levels",
                value_loc,
                hint="a configuration needs only a few levels; is this file generated or corrupted?",
            )
            raise _Stop
        tag = event.tag
        if tag is not None and tag != "!" and tag != f"{_T}{'map' if is_map else 'seq'}":
            self.error(f"unsupported YAML tag '{tag}'", value_loc, hint="remove the tag")
        if key_loc is None:  # a mapping or list used as a key: reported, built and dropped with its value
            self.error("a mapping key must be a plain value, not a list or mapping", value_loc)
            parent = self.stack[-1]
            self._set_key(parent, None, value_loc, False)
            key_loc = value_loc
            path = (*path, _AS_KEY)
        node = _Node(is_map, path, len(self.log), event.anchor)
        self.log.append((path, key_loc, value_loc))
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(node)

    def end(self) -> None:
        node = self.stack.pop()
        if node.merges:
            self._merge(node)
        if node.anchor is not None:
            self.open_anchors.discard(node.anchor)
            self.anchors[node.anchor] = _Anchor(node.value, node.path, node.start, len(self.log), None)
        if node.path and node.path[-1] is _AS_KEY:  # it was a key: drop it, and then its value
            self.dead.append((node.start, len(self.log)))
            parent = self.stack[-1]
            parent.key = _SKIP
            parent.skip_from = len(self.log)
            return
        self._place(node.value)

    def alias(self, event: Any) -> None:
        path, key_loc, value_loc = self._slot(event.start_mark)
        name = event.anchor
        if name in self.open_anchors:
            self.error("recursive YAML alias", value_loc)
            if key_loc is None:
                self._set_key(self.stack[-1], None, value_loc, False)
            else:
                self._place(None)
            return
        anchor = self.anchors.get(name)
        if anchor is None:
            self.error(f"YAML syntax error: found undefined alias '{name}'", value_loc)
            raise _Stop
        if key_loc is None:  # an alias used as a key: the anchored scalar's text
            self._set_key(self.stack[-1], anchor.text, value_loc, False)
            if anchor.text is None:
                self.error("a mapping key must be a plain value, not a list or mapping", value_loc)
            return
        if anchor.start == anchor.end:  # an anchored key: no position of its own as a value
            self.log.append((path, key_loc, value_loc))
        else:
            self._copy_locs(anchor, path, key_loc)
        self._place(_copy(anchor.value))

    def _copy_locs(self, anchor: _Anchor, path: Path_, key_loc: SourceLoc) -> None:
        """Log the anchored value's positions again under ``path`` (within :data:`MAX_ALIAS_NODES`)."""
        size = anchor.end - anchor.start
        self.expanded += size
        if self.expanded > MAX_ALIAS_NODES:
            self.error(
                f"YAML aliases expand to more than {MAX_ALIAS_NODES} values",
                key_loc,
                detail="nested anchors and aliases multiply (an 'alias bomb')",
                hint="use fewer or smaller aliases; write the values out",
            )
            raise _Stop
        cut = len(anchor.path)
        entries = self.log[anchor.start : anchor.end]
        first = True
        for old_path, k_loc, v_loc in entries:
            self.log.append(((*path, *old_path[cut:]), key_loc if first else k_loc, v_loc))
            first = False

    def _merge(self, node: _Node) -> None:
        """Apply the node's merge keys: keys not given explicitly come from the sources, in order."""
        base = len(node.path)
        for value, start, end in node.merges:
            self.dead.append((start, end))
            sources = value if isinstance(value, list) else [value]
            single = not isinstance(value, list)
            for i, src in enumerate(sources):
                if not isinstance(src, dict):
                    loc = self.log[start][1] if start < len(self.log) else SourceLoc(self.display, 1, 1)
                    self.error("a merge key '<<' takes a mapping or a list of mappings", loc)
                    continue
                new_keys = {k for k in src if k not in node.value}
                for k in new_keys:
                    node.value[k] = src[k]
                prefix = base + (1 if single else 2)
                for old_path, k_loc, v_loc in self.log[start:end]:
                    if len(old_path) > prefix and (single or old_path[base + 1] == i) and old_path[prefix] in new_keys:
                        self.log.append(((*node.path, *old_path[prefix:]), k_loc, v_loc))

    def _final_locs(self) -> dict[Path_, tuple[SourceLoc, SourceLoc]]:
        if not self.dead:
            return {p: (k, v) for p, k, v in self.log}
        dead = bytearray(len(self.log))
        for start, end in self.dead:
            dead[start:end] = b"\x01" * (end - start)
        return {p: (k, v) for (p, k, v), d in zip(self.log, dead, strict=True) if not d}

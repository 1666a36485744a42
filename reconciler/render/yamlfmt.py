"""``reconciler fmt``: one layout for configuration files, comments kept.

A ruamel.yaml round trip (comments, key order, quoting and flow/block style of each collection
are kept): mappings indented by 2, sequences by 4 with the dash at 2, no line re-wrapped, one
trailing newline. The examples of the repository are in this layout already.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def parse(text: str) -> Any:
    """The round-trip document of ``text``. Raises ValueError ``"LINE:COL: problem"`` (1-based) on
    a YAML syntax error."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}: " if mark is not None else ""
        raise ValueError(where + str(exc.problem or exc.context or "invalid YAML")) from None
    except YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def is_configuration(doc: Any) -> bool:
    """Whether a parsed document is a reconciler configuration (a mapping with ``version``);
    other YAML beside it (a docker-compose.yaml) is left alone."""
    return isinstance(doc, dict) and "version" in doc


def format_yaml(text: str) -> str:
    """``text`` in the layout of the module docstring. Raises ValueError as ``parse``.

    A whole-line comment that stood at the indentation of the line after it (a comment about the
    key below it) stays at that line's new indentation: ruamel.yaml keeps a comment's old column,
    which after re-indenting would put it inside the block above."""
    doc = parse(text)
    out = io.StringIO()
    _yaml().dump(doc, out)
    return _realign_comments(text, out.getvalue().rstrip("\n") + "\n")


def _comment_lines(lines: list[str]) -> list[tuple[int, bool]]:
    """``(index, aligned)`` of each whole-line comment of ``lines``: ``aligned`` when it is indented
    as the next line that is neither blank nor a comment."""
    out: list[tuple[int, bool]] = []
    next_indent: int | None = None
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].lstrip(" ")
        if not stripped:
            continue
        indent = len(lines[i]) - len(stripped)
        if stripped.startswith("#"):
            out.append((i, indent == next_indent))
        else:
            next_indent = indent
    return out[::-1]


def _realign_comments(before: str, after: str) -> str:
    """``after`` (the formatted text) with each whole-line comment that was aligned with the line
    after it in ``before`` aligned again (see ``format_yaml``); unchanged when the two texts do not
    hold the same comment lines in the same order."""
    old, new = before.splitlines(), after.splitlines()
    old_comments, new_comments = _comment_lines(old), _comment_lines(new)
    if [old[i].strip() for i, _ in old_comments] != [new[i].strip() for i, _ in new_comments]:
        return after
    aligned = {n for (_, was), (n, _) in zip(old_comments, new_comments, strict=True) if was}
    next_indent = 0
    for i in range(len(new) - 1, -1, -1):
        stripped = new[i].lstrip(" ")
        if not stripped:
            continue
        if not stripped.startswith("#"):
            next_indent = len(new[i]) - len(stripped)
        elif i in aligned:
            new[i] = " " * next_indent + stripped
    return "\n".join(new) + "\n"

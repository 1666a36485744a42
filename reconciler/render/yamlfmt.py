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
    """``text`` in the layout of the module docstring. Raises ValueError as ``parse``."""
    doc = parse(text)
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue().rstrip("\n") + "\n"

"""What an export produces before it is written: entries per kind, what was skipped, and the
environment variables the exported files read.

An ``Entry`` is one resource's YAML mapping (fields in output order) with its comments; names are
made by ``Namer`` (slugs of titles or paths, unique per kind, deterministic: callers add objects in
the order of their natural keys, so the same live setup always gives the same names).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from reconciler.refs import NAME_RE

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
#: longest resource name an export makes (before a ``-2`` suffix)
MAX_NAME = 60


def slug(text: str, fallback: str = "item") -> str:
    """``text`` as a resource name: accents dropped, lower case, runs of other characters as one
    ``-``, at most ``MAX_NAME`` characters (``"Été / Q1"`` -> ``ete-q1``); ``fallback`` when
    nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:MAX_NAME].strip("-")
    return out if out and NAME_RE.fullmatch(out) else fallback


def ref(kind: str, name: str, attr: str) -> str:
    """The reference ``${kind.name.attr}``."""
    return "${" + f"{kind}.{name}.{attr}" + "}"


@dataclass
class Entry:
    """One exported resource.

    ``data``: field -> value, in output order (strings may hold ``${...}`` references);
    ``notes``: field -> end-of-line comment (why a value is what it is, where it was inferred);
    ``header``: comment lines above the resource; ``commented``: lines written as comments inside
    the resource after its fields (a field left out on purpose, e.g. a write-only secret).
    """

    data: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    commented: list[str] = field(default_factory=list)


@dataclass
class Export:
    """The result of building: ``kinds`` (kind -> resource name -> entry, in output order),
    ``skipped`` (kind -> sentences saying what was not exported and why; written at the top of the
    kind's file and printed), ``env`` (variable -> what it holds: the exported files need them) and
    ``optional_env`` (variables named only in commented-out lines), ``filtered`` (how many objects
    the filters left out, by kind), ``excluded`` (``--exclude`` glob -> how many objects it left
    out; a glob that matched nothing is absent)."""

    kinds: dict[str, dict[str, Entry]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    optional_env: dict[str, str] = field(default_factory=dict)
    filtered: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)

    def skip(self, kind: str, sentence: str) -> None:
        """Record that something of ``kind`` was not exported (``sentence`` says what and why)."""
        self.skipped.setdefault(kind, []).append(sentence)

    def count(self) -> int:
        """How many resources were exported."""
        return sum(len(v) for v in self.kinds.values())


class Namer:
    """Unique resource names per kind: ``take(kind, base)`` returns ``base``, or ``base-2``,
    ``base-3``... when taken (deterministic for a deterministic order of calls)."""

    def __init__(self) -> None:
        self._used: dict[str, set[str]] = {}

    def take(self, kind: str, base: str) -> str:
        used = self._used.setdefault(kind, set())
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base[: MAX_NAME - len(str(n)) - 1]}-{n}"
        used.add(name)
        return name


def env_name(*parts: str) -> str:
    """An environment variable name from ``parts``: ``("author", "password")`` -> ``AUTHOR_PASSWORD``."""
    return "_".join(re.sub(r"[^A-Z0-9]+", "_", p.upper()).strip("_") for p in parts if p)

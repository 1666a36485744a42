"""What the loader's steps share (internal): a read file, one declared entry, the registry of
entries, and small helpers over data paths.

A *path* (``Path_``) is a tuple of keys and list indexes below an entry, e.g. ``("members", 0,
"email")``; positions come from :class:`~._yaml.ParsedYaml` ``locs``, keyed by the path from the
document root (``(section, name, *path)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._yaml import ParsedYaml
from .diagnostics import SourceLoc

Path_ = tuple[str | int, ...]
#: (key position, value position) of one path
Locs = tuple[SourceLoc, SourceLoc]


@dataclass
class SourceFile:
    """One configuration file read and parsed: ``path`` on disk, ``display`` (as shown in
    diagnostics), ``rel`` (relative to the root, as hashed into the digest), ``parsed``."""

    path: Path
    display: str
    rel: str
    parsed: ParsedYaml
    _by_entry: dict[Path_, dict[Path_, Locs]] | None = None

    def locs_under(self, base: Path_) -> dict[Path_, Locs]:
        """Positions below the two-element path ``base`` (section, name), keyed by the rest."""
        if self._by_entry is None:
            index: dict[Path_, dict[Path_, Locs]] = {}
            for p, pos in self.parsed.locs.items():
                if len(p) >= 2:
                    index.setdefault(p[:2], {})[p[2:]] = pos
            self._by_entry = index
        return self._by_entry.get(base, {})


@dataclass
class Entry:
    """One declared connection (``section == "connections"``) or resource (section = kind name).

    ``raw`` is the YAML value as parsed; ``data`` the value after ``${env:}``/``${file:}``
    substitution (meta keys are popped from it during validation). ``tainted``: paths whose value
    came from the environment or a file; ``from_expr``: paths of strings that used such an
    expression (even if it fell back to a default); ``unset``: paths of strings that name an
    unset ``${env:...}`` (only recorded when secrets are optional: their validation is skipped).
    """

    section: str
    name: str
    file: SourceFile
    key_loc: SourceLoc
    raw: Any
    data: dict[str, Any] = field(default_factory=dict)
    tainted: set[Path_] = field(default_factory=set)
    from_expr: set[Path_] = field(default_factory=set)
    unset: set[Path_] = field(default_factory=set)

    @property
    def address(self) -> str:
        """``<section>.<name>``, e.g. ``cloud_configs.assets-sync`` or ``connections.aem``."""
        return f"{self.section}.{self.name}"

    @property
    def base(self) -> Path_:
        """The entry's path from the document root: ``(section, name)``."""
        return (self.section, self.name)

    def locs(self, path: Path_) -> Locs | None:
        """Key and value positions of ``path`` below the entry, or None if not in the source."""
        return self.file.parsed.locs.get((*self.base, *path))

    def value_loc(self, path: Path_) -> SourceLoc:
        """Position of the value at ``path``, or of its closest parent in the source."""
        while True:
            pos = self.locs(path)
            if pos is not None:
                return pos[1]
            if not path:
                return self.key_loc
            path = path[:-1]

    def key_loc_of(self, path: Path_) -> SourceLoc:
        """Position of the key at ``path``, or of its closest parent's key."""
        while True:
            pos = self.locs(path)
            if pos is not None:
                return pos[0]
            if not path:
                return self.key_loc
            path = path[:-1]


@dataclass
class Registry:
    """Every entry declared across the files: connections by name, resources by address, each
    in file order."""

    connections: dict[str, Entry] = field(default_factory=dict)
    resources: dict[str, Entry] = field(default_factory=dict)
    backend: Any = None
    backend_loc: Any = None
    #: the top-level ``moved:`` blocks: ``(from address, to address, position of the item)``
    moves: list[tuple[str, str, Any]] = field(default_factory=list)
    #: the top-level ``import:`` blocks: ``(to address, id, position of the item)``
    imports: list[tuple[str, str, Any]] = field(default_factory=list)

    def names_of(self, kind: str) -> list[str]:
        """Names of the declared resources of ``kind``, in file order."""
        return [e.name for e in self.resources.values() if e.section == kind]


def dotted(path: Iterable[str | int]) -> str:
    """``("members", 0, "email")`` -> ``"members.0.email"``."""
    return ".".join(str(p) for p in path)


def where(address: str, path: Path_) -> str:
    """``address.dotted(path)``, or just ``address`` for the empty path."""
    return f"{address}.{dotted(path)}" if path else address


def get_at(data: Any, path: Path_) -> Any:
    """The value at ``path`` in ``data``, or None if the path does not exist."""
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def leaves(data: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    """Every non-container value in ``data`` with its path, depth first in order."""
    out: list[tuple[Path_, Any]] = []
    _leaves(data, path, out)
    return out


def _leaves(data: Any, path: Path_, out: list[tuple[Path_, Any]]) -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            _leaves(v, (*path, k), out)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _leaves(v, (*path, i), out)
    else:
        out.append((path, data))


def describe(value: Any) -> str:
    """A short rendering of a YAML value for messages (``true``, ``null``, ``'text'``, ``a list``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else repr(value[:77] + "...")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)

"""The state shared by the kinds' builders while one export is made: the filters, the names given
so far (so that references name exported objects only), and the ``Export`` being filled."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.connections import AemConnection
from reconciler.rules.environments import normalise_url

from .model import Entry, Export, Namer


@dataclass(frozen=True)
class Filters:
    """What to export. ``kinds``: kind names (empty: every kind); ``path_prefix``: only folders at or
    below this path (``/content/dam/campaigns``); ``exclude``: address globs (``folders.tmp-*``,
    ``users.*``) matched with ``fnmatch`` against ``<kind>.<name>``."""

    kinds: frozenset[str] = frozenset()
    path_prefix: str | None = None
    exclude: tuple[str, ...] = ()

    def wants(self, kind: str) -> bool:
        """True when ``kind`` is exported."""
        return not self.kinds or kind in self.kinds

    def excludes(self, address: str) -> bool:
        """True when an ``--exclude`` glob matches ``address``."""
        return any(fnmatch.fnmatchcase(address, pattern) for pattern in self.exclude)

    def matching(self, address: str) -> list[str]:
        """The ``--exclude`` globs that match ``address`` (empty: it is not excluded)."""
        return [pattern for pattern in self.exclude if fnmatch.fnmatchcase(address, pattern)]

    def narrowing(self) -> str | None:
        """The filters as written on the command line (``--kind folders --path-prefix /x``), or None
        when the export is not filtered (it then says what the services hold, every kind of it)."""
        parts = [f"--kind {k}" for k in sorted(self.kinds)]
        parts += [f"--path-prefix {self.path_prefix}"] if self.path_prefix else []
        parts += [f"--exclude '{p}'" for p in self.exclude]
        return " ".join(parts) or None

    def takes_path(self, path: str) -> bool:
        """True when folder ``path`` is at or below ``path_prefix`` (component-wise)."""
        if not self.path_prefix:
            return True
        prefix = self.path_prefix.rstrip("/")
        return path == prefix or path.startswith(prefix + "/")


def exclude_problem(pattern: str, kinds: Sequence[str]) -> str | None:
    """Why ``--exclude`` ``pattern`` can never match, or None when it is well formed. The form is
    ``KIND.NAME-GLOB`` (``folders.tmp-*``; the kind part may be a glob matching a kind in ``kinds``,
    ``*.tmp-*``). A pattern without a ``.`` has no kind; a kind part that matches no kind is a typo
    (the message suggests the closest kind)."""
    kind, dot, name = pattern.partition(".")
    if not dot or not kind:
        guess = f"'folders.{pattern}'" if pattern else "'folders.tmp-*'"
        return (f"'{pattern}' has no kind: the form is KIND.NAME-GLOB, e.g. {guess} (or '*.{pattern or 'tmp-*'}'"
                " for every kind)")
    if any(fnmatch.fnmatchcase(k, kind) for k in kinds):
        return None
    close = difflib.get_close_matches(kind, kinds, n=1)
    hint = f"; did you mean '{close[0]}.{name}'?" if close else f"; kinds: {', '.join(kinds)}"
    return f"'{pattern}' names no kind '{kind}'{hint} (the form is KIND.NAME-GLOB, e.g. 'folders.tmp-*')"


@dataclass
class BuildContext:
    """One export in the making.

    ``index``: (what, natural key...) -> resource name of an exported object, e.g.
    ``("orgs", ims_org_id)``, ``("folders", connection, path)``; a reference is written only to an
    object found here. ``connections``: the configuration's connection models by name.
    """

    filters: Filters
    connections: Mapping[str, Any]
    out: Export = field(default_factory=Export)
    names: Namer = field(default_factory=Namer)
    index: dict[tuple[str, ...], str] = field(default_factory=dict)

    def add(self, kind: str, base: str, entry: Entry, *keys: tuple[str, ...]) -> str | None:
        """Name the object (``base`` made unique) and keep it unless the filters leave it out;
        ``keys`` are its index keys. Returns the resource name, or None when filtered out."""
        if not self.filters.wants(kind):
            return None
        name = self.names.take(kind, base)
        hits = self.filters.matching(f"{kind}.{name}")
        if hits:
            self.out.filtered[kind] = self.out.filtered.get(kind, 0) + 1
            for pattern in hits:
                self.out.excluded[pattern] = self.out.excluded.get(pattern, 0) + 1
            return None
        self.out.kinds.setdefault(kind, {})[name] = entry
        for key in keys:
            self.index[key] = name
        return name

    def aem_environments(self) -> list[str]:
        """The AEM connections to read: one per AEM environment (connections whose URLs name the
        same author are one; the first name in sorted order stands for it)."""
        seen: dict[str, str] = {}
        for name in sorted(self.connections):
            conn = self.connections[name]
            if isinstance(conn, AemConnection):
                seen.setdefault(normalise_url(conn.url), name)
        return sorted(seen.values())

    def aem_by_url(self) -> dict[str, str]:
        """AEM connection URL (as written, after validation) -> the first connection name with it."""
        out: dict[str, str] = {}
        for name in sorted(self.connections):
            conn = self.connections[name]
            if isinstance(conn, AemConnection):
                out.setdefault(conn.url, name)
        return out


def sorted_by(rows: Iterable[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """``rows`` sorted by the string values of ``keys`` (missing values sort first)."""
    return sorted(rows, key=lambda r: tuple(str(r.get(k) or "") for k in keys))

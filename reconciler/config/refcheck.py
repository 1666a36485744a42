"""Checking references between entries (internal).

Two forms (syntax in :mod:`~.refs`):

* typed name references: fields annotated ``RefTo("orgs")`` hold a resource name of that kind,
  ``RefTo("connections:aem")`` a connection name of that type; the named resource must be
  declared (it becomes an edge), the connection declared and of that type;
* attribute references ``${kind.name.attr}`` inside strings: the kind must be known, the resource
  declared, and ``attr`` one of the kind's outputs or spec fields (each becomes an edge).

Every problem is a diagnostic with a did-you-mean where one is close; nothing here raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from reconciler.refs import AttrRef, RefTo, find_refs, is_unresolved

from ._entry import Entry, Path_, Registry, dotted, leaves, where
from ._types import find_typed_refs, model_fields_by_key
from .diagnostics import SourceLoc, did_you_mean
from .report import Findings

if TYPE_CHECKING:
    from .loader import KindSchema

__all__ = ["RefChecker"]


def _did_you_mean(word: str, choices: Any) -> str | None:
    suggestion = did_you_mean(word, choices)
    return f"did you mean '{suggestion}'?" if suggestion else None


class RefChecker:
    """Checks the references of entries against ``registry``; records edges in ``depends``."""

    def __init__(self, kinds: Mapping[str, KindSchema], registry: Registry, findings: Findings) -> None:
        self.kinds = kinds
        self.registry = registry
        self.findings = findings

    def typed_refs(
        self, entry: Entry, value: Any, model: type[BaseModel], depends: set[str]
    ) -> list[tuple[Path_, RefTo, str]]:
        """Check every ``RefTo`` field of ``value`` (a model instance or plain data of ``model``).
        Returns what ``find_typed_refs(value, model)`` found: ``(path, RefTo, name)``."""
        found = find_typed_refs(value, model)
        for path, ref, name in found:
            if is_unresolved(name):
                continue  # an attribute reference; checked and recorded as such
            loc = entry.value_loc(path)
            place = where(entry.address, path)
            if path and entry.locs(path) is None:
                place += " (default value)"
                loc = entry.key_loc
            if ref.connection_type is not None:
                self._connection_ref(entry, ref, name, loc, place)
            else:
                self._name_ref(entry, ref, name, loc, place, depends)
        return found

    def attr_refs(self, entry: Entry, depends: set[str]) -> list[tuple[str, AttrRef]]:
        """``(dotted path, ref)`` of each valid ``${kind.name.attr}`` in the entry's data."""
        out: list[tuple[str, AttrRef]] = []
        for path, value in leaves(entry.data):
            if not isinstance(value, str) or "${" not in value:
                continue
            for ref in find_refs(value):
                raw = str(ref)
                loc = entry.file.parsed.locate((*entry.base, *path), raw) or entry.value_loc(path)
                if self._attr_ref(entry, ref, raw, loc):
                    out.append((dotted(path), ref))
                    depends.add(ref.address)
        return out

    def _connection_ref(self, entry: Entry, ref: RefTo, name: str, loc: SourceLoc, place: str) -> None:
        ctype = ref.connection_type
        conn = self.registry.connections.get(name)
        if conn is None:
            candidates = [
                n
                for n, c in self.registry.connections.items()
                if not ctype or (isinstance(c.raw, dict) and c.raw.get("type") == ctype)
            ]
            what = f"{ctype} connection" if ctype else "connection"
            self.findings.undeclared_name(
                f"{place} names {what} '{name}', which is not declared",
                loc, name=name, declared=candidates, what=f"{what}s", address=entry.address,
                ref=("connections", name),
            )
            return
        actual = conn.raw.get("type") if isinstance(conn.raw, dict) else None
        if ctype and isinstance(actual, str) and actual != ctype:
            self.findings.error(
                f"{place} names connection '{name}' of type {actual}, not {ctype}",
                loc,
                detail=f"connection '{name}' is defined at {conn.key_loc}",
                address=entry.address,
            )

    def _name_ref(self, entry: Entry, ref: RefTo, name: str, loc: SourceLoc, place: str, depends: set[str]) -> None:
        if ref.kind not in self.kinds:
            self.findings.error(
                f"{place}: internal error: RefTo names unknown kind '{ref.kind}'", loc, address=entry.address
            )
            return
        address = f"{ref.kind}.{name}"
        if address not in self.registry.resources:
            self.findings.undeclared_name(
                f"{place} refers to {address}, which is not declared",
                loc, name=name, declared=self.registry.names_of(ref.kind), what=ref.kind, address=entry.address,
            )
            return
        depends.add(address)

    def _attr_ref(self, entry: Entry, ref: AttrRef, raw: str, loc: SourceLoc) -> bool:
        if ref.kind not in self.kinds:
            if ref.kind in ("env", "file"):
                hint: str | None = f"did you mean ${{{ref.kind}:...}}? ({ref.kind} takes a colon)"
            elif ref.kind == "connections":
                hint = "connections have no attributes to reference; name a connection in a typed field"
            else:
                hint = _did_you_mean(ref.kind, self.kinds)
            self.findings.error(
                f"{raw} refers to unknown kind '{ref.kind}'",
                loc,
                detail=f"known kinds: {', '.join(self.kinds)}",
                address=entry.address,
                hint=hint,
            )
            return False
        if ref.address not in self.registry.resources:
            self.findings.undeclared_name(
                f"{raw} refers to {ref.address}, which is not declared",
                loc, name=ref.name, declared=self.registry.names_of(ref.kind), what=ref.kind, address=entry.address,
            )
            return False
        kind = self.kinds[ref.kind]
        attrs = sorted(set(kind.outputs) | set(model_fields_by_key(kind.model)) | set(kind.model.model_fields))
        if ref.attr not in attrs:
            self.findings.error(
                f"{raw}: {ref.kind} has no attribute '{ref.attr}'",
                loc,
                detail=f"attributes of {ref.kind}: {', '.join(attrs)}",
                address=entry.address,
                hint=_did_you_mean(ref.attr, attrs),
            )
            return False
        return True

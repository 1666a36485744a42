"""Resolution of ``${kind.name.attr}`` references inside desired data: the one ``Resolver`` that plan
and apply share.

A reference whose value is not known yet becomes an ``Unknown`` value (a string holding the
reference as written, see ``model.Unknown``): the kinds skip their format checks for it, and the
diff and the renderers show the attribute as known after apply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.refs import AttrRef, find_refs, is_unresolved, substitute

from .model import Observed, Unknown
from .state import StateRecord

Lookup = Callable[[AttrRef], Any]


def resolve_data(data: Any, lookup: Lookup) -> Any:
    """Copy of ``data`` with every reference substituted. ``lookup`` returns the value or an
    ``Unknown``; a string holding an unknown reference becomes ``Unknown(ref, text=the string)``."""
    if isinstance(data, dict):
        return {k: resolve_data(v, lookup) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve_data(v, lookup) for v in data]
    if isinstance(data, str) and not isinstance(data, Unknown):
        refs = find_refs(data) if "${" in data else []  # most values hold no reference: no regex
        values = {ref: lookup(ref) for ref in refs}
        for ref, value in values.items():
            if isinstance(value, Unknown):
                return Unknown(ref, data)
        if refs:
            return substitute(data, values.__getitem__)
    return data


class Resolver:
    """The reference resolver of one plan or one apply.

    A reference ``${kind.name.attr}`` takes, in this order: the producer's own resolved desired
    value of ``attr`` (a scalar set in its configuration); a known scalar of its provider's planned
    outputs (``known``: ``Provider.planned_outputs``, e.g. a folder's default ``path`` or a cloud
    configuration's JCR path, known at plan time even while the object is replaced);
    ``Unknown(ref)`` when the producer is ``pending`` (it will be created, so its outputs are known
    only after apply); the producer's latest outputs (observed in this run, or returned by its
    apply); its outputs in state; else ``Unknown(ref)``.

    ``records``: the state records by address (read only). The planner marks producers pending as
    it decides their actions; the applier starts from the plan's resolved data and observations and
    feeds each action's result back with ``observe``.
    """

    def __init__(self, records: Mapping[str, StateRecord]) -> None:
        self.records = records
        self.resolved: dict[str, dict[str, Any]] = {}
        self.known: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.pending: set[str] = set()

    def observe(self, address: str, observed: Observed | None) -> None:
        """Record what ``address`` outputs now (``None``: nothing observed, state outputs are used)."""
        if observed is not None:
            self.outputs[address] = dict(observed.outputs)

    def lookup(self, ref: AttrRef) -> Any:
        """The value of ``ref`` now, or an ``Unknown`` (see the class docstring for the order)."""
        for source in (self.resolved, self.known):
            data = source.get(ref.address, {})
            if ref.attr in data:
                value = data[ref.attr]
                if not isinstance(value, dict | list) and not unresolved_paths({ref.attr: value}):
                    return value
        if ref.address in self.pending:
            return Unknown(ref)
        got = self.outputs.get(ref.address, {})
        if ref.attr in got:
            return got[ref.attr]
        rec = self.records.get(ref.address)
        if rec is not None and ref.attr in rec.outputs:
            return rec.outputs[ref.attr]
        return Unknown(ref)

    def resolve(self, address: str, data: dict[str, Any], *, refs: bool = True) -> dict[str, Any]:
        """``data`` (the desired data of ``address``) with every known reference substituted; the
        result is kept, so resources that reference ``address`` see its resolved values.
        ``refs=False``: the caller knows ``data`` holds no reference (``DesiredResource.has_refs``);
        ``data`` itself is kept and returned, not a copy (never mutated: callers copy first)."""
        out: dict[str, Any] = resolve_data(data, self.lookup) if refs else data
        self.resolved[address] = out
        return out


def unresolved_paths(attributes: Mapping[str, Any]) -> set[str]:
    """Top-level attribute names whose value is not known yet: it holds an ``Unknown``, or a string a
    kind derived from one (still showing a ``${kind.name.attr}`` reference)."""
    out = set()
    for key, value in attributes.items():
        if _contains_unresolved(value):
            out.add(key)
    return out


def _contains_unresolved(value: Any) -> bool:
    if isinstance(value, str):  # Unknown is a str too; most values are plain strings: no regex
        return isinstance(value, Unknown) or ("${" in value and is_unresolved(value))
    if isinstance(value, dict):
        return any(_contains_unresolved(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_contains_unresolved(v) for v in value)
    return False

"""Resolution of ``${kind.name.attr}`` references inside desired data.

A reference whose value is not known yet is left in place literally, so the kind's validators see an
unresolved string (and skip format checks) and the diff reports the attribute as known after apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.config.refs import AttrRef, find_refs, is_unresolved, substitute

from .model import UNKNOWN

Lookup = Callable[[AttrRef], Any]


def literal(ref: AttrRef) -> str:
    return "${" + f"{ref.kind}.{ref.name}.{ref.attr}" + "}"


def resolve_data(data: Any, lookup: Lookup) -> Any:
    """Copy of ``data`` with every known reference substituted. ``lookup`` returns the value or
    ``UNKNOWN``; unknown references stay literal."""
    if isinstance(data, dict):
        return {k: resolve_data(v, lookup) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve_data(v, lookup) for v in data]
    if isinstance(data, str) and find_refs(data):

        def one(ref: AttrRef) -> Any:
            value = lookup(ref)
            return literal(ref) if value is UNKNOWN else value

        return substitute(data, one)
    return data


def unresolved_paths(attributes: dict[str, Any]) -> set[str]:
    """Top-level attribute names whose value still holds an unresolved reference."""
    out = set()
    for key, value in attributes.items():
        if _contains_unresolved(value):
            out.add(key)
    return out


def _contains_unresolved(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_contains_unresolved(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_contains_unresolved(v) for v in value)
    return is_unresolved(value)


def refs_in(data: Any) -> list[AttrRef]:
    """Every reference in ``data`` (strings inside dicts and lists)."""
    if isinstance(data, dict):
        return [r for v in data.values() for r in refs_in(v)]
    if isinstance(data, list):
        return [r for v in data for r in refs_in(v)]
    if isinstance(data, str):
        return find_refs(data)
    return []

"""The meta keys every resource accepts besides its spec fields: ``depends_on`` and ``lifecycle``.

Both are taken out of the resource's data before its spec is validated. ``depends_on`` is a list
of resource addresses (``<kind>.<name>``) that must be declared; ``lifecycle`` is a mapping with
the keys ``prevent_destroy`` and ``allow_content_loss`` (booleans). Problems become diagnostics (nothing raises).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._entry import Entry, describe
from .diagnostics import did_you_mean

if TYPE_CHECKING:
    from .report import Findings

__all__ = ["META_KEYS", "Lifecycle", "parse_depends_on", "parse_lifecycle"]

#: keys accepted on every resource besides its spec fields (stripped before validation)
META_KEYS = ("depends_on", "lifecycle")


@dataclass
class Lifecycle:
    """Per-resource lifecycle options (the ``lifecycle:`` meta key)."""

    prevent_destroy: bool = False
    #: apply may delete or replace this resource although that destroys user content (a folder's
    #: assets); without it apply refuses such an action (unless the run allows it)
    allow_content_loss: bool = False


def parse_depends_on(entry: Entry, value: Any, resources: Mapping[str, Entry], findings: Findings) -> set[str]:
    """The addresses of ``depends_on: [...]`` that name declared resources; the rest are reported."""
    out: set[str] = set()
    if not isinstance(value, list):
        findings.error(
            f"depends_on of {entry.address} must be a list of addresses, got {describe(value)}",
            entry.value_loc(("depends_on",)),
            address=entry.address,
        )
        return out
    for i, item in enumerate(value):
        loc = entry.value_loc(("depends_on", i))
        if not isinstance(item, str) or item.count(".") != 1:
            findings.error(
                f"invalid depends_on entry {describe(item)} in {entry.address}",
                loc,
                detail="expected an address: <kind>.<name>, e.g. applications.assets-sync",
                address=entry.address,
            )
        elif item.split(".")[0] == "connections":
            findings.error(
                f"depends_on cannot name a connection ({item})",
                loc,
                detail="connections are not resources and are always available",
                address=entry.address,
            )
        elif item not in resources:
            kind = item.split(".", 1)[0]
            findings.undeclared_name(
                f"depends_on names {item}, which is not declared",
                loc, name=item, declared=sorted(a for a in resources if a.startswith(kind + ".")), what=kind,
                address=entry.address, ref=(kind, item.split(".", 1)[1]),
            )
        else:
            out.add(item)
    return out


def parse_lifecycle(entry: Entry, value: Any, findings: Findings) -> Lifecycle:
    """The :class:`Lifecycle` of ``lifecycle: {...}`` (defaults for what is missing or wrong)."""
    if value is None:
        return Lifecycle()
    if not isinstance(value, dict):
        findings.error(
            f"lifecycle of {entry.address} must be a mapping, got {describe(value)}",
            entry.value_loc(("lifecycle",)),
            detail="expected: lifecycle: {prevent_destroy: true}",
            address=entry.address,
        )
        return Lifecycle()
    result = Lifecycle()
    keys = ["prevent_destroy", "allow_content_loss"]
    for key, item in value.items():
        if key not in keys:
            suggestion = did_you_mean(key, keys)
            findings.error(
                f"unknown key '{key}' in lifecycle of {entry.address}",
                entry.key_loc_of(("lifecycle", key)),
                detail="expected one of: " + ", ".join(keys),
                address=entry.address,
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
            )
        elif not isinstance(item, bool):
            findings.error(
                f"lifecycle.{key} of {entry.address} must be a boolean, got {describe(item)}",
                entry.value_loc(("lifecycle", key)),
                address=entry.address,
            )
        else:
            setattr(result, key, item)
    return result

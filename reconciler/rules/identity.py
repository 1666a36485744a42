"""Natural keys: two declarations of one object are an error naming both places.

Each kind's natural key (what the service knows the object by, as the kind's
``Provider.identity``) is written down in :data:`KEYS` as a list of :class:`Part`\\ s, so it can be
computed offline from the declarations. Two declarations with equal keys would both adopt (or both
try to create) the same object; the error points at the second and names the first.

Parts are normalised the way the service compares them: AEM connections by environment (two
connections whose URLs name one AEM are one, :mod:`.environments`), emails case-insensitively,
JCR paths without a trailing slash. A share's folder is the folder's own natural key, so two shares
of two declarations of one folder are one share too. (Creative Cloud connections, one per AEM
environment, are checked by ``assets.creative_cloud_rules``.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.loader import LoadedConfig, ResourceDecl

from .environments import environment

DAM_ROOT = "/content/dam"


@dataclass(frozen=True)
class Part:
    """One part of a natural key: the spec field ``field`` (its default when unset), shown as
    ``label``; ``norm`` turns the value into what the service compares (``env``: the AEM/Workfront
    environment of a connection name; ``lower``; ``path``: no trailing slash; ``folder``: the named
    folder's natural key; ``name``: the resource name when unset; ``dam``: ``/content/dam/<name>``
    when unset)."""

    field: str
    label: str
    norm: str = ""


#: kind -> its natural key (kinds missing here have none that can be known offline)
KEYS: dict[str, tuple[Part, ...]] = {
    "orgs": (Part("ims_org_id", "IMS org"),),
    "applications": (Part("org", "org"), Part("name", "project name", "name")),
    "application_keys": (Part("application", "application"), Part("certificate", "certificate")),
    "cloud_configs": (Part("connection", "AEM", "env"), Part("name", "configuration", "name")),
    "replication_agents": (Part("connection", "AEM", "env"), Part("name", "agent", "name")),
    "folders": (Part("connection", "AEM", "env"), Part("path", "path", "dam")),
    "users": (Part("org", "org"), Part("email", "email", "lower")),
    "shares": (Part("folder", "folder", "folder"), Part("target", "target")),
    "workfront_integrations": (Part("workfront", "Workfront", "env"), Part("name", "name", "name")),
    "workfront_linked_folders": (
        Part("integration", "integration"),
        Part("object", "object"),
        Part("id", "id"),
        Part("name", "object name"),
        Part("folder", "folder", "path"),
    ),
    "workfront_metadata_mappings": (
        Part("integration", "integration"),
        Part("source", "source"),
        Part("target", "target"),
        Part("applies_to", "applies to"),
    ),
}


def _value(loaded: LoadedConfig, decl: ResourceDecl, part: Part) -> Any:
    value = getattr(decl.spec, part.field, None)
    if value is None and part.norm == "name":
        return decl.name
    if value is None and part.norm == "dam":
        return f"{DAM_ROOT}/{decl.name}"
    if not isinstance(value, str):
        return value
    norms: dict[str, Callable[[str], Any]] = {
        "env": lambda v: environment(loaded, v),
        "lower": str.lower,
        "path": lambda v: v.rstrip("/"),
        "dam": lambda v: v.rstrip("/"),
        "folder": lambda v: _folder_key(loaded, v),
    }
    return norms[part.norm](value) if part.norm in norms else value


def _folder_key(loaded: LoadedConfig, name: str) -> Any:
    folder = loaded.resources.get(f"folders.{name}")
    return natural_key(loaded, folder) if folder is not None else f"folders.{name}"


def natural_key(loaded: LoadedConfig, decl: ResourceDecl) -> tuple[Any, ...] | None:
    """The declaration's natural key (a tuple of normalised values), or None for a kind without one."""
    parts = KEYS.get(decl.kind)
    if parts is None:
        return None
    return tuple(_value(loaded, decl, p) for p in parts)


def _describe(decl: ResourceDecl, key: tuple[Any, ...]) -> str:
    parts = KEYS[decl.kind]
    shown = [(p.label, v) for p, v in zip(parts, key, strict=True) if v is not None and p.norm != "folder"]
    if decl.kind == "shares":
        shown.insert(0, ("folder", decl.data.get("folder")))
    return ", ".join(f"{label} {_short(v)}" for label, v in shown)


def _short(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def rule_natural_keys(loaded: LoadedConfig) -> list[Diagnostic]:
    """An error for each declaration whose natural key an earlier one already has."""
    out: list[Diagnostic] = []
    first: dict[tuple[str, tuple[Any, ...]], ResourceDecl] = {}
    for decl in loaded.resources.values():
        key = natural_key(loaded, decl)
        if key is None:
            continue
        try:
            other = first.setdefault((decl.kind, key), decl)
        except TypeError:  # an unhashable value (already reported by the loader)
            continue
        if other is decl:
            continue
        out.append(
            Diagnostic(
                "error",
                f"{decl.address} and {other.address} declare the same {decl.kind.removesuffix('s')}"
                f" ({_describe(decl, key)})",
                f"{other.address} is declared at {other.loc}; both would manage one object",
                decl.loc,
                decl.address,
                "keep one declaration per object (to rename a resource, change its key; do not copy it)",
            )
        )
    return out


RULES = [rule_natural_keys]

"""Resource kinds: one module per kind, each exporting ``KIND`` (a ``KindDef``).

``REGISTRY`` maps section names to kinds in the order they appear in documentation and schemas.
"""

from __future__ import annotations

from . import (
    application_keys,
    applications,
    cloud_configs,
    creative_cloud_connections,
    folders,
    orgs,
    replication_agents,
    shares,
    users,
    workfront_integrations,
    workfront_linked_folders,
    workfront_metadata_mappings,
)
from .base import KindDef
from .context import ProviderContext

KIND_MODULES = (
    orgs,
    applications,
    cloud_configs,
    application_keys,
    replication_agents,
    folders,
    users,
    shares,
    creative_cloud_connections,
    workfront_integrations,
    workfront_linked_folders,
    workfront_metadata_mappings,
)
"""Every kind's module, in documentation and schema order: a new kind is imported above and listed here."""

REGISTRY: dict[str, KindDef] = {m.KIND.name: m.KIND for m in KIND_MODULES}
"""Section name (``folders``) -> the kind's definition."""



def connection_type_of(kind: str) -> str | None:
    """The connection type (``aem``, ``adobe``, ``workfront``) a resource of section ``kind`` lives
    on, as its records' output ``connection`` names it: the spec's own ``connection`` field
    (``KindDef.connection_type``), else that of the kind its ``connection`` link follows
    (``applications`` -> ``orgs``: adobe). None when neither says (an unknown kind included)."""
    seen: set[str] = set()
    while kind in REGISTRY and kind not in seen:
        seen.add(kind)
        k = REGISTRY[kind]
        if k.connection_type:
            return k.connection_type
        link = k.links.get("connection")
        if link is None:
            return None
        kind = link.kind
    return None


__all__ = ["KIND_MODULES", "REGISTRY", "KindDef", "ProviderContext", "connection_type_of"]

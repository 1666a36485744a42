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

REGISTRY: dict[str, KindDef] = {
    m.KIND.name: m.KIND for m in (orgs, applications, cloud_configs, application_keys, replication_agents, folders)
}
REGISTRY.update({m.KIND.name: m.KIND for m in (users, shares, creative_cloud_connections)})
REGISTRY.update(
    {m.KIND.name: m.KIND for m in (workfront_integrations, workfront_linked_folders, workfront_metadata_mappings)}
)

__all__ = ["REGISTRY", "KindDef", "ProviderContext"]

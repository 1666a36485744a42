"""Resource kinds: one module per kind, each exporting ``KIND`` (a ``KindDef``).

``REGISTRY`` maps section names to kinds in the order they appear in documentation and schemas.
"""

from __future__ import annotations

from . import application_keys, applications, cloud_configs, folders, orgs, replication_agents
from .base import KindDef
from .context import ProviderContext

REGISTRY: dict[str, KindDef] = {
    m.KIND.name: m.KIND for m in (orgs, applications, cloud_configs, application_keys, replication_agents, folders)
}

__all__ = ["REGISTRY", "KindDef", "ProviderContext"]

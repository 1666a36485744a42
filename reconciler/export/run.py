"""One export: read every connection's service in bulk, build the entries, write the files.

``export_workspace`` is what the CLI calls; the reading is concurrent across connections (one
task per connection) and sequential within one, except the Console's per-application reads.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import data
from reconciler.config.connections import AdobeConnection, WorkfrontConnection
from reconciler.kinds import REGISTRY

from . import build_adobe as ba
from . import build_aem as bm
from . import build_workfront as bw
from .connections import export_connections
from .context import BuildContext, Filters
from .model import Export
from .read import AdobeSnapshot, AemSnapshot, WorkfrontSnapshot, read_adobe, read_aem, read_workfront
from .write import Written, plan_files, write_files

ADOBE_KINDS = frozenset({"orgs", "applications", "application_keys", "users", "creative_cloud_connections"})
AEM_KINDS = frozenset(
    {"cloud_configs", "application_keys", "replication_agents", "folders", "shares", "creative_cloud_connections"}
)
WORKFRONT_KINDS = frozenset({"workfront_integrations", "workfront_linked_folders", "workfront_metadata_mappings"})


@dataclass
class ExportResult:
    """What an export did: ``export`` (entries, skipped objects, variables), ``written`` (the files
    written, and what became of those an earlier export wrote), ``requests`` (HTTP requests sent),
    ``world_link`` (the sandbox world file the output directory was linked to, for ``sandbox://``
    connections, or None)."""

    export: Export
    written: Written = field(default_factory=Written)
    requests: int = 0
    world_link: Path | None = None


def _names(ws: Any, typ: type) -> list[str]:
    return sorted(n for n, c in ws.loaded.connections.items() if isinstance(c, typ))


async def read_all(
    ws: Any, bc: BuildContext, line: Any
) -> tuple[list[AemSnapshot], list[AdobeSnapshot], list[WorkfrontSnapshot]]:
    """Every connection's snapshot (only the kinds ``bc.filters`` selects); ``line(text)`` reports
    progress. Raises ``ApiError`` from the clients."""
    wants = frozenset(k for k in REGISTRY if bc.filters.wants(k))

    async def one(service: str, conn: str, reader: Any) -> Any:
        line(f"{service} {conn}: reading...")
        return await reader(ws.ctx, conn, wants)

    aem = [one("aem", c, read_aem) for c in bc.aem_environments()] if wants & AEM_KINDS else []
    adobe = [one("adobe", c, read_adobe) for c in _names(ws, AdobeConnection)] if wants & ADOBE_KINDS else []
    wf_names = _names(ws, WorkfrontConnection) if wants & WORKFRONT_KINDS else []
    wf = [one("workfront", c, read_workfront) for c in wf_names]
    got = await asyncio.gather(asyncio.gather(*aem), asyncio.gather(*adobe), asyncio.gather(*wf))
    return list(got[0]), list(got[1]), list(got[2])


def build(bc: BuildContext, aem: list[AemSnapshot], adobe: list[AdobeSnapshot], wf: list[WorkfrontSnapshot]) -> Export:
    """Fill ``bc.out`` from the snapshots, producers before the resources that reference them."""
    ba.build_orgs(bc, adobe)
    ba.build_applications(bc, adobe)
    bm.build_cloud_configs(bc, aem)
    ba.build_application_keys(bc, adobe, aem)
    bm.build_agents(bc, aem)
    bm.build_folders(bc, aem)
    ba.build_users(bc, adobe, bm.share_members(aem) if bc.filters.wants("shares") else set())
    bm.build_shares(bc, aem)
    bm.build_cc_connections(bc, aem)
    bw.build_integrations(bc, wf)
    bw.build_linked_folders(bc, wf)
    bw.build_mappings(bc, wf)
    return bc.out


def link_sandbox_world(ws: Any, out_dir: Path) -> Path | None:
    """For ``sandbox://`` connections: link ``out_dir/.reconciler/sandbox.db`` to the world file of
    the configuration (the embedded sandbox keeps one world per configuration directory), so that
    ``plan out_dir`` sees the world that was exported. Returns the world linked, or None (no
    sandbox connection, or ``out_dir`` already has a world of its own: left alone)."""
    urls = [str(getattr(c, a, "")) for c in ws.loaded.connections.values() for a in ("url", "ims_url", "console_url")]
    if not any(u.startswith("sandbox://") for u in urls):
        return None
    world = (ws.root / ".reconciler" / "sandbox.db").resolve()
    link = out_dir / ".reconciler" / "sandbox.db"
    if link.is_symlink() and Path(os.readlink(link)) == world:
        return world
    if link.exists() or link.is_symlink():
        return None
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(world)
    return world


async def export_workspace(ws: Any, out_dir: Path, filters: Filters, *, line: Any, force: bool = False) -> ExportResult:
    """Export what the connections of workspace ``ws`` (a ``wiring.Workspace``) observe into
    ``out_dir``. ``line(text)``: progress output. A filtered export replaces only the files of the
    kinds it covers (``filters.wants``) and ``connections.yaml``. Raises ``ApiError`` (a failed
    listing) and ``OutputExists`` (nothing written: ``out_dir`` holds files an export did not write,
    or the filters would drop resources an earlier export wrote; ``force`` overrides both)."""
    bc = BuildContext(filters, ws.loaded.connections)
    aem, adobe, wf = await read_all(ws, bc, line)
    out = build(bc, aem, adobe, wf)
    conns = export_connections(out, ws.loaded.files, ws.loaded.connections)
    source = "the services of connection" + ("s " if len(conns) != 1 else " ") + ", ".join(sorted(conns))
    written = write_files(
        out_dir, plan_files(out, conns, source), data.read_text("config"),
        covers=lambda section: section == "connections" or filters.wants(section),
        narrowing=filters.narrowing(), force=force,
    )
    result = ExportResult(out, written, ws.request_count())
    result.world_link = link_sandbox_world(ws, out_dir)
    return result

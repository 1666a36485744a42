"""Bulk reads of the live services for ``reconciler export``: the listing calls refresh uses.

One function per service, each returning a plain snapshot (dataclasses of the services' own JSON),
so that building YAML from it (``build``) is pure and testable. Every call is a client method of
``reconciler/clients/`` reached through a ``ProviderContext``; nothing here speaks HTTP itself.

Requests, per connection (none of them grows with the number of folders, agents, users, shares,
mappings or linked folders; the Console's per-application reads grow with the applications):

- AEM: ``GET <mac_service_path>.2.json`` (configurations), ``GET <config>.publickey.pem`` per
  configuration, ``GET /etc/replication/agents.author.2.json``, one Query Builder request for
  every folder under ``/content/dam`` (``p.limit=-1``, as ``folders`` refresh), ``GET
  /libs/dam/mac/shares.json``, ``GET /libs/dam/cc/connection.json``.
- Adobe: ``GET /console/organizations``; per org ``GET .../projects``; per project its
  credentials, ``GET .../integrations/{id}`` (client id, scopes) and its key bindings; per org the
  paged UMAPI ``/users`` and ``/groups`` listings.
- Workfront: the integrations listing; per integration its metadata mappings and one paged
  ``DOCFDR`` search for its AEM-linked folders (as ``workfront_linked_folders`` refresh).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Set
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reconciler.kinds import ProviderContext
from reconciler.kinds.workfront_linked_folders import FIELDS as LINKED_FOLDER_FIELDS

T = TypeVar("T")
DAM_ROOT = "/content/dam"
#: at most this many Console requests at once (the per-application reads)
CONSOLE_PARALLELISM = 4


@dataclass
class AemSnapshot:
    """What one AEM author holds. ``configs``: node name -> ``jcr:content`` of each "Adobe Experience
    Cloud" configuration page under ``root``; ``public_keys``: node name -> PEM (configurations AEM
    made a key pair for); ``agents``: agent name -> ``jcr:content`` properties; ``folders``: Query
    Builder hits (``jcr:path``, ``jcr:primaryType``, ``jcr:content``); ``shares``: the shares
    listing; ``cc``: the Creative Cloud connection (``orgId``, ``availableOrgs``), or None."""

    connection: str
    root: str
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    public_keys: dict[str, str] = field(default_factory=dict)
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: list[dict[str, Any]] = field(default_factory=list)
    shares: list[dict[str, Any]] = field(default_factory=list)
    cc: dict[str, Any] | None = None


@dataclass
class ProjectSnapshot:
    """A Developer Console project with its first workspace's first credential: ``credential`` is the
    credentials listing entry, ``integration`` the ``GET .../integrations/{id}`` answer (``apikey``,
    ``serviceProperties``), ``bindings`` the key bindings (``certificateFingerprint``)."""

    project: dict[str, Any]
    credential: dict[str, Any] | None = None
    integration: dict[str, Any] | None = None
    bindings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AdobeSnapshot:
    """What one Adobe connection sees: its Console ``orgs``; ``projects`` by Console org id;
    ``users`` and ``groups`` (UMAPI) by IMS org id."""

    connection: str
    orgs: list[dict[str, Any]] = field(default_factory=list)
    projects: dict[str, list[ProjectSnapshot]] = field(default_factory=dict)
    users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class WorkfrontSnapshot:
    """What one Workfront connection holds: ``integrations`` (the AEM integrations listing);
    ``mappings`` and ``linked`` (DOCFDR rows with ``linkedFolder``) by integration ID."""

    connection: str
    integrations: list[dict[str, Any]] = field(default_factory=list)
    mappings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    linked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


async def _bounded(limit: int, jobs: Collection[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run ``jobs`` with at most ``limit`` at once; results in the jobs' order."""
    sem = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with sem:
            return await job()

    return list(await asyncio.gather(*(one(j) for j in jobs)))


async def read_aem(ctx: ProviderContext, conn: str, wants: Set[str]) -> AemSnapshot:
    """The AEM author of connection ``conn``; ``wants``: the kinds to export (only their listings
    are asked). Raises ``ApiError`` from the client (a failed listing is never an empty one)."""
    aem = ctx.aem(conn)
    snap = AemSnapshot(conn, ctx.aem_connection(conn).mac_service_path.rstrip("/"))
    if wants & {"cloud_configs", "application_keys"}:
        tree = await aem.get_json(snap.root, depth=2) or {}
        for name, node in sorted(tree.items()):
            if isinstance(node, dict) and node.get("jcr:primaryType") == "cq:Page":
                content = node.get("jcr:content")
                snap.configs[name] = content if isinstance(content, dict) else {}
        for name in snap.configs:
            pem = await aem.get_text(f"{snap.root}/{name}.publickey.pem")
            if pem:
                snap.public_keys[name] = pem.strip() + "\n"
    if "replication_agents" in wants:
        snap.agents = await aem.list_agents("author")
    if "folders" in wants:
        snap.folders = await aem.query(
            {"path": DAM_ROOT, "type": "sling:Folder", "p.hits": "full", "p.nodedepth": "1"}, page_size=None
        )
    if "shares" in wants:
        snap.shares = await aem.list_shares()
    if "creative_cloud_connections" in wants:
        snap.cc = await aem.get_cc_connection()
    return snap


async def _project(
    ctx: ProviderContext, conn: str, org_id: str, project: dict[str, Any], keys: bool
) -> ProjectSnapshot:
    console = ctx.console(conn)
    snap = ProjectSnapshot(project)
    workspaces = (project.get("metadata") or {}).get("workspaces") or await console.list_workspaces(
        org_id, project["id"]
    )
    if not workspaces:
        return snap
    creds = await console.list_credentials(org_id, project["id"], workspaces[0]["id"])
    if not creds:
        return snap
    snap.credential = creds[0]
    cred_id = str(creds[0].get("id_integration"))
    snap.integration = await console.get_integration(org_id, cred_id)
    if keys:
        snap.bindings = await console.list_bindings(org_id, cred_id)
    return snap


async def read_adobe(ctx: ProviderContext, conn: str, wants: Set[str]) -> AdobeSnapshot:
    """The orgs, Console projects and UMAPI users of Adobe connection ``conn`` (only what ``wants``
    needs). Raises ``ApiError`` from the clients."""
    snap = AdobeSnapshot(conn)
    snap.orgs = sorted(await ctx.console(conn).list_orgs(), key=lambda o: str(o.get("code")))
    if wants & {"applications", "application_keys"}:
        keys = "application_keys" in wants
        for org in snap.orgs:
            oid = str(org["id"])
            listed = [p for p in await ctx.console(conn).list_projects(oid) if not p.get("deleted")]
            jobs = [
                lambda p=p, oid=oid: _project(ctx, conn, oid, p, keys) for p in sorted(listed, key=lambda p: p["name"])
            ]
            snap.projects[oid] = await _bounded(CONSOLE_PARALLELISM, jobs)
    if "users" in wants:
        umapi = ctx.umapi(conn)
        for org in snap.orgs:
            code = str(org["code"])
            snap.users[code] = await umapi.list_users(code)
            snap.groups[code] = await umapi.list_groups(code)
    return snap


async def read_workfront(ctx: ProviderContext, conn: str, wants: Set[str]) -> WorkfrontSnapshot:
    """The AEM integrations of Workfront connection ``conn`` with their mappings and linked folders
    (only what ``wants`` needs). Raises ``ApiError`` from the client."""
    client = ctx.workfront(conn)
    snap = WorkfrontSnapshot(conn, sorted(await client.list_integrations(), key=lambda i: str(i.get("name"))))
    for item in snap.integrations:
        iid = str(item["ID"])
        if "workfront_metadata_mappings" in wants:
            snap.mappings[iid] = await client.list_metadata_mappings(iid)
        if "workfront_linked_folders" in wants:
            snap.linked[iid] = await client.search(
                "DOCFDR",
                {"linkedFolder:externalIntegrationType": "AEM", "linkedFolder:documentProviderID": iid},
                fields=LINKED_FOLDER_FIELDS,
            )
    return snap

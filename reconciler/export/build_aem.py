"""Cloud configurations, replication agents, folders, shares and the Creative Cloud connection
from the AEM snapshots (pure: no network).

What each field is written from (so that ``plan`` on the result adopts without an update):

- ``cloud_configs``: each ``cq:Page`` under the connection's ``mac_service_path`` (``jcr:title``,
  ``tenantURL``, ``clientId`` as ``${applications.<name>.application_id}`` when that application
  is exported, ``syncEnabled``). A retired ``*.marketing.adobe.com`` tenant URL is written as it is,
  with a comment: ``validate`` reports it.
- ``replication_agents``: every agent under ``/etc/replication/agents.author`` with the properties
  the kind manages; an agent whose ``macConfig`` is an exported configuration and whose name is one
  AEM gives that configuration's agents is ``created_by`` it. ``transportPassword`` reads back
  encrypted: it is written as a commented-out ``${env:...}`` line (setting a write-only value makes
  apply write it, so an adopting plan would show an update).
- ``folders``: every folder under ``/content/dam`` (``--path-prefix`` narrows it), ``ordered`` from
  ``jcr:primaryType``, ``title`` from ``jcr:content/jcr:title``.
- ``shares``: the shares listing; members as ``users`` references. A share of an ordered folder is
  written with a comment (``validate`` reports the rule).
- ``creative_cloud_connections``: the org AEM Assets is connected to, as an ``orgs`` reference.
"""

from __future__ import annotations

import posixpath
from typing import Any, get_args

from reconciler.kinds.cloud_configs import OLD_TENANT_RE, SECRET_LIKE, agent_names
from reconciler.kinds.folders import DAM_ROOT, ORDERED
from reconciler.kinds.replication_agents import AGENTS_ROOT, PROPS, ReplicationAgentSpec, prop_value
from reconciler.refs import NAME_RE

from .context import BuildContext, sorted_by
from .model import Entry, env_name, ref, slug
from .read import AemSnapshot

#: the log levels the kind accepts (its spec's Literal)
_LOG_LEVELS = {v for a in get_args(ReplicationAgentSpec.model_fields["log_level"].annotation) for v in get_args(a)}


def _with_name(entry: Entry, name: str | None, node: str, after: str) -> None:
    """Insert ``name: <node>`` after field ``after`` when the resource name is not the node name."""
    if name is None or name == node:
        return
    items = list(entry.data.items())
    at = next(i for i, (k, _) in enumerate(items) if k == after) + 1
    entry.data = dict([*items[:at], ("name", node), *items[at:]])


def _cloud_config(bc: BuildContext, snap: AemSnapshot, node: str, content: dict[str, Any]) -> Entry:
    entry = Entry({"connection": snap.connection})
    if content.get("jcr:title") is not None:
        entry.data["title"] = content["jcr:title"]
    tenant = str(content.get("tenantURL") or "")
    entry.data["tenant_url"] = tenant
    old = OLD_TENANT_RE.match(tenant)
    if old:
        entry.notes["tenant_url"] = (
            f"the retired marketing.adobe.com URL, as AEM has it: validate reports it;"
            f" the fix is https://{old['tenant']}.experiencecloud.adobe.com"
        )
    client_id = str(content.get("clientId") or "")
    app = bc.index.get(("apps", client_id))
    if any(p.match(client_id) for p in SECRET_LIKE):
        var = env_name("cloud_config", node, "client_id")
        entry.data["client_id"] = "${env:" + var + "}"
        entry.notes["client_id"] = (
            "AEM holds what looks like a client SECRET here: not exported; set the Application ID"
        )
        bc.out.env[var] = f"the Application ID for {snap.root}/{node} (AEM holds a secret there)"
    elif app is not None:
        entry.data["client_id"] = ref("applications", app, "application_id")
        entry.notes["client_id"] = f"clientId {client_id} is the ID of applications.{app}"
    else:
        entry.data["client_id"] = client_id
    if content.get("syncEnabled") not in (True, "true"):
        entry.data["synchronization"] = "disabled"
        entry.notes["synchronization"] = "syncEnabled is false: one-way synchronization"
    entry.header.append(f"{snap.root}/{node}")
    return entry


def build_cloud_configs(bc: BuildContext, aem: list[AemSnapshot]) -> None:
    """One ``cloud_configs`` resource per "Adobe Experience Cloud" configuration page."""
    for snap in aem:
        for node, content in sorted(snap.configs.items()):
            entry = _cloud_config(bc, snap, node, content)
            base = node if NAME_RE.fullmatch(node) else slug(node, "config")
            name = bc.add("cloud_configs", base, entry, ("cloud_configs", snap.connection, node),
                          ("config-path", snap.connection, f"{snap.root}/{node}"))
            _with_name(entry, name, node, "connection")


def _agent(bc: BuildContext, snap: AemSnapshot, node: str, props: dict[str, Any]) -> Entry:
    entry = Entry({"connection": snap.connection})
    cfg_path = props.get("macConfig")
    config = bc.index.get(("config-path", snap.connection, str(cfg_path))) if cfg_path else None
    if config is not None and node in agent_names(posixpath.basename(str(cfg_path))):
        entry.data["created_by"] = config
        entry.notes["created_by"] = f"AEM made it for {cfg_path} (macConfig)"
    elif cfg_path:
        entry.header.append(f"macConfig {cfg_path}: not an exported configuration's agent, so not created_by")
    for field_name, prop in PROPS.items():
        if prop not in props:
            continue
        try:
            value = prop_value(field_name, props[prop])
        except (TypeError, ValueError):
            entry.commented.append(f"{field_name}: {props[prop]!r}  # not a number in AEM: left out")
            continue
        if field_name == "log_level" and value not in _LOG_LEVELS:
            entry.commented.append(f"log_level: {value}  # not one of {', '.join(sorted(_LOG_LEVELS))}: left out")
            continue
        entry.data[field_name] = value
    if "transportPassword" in props:
        var = env_name(snap.connection, node, "transport_password")
        entry.commented.append(
            "transport_password: ${env:" + var + "}  # write-only (AEM reads it back encrypted); uncomment to"
            " manage it: the next apply then writes it"
        )
        bc.out.optional_env[var] = f"transport password of {AGENTS_ROOT}/{node}, if you uncomment it"
    if entry.data.get("created_by"):
        entry.commented.append("test_connection: true  # run the agent's Test Connection after each apply")
    return entry


def build_agents(bc: BuildContext, aem: list[AemSnapshot]) -> None:
    """One ``replication_agents`` resource per agent on the author."""
    for snap in aem:
        for node, props in sorted(snap.agents.items()):
            entry = _agent(bc, snap, node, props)
            name = bc.add("replication_agents", node if NAME_RE.fullmatch(node) else slug(node, "agent"), entry)
            _with_name(entry, name, node, "connection")


def build_folders(bc: BuildContext, aem: list[AemSnapshot]) -> None:
    """One ``folders`` resource per folder under /content/dam (at or below ``--path-prefix``)."""
    for snap in aem:
        for hit in sorted_by(snap.folders, "jcr:path"):
            path = str(hit.get("jcr:path") or "")
            if not path.startswith(DAM_ROOT + "/"):
                continue
            if not bc.filters.takes_path(path):
                bc.out.filtered["folders"] = bc.out.filtered.get("folders", 0) + 1
                continue
            content = hit.get("jcr:content") if isinstance(hit.get("jcr:content"), dict) else {}
            entry = Entry({"connection": snap.connection, "path": path})
            if content and content.get("jcr:title") is not None:
                entry.data["title"] = content["jcr:title"]
            ordered = hit.get("jcr:primaryType") == ORDERED
            entry.data["ordered"] = ordered
            if ordered:
                entry.notes["ordered"] = "a sling:OrderedFolder: it cannot be shared to Experience or Creative Cloud"
                bc.index[("ordered", snap.connection, path)] = "yes"
            base = slug(path[len(DAM_ROOT) + 1 :], "folder")
            bc.add("folders", base, entry, ("folders", snap.connection, path))


def share_members(aem: list[AemSnapshot]) -> set[str]:
    """The lower-case emails of every share member (they are exported as users)."""
    return {str(m.get("email", "")).lower() for a in aem for s in a.shares for m in s.get("members") or []}


def _share(bc: BuildContext, snap: AemSnapshot, share: dict[str, Any], folder: str) -> Entry | str:
    """The share's entry, or why it cannot be exported."""
    entry = Entry({"folder": folder, "target": share["target"]})
    if share["target"] == "experience_cloud":
        config = bc.index.get(("config-path", snap.connection, str(share.get("cloudConfig"))))
        if config is None:
            return f"its cloud configuration {share.get('cloudConfig')} is not exported"
        entry.data["cloud_config"] = config
    else:
        members = []
        for m in sorted_by(share.get("members") or [], "email"):
            user = bc.index.get(("user-email", str(m.get("email", "")).lower()))
            if user is None:
                return f"its member {m.get('email')} is not an exported user"
            members.append({"user": user, "role": m.get("role")})
        entry.data["members"] = members
    if ("ordered", snap.connection, share["path"]) in bc.index:
        entry.header.append(
            "the folder is a sling:OrderedFolder, which cannot be shared: validate reports it; recreate it as a"
            " plain folder (ordered: false) and move its assets"
        )
    return entry


def build_shares(bc: BuildContext, aem: list[AemSnapshot]) -> None:
    """One ``shares`` resource per folder share whose folder (and members, cloud config) are exported."""
    for snap in aem:
        for share in sorted_by(snap.shares, "path", "target"):
            folder = bc.index.get(("folders", snap.connection, str(share.get("path"))))
            what = f"the share of {share.get('path')} to {share.get('target')}"
            if folder is None:
                bc.out.skip("shares", f"{what}: its folder is not exported")
                continue
            made = _share(bc, snap, share, folder)
            if isinstance(made, str):
                bc.out.skip("shares", f"{what}: {made}")
                continue
            bc.add("shares", slug(f"{folder}-{str(share['target']).replace('_', '-')}", "share"), made)


def build_cc_connections(bc: BuildContext, aem: list[AemSnapshot]) -> None:
    """The Creative Cloud org of each AEM environment, when it is connected and the org exported."""
    for snap in aem:
        org_id = (snap.cc or {}).get("orgId")
        if not org_id:
            continue
        org = bc.index.get(("orgs", str(org_id)))
        if org is None:
            bc.out.skip(
                "creative_cloud_connections", f"{snap.connection}'s Creative Cloud org {org_id} is not exported"
            )
            continue
        entry = Entry({"connection": snap.connection, "org": org})
        entry.notes["org"] = f"{(snap.cc or {}).get('orgName') or org_id}: applies to all users of the organization"
        bc.add("creative_cloud_connections", slug(snap.connection, "assets"), entry)

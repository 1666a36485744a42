"""``cloud_configs``: the AEM legacy cloud configuration "Adobe Experience Cloud" (seed 000).

Stored as a ``cq:Page`` under the connection's ``mac_service_path``
(``/etc/cloudservices/marketingcloud`` by default) with ``tenantURL``, ``clientId`` and
``syncEnabled`` on ``jcr:content``. The node path and property names are **assumed** (no public
description exists: aem-api.md §1, docs/api-fidelity.md). When the configuration is first saved,
AEM generates a key pair; its certificate is the ``public_key`` output (``<path>.publickey.pem``),
which ``application_keys`` binds to the Adobe application: the seed's "paste the public key" step.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from reconciler.config.connections import AemConnection
from reconciler.engine import Note, Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.refs import RefTo

from .base import (
    KindDef,
    KindProvider,
    Parsed,
    Read,
    Spec,
    by_connection,
    field_check,
    known_str,
    parse_named,
    prefetch_value,
    resource_name,
)

TENANT_RE = re.compile(r"^https://(?P<tenant>[a-z0-9][a-z0-9-]*)\.experiencecloud\.adobe\.com/?$")
OLD_TENANT_RE = re.compile(r"^https?://(?P<tenant>[a-z0-9][a-z0-9-]*)\.marketing\.adobe\.com/?$")
CLIENT_ID_RE = re.compile(r"^[0-9a-f]{32}$")
SECRET_LIKE = (
    re.compile(r"^p8e-[A-Za-z0-9_-]{20,}$"),
    re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I),
)
TEMPLATE = "/libs/mac/sync/templates/config"
RESOURCE_TYPE = "mac/sync/components/config"


class CloudConfigSpec(Spec):
    """An "Adobe Experience Cloud" legacy cloud configuration in AEM."""

    connection: Annotated[str, RefTo("connections:aem")] = Field(description="Name of the AEM author connection.")
    name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Node name of the configuration page; defaults to the resource name."
        " Changing it replaces the configuration.",
    )
    title: str | None = Field(default=None, description="Title shown in Tools > Cloud Services; defaults to the name.")
    tenant_url: str = Field(description="https://<tenant>.experiencecloud.adobe.com")
    client_id: str = Field(
        description="The Adobe application's ID (client ID), never its secret;"
        " usually ${applications.<name>.application_id}."
    )
    synchronization: Literal["enabled", "disabled"] = Field(
        default="enabled", description="disabled makes synchronization one-way (seed 000)."
    )

    @field_check("tenant_url")
    def _tenant(cls, v: str) -> str:
        old = OLD_TENANT_RE.match(v)
        if old:
            raise ValueError(
                f"the marketing.adobe.com tenant URL was retired when Marketing Cloud became Experience Cloud;"
                f" use https://{old['tenant']}.experiencecloud.adobe.com"
            )
        if not TENANT_RE.match(v):
            raise ValueError("must look like https://<tenant>.experiencecloud.adobe.com")
        return v.rstrip("/")

    @field_check("client_id")
    def _client_id(cls, v: str) -> str:
        if any(p.match(v) for p in SECRET_LIKE):
            raise ValueError(
                "this looks like the application's client secret, not its ID: paste the Application ID"
                " (32 hexadecimal characters), or reference ${applications.<name>.application_id}"
            )
        if not CLIENT_ID_RE.match(v):
            raise ValueError("must be an Adobe application ID: 32 lowercase hexadecimal characters")
        return v

    @model_validator(mode="after")
    def _default_title(self) -> CloudConfigSpec:
        return self


def agent_names(config_name: str) -> tuple[str, str]:
    """The replication agents AEM creates when the configuration named ``config_name`` (its node
    name) is first saved with a tenant URL and client ID: ``mac-sync-<name>`` and
    ``mac-sync-<name>-1``, under ``/etc/replication/agents.author`` (seed 000 "Test the mac-sync
    replication agents"; docs/api-fidelity.md, as the sandbox's ``aem.models._ensure_agents``)."""
    return (f"mac-sync-{config_name}", f"mac-sync-{config_name}-1")


def tenant_of(url: str) -> str | None:
    m = TENANT_RE.match(url)
    return m["tenant"] if m else None


class CloudConfigProvider(KindProvider[Parsed[CloudConfigSpec]]):
    kind = "cloud_configs"
    replace_fields = frozenset({"name"})

    def parse(self, address: str, data: Any) -> Parsed[CloudConfigSpec]:
        return parse_named(CloudConfigSpec, address, data)

    def _root(self, conn: str) -> str:
        return self.ctx.aem_connection(conn).mac_service_path.rstrip("/")

    def path(self, spec: Parsed[CloudConfigSpec]) -> str:
        return f"{self._root(spec.model.connection)}/{spec.model.name}"

    def planned_outputs(self, spec: Parsed[CloudConfigSpec]) -> dict[str, Any]:
        """The desired attributes and the JCR ``path`` (from the connection and ``name``): a
        replacement keeps it, so the shares that name this configuration keep it too."""
        return {**self.desired(spec), "path": self.path(spec)}

    def desired(self, spec: Parsed[CloudConfigSpec]) -> dict[str, Any]:
        m = spec.model
        return {
            "name": m.name,
            "title": m.title or m.name,
            "tenant_url": m.tenant_url,
            "client_id": m.client_id,
            "synchronization": m.synchronization,
        }

    def identity(self, spec: Parsed[CloudConfigSpec]) -> str:
        return f"{spec.model.connection}:{self.path(spec)}"

    def change_notes(self, address: str, spec: Parsed[CloudConfigSpec], observed: Observed | None) -> list[str]:
        notes = []
        if spec.model.synchronization == "disabled":
            notes.append("synchronization is disabled: assets synchronize in one direction only (seed 000)")
        if observed is None:
            notes.append(
                "AEM generates a key pair for this configuration and creates its mac-sync replication"
                " agents; the public key is bound to the application by application_keys"
            )
        return notes

    def notes(self, address: str, spec: Parsed[CloudConfigSpec], observed: Observed | None) -> list[Note]:
        return []

    def _tree(self, conn: str) -> Read:
        """The configurations of ``conn`` (``<mac_service_path>.2.json``): one read per plan."""
        root = self._root(conn)
        return ("aem-json", conn, root, 2), lambda: self.ctx.aem(conn).get_json(root, depth=2)

    def _public_key(self, conn: str, path: str) -> Read:
        """The certificate of the configuration at ``path`` (``<path>.publickey.pem``)."""
        return ("aem-text", conn, f"{path}.publickey.pem"), lambda: self.ctx.aem(conn).get_text(f"{path}.publickey.pem")

    def start_reads(self, items: list[PrefetchItem]) -> None:
        for item in items:
            conn = prefetch_value(item, "connection")
            if conn is None or not isinstance(self.ctx.connections.get(conn), AemConnection):
                continue  # not known yet, or not an AEM connection: refresh will say so
            self.start(self._tree(conn))
            if item.record is not None:
                path = item.record.remote_id
            else:
                name = known_str((item.data or {}).get("name")) or resource_name(item.address)
                path = f"{self._root(conn)}/{name}"
            self.start(self._public_key(conn, path))

    async def refresh(self, items: list[RefreshItem[Parsed[CloudConfigSpec]]]) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        for conn, group in by_connection(items).items():
            root = self._root(conn)
            tree = await self.read(self._tree(conn)) or {}
            for item in group:
                name = item.record.outputs["name"] if item.record else item.parsed.model.name
                node = tree.get(name)
                if not isinstance(node, dict) or node.get("jcr:primaryType") != "cq:Page":
                    out[item.address] = None
                    continue
                path = f"{root}/{name}"
                content = node.get("jcr:content") if isinstance(node.get("jcr:content"), dict) else {}
                out[item.address] = await self._observed(conn, path, name, content or {})
        return out

    async def lookup(self, spec: Parsed[CloudConfigSpec], record: StateRecord | None, address: str) -> Observed | None:
        """One configuration (``GET <config>.1.json``) instead of the service's listing."""
        conn = record.outputs["connection"] if record else spec.model.connection
        name = record.outputs["name"] if record else spec.model.name or ""
        path = f"{self._root(conn)}/{name}"
        node = await self.ctx.aem(conn).get_json(path, depth=1)
        if node is None or node.get("jcr:primaryType") != "cq:Page":
            return None
        content = node.get("jcr:content") if isinstance(node.get("jcr:content"), dict) else {}
        return await self._observed(conn, path, name, content or {})

    async def _observed(self, conn: str, path: str, name: str, content: dict[str, Any]) -> Observed:
        sync = content.get("syncEnabled")
        attrs = {
            "name": name,
            "title": content.get("jcr:title"),
            "tenant_url": content.get("tenantURL"),
            "client_id": content.get("clientId"),
            "synchronization": "enabled" if sync in (True, "true") else "disabled",
        }
        public_key = await self.read(self._public_key(conn, path))
        outputs: dict[str, Any] = {"path": path, "connection": conn, "name": name}
        if public_key:
            outputs["public_key"] = public_key.strip() + "\n"
        tenant = tenant_of(str(attrs["tenant_url"] or ""))
        if tenant:
            outputs["tenant"] = tenant
        return Observed(path, attrs, outputs)

    def _params(self, spec: Parsed[CloudConfigSpec], *, create: bool) -> list[tuple[str, str]]:
        m = spec.model
        params: list[tuple[str, str]] = []
        if create:
            params += [
                ("jcr:primaryType", "cq:Page"),
                ("jcr:content/jcr:primaryType", "cq:PageContent"),
                ("jcr:content/cq:template", TEMPLATE),
                ("jcr:content/sling:resourceType", RESOURCE_TYPE),
            ]
        params += [
            ("jcr:content/jcr:title", m.title or m.name or ""),
            ("jcr:content/tenantURL", m.tenant_url),
            ("jcr:content/clientId", m.client_id),
            ("jcr:content/syncEnabled", "true" if m.synchronization == "enabled" else "false"),
            ("jcr:content/syncEnabled@TypeHint", "Boolean"),
        ]
        return params

    async def _save(self, spec: Parsed[CloudConfigSpec], *, create: bool) -> Observed:
        path = self.path(spec)
        client = self.ctx.aem(spec.model.connection)
        await client.sling_post(path, self._params(spec, create=create))
        node = await client.get_json(path, depth=1) or {}
        content = node.get("jcr:content") if isinstance(node.get("jcr:content"), dict) else {}
        return await self._observed(spec.model.connection, path, spec.model.name or "", content or {})

    async def create(self, address: str, spec: Parsed[CloudConfigSpec]) -> Observed:
        return await self._save(spec, create=True)

    async def update(self, address: str, spec: Parsed[CloudConfigSpec], observed: Observed, changes: Any) -> Observed:
        return await self._save(spec, create=False)

    async def delete(self, record: StateRecord) -> None:
        await self.ctx.aem(record.outputs["connection"]).delete(record.remote_id)

    def destroy_note(self, record: StateRecord) -> str:
        return (
            "deletes the cloud configuration and its key pair; the mac-sync agents AEM created stay,"
            " and synchronization with Experience Cloud stops"
        )


KIND = KindDef(
    name="cloud_configs",
    model=CloudConfigSpec,
    outputs=frozenset({"path", "connection", "name", "public_key", "tenant"}),
    provider=CloudConfigProvider,
    description='AEM legacy cloud configuration "Adobe Experience Cloud" (seed 000).',
)

"""``replication_agents``: agents under ``/etc/replication/agents.author``.

Agents a cloud configuration makes (AEM creates the mac-sync agents when the "Adobe Experience
Cloud" configuration is saved) are declared with ``created_by`` and *adopted*: the plan waits for
the configuration, then manages only the attributes the YAML sets. ``test_connection: true`` runs
the agent's Test Connection (``<agent>.test.html``) as a health check after apply, the seed's "Test
the synchronization" step. Node layout and properties: aem-api.md §2 (confirmed).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr

from reconciler.engine import CheckResult, Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.refs import RefTo

from .base import KindDef, KindProvider, Link, Parsed, Read, Spec, by_connection, parse_named, prefetch_value
from .context import ProviderContext

AGENTS_ROOT = "/etc/replication/agents.author"

# spec field -> jcr:content property, for the plain (string/bool/int) attributes
PROPS: dict[str, str] = {
    "title": "jcr:title",
    "description": "jcr:description",
    "enabled": "enabled",
    "transport_uri": "transportUri",
    "transport_user": "transportUser",
    "serialization_type": "serializationType",
    "retry_delay_ms": "retryDelay",
    "log_level": "logLevel",
    "user_id": "userId",
}
TYPE_HINTS = {"enabled": "Boolean", "retry_delay_ms": "Long"}
_TENANT = re.compile(r"^https?://(?P<tenant>[A-Za-z0-9][A-Za-z0-9-]*)\.")


def mac_sync_properties(name: str, config_path: str, tenant_url: str) -> dict[str, str]:
    """The ``jcr:content`` properties AEM gives a mac-sync agent it creates for the configuration at
    ``config_path`` (api-fidelity.md, the "what AEM does when jcr:content has both tenantURL and
    clientId" and "what else it creates" rows): used to restore such an agent the way AEM makes it,
    so that its Test Connection (which reads ``macConfig``) works."""
    m = _TENANT.match(tenant_url)
    tenant = (m.group("tenant") if m else tenant_url).lower()
    return {
        "jcr:title": f"MAC Sync Agent ({name})",
        "jcr:description": f"Synchronises assets with Adobe Experience Cloud ({config_path})",
        "enabled": "true",
        "serializationType": "mac-sync",
        "transportUri": f"https://{tenant}.experiencecloud.adobe.com/api/sync",
        "userId": f"mac-{tenant}-replication",
        "retryDelay": "60000",
        "logLevel": "info",
        "macConfig": config_path,
    }


def prop_value(field_name: str, raw: Any) -> Any:
    """The attribute value of the agent property behind ``field_name`` (:data:`PROPS`) as AEM
    stores it in ``raw``: ``enabled`` as a boolean (AEM answers ``"true"``/``true``),
    ``retry_delay_ms`` as an int (raises ``ValueError``/``TypeError`` when it is not a number), the
    others as they are."""
    if field_name == "enabled":
        return raw in (True, "true")
    if field_name == "retry_delay_ms":
        return int(raw)
    return raw


class ReplicationAgentSpec(Spec):
    """A replication agent on the author instance. Unset attributes are left as they are."""

    connection: Annotated[str, RefTo("connections:aem")] = Field(description="Name of the AEM author connection.")
    name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        description="Agent node name under /etc/replication/agents.author; defaults to the resource name.",
    )
    created_by: Annotated[str | None, RefTo("cloud_configs")] = Field(
        default=None,
        description="The cloud configuration whose saving makes AEM create this agent (it is adopted, not created).",
    )
    title: str | None = None
    description: str | None = None
    enabled: bool | None = None
    transport_uri: str | None = None
    transport_user: str | None = None
    transport_password: SecretStr | None = Field(
        default=None, description="Write-only: changes are detected by a keyed hash."
    )
    serialization_type: str | None = None
    retry_delay_ms: int | None = Field(default=None, ge=0, description="retryDelay in milliseconds.")
    log_level: Literal["error", "info", "debug"] | None = None
    user_id: str | None = None
    test_connection: bool = Field(default=False, description="Run Test Connection after apply as a health check.")


def agents_listing(ctx: ProviderContext, conn: str) -> Read:
    """Every author replication agent of AEM connection ``conn`` (``AemClient.list_agents``, one
    request): one read per plan, shared by the waves (mac-sync agents come after their
    configuration, other agents before)."""
    return ("aem-agents", conn), lambda: ctx.aem(conn).list_agents("author")


class ReplicationAgentProvider(KindProvider[Parsed[ReplicationAgentSpec]]):
    kind = "replication_agents"
    replace_fields = frozenset({"name"})

    def parse(self, address: str, data: Any) -> Parsed[ReplicationAgentSpec]:
        return parse_named(ReplicationAgentSpec, address, data)

    def desired(self, spec: Parsed[ReplicationAgentSpec]) -> dict[str, Any]:
        m = spec.model
        out: dict[str, Any] = {"name": m.name}
        for field_name in PROPS:
            value = getattr(m, field_name)
            if value is not None:
                out[field_name] = value
        return out

    def secrets(self, spec: Parsed[ReplicationAgentSpec]) -> dict[str, str]:
        pw = spec.model.transport_password
        return {"transport_password": pw.get_secret_value()} if pw is not None else {}

    def identity(self, spec: Parsed[ReplicationAgentSpec]) -> str:
        return f"{spec.model.connection}:{AGENTS_ROOT}/{spec.model.name}"

    def adopt_from(self, spec: Parsed[ReplicationAgentSpec]) -> str | None:
        return f"cloud_configs.{spec.model.created_by}" if spec.model.created_by else None

    def health_check(self, spec: Parsed[ReplicationAgentSpec]) -> bool:
        return spec.model.test_connection

    def change_notes(
        self, address: str, spec: Parsed[ReplicationAgentSpec], observed: Observed | None
    ) -> list[str]:
        """For a missing agent a configuration creates (``created_by``, the configuration known):
        how apply restores it, the way AEM makes it (AEM itself does so only on the first save)."""
        if observed is not None or not spec.model.created_by or not spec.known("created_by_path"):
            return []
        props = mac_sync_properties(spec.model.name or "", spec.link("created_by_path"), "")
        return [
            f"AEM creates this agent only when cloud_configs.{spec.model.created_by} is first saved; a missing"
            f" one is made the way AEM makes it (serializationType=mac-sync, macConfig={props['macConfig']},"
            " transportUri and userId from the tenant), so that Test Connection works"
        ]

    def start_reads(self, items: list[PrefetchItem]) -> None:
        for conn in sorted({c for i in items if (c := prefetch_value(i, "connection")) is not None}):
            self.start(agents_listing(self.ctx, conn))

    async def refresh(self, items: list[RefreshItem[Parsed[ReplicationAgentSpec]]]) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        for conn, group in by_connection(items).items():
            agents = await self.read(agents_listing(self.ctx, conn))
            for item in group:
                name = item.record.outputs["name"] if item.record else item.parsed.model.name
                props = agents.get(name)
                out[item.address] = None if props is None else self._observed(conn, name, props)
        return out

    async def lookup(
        self, spec: Parsed[ReplicationAgentSpec], record: StateRecord | None, address: str
    ) -> Observed | None:
        """One agent (``GET <agent>.1.json``) instead of the whole listing."""
        conn = record.outputs["connection"] if record else spec.model.connection
        name = record.outputs["name"] if record else spec.model.name
        node = await self.ctx.aem(conn).get_json(f"{AGENTS_ROOT}/{name}", depth=1)
        if node is None or not isinstance(node.get("jcr:content"), dict):
            return None
        return self._observed(conn, name or "", node["jcr:content"])

    @staticmethod
    def _observed(conn: str, name: str, props: dict[str, Any]) -> Observed:
        attrs: dict[str, Any] = {"name": name}
        for field_name, prop in PROPS.items():
            if prop in props:
                try:
                    attrs[field_name] = prop_value(field_name, props[prop])
                except (TypeError, ValueError):
                    attrs[field_name] = props[prop]  # not a number in AEM: shown as it is (a change)
        path = f"{AGENTS_ROOT}/{name}"
        outputs = {"path": path, "connection": conn, "name": name}
        if props.get("macConfig"):
            outputs["created_by_path"] = props["macConfig"]
        return Observed(path, attrs, outputs)

    def _params(self, spec: Parsed[ReplicationAgentSpec], *, create: bool) -> list[tuple[str, str]]:
        """The Sling POST parameters. Creating an agent a configuration makes (``created_by``, e.g.
        one deleted by hand) also sets the properties AEM gives it (``mac_sync_properties``); what
        the YAML sets wins."""
        m = spec.model
        params: list[tuple[str, str]] = []
        if create:
            params += [
                ("jcr:primaryType", "cq:Page"),
                ("jcr:content/jcr:primaryType", "cq:PageContent"),
                ("jcr:content/sling:resourceType", "/libs/cq/replication/components/agent"),
                ("jcr:content/cq:template", "/libs/cq/replication/templates/agent"),
            ]
            if m.created_by and spec.known("created_by_path", "created_by_tenant_url"):
                own = {PROPS[f] for f in PROPS if getattr(m, f) is not None}
                path, tenant_url = spec.link("created_by_path"), spec.link("created_by_tenant_url")
                aem = mac_sync_properties(m.name or "", path, tenant_url)
                params += [(f"jcr:content/{k}", v) for k, v in aem.items() if k not in own]
        for field_name, prop in PROPS.items():
            value = getattr(m, field_name)
            if value is None:
                continue
            params.append((f"jcr:content/{prop}", str(value).lower() if isinstance(value, bool) else str(value)))
            if field_name in TYPE_HINTS:
                params.append((f"jcr:content/{prop}@TypeHint", TYPE_HINTS[field_name]))
        if m.transport_password is not None:
            params.append(("jcr:content/transportPassword", m.transport_password.get_secret_value()))
        return params

    async def _save(self, spec: Parsed[ReplicationAgentSpec], *, create: bool) -> Observed:
        conn = spec.model.connection
        client = self.ctx.aem(conn)
        path = f"{AGENTS_ROOT}/{spec.model.name}"
        await client.sling_post(path, self._params(spec, create=create))
        node = await client.get_json(path, depth=1) or {}
        content = node.get("jcr:content") if isinstance(node.get("jcr:content"), dict) else {}
        return self._observed(conn, spec.model.name or "", content or {})

    async def create(self, address: str, spec: Parsed[ReplicationAgentSpec]) -> Observed:
        return await self._save(spec, create=True)

    async def update(
        self, address: str, spec: Parsed[ReplicationAgentSpec], observed: Observed, changes: Any
    ) -> Observed:
        return await self._save(spec, create=False)

    async def delete(self, record: StateRecord) -> None:
        await self.ctx.aem(record.outputs["connection"]).delete(record.remote_id)

    async def check(self, address: str, spec: Parsed[ReplicationAgentSpec], observed: Observed) -> CheckResult:
        result = await self.ctx.aem(spec.model.connection).test_agent(spec.model.name or "", "author")
        return CheckResult(result.ok, result.message)


KIND = KindDef(
    name="replication_agents",
    model=ReplicationAgentSpec,
    outputs=frozenset({"path", "connection", "name", "created_by_path"}),
    provider=ReplicationAgentProvider,
    description="Replication agents on the author (mac-sync agents are adopted with created_by).",
    links={
        "created_by_path": Link("created_by", "cloud_configs", "path"),
        "created_by_tenant_url": Link("created_by", "cloud_configs", "tenant_url"),
    },
)

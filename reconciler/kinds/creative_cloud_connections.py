"""``creative_cloud_connections``: the Creative Cloud org an AEM Assets environment is connected to
(seed 001, "Connect AEM Assets to Creative Cloud": Settings > Creative Cloud > Switch orgs).

One per AEM connection (a load-time rule in rules/assets.py names both places otherwise). The
target org must have an active Creative Cloud entitlement (a plan-time error otherwise), and the
plan says that the switch applies to all users of the organization, with the old and the new org.
The switch needs administrator privileges on the AEM instance (seed 001): ``plan`` checks that the
connection's user is ``admin`` or a member of ``administrators`` and gives an error note if not.
The AEM endpoints are **assumed** (docs/api-fidelity.md): ``GET /libs/dam/cc/connection.json``
(current org and the orgs the administrator can choose, with their entitlement) and
``POST /libs/dam/cc/connection`` with ``{"orgId": ...}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from reconciler.engine import Note, Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.refs import RefTo

from .base import KindDef, KindProvider, Link, Parsed, Read, Spec, parse_model, prefetch_value
from .context import ProviderContext
from .shares import admin_notes, admin_read


def cc_read(ctx: ProviderContext, conn: str) -> Read:
    """The Creative Cloud connection state of AEM connection ``conn`` (``AemClient.get_cc_connection``)."""
    return ("aem-cc", conn), lambda: ctx.aem(conn).get_cc_connection()


class CreativeCloudConnectionSpec(Spec):
    """The Creative Cloud org AEM Assets uses for every user (one at a time)."""

    connection: Annotated[str, RefTo("connections:aem")] = Field(description="The AEM Assets (author) connection.")
    org: Annotated[str, RefTo("orgs")] = Field(
        description="The org (a resource of kind orgs) with the active Creative Cloud entitlement to connect to."
    )


class CreativeCloudConnectionProvider(KindProvider[Parsed[CreativeCloudConnectionSpec]]):
    kind = "creative_cloud_connections"

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        self._state: dict[str, dict[str, Any]] = {}
        self._admin: dict[str, tuple[bool, str]] = {}  # AEM connection -> (is administrator, user)

    def parse(self, address: str, data: Any) -> Parsed[CreativeCloudConnectionSpec]:
        return parse_model(CreativeCloudConnectionSpec, address, data)

    def desired(self, spec: Parsed[CreativeCloudConnectionSpec]) -> dict[str, Any]:
        return {"ims_org_id": spec.link("ims_org_id")}

    def identity(self, spec: Parsed[CreativeCloudConnectionSpec]) -> str:
        return f"{spec.model.connection}: Settings > Creative Cloud"

    async def _read(self, conn: str) -> dict[str, Any]:
        state: dict[str, Any] = await self.read(cc_read(self.ctx, conn))
        return state

    def start_reads(self, items: list[PrefetchItem]) -> None:
        self._admin.clear()  # asked again by each plan
        for conn in sorted({c for i in items if (c := prefetch_value(i, "connection")) is not None}):
            self.start(admin_read(self.ctx, conn))
            self.start(cc_read(self.ctx, conn))

    async def refresh(
        self, items: list[RefreshItem[Parsed[CreativeCloudConnectionSpec]]]
    ) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        for item in items:
            conn = item.record.outputs["connection"] if item.record else item.parsed.model.connection
            if conn not in self._admin:
                self._admin[conn] = await self.read(admin_read(self.ctx, conn))
            state = await self._read(conn)
            self._state[item.address] = state
            out[item.address] = self._observed(conn, state)
        return out

    @staticmethod
    def _observed(conn: str, state: dict[str, Any]) -> Observed | None:
        if not state.get("orgId"):
            return None
        return Observed(
            f"{conn}:creative-cloud",
            {"ims_org_id": state["orgId"]},
            {"connection": conn, "ims_org_id": state["orgId"], "org_name": state.get("orgName") or ""},
        )

    def _org_label(self, address: str, org: str | None) -> str:
        for o in self._state.get(address, {}).get("availableOrgs") or []:
            if o.get("orgId") == org:
                return f"{o.get('name')} ({org})"
        return str(org)

    def notes(self, address: str, spec: Parsed[CreativeCloudConnectionSpec], observed: Observed | None) -> list[Note]:
        conn = spec.model.connection
        admin = admin_notes(self._admin.get(conn), conn, "connecting AEM Assets to a Creative Cloud org")
        if admin:
            return admin
        if not spec.known("ims_org_id"):
            return []
        org = spec.link("ims_org_id")
        available = {o.get("orgId"): o for o in self._state.get(address, {}).get("availableOrgs") or []}
        if org not in available:
            return [
                Note(
                    "error",
                    f"AEM Assets of connection {spec.model.connection} cannot connect to {org}:"
                    " the org is not among those its administrator can choose",
                    "the AEM administrator needs access to that IMS org",
                )
            ]
        if not available[org].get("creativeCloudEntitled"):
            return [
                Note(
                    "error",
                    f"{self._org_label(address, org)} has no active Creative Cloud entitlement",
                    "connect AEM Assets to the org where Creative Cloud is provisioned",
                )
            ]
        return []

    def change_notes(
        self,
        address: str,
        spec: Parsed[CreativeCloudConnectionSpec],
        observed: Observed | None,
    ) -> list[str]:
        old = observed.attributes.get("ims_org_id") if observed else None
        new = spec.link("ims_org_id")
        if old == new:
            return []
        return [
            f"switches the Creative Cloud org of AEM Assets ({spec.model.connection}) from"
            f" {self._org_label(address, old) if old else 'none'} to {self._org_label(address, new)}:"
            " the switch applies to all users of the organization (one Creative Cloud org at a time)"
        ]

    def destroy_note(self, record: StateRecord) -> str:
        return (
            f"disconnects AEM Assets from the Creative Cloud org {record.outputs.get('ims_org_id')}"
            " for all users of the organization"
        )

    async def _switch(self, conn: str, org: str | None) -> Observed | None:
        return self._observed(conn, await self.ctx.aem(conn).set_cc_connection(org))

    async def create(self, address: str, spec: Parsed[CreativeCloudConnectionSpec]) -> Observed:
        obs = await self._switch(spec.model.connection, str(spec.link("ims_org_id")))
        assert obs is not None
        return obs

    async def update(
        self, address: str, spec: Parsed[CreativeCloudConnectionSpec], observed: Observed, changes: Any
    ) -> Observed:
        return await self.create(address, spec)

    async def delete(self, record: StateRecord) -> None:
        await self._switch(record.outputs["connection"], None)


KIND = KindDef(
    name="creative_cloud_connections",
    model=CreativeCloudConnectionSpec,
    outputs=frozenset({"connection", "ims_org_id", "org_name"}),
    provider=CreativeCloudConnectionProvider,
    links={"ims_org_id": Link("org", "orgs", "ims_org_id")},
    description="The Creative Cloud org AEM Assets is connected to (seed 001; one per AEM environment).",
)

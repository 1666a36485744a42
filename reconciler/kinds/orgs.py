"""``orgs``: an IMS org, verified through the Developer Console; never created or deleted.

The Console lists the orgs the reconciler's technical account belongs to
(``GET /console/organizations``, adobe-ims-console-api.md §3); the org must be there with the
``ADMIN`` role. Output ``console_org_id`` is the numeric Console ("AMS") org id the Console's paths
need, which differs from the IMS org id (§0).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, field_validator

from reconciler.engine import Note, Observed, PrefetchItem, RefreshItem
from reconciler.refs import RefTo

from .base import KindDef, KindProvider, Parsed, Read, Spec, parse_model, prefetch_value
from .context import ProviderContext

IMS_ORG_RE = re.compile(r"^[0-9A-F]{24}@AdobeOrg$")


class OrgSpec(Spec):
    """An IMS org this configuration works in."""

    connection: Annotated[str, RefTo("connections:adobe")] = Field(description="Name of the Adobe connection.")
    ims_org_id: str = Field(description="IMS org id: 24 upper-case hexadecimal characters + @AdobeOrg.")

    @field_validator("ims_org_id")
    @classmethod
    def _org(cls, v: str) -> str:
        if v.isdigit():
            raise ValueError(f"{v} is a numeric Console org id; give the IMS org id (<24 hex>@AdobeOrg)")
        if not IMS_ORG_RE.match(v):
            raise ValueError("must be an IMS org id: 24 upper-case hexadecimal characters followed by @AdobeOrg")
        return v


def orgs_listing(ctx: ProviderContext, conn: str) -> Read:
    """The orgs of Adobe connection ``conn``'s technical account (``ConsoleClient.list_orgs``)."""
    return ("console-orgs", conn), lambda: ctx.console(conn).list_orgs()


class OrgProvider(KindProvider[Parsed[OrgSpec]]):
    kind = "orgs"
    read_only = True

    def parse(self, address: str, data: Any) -> Parsed[OrgSpec]:
        return parse_model(OrgSpec, address, data)

    def desired(self, spec: Parsed[OrgSpec]) -> dict[str, Any]:
        return {"ims_org_id": spec.model.ims_org_id}

    def identity(self, spec: Parsed[OrgSpec]) -> str:
        return spec.model.ims_org_id

    async def orgs(self, conn: str) -> dict[str, dict[str, Any]]:
        """IMS org id -> Console org entry: one request per connection per plan (``orgs_listing``)."""
        return {o.get("code"): o for o in await self.read(orgs_listing(self.ctx, conn))}

    def start_reads(self, items: list[PrefetchItem]) -> None:
        for conn in sorted({c for i in items if (c := prefetch_value(i, "connection")) is not None}):
            self.start(orgs_listing(self.ctx, conn))

    async def refresh(self, items: list[RefreshItem[Parsed[OrgSpec]]]) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        for item in items:
            # a resource only in state (it left the YAML; a destroy plan) is read through its record
            if item.spec is not None:
                conn, ims_org_id = item.spec.model.connection, item.spec.model.ims_org_id
            elif item.record is not None and item.record.outputs.get("connection") in self.ctx.connections:
                conn, ims_org_id = str(item.record.outputs["connection"]), str(item.record.outputs.get("ims_org_id"))
            else:
                out[item.address] = None
                continue
            org = (await self.orgs(conn)).get(ims_org_id)
            out[item.address] = None if org is None else _observed(org, conn, ims_org_id)
        return out

    def notes(self, address: str, spec: Parsed[OrgSpec], observed: Observed | None) -> list[Note]:
        if observed is not None and observed.outputs.get("role") != "ADMIN":
            return [
                Note(
                    "error",
                    f"the reconciler's technical account is {observed.outputs.get('role') or 'no'} member"
                    f" of {spec.model.ims_org_id}, not an administrator",
                    "creating applications needs a system administrator or developer role in the Admin Console",
                )
            ]
        return []


def _observed(org: dict[str, Any], conn: str, ims_org_id: str) -> Observed:
    """The org as the Console lists it (``org``: one entry of ``list_orgs``)."""
    outputs = {
        "console_org_id": str(org["id"]),
        "name": org.get("name", ""),
        "ims_org_id": ims_org_id,
        "connection": conn,
        "role": org.get("role", ""),
    }
    return Observed(str(org["id"]), {"ims_org_id": ims_org_id}, outputs)


KIND = KindDef(
    name="orgs",
    model=OrgSpec,
    outputs=frozenset({"console_org_id", "name", "ims_org_id", "connection"}),
    provider=OrgProvider,
    description="IMS orgs (read-only: verified, never created).",
)

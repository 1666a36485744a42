"""``workfront_metadata_mappings``: a Workfront field (built-in or ``DE:`` custom) -> an AEM property.

``applies_to: documents`` maps to asset metadata (``./jcr:content/metadata/<ns:prop>``),
``folders`` to the linked folder's metadata. ``direction`` is ``workfront_to_aem`` (the native
integration: one way only) or ``bidirectional`` where the seed 002 matrix allows it. One Workfront
field may feed many AEM properties, never the reverse (checked in ``reconciler/rules/workfront.py``).
Stored with the integration's settings, which have no public API (the sandbox defines
``/aem-integration/api/v1/integrations/{id}/metadata-mappings``). Identity: integration + source +
target + applies_to; any change of those replaces the mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from reconciler.engine import Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.refs import RefTo

from .base import (
    KindDef,
    KindProvider,
    Link,
    Parsed,
    Read,
    SharedListing,
    Spec,
    by_links,
    field_check,
    parse_model,
    prefetch_value,
)
from .context import ProviderContext

METADATA_PREFIX = "./jcr:content/metadata/"
AEM_PROP = re.compile(r"^[A-Za-z][\w-]*:[\w-]+$")


def normalise_target(target: str) -> str:
    """``./jcr:content/metadata/dc:title`` and ``dc:title`` are the same property."""
    return target[len(METADATA_PREFIX) :] if target.startswith(METADATA_PREFIX) else target


class MetadataMappingSpec(Spec):
    """One row of an integration's metadata mapping."""

    integration: Annotated[str, RefTo("workfront_integrations")] = Field(
        description="The Workfront integration (a resource of kind workfront_integrations)."
    )
    source: str = Field(
        min_length=1,
        description="Workfront field: a built-in one (name, description, referenceNumber, project:name, ...)"
        " or a custom one as DE:<field name>.",
    )
    target: str = Field(description="AEM property, e.g. wm:projectName or ./jcr:content/metadata/dc:description.")
    applies_to: Literal["documents", "folders"] = Field(
        "documents", description="documents (asset metadata) or folders (linked folder metadata)."
    )
    direction: Literal["workfront_to_aem", "bidirectional"] = Field(
        "workfront_to_aem", description="workfront_to_aem, or bidirectional where the integration type supports it."
    )

    @field_check("target")
    def _target(cls, v: str) -> str:
        v = normalise_target(v)
        if not AEM_PROP.match(v):
            raise ValueError("must be an AEM metadata property <namespace>:<name> (e.g. dc:description, xcm:keywords)")
        return v

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if v.startswith("DE:") and not v[3:].strip():
            raise ValueError("a custom field is written DE:<field name>")
        return v


def natural_key(row: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """A mapping row's natural key within its integration: (source, target, appliesTo)."""
    return (row.get("source"), row.get("target"), row.get("appliesTo"))


def mappings_listing(ctx: ProviderContext, conn: str, integration_id: str) -> Read:
    """The mappings of one integration (``WorkfrontClient.list_metadata_mappings``), one read per plan."""
    return ("wf-mappings", conn, integration_id), lambda: ctx.workfront(conn).list_metadata_mappings(integration_id)


class MetadataMappingProvider(KindProvider[Parsed[MetadataMappingSpec]]):
    kind = "workfront_metadata_mappings"
    replace_fields = frozenset({"integration_id", "source", "target", "applies_to"})

    def parse(self, address: str, data: Any) -> Parsed[MetadataMappingSpec]:
        return parse_model(MetadataMappingSpec, address, data)

    def desired(self, spec: Parsed[MetadataMappingSpec]) -> dict[str, Any]:
        m = spec.model
        return {
            "integration_id": spec.link("integration_id"),
            "source": m.source,
            "target": m.target,
            "applies_to": m.applies_to,
            "direction": m.direction,
        }

    def identity(self, spec: Parsed[MetadataMappingSpec]) -> str:
        m = spec.model
        return f"{m.integration}:{m.source}->{m.target} ({m.applies_to})"

    @staticmethod
    def _body(m: MetadataMappingSpec) -> dict[str, Any]:
        return {"source": m.source, "target": m.target, "appliesTo": m.applies_to, "direction": m.direction}

    @staticmethod
    def _observed(conn: str, iid: str, row: dict[str, Any]) -> Observed:
        attrs = {
            "integration_id": iid,
            "source": row.get("source"),
            "target": row.get("target"),
            "applies_to": row.get("appliesTo"),
            "direction": row.get("direction"),
        }
        mid = str(row["ID"])
        return Observed(mid, attrs, {"id": mid, "workfront": conn, "integration_id": iid})

    def start_reads(self, items: list[PrefetchItem]) -> None:
        keys = set()
        for item in items:
            conn = prefetch_value(item, "workfront", link="workfront")
            iid = prefetch_value(item, "integration_id", link="integration_id")
            if conn is not None and iid is not None:
                keys.add((conn, iid))
        for conn, iid in sorted(keys):
            self.start(mappings_listing(self.ctx, conn, iid))

    async def refresh(self, items: list[RefreshItem[Parsed[MetadataMappingSpec]]]) -> dict[str, Observed | None]:
        groups, pending = by_links(items, ("workfront", "integration_id"))
        out: dict[str, Observed | None] = dict.fromkeys(pending)  # their integration is being created
        for (conn, iid), group in groups.items():
            rows = [self._observed(conn, iid, r) for r in await self.read(mappings_listing(self.ctx, conn, iid))]
            by_id = {o.remote_id: o for o in rows}
            by_key = {(o.attributes["source"], o.attributes["target"], o.attributes["applies_to"]): o for o in rows}
            for item in group:
                if item.record is not None:
                    out[item.address] = by_id.get(item.record.remote_id)
                else:
                    m = item.parsed.model
                    out[item.address] = by_key.get((m.source, m.target, m.applies_to))
        return out

    def _live(self) -> SharedListing[tuple[str, str], dict[str, Any]]:
        """The integrations' mapping listings for this run's writes (one listing per integration),
        indexed by id and by natural key."""
        live: SharedListing[tuple[str, str], dict[str, Any]] = self.ctx.cache.setdefault(
            "workfront_metadata_mappings_live", SharedListing(lambda row: str(row["ID"]), natural_key)
        )
        return live

    async def lookup(
        self, spec: Parsed[MetadataMappingSpec], record: StateRecord | None, address: str
    ) -> Observed | None:
        """The live mapping before a write, by remote id (managed) or natural key (source, target,
        applies_to), from one listing of its integration per apply, kept current by this run's
        writes and indexed both ways (no scan per write): the Workfront integrations API has no
        read of one mapping by natural key."""
        if record is not None:
            conn, iid = record.outputs["workfront"], record.outputs["integration_id"]
        elif spec.known("workfront", "integration_id"):
            conn, iid = str(spec.link("workfront")), str(spec.link("integration_id"))
        else:
            return None  # its integration is created by this apply: nothing to find yet
        client = self.ctx.workfront(conn)

        def fetch() -> Any:
            return client.list_metadata_mappings(iid)

        if record is not None:
            row = await self._live().find((conn, iid), record.remote_id, fetch)
        else:
            m = spec.model
            row = await self._live().find_natural((conn, iid), (m.source, m.target, m.applies_to), fetch)
        return None if row is None else self._observed(conn, iid, row)

    async def create(self, address: str, spec: Parsed[MetadataMappingSpec]) -> Observed:
        conn, iid = str(spec.link("workfront")), str(spec.link("integration_id"))
        row = await self.ctx.workfront(conn).create_metadata_mapping(iid, self._body(spec.model))
        self._live().put((conn, iid), row)
        return self._observed(conn, iid, row)

    async def update(
        self, address: str, spec: Parsed[MetadataMappingSpec], observed: Observed, changes: Any
    ) -> Observed:
        conn, iid = observed.outputs["workfront"], observed.outputs["integration_id"]
        row = await self.ctx.workfront(conn).update_metadata_mapping(iid, observed.remote_id, self._body(spec.model))
        self._live().put((conn, iid), row)
        return self._observed(conn, iid, row)

    async def delete(self, record: StateRecord) -> None:
        o = record.outputs
        await self.ctx.workfront(o["workfront"]).delete_metadata_mapping(o["integration_id"], record.remote_id)
        self._live().drop((o["workfront"], o["integration_id"]), record.remote_id)


KIND = KindDef(
    name="workfront_metadata_mappings",
    model=MetadataMappingSpec,
    outputs=frozenset({"id"}),
    provider=MetadataMappingProvider,
    links={
        "workfront": Link("integration", "workfront_integrations", "workfront"),
        "integration_id": Link("integration", "workfront_integrations", "id"),
    },
    description="Workfront field -> AEM property mappings of an integration (seed 002).",
)

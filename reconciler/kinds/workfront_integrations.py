"""``workfront_integrations``: an Assets <-> Workfront integration of one of the four types of seed 002.

Types (``schemas/workfront-features.yaml``): ``assets_essentials`` (Workfront and Assets Essentials),
``connector`` (Workfront for AEM connector), ``enhanced_connector`` (Workfront for Experience Manager
enhanced connector, >= 1.7.4) and ``native`` (Workfront and AEM as a Cloud Service, no connector).
Every feature switched on is checked against the seed's matrix before any network call
(``reconciler/rules/workfront.py``). The repository cannot change once saved: a change replaces
the integration.

The integration's own settings have no public API (workfront-api.md §0): they are read and written
through the API the sandbox defines (``/aem-integration/api/v1/integrations``, docs/api-fidelity.md).
"""

from __future__ import annotations

import posixpath
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from reconciler.engine import Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.refs import RefTo

from .base import KindDef, KindProvider, Parsed, Read, Spec, field_check, parse_model, prefetch_value, resource_name
from .context import ProviderContext

IntegrationType = Literal["assets_essentials", "connector", "enhanced_connector", "native"]
Deployment = Literal["assets_essentials", "cloud_service", "managed_services", "on_premise"]
#: deployment value -> the seed's wording in the "Deployment methods" row
DEPLOYMENT_LABELS = {
    "assets_essentials": "Assets Essentials",
    "cloud_service": "Cloud Service",
    "managed_services": "Adobe Managed Services",
    "on_premise": "On-premise",
}
NAME_PART = re.compile(r"^(portfolio|program|project|year|DE:.+)$")
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
DAM_ROOT = "/content/dam"


def _dam_path(v: str) -> str:
    v = v.rstrip("/") or "/"
    if v != DAM_ROOT and not v.startswith(DAM_ROOT + "/"):
        raise ValueError(f"must be {DAM_ROOT} or a path under it")
    if posixpath.normpath(v) != v:
        raise ValueError("must be a normalised absolute path (no '..', '.', or '//')")
    return v


class FolderTreeNode(Spec):
    """One folder of a folder tree: a literal ``name`` or ``object_data`` (named from the project)."""

    name: str | None = Field(None, description="Literal folder name (under 100 characters, none of / : [ ] | *).")
    object_data: (
        Literal["portfolio_name", "program_name", "project_name", "project_id", "project_reference_number"] | None
    ) = Field(None, description="Name the folder from the project's data instead of a literal name.")
    linked: bool = Field(False, description="Make this folder a linked folder (the first folder of a tree always is).")
    children: list[FolderTreeNode] = Field(default_factory=list, description="Sub-folders.")

    @model_validator(mode="after")
    def _one_name(self) -> FolderTreeNode:
        if (self.name is None) == (self.object_data is None):
            raise ValueError("give exactly one of name and object_data")
        return self


class FolderTree(Spec):
    """A folder tree of the "Create linked folder" workflow (native integration)."""

    name: str = Field(description="Name of the tree.")
    default: bool = Field(False, description="The default tree for new projects.")
    folders: list[FolderTreeNode] = Field(default_factory=list, description="Top-level folders of the tree.")


class LinkedFolderSettings(Spec):
    """Automatic linked folders: where they go and how they are named."""

    enabled: bool = Field(True, description="Create linked folders automatically.")
    root_path: str = Field(DAM_ROOT, description="AEM folder under which linked folders are created.")
    name_from: list[str] = Field(
        default_factory=lambda: ["portfolio", "program", "project"],
        description="Folder path/name built from: portfolio, program, project, year, DE:<custom field>.",
    )
    folder_trees: list[FolderTree] = Field(default_factory=list, description="Folder trees (native integration).")
    project_status_trigger: str | None = Field(
        None,
        description="Create the folder when a project reaches this status (e.g. CUR); only types whose matrix"
        " row 'Automatically Create Linked AEM Folders in Workfront' (project statuses) is supported.",
    )

    @field_check("root_path")
    def _root(cls, v: str) -> str:
        return _dam_path(v)

    @field_validator("name_from")
    @classmethod
    def _name_from(cls, v: list[str]) -> list[str]:
        for part in v:
            if not NAME_PART.match(part):
                raise ValueError(f"unknown name part {part!r}: use portfolio, program, project, year or DE:<field>")
        return v


class WorkfrontIntegrationSpec(Spec):
    """An Assets <-> Workfront integration."""

    workfront: Annotated[str, RefTo("connections:workfront")] = Field(description="The Workfront connection.")
    type: IntegrationType = Field(
        description="assets_essentials, connector (Workfront for AEM), enhanced_connector,"
        " or native (AEM as a Cloud Service)."
    )
    aem: list[Annotated[str, RefTo("connections:aem")]] = Field(
        min_length=1, description="The AEM connection(s) (environments) this integration links to Workfront."
    )
    name: str | None = Field(None, description="Integration name shown in Workfront; defaults to the resource name.")
    repository: str | None = Field(
        None,
        description="The Assets repository (native, assets_essentials)."
        " Cannot change after saving: a change replaces it.",
    )
    connector_version: str | None = Field(
        None, description="Installed connector package version, e.g. 1.9.7 (connector, enhanced_connector)."
    )
    deployment: Deployment | None = Field(
        None, description="The Assets offering: assets_essentials, cloud_service, managed_services or on_premise."
    )
    features: list[str] = Field(
        default_factory=list,
        description="Features switched on, by their keys (`reconciler validate` lists the valid keys when one is"
        " unknown).",
    )
    linked_folders: LinkedFolderSettings | None = Field(None, description="Automatic linked-folder settings.")

    @field_check("connector_version")
    def _version(cls, v: str | None) -> str | None:
        if v is not None and not VERSION_RE.match(v):
            raise ValueError("must be a version like 1.9.7")
        return v

    @field_validator("aem", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def integrations_listing(ctx: ProviderContext, conn: str) -> Read:
    """The AEM integrations of Workfront connection ``conn`` (``WorkfrontClient.list_integrations``)."""
    return ("wf-integrations", conn), lambda: ctx.workfront(conn).list_integrations()


class WorkfrontIntegrationProvider(KindProvider[Parsed[WorkfrontIntegrationSpec]]):
    kind = "workfront_integrations"
    replace_fields = frozenset({"repository", "type"})

    def parse(self, address: str, data: Any) -> Parsed[WorkfrontIntegrationSpec]:
        parsed = parse_model(WorkfrontIntegrationSpec, address, data)
        if parsed.model.name is None:
            parsed.model.name = resource_name(address)
        return parsed

    def _aem_urls(self, spec: Parsed[WorkfrontIntegrationSpec]) -> list[str]:
        return sorted(self.ctx.aem_connection(c).url for c in spec.model.aem)

    def desired(self, spec: Parsed[WorkfrontIntegrationSpec]) -> dict[str, Any]:
        m = spec.model
        out: dict[str, Any] = {
            "name": m.name,
            "type": m.type,
            "aem_urls": self._aem_urls(spec),
            "features": sorted(set(m.features)),
        }
        if m.repository is not None:
            out["repository"] = m.repository
        if m.connector_version is not None:
            out["connector_version"] = m.connector_version
        if m.linked_folders is not None:
            out["linked_folders"] = m.linked_folders.model_dump(mode="json")
        return out

    def identity(self, spec: Parsed[WorkfrontIntegrationSpec]) -> str:
        return f"{spec.model.workfront}:{spec.model.name}"

    def change_notes(
        self, address: str, spec: Parsed[WorkfrontIntegrationSpec], observed: Observed | None
    ) -> list[str]:
        if observed is None and spec.model.repository is not None:
            return [
                "the repository of a Workfront integration cannot be changed after saving (Workfront's guide"
                " to configuring the Experience Manager integration): a later change replaces it"
            ]
        return []

    def destroy_note(self, record: StateRecord) -> str:
        return "deletes the integration in Workfront; its linked folders stop syncing with AEM"

    def _body(self, spec: Parsed[WorkfrontIntegrationSpec]) -> dict[str, Any]:
        m = spec.model
        lf = m.linked_folders.model_dump(mode="json") if m.linked_folders else None
        return {
            "name": m.name,
            "type": m.type,
            "repository": m.repository,
            "aemHosts": self._aem_urls(spec),
            "connectorVersion": m.connector_version,
            "features": sorted(set(m.features)),
            "linkedFolders": lf,
        }

    @staticmethod
    def _observed(conn: str, item: dict[str, Any]) -> Observed:
        attrs: dict[str, Any] = {
            "name": item.get("name"),
            "type": item.get("type"),
            "aem_urls": sorted(item.get("aemHosts") or []),
            "features": sorted(item.get("features") or []),
        }
        if item.get("repository") is not None:
            attrs["repository"] = item["repository"]
        if item.get("connectorVersion") is not None:
            attrs["connector_version"] = item["connectorVersion"]
        if item.get("linkedFolders") is not None:
            attrs["linked_folders"] = item["linkedFolders"]
        iid = str(item["ID"])
        return Observed(iid, attrs, {"id": iid, "workfront": conn, "type": item.get("type"), "name": item.get("name")})

    def start_reads(self, items: list[PrefetchItem]) -> None:
        for conn in sorted({c for i in items if (c := prefetch_value(i, "workfront")) is not None}):
            self.start(integrations_listing(self.ctx, conn))

    async def refresh(self, items: list[RefreshItem[Parsed[WorkfrontIntegrationSpec]]]) -> dict[str, Observed | None]:
        by_conn: dict[str, list[RefreshItem]] = {}
        for item in items:
            conn = item.record.outputs["workfront"] if item.record else item.parsed.model.workfront
            by_conn.setdefault(conn, []).append(item)
        out: dict[str, Observed | None] = {}
        for conn, group in by_conn.items():
            listed = await self.read(integrations_listing(self.ctx, conn))
            by_id = {str(i.get("ID")): i for i in listed}
            by_name = {i.get("name"): i for i in listed}
            for item in group:
                found = by_id.get(item.record.remote_id) if item.record else by_name.get(item.parsed.model.name)
                out[item.address] = None if found is None else self._observed(conn, found)
        return out

    async def create(self, address: str, spec: Parsed[WorkfrontIntegrationSpec]) -> Observed:
        conn = spec.model.workfront
        made = await self.ctx.workfront(conn).create_integration(self._body(spec))
        return self._observed(conn, made)

    async def update(
        self, address: str, spec: Parsed[WorkfrontIntegrationSpec], observed: Observed, changes: Any
    ) -> Observed:
        conn = spec.model.workfront
        body = self._body(spec)
        body.pop("repository", None)  # fixed once saved
        body.pop("type", None)
        made = await self.ctx.workfront(conn).update_integration(observed.remote_id, body)
        return self._observed(conn, made)

    async def delete(self, record: StateRecord) -> None:
        await self.ctx.workfront(record.outputs["workfront"]).delete_integration(record.remote_id)


KIND = KindDef(
    name="workfront_integrations",
    model=WorkfrontIntegrationSpec,
    outputs=frozenset({"id", "type"}),
    provider=WorkfrontIntegrationProvider,
    description="Assets <-> Workfront integrations (seed 002), checked against the feature matrix.",
)

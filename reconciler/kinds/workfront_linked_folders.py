"""``workfront_linked_folders``: a Workfront project, portfolio or program linked to an AEM folder.

In Workfront a linked folder is a document folder (``DOCFDR``) whose ``linkedFolder`` (``LNKFDR``,
reachable only through ``DOCFDR.linkedFolder``) has ``externalIntegrationType=AEM``, the
integration as ``documentProviderID`` and the AEM folder as ``externalStorageID``
(workfront-api.md §3). All linked folders of one integration are observed with one paged search
(``$$LIMIT`` 2000), and objects named by ``name`` are looked up with one ``name_Mod=in`` search per
object type, so a no-op plan does not grow with the number of folders. Links are made with the
``EXTDOC`` action ``linkExternalDocumentObjects`` and removed by deleting the Workfront folder (the
AEM folder stays).
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from reconciler.config.diagnostics import did_you_mean, listing
from reconciler.engine import Note, Observed, PrefetchItem, RefreshItem, StateRecord
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
from .errors import NotFound

ObjectType = Literal["project", "portfolio", "program"]
OBJ_CODES = {"project": "PROJ", "portfolio": "PORT", "program": "PRGM"}
ID_FIELDS = {"project": "projectID", "portfolio": "portfolioID", "program": "programID"}
WF_ID = re.compile(r"^[0-9a-f]{32}$")
DAM_ROOT = "/content/dam"
FIELDS = [
    "ID",
    "name",
    "projectID",
    "portfolioID",
    "programID",
    "linkedFolderID",
    "project:name",
    "portfolio:name",
    "program:name",
    "linkedFolder:*",
]
#: longest URI Workfront's CDN accepts is 8892 bytes; keep name lookups well below
_MAX_QUERY = 6000
#: how many existing objects a "no project named X" error lists (one search of that many)
_LISTED = 50


class LinkedFolderSpec(Spec):
    """A Workfront object linked to an AEM folder."""

    integration: Annotated[str, RefTo("workfront_integrations")] = Field(
        description="The Workfront integration (a resource of kind workfront_integrations)."
    )
    object: ObjectType = Field("project", description="What is linked: project, portfolio or program.")
    id: str | None = Field(None, description="Workfront ID of the object (32 hex characters).")
    name: str | None = Field(None, description="Or: the object's exact name, looked up in Workfront.")
    folder: str = Field(description="The AEM folder (a path under /content/dam), e.g. ${folders.x.path}.")
    folder_name: str | None = Field(
        None, description="Name of the linked folder in Workfront; defaults to the AEM folder's name."
    )

    @field_check("folder")
    def _folder(cls, v: str) -> str:
        v = v.rstrip("/")
        if not v.startswith(DAM_ROOT + "/"):
            raise ValueError(f"must be a path under {DAM_ROOT}/")
        if posixpath.normpath(v) != v:
            raise ValueError("must be a normalised absolute path (no '..', '.', or '//')")
        return v

    @field_check("id")
    def _id(cls, v: str | None) -> str | None:
        if v is not None and not WF_ID.match(v):
            raise ValueError("a Workfront ID is 32 lowercase hex characters")
        return v

    @model_validator(mode="after")
    def _one_key(self) -> LinkedFolderSpec:
        if (self.id is None) == (self.name is None):
            raise ValueError("give exactly one of id and name (the Workfront object to link)")
        return self

    def effective_folder_name(self) -> str:
        return self.folder_name if self.folder_name is not None else self.folder.rstrip("/").rsplit("/", 1)[-1]


def link_key(f: Mapping[str, Any]) -> tuple[str, Any, Any]:
    """A linked folder's natural key: (object type, object ID, AEM folder) of a ``DOCFDR`` row."""
    obj = next((o for o, key in ID_FIELDS.items() if f.get(key)), "project")
    return (obj, f.get(ID_FIELDS[obj]), (f.get("linkedFolder") or {}).get("externalStorageID"))


class LinkedFolderProvider(KindProvider[Parsed[LinkedFolderSpec]]):
    kind = "workfront_linked_folders"
    replace_fields = frozenset({"integration_id", "object", "object_id", "object_name", "folder"})

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        #: address -> (connection, object type, name) of a ``name`` Workfront does not know (refresh)
        self._unknown: dict[str, tuple[str, str, str]] = {}
        #: (connection, object type) -> up to ``_LISTED`` names Workfront has, read only when one is unknown
        self._known: dict[tuple[str, str], list[str]] = {}

    def parse(self, address: str, data: Any) -> Parsed[LinkedFolderSpec]:
        return parse_model(LinkedFolderSpec, address, data)

    def desired(self, spec: Parsed[LinkedFolderSpec]) -> dict[str, Any]:
        m = spec.model
        out: dict[str, Any] = {
            "integration_id": spec.link("integration_id"),
            "object": m.object,
            "folder": m.folder,
            "folder_name": m.effective_folder_name(),
        }
        if m.id is not None:
            out["object_id"] = m.id
        else:
            out["object_name"] = m.name
        return out

    def identity(self, spec: Parsed[LinkedFolderSpec]) -> str:
        m = spec.model
        return f"{m.integration}:{m.object}:{m.id or m.name}->{m.folder}"

    def destroy_note(self, record: StateRecord) -> str:
        return "unlinks the folder in Workfront (the AEM folder and its assets stay)"

    # -- lookups ---------------------------------------------------------------------------

    async def _object_ids(self, conn: str, obj: str, names: set[str]) -> dict[str, str]:
        """name -> ID for objects of type ``obj`` (a name Workfront does not know is left out).

        Cached per run (``ctx.cache``); one search per chunk of names. A name whose search is in
        flight is awaited, not searched again and never read as "not found" before its answer came
        (concurrent creates under latency used to see the placeholder). A failed search is raised
        to every caller waiting for it and is not cached. Raises ``ApiError`` from the client.
        """
        cache: dict[tuple[str, str, str], str | None] = self.ctx.cache.setdefault("workfront_object_ids", {})
        inflight: dict[tuple[str, str, str], asyncio.Future[str | None]] = self.ctx.cache.setdefault(
            "workfront_object_ids_inflight", {}
        )
        missing = sorted(n for n in names if (conn, obj, n) not in cache and (conn, obj, n) not in inflight)
        loop = asyncio.get_running_loop()
        for n in missing:  # claimed before the first await, so a concurrent caller waits for them
            inflight[(conn, obj, n)] = loop.create_future()
        try:
            await self._search_names(conn, obj, missing, cache)
        except BaseException as exc:
            for n in missing:
                fut = inflight.pop((conn, obj, n))
                if not fut.done():
                    fut.set_exception(exc)
                    fut.exception()  # retrieved here: waiting callers still get it, no "never retrieved" log
            raise
        for n in missing:
            inflight.pop((conn, obj, n)).set_result(cache[(conn, obj, n)])
        out: dict[str, str] = {}
        for n in names:
            key = (conn, obj, n)
            if key in cache:
                value = cache[key]
            elif key in inflight:
                value = await asyncio.shield(inflight[key])
            else:  # another caller's search for it failed while this one waited for other names
                value = (await self._object_ids(conn, obj, {n})).get(n)
            if value is not None:
                out[n] = value
        return out

    async def _search_names(
        self, conn: str, obj: str, names: list[str], cache: dict[tuple[str, str, str], str | None]
    ) -> None:
        """Search ``names`` (chunked to fit a query string) and record each answer in ``cache``."""
        chunks: list[list[str]] = []
        for name in names:
            if not chunks or sum(len(n) + 12 for n in chunks[-1]) + len(name) > _MAX_QUERY:
                chunks.append([])
            chunks[-1].append(name)
        client = self.ctx.workfront(conn)
        for chunk in chunks:
            found = await client.search(OBJ_CODES[obj], [("name", chunk), ("name_Mod", "in")], fields=["ID", "name"])
            ids = {str(item.get("name")): str(item["ID"]) for item in found}
            for n in chunk:
                cache[(conn, obj, n)] = ids.get(n)

    def _linked_read(self, conn: str, integration_id: str) -> Read:
        """Every AEM-linked folder of the integration: one paged search, one read per plan."""

        def fetch() -> Any:
            return self.ctx.workfront(conn).search(
                "DOCFDR",
                {"linkedFolder:externalIntegrationType": "AEM", "linkedFolder:documentProviderID": integration_id},
                fields=FIELDS,
            )

        return ("wf-linked", conn, integration_id), fetch

    async def _linked(self, conn: str, integration_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.read(self._linked_read(conn, integration_id))
        return found

    def start_reads(self, items: list[PrefetchItem]) -> None:
        keys = set()
        for item in items:
            conn = prefetch_value(item, "workfront", link="workfront")
            iid = prefetch_value(item, "integration_id", link="integration_id")
            if conn is not None and iid is not None:
                keys.add((conn, iid))
        for conn, iid in sorted(keys):
            self.start(self._linked_read(conn, iid))

    @staticmethod
    def _observed(conn: str, integration_id: str, f: dict[str, Any]) -> Observed:
        lf = f.get("linkedFolder") or {}
        obj = next((o for o, key in ID_FIELDS.items() if f.get(key)), "project")
        obj_name = (f.get(obj) or {}).get("name") if isinstance(f.get(obj), dict) else None
        attrs = {
            "integration_id": integration_id,
            "object": obj,
            "object_id": f.get(ID_FIELDS[obj]),
            "object_name": obj_name,
            "folder": lf.get("externalStorageID"),
            "folder_name": f.get("name"),
        }
        fid = str(f["ID"])
        return Observed(
            fid,
            attrs,
            {
                "id": fid,
                "linked_folder_id": lf.get("ID"),
                "object_id": f.get(ID_FIELDS[obj]),
                "workfront": conn,
                "integration_id": integration_id,
            },
        )

    async def refresh(self, items: list[RefreshItem[Parsed[LinkedFolderSpec]]]) -> dict[str, Observed | None]:
        groups, pending = by_links(items, ("workfront", "integration_id"))
        out: dict[str, Observed | None] = dict.fromkeys(pending)  # their integration is being created
        await self._check_pending_names([i for i in items if i.address in set(pending)])
        for (conn, iid), group in groups.items():
            folders = [self._observed(conn, iid, f) for f in await self._linked(conn, iid)]
            by_id = {o.remote_id: o for o in folders}
            by_key = {(o.attributes["object"], o.attributes["object_id"], o.attributes["folder"]): o for o in folders}
            names: dict[str, set[str]] = {}
            for item in group:
                if item.record is None and item.parsed.model.id is None:
                    names.setdefault(item.parsed.model.object, set()).add(item.parsed.model.name)
            ids = {obj: await self._object_ids(conn, obj, ns) for obj, ns in names.items()}
            for item in group:
                if item.record is not None:
                    out[item.address] = by_id.get(item.record.remote_id)
                    continue
                m = item.parsed.model
                oid = m.id or ids.get(m.object, {}).get(m.name)
                out[item.address] = by_key.get((m.object, oid, m.folder)) if oid else None
                self._unknown.pop(item.address, None)  # what an earlier plan of this run found
                if oid is None and m.name is not None:
                    await self._unknown_name(conn, item.address, m.object, m.name)
        return out

    async def _check_pending_names(self, items: list[RefreshItem[Parsed[LinkedFolderSpec]]]) -> None:
        """Links whose integration is being created: nothing to observe yet, but a ``name`` is still
        looked up on the Workfront connection (when known), so that a name Workfront does not know
        stops this plan rather than the apply."""
        names: dict[tuple[str, str], dict[str, list[str]]] = {}  # (conn, object) -> name -> addresses
        for item in items:
            self._unknown.pop(item.address, None)
            m = item.parsed.model
            if m.id is None and m.name is not None and item.parsed.known("workfront"):
                key = (str(item.parsed.link("workfront")), m.object)
                names.setdefault(key, {}).setdefault(m.name, []).append(item.address)
        for (conn, obj), by_name in names.items():
            ids = await self._object_ids(conn, obj, set(by_name))
            for name, addresses in by_name.items():
                for address in addresses if name not in ids else ():
                    await self._unknown_name(conn, address, obj, name)

    async def _unknown_name(self, conn: str, address: str, obj: str, name: str) -> None:
        """Remember that Workfront has no ``obj`` named ``name`` (for :meth:`notes`), with the names it
        has: one search per connection and object type, only when a name is unknown."""
        self._unknown[address] = (conn, obj, name)
        if (conn, obj) not in self._known:
            found = await self.ctx.workfront(conn).search(OBJ_CODES[obj], fields=["name"], limit=_LISTED)
            self._known[(conn, obj)] = sorted(str(o.get("name")) for o in found)

    def notes(self, address: str, spec: Parsed[LinkedFolderSpec], observed: Observed | None) -> list[Note]:
        """A project (portfolio, program) ``name`` Workfront does not know is a plan error with the names
        it has: apply could only fail on it (no kind here creates Workfront objects)."""
        if address not in self._unknown:
            return []
        conn, obj, name = self._unknown[address]
        names = self._known.get((conn, obj), [])
        near = did_you_mean(name, names)
        first = f" (the first {_LISTED})" if len(names) >= _LISTED else ""
        return [
            Note(
                "error",
                f"Workfront has no {obj} named {name!r}" + (f"; did you mean {near}?" if near else "")
                + f"; {obj}s{first}: {listing(names) or 'none'}",
                f"name an existing {obj} exactly as Workfront shows it, or give its id",
            )
        ]

    async def lookup(self, spec: Parsed[LinkedFolderSpec], record: StateRecord | None, address: str) -> Observed | None:
        """One object, right before a write: by its ID when managed, else by its natural key."""
        if record is not None:
            conn, iid = record.outputs["workfront"], record.outputs["integration_id"]
            folder = await self.ctx.workfront(conn).get("DOCFDR", record.remote_id, fields=FIELDS)
            linked = (folder or {}).get("linkedFolder") or {}
            return self._observed(conn, iid, folder) if folder and linked.get("documentProviderID") == iid else None
        if spec is None or not spec.known("workfront", "integration_id"):
            return None
        m = spec.model
        conn, iid = str(spec.link("workfront")), str(spec.link("integration_id"))
        oid = m.id
        if oid is None:
            assert m.name is not None  # the spec sets exactly one of id and name
            oid = (await self._object_ids(conn, m.object, {m.name})).get(m.name)
        if oid is None:
            return None
        _, fetch = self._linked_read(conn, iid)
        found = await self._live_links().find_natural((conn, iid), (m.object, oid, m.folder), fetch)
        return None if found is None else self._observed(conn, iid, found)

    def _live_links(self) -> SharedListing[tuple[str, str], dict[str, Any]]:
        """Apply's look-ups of links to make: one search of an integration's linked folders per apply
        (kept current by this run's writes), indexed by (object, object id, AEM folder)."""
        live: SharedListing[tuple[str, str], dict[str, Any]] = self.ctx.cache.setdefault(
            "workfront_linked_folders_live", SharedListing(lambda f: str(f["ID"]), link_key)
        )
        return live

    async def _search_one(self, conn: str, iid: str, obj: str, oid: str, folder: str) -> dict[str, Any] | None:
        found = await self.ctx.workfront(conn).search(
            "DOCFDR",
            {
                ID_FIELDS[obj]: oid,
                "linkedFolder:documentProviderID": iid,
                "linkedFolder:externalStorageID": folder,
            },
            fields=FIELDS,
        )
        return found[0] if found else None

    # -- writes ----------------------------------------------------------------------------

    async def _resolve_id(self, conn: str, m: LinkedFolderSpec) -> str:
        if m.id is not None:
            return m.id
        assert m.name is not None
        found = await self._object_ids(conn, m.object, {m.name})
        if m.name not in found:
            known = await self.ctx.workfront(conn).search(OBJ_CODES[m.object], fields=["name"], limit=_LISTED)
            names = sorted(str(o.get("name")) for o in known)
            near = did_you_mean(m.name, names)
            first = f" (the first {_LISTED})" if len(names) >= _LISTED else ""
            raise NotFound(
                f"Workfront has no {m.object} named {m.name!r}" + (f"; did you mean {near}?" if near else "")
                + f"; {m.object}s{first}: {listing(names) or 'none'}"
            )
        return found[m.name]

    async def create(self, address: str, spec: Parsed[LinkedFolderSpec]) -> Observed:
        m = spec.model
        conn, iid = str(spec.link("workfront")), str(spec.link("integration_id"))
        client = self.ctx.workfront(conn)
        oid = await self._resolve_id(conn, m)
        objects = {m.folder: {"ID": m.folder, "name": m.effective_folder_name(), "ext": "", "isFolder": True}}
        linked = await client.action(
            "EXTDOC",
            "linkExternalDocumentObjects",
            {
                "refObjCode": OBJ_CODES[m.object],
                "refObjID": oid,
                "providerType": "AEM",
                "documentProviderID": iid,
                "objects": json.dumps(objects),
            },
        )
        made = linked.get("result") if isinstance(linked, dict) else None
        if isinstance(made, list) and len(made) == 1:
            folder = await client.get("DOCFDR", str(made[0]), fields=FIELDS)
            if folder is not None and folder.get("linkedFolder"):
                self._live_links().put((conn, iid), folder)
                return self._observed(conn, iid, folder)
        found = await self._search_one(conn, iid, m.object, oid, m.folder)
        if found is None:
            raise RuntimeError(f"Workfront did not create the linked folder for {m.folder}")
        self._live_links().put((conn, iid), found)
        return self._observed(conn, iid, found)

    async def update(self, address: str, spec: Parsed[LinkedFolderSpec], observed: Observed, changes: Any) -> Observed:
        conn, iid = observed.outputs["workfront"], observed.outputs["integration_id"]
        client = self.ctx.workfront(conn)
        await client.edit("DOCFDR", observed.remote_id, {"name": spec.model.effective_folder_name()})
        attrs = dict(observed.attributes)
        attrs["folder_name"] = spec.model.effective_folder_name()
        return Observed(observed.remote_id, attrs, {**observed.outputs, "integration_id": iid})

    async def delete(self, record: StateRecord) -> None:
        conn, iid = record.outputs["workfront"], record.outputs["integration_id"]
        await self.ctx.workfront(conn).delete("DOCFDR", record.remote_id)
        self._live_links().drop((conn, iid), record.remote_id)


KIND = KindDef(
    name="workfront_linked_folders",
    model=LinkedFolderSpec,
    outputs=frozenset({"id", "linked_folder_id", "object_id"}),
    provider=LinkedFolderProvider,
    links={
        "workfront": Link("integration", "workfront_integrations", "workfront"),
        "integration_id": Link("integration", "workfront_integrations", "id"),
    },
    description="Workfront projects, portfolios or programs linked to AEM folders (at most 100 per project).",
)

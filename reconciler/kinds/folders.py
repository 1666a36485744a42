"""``folders``: AEM Assets folders under ``/content/dam``.

Made with the Sling POST servlet as ``sling:Folder`` (``ordered: true`` makes
``sling:OrderedFolder``), never with the Assets HTTP API, which always makes ordered folders, and
ordered folders cannot be shared to Experience Cloud or Creative Cloud (seed 000; aem-api.md §4).
Observed in bulk with one Query Builder request per AEM connection. Missing parent folders
(``/content/dam/campaigns`` of ``/content/dam/campaigns/2023``) are created as ``sling:Folder``
before the folder itself; they are not managed resources (declare them to manage them).
"""

from __future__ import annotations

import posixpath
from typing import Annotated, Any

from pydantic import Field, field_validator

from reconciler.engine import Note, Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.refs import RefTo

from .base import (
    KindDef,
    KindProvider,
    Parsed,
    Read,
    SharedListing,
    SharedReads,
    Spec,
    by_connection,
    parse_model,
    prefetch_value,
    resource_name,
)
from .context import ProviderContext

DAM_ROOT = "/content/dam"
FOLDER = "sling:Folder"
ORDERED = "sling:OrderedFolder"


class FolderSpec(Spec):
    """An Assets folder."""

    connection: Annotated[str, RefTo("connections:aem")] = Field(description="Name of the AEM author connection.")
    path: str | None = Field(
        default=None,
        description="JCR path under /content/dam; defaults to /content/dam/<resource name>.",
    )
    title: str | None = Field(default=None, description="Folder title (jcr:content/jcr:title).")
    ordered: bool = Field(
        default=False,
        description="true makes a sling:OrderedFolder, which cannot be shared to Experience Cloud or Creative Cloud.",
    )

    @field_validator("path")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = v.rstrip("/")
        if not v.startswith(DAM_ROOT + "/"):
            raise ValueError(f"must be a path under {DAM_ROOT}/ (for example {DAM_ROOT}/mc-demo)")
        if posixpath.normpath(v) != v:
            raise ValueError("must be a normalised absolute path (no '..', '.', or '//')")
        return v


def folder_listing(ctx: ProviderContext, conn: str) -> Read:
    """Every folder under /content/dam of AEM connection ``conn`` (subtypes included) in one Query
    Builder request: the hits with their ``jcr:path``, ``jcr:primaryType`` and ``jcr:content``. One
    read per plan, shared by ``folders`` and ``shares`` (which needs the folders' types)."""
    predicates = {"path": DAM_ROOT, "type": FOLDER, "p.hits": "full", "p.nodedepth": "1"}
    return ("aem-folders", conn), lambda: ctx.aem(conn).query(predicates, page_size=None)


def hit_path(hit: dict[str, Any]) -> str | None:
    """The JCR path of a Query Builder hit."""
    path = hit.get("jcr:path") or hit.get("path")
    return str(path) if path else None


class FolderProvider(KindProvider[Parsed[FolderSpec]]):
    kind = "folders"
    content_unit = "asset"
    # a path change is a move (Sling :operation=move keeps the assets), not a replacement
    replace_fields = frozenset({"ordered"})
    holds_subtree = True  # Sling's :operation=delete removes the node's whole subtree

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        # (connection, ancestor path) -> made sure it exists, once per provider (see _ensure_parents)
        self._ancestors: SharedReads[tuple[str, str], bool] = SharedReads()
        # apply's look-ups of folders to create: one listing per AEM connection, kept current
        self._live: SharedListing[str, dict[str, Any]] = SharedListing(lambda hit: hit_path(hit) or "")
        # the folder paths of each AEM connection this plan's refresh listed (a move's destination check)
        self._listed: dict[str, set[str]] = {}

    def location(self, spec: Parsed[FolderSpec] | None, record: StateRecord | None) -> tuple[str, str] | None:
        if spec is not None:
            return (spec.model.connection, spec.model.path) if spec.model.path else None
        if record is not None and "connection" in record.outputs:
            return str(record.outputs["connection"]), record.remote_id
        return None

    def parse(self, address: str, data: Any) -> Parsed[FolderSpec]:
        parsed = parse_model(FolderSpec, address, data)
        if parsed.model.path is None:
            parsed.model.path = f"{DAM_ROOT}/{resource_name(address)}"
        return parsed

    def _path(self, spec: Parsed[FolderSpec]) -> str:
        return spec.model.path or ""

    def desired(self, spec: Parsed[FolderSpec]) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self._path(spec), "ordered": spec.model.ordered}
        if spec.model.title is not None:
            out["title"] = spec.model.title
        return out

    def identity(self, spec: Parsed[FolderSpec]) -> str:
        return f"{spec.model.connection}:{self._path(spec)}"

    def change_notes(self, address: str, spec: Parsed[FolderSpec], observed: Observed | None) -> list[str]:
        """A path change moves the folder (with its assets) with Sling's ``:operation=move``."""
        old = observed.attributes.get("path") if observed is not None else None
        if old and old != self._path(spec):
            return [f"moves {old} to {self._path(spec)} (Sling POST :operation=move): its assets move with it"]
        return []

    async def content_loss(self, observed: Observed, record: StateRecord | None) -> int:
        """The assets below the folder (deleting it deletes them): one Query Builder request."""
        conn = observed.outputs.get("connection") or (record.outputs.get("connection") if record else None)
        return await self.ctx.aem(conn).count_assets(observed.remote_id) if conn else 0

    def destroy_note(self, record: StateRecord) -> str:
        return f"deletes the folder {record.remote_id} and every asset in it"

    def notes(self, address: str, spec: Parsed[FolderSpec], observed: Observed | None) -> list[Note]:
        old, new = (observed.attributes.get("path") if observed is not None else None), self._path(spec)
        if old and old != new and new in self._listed.get(spec.model.connection, ()):
            return [
                Note(
                    "error",
                    f"cannot move {old} to {new}: {new} already exists (Sling's move refuses an existing"
                    " destination)",
                    f"choose another path for {address}, or move or delete {new} first",
                )
            ]
        if observed is not None and observed.attributes.get("ordered") and not spec.model.ordered:
            return [
                Note(
                    "warning",
                    f"{self._path(spec)} exists as a sling:OrderedFolder; making it plain means"
                    " deleting and recreating it with its assets",
                )
            ]
        return []

    def start_reads(self, items: list[PrefetchItem]) -> None:
        for conn in sorted({c for i in items if (c := prefetch_value(i, "connection")) is not None}):
            self.start(folder_listing(self.ctx, conn))

    async def refresh(self, items: list[RefreshItem[Parsed[FolderSpec]]]) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        for conn, group in by_connection(items).items():
            found = await self._list(conn)
            self._listed[conn] = set(found)
            for item in group:
                path = item.record.remote_id if item.record else self._path(item.parsed)
                out[item.address] = found.get(path)
        return out

    async def lookup(self, spec: Parsed[FolderSpec], record: StateRecord | None, address: str) -> Observed | None:
        """The live folder right before a write. A managed folder (``record``) is read alone
        (``GET <path>.1.json``); a folder to create is looked up by path in one listing of its AEM's
        folders per apply (``folder_listing``, kept current by this run's writes), so N creates
        cost one query, not N reads."""
        if record is None:
            conn, path = spec.model.connection, self._path(spec)
            _, fetch = folder_listing(self.ctx, conn)
            hit = await self._live.find(conn, path, fetch)
            return None if hit is None else self._observed(conn, path, hit)
        conn, path = record.outputs["connection"], record.remote_id
        node = await self.ctx.aem(conn).get_json(path, depth=1)
        if node is None or node.get("jcr:primaryType") not in (FOLDER, ORDERED):
            return None
        return self._observed(conn, path, node)

    @staticmethod
    def _observed(conn: str, path: str, node: dict[str, Any]) -> Observed:
        content = node.get("jcr:content") if isinstance(node.get("jcr:content"), dict) else {}
        attrs: dict[str, Any] = {"path": path, "ordered": node.get("jcr:primaryType") == ORDERED}
        title = content.get("jcr:title") if content else None
        if title is not None:
            attrs["title"] = title
        outputs = {"path": path, "connection": conn, "primary_type": node.get("jcr:primaryType")}
        return Observed(path, attrs, outputs)

    async def _list(self, conn: str) -> dict[str, Observed]:
        """Every folder under /content/dam (``folder_listing``, shared by the plan) by path."""
        out: dict[str, Observed] = {}
        for hit in await self.read(folder_listing(self.ctx, conn)):
            path = hit_path(hit)
            if path:
                out[path] = self._observed(conn, path, hit)
        return out

    def _params(self, spec: Parsed[FolderSpec], *, create: bool) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        if create:
            params.append(("jcr:primaryType", ORDERED if spec.model.ordered else FOLDER))
            params.append(("jcr:content/jcr:primaryType", "nt:unstructured"))
        if spec.model.title is not None:
            params.append(("jcr:content/jcr:title", spec.model.title))
        return params

    async def _ensure_parents(self, connection: str, path: str) -> None:
        """Create the missing folders between ``/content/dam`` and ``path`` as ``sling:Folder``.

        The Sling POST servlet would create them itself, typed by their parent's default child
        type (``sling:OrderedFolder`` below ``/content/dam``, ``nt:unstructured`` below a plain
        node), which is not what a user who wrote ``/content/dam/campaigns/2023`` expects: a plain
        folder, shown and shareable in the Assets UI. One ``GET <ancestor>.json`` per ancestor, top
        down; existing ancestors are left as they are. Each ancestor is checked (and made) once per
        provider: concurrent creates below one parent wait for the same check, so N creates cost
        one ``GET`` per distinct ancestor, not one per create. Raises ``ApiError`` from the client
        (a failed check is not kept: the next create checks again).
        """
        aem = self.ctx.aem(connection)
        ancestors = []
        parent = posixpath.dirname(path)
        while parent != DAM_ROOT and parent.startswith(DAM_ROOT + "/"):
            ancestors.append(parent)
            parent = posixpath.dirname(parent)
        for ancestor in reversed(ancestors):

            async def ensure(folder: str = ancestor) -> bool:
                if await aem.get_json(folder) is None:
                    await aem.sling_post(folder, [("jcr:primaryType", FOLDER)])
                return True

            await self._ancestors.get((connection, ancestor), ensure)

    async def create(self, address: str, spec: Parsed[FolderSpec]) -> Observed:
        path = self._path(spec)
        await self._ensure_parents(spec.model.connection, path)
        await self.ctx.aem(spec.model.connection).sling_post(path, self._params(spec, create=True))
        self._remember(spec.model.connection, path, spec)
        return Observed(
            path,
            self.desired(spec),
            {
                "path": path,
                "connection": spec.model.connection,
                "primary_type": ORDERED if spec.model.ordered else FOLDER,
            },
        )

    def _remember(self, conn: str, path: str, spec: Parsed[FolderSpec]) -> None:
        """Keep apply's folder listing current after this run made or changed ``path``."""
        hit: dict[str, Any] = {"jcr:path": path, "jcr:primaryType": ORDERED if spec.model.ordered else FOLDER}
        if spec.model.title is not None:
            hit["jcr:content"] = {"jcr:title": spec.model.title}
        self._live.put(conn, hit)

    async def update(self, address: str, spec: Parsed[FolderSpec], observed: Observed, changes: Any) -> Observed:
        """Set the title; a new ``path`` first moves the folder there (``AemClient.move``: Sling's
        ``:operation=move``, the assets move with it), creating missing parents as plain folders."""
        path = self._path(spec)
        aem = self.ctx.aem(spec.model.connection)
        if observed.remote_id != path:
            await self._ensure_parents(spec.model.connection, path)
            await aem.move(observed.remote_id, path)
            self._forget_below(spec.model.connection, observed.remote_id)
        await aem.sling_post(path, self._params(spec, create=False))
        self._remember(spec.model.connection, path, spec)
        attrs = dict(observed.attributes)
        attrs.update(self.desired(spec))
        return Observed(path, attrs, {**observed.outputs, "path": path})

    async def delete(self, record: StateRecord) -> None:
        conn, path = record.outputs["connection"], record.remote_id
        await self.ctx.aem(conn).delete(path)
        self._forget_below(conn, path)

    def _forget_below(self, conn: str, path: str) -> None:
        """``path`` and what was below it are gone (deleted or moved): check them again if needed."""
        self._ancestors.forget(lambda key: key[0] == conn and (key[1] == path or key[1].startswith(path + "/")))
        self._live.drop_where(conn, lambda p: p == path or p.startswith(path + "/"))


KIND = KindDef(
    name="folders",
    model=FolderSpec,
    outputs=frozenset({"path", "connection", "primary_type"}),
    provider=FolderProvider,
    description="AEM Assets folders (sling:Folder via the Sling POST servlet).",
)

"""``shares``: an Assets folder shared to Experience Cloud or to Creative Cloud (seed 000,
"Exchange assets between AEM Assets and Marketing Cloud / Creative Cloud").

Identity: folder + target. The AEM endpoints are **assumed** (docs/api-fidelity.md, "AEM author:
shares and Creative Cloud connection"): ``GET /libs/dam/mac/shares.json`` lists every share of an
author in one request, ``POST /libs/dam/mac/shares`` (JSON) shares or changes members,
``DELETE /libs/dam/mac/shares?path=&target=`` stops sharing.

Rules: an ordered folder (``sling:OrderedFolder``) cannot be shared: refused at load time when the
YAML says ``ordered: true`` (rules/assets.py) and at plan time when the live folder is ordered. A
share to ``experience_cloud`` needs a cloud configuration with synchronization enabled on the same
AEM; a share to ``creative_cloud`` has members (users of the org) with roles. A share waits for its
folder, its members and its cloud configuration's agents (graph edges: references, plus the
agents made by that configuration, added by rules/assets.py). Sharing needs administrator
privileges on the AEM instance (seed 000): ``plan`` checks that the connection's user is ``admin``
or a member of ``administrators`` (``AemClient.is_administrator``) and gives an error note if not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from reconciler.config.connections import AemConnection
from reconciler.engine import ActionFailed, Note, Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.refs import RefTo

from .base import (
    LINKS_KEY,
    KindDef,
    KindProvider,
    Link,
    Parsed,
    Read,
    SharedListing,
    Spec,
    parse_model,
    prefetch_value,
)
from .context import ProviderContext
from .folders import folder_listing, hit_path

ORDERED = "sling:OrderedFolder"
OWNERSHIP_RULE = (
    "ownership: changes to an asset propagate only from the side where it was uploaded (an asset uploaded"
    " in AEM is changed from AEM; one uploaded in {side} is changed from {side}); edits made on the other"
    " side are not synchronized back (seed 000)"
)


def admin_read(ctx: ProviderContext, conn: str) -> Read:
    """Whether the user of AEM connection ``conn`` is an administrator (``AemClient.is_administrator``):
    one read per plan, shared by ``shares`` and ``creative_cloud_connections``."""
    return ("aem-admin", conn), lambda: ctx.aem(conn).is_administrator()


def shares_listing(ctx: ProviderContext, conn: str) -> Read:
    """Every share of AEM connection ``conn`` (``AemClient.list_shares``, one request)."""
    return ("aem-shares", conn), lambda: ctx.aem(conn).list_shares()


def share_id(share: Mapping[str, Any]) -> str:
    """A share's remote id: ``<folder path>#<target>``."""
    return f"{share['path']}#{share['target']}"


def admin_notes(admin: tuple[bool, str] | None, connection: str, what: str) -> list[Note]:
    """The plan-time error when the AEM connection's user is not an administrator (seeds 000/001:
    sharing to Experience Cloud / Creative Cloud and switching the Creative Cloud org need
    administrator privileges on the AEM instance). ``admin``: ``AemClient.is_administrator()``'s
    (is admin, user id), None when it was not checked."""
    if admin is None or admin[0]:
        return []
    return [
        Note(
            "error",
            f"{what} needs administrator privileges on the AEM instance, and the user '{admin[1]}' of connection"
            f" {connection} is not an administrator (neither admin nor a member of the administrators group)",
            f"connect with an AEM administrator, or add '{admin[1]}' to the administrators group in AEM"
            " (Tools > Security > Groups)",
        )
    ]


class Member(Spec):
    """A Creative Cloud member of a share."""

    user: Annotated[str, RefTo("users")] = Field(description="The user (a resource of kind users).")
    role: Literal["viewer", "editor", "owner"] = Field(default="editor", description="Role on the shared folder.")


class ShareSpec(Spec):
    """A folder shared to Experience Cloud or Creative Cloud."""

    folder: Annotated[str, RefTo("folders")] = Field(description="The folder (a resource of kind folders).")
    target: Literal["experience_cloud", "creative_cloud"] = Field(description="Where the folder is shared.")
    cloud_config: Annotated[str | None, RefTo("cloud_configs")] = Field(
        default=None,
        description="The Adobe Experience Cloud configuration (synchronization enabled, same AEM) that"
        " carries the share; required for experience_cloud.",
    )
    members: list[Member] = Field(
        default_factory=list, description="creative_cloud only: users of the org the folder is shared with."
    )

    @model_validator(mode="after")
    def _target(self) -> ShareSpec:
        if self.target == "experience_cloud":
            if self.cloud_config is None:
                raise ValueError("a share to experience_cloud needs cloud_config (with synchronization: enabled)")
            if self.members:
                raise ValueError("members are only for target: creative_cloud")
        elif not self.members:
            raise ValueError("a share to creative_cloud needs at least one member")
        users = [m.user for m in self.members]
        dupes = sorted({u for u in users if users.count(u) > 1})
        if dupes:
            raise ValueError(f"members listed twice: {', '.join(dupes)}")
        return self


class ShareKindDef(KindDef):
    """Adds one link per member (``${users.<name>.email}``) to the usual field links."""

    def inject_links(self, data: dict[str, Any]) -> dict[str, Any]:
        out = super().inject_links(data)
        links = dict(out.get(LINKS_KEY) or {})
        for i, m in enumerate(data.get("members") or []):
            if isinstance(m, dict) and isinstance(m.get("user"), str):
                links[f"member_{i}_email"] = "${users." + m["user"] + ".email}"
        if links:
            out[LINKS_KEY] = links
        return out


def waits_for_agents(address: str, data: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Implicit dependencies of a share: the replication agents its cloud configuration makes
    (``created_by``), so that it is applied after they are adopted and enabled. The agents of every
    configuration are indexed once per ``resources`` mapping (callers pass the same mapping for
    every resource), so N shares cost one pass over the resources, not one each."""
    cfg = data.get("cloud_config")
    if not isinstance(cfg, str):
        return []
    return list(_agents_by_config(resources).get(cfg, []))


#: [the resources mapping indexed, its size then, {cloud config: agent addresses}]
_AGENT_INDEX: list[Any] = [None, 0, {}]


def _agents_by_config(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    if _AGENT_INDEX[0] is not resources or _AGENT_INDEX[1] != len(resources):
        index: dict[str, list[str]] = {}
        for addr, other in resources.items():
            made_by = other.get("created_by")
            if addr.startswith("replication_agents.") and isinstance(made_by, str):
                index.setdefault(made_by, []).append(addr)
        _AGENT_INDEX[:] = [resources, len(resources), {k: sorted(v) for k, v in index.items()}]
    found: dict[str, list[str]] = _AGENT_INDEX[2]
    return found


class ShareProvider(KindProvider[Parsed[ShareSpec]]):
    kind = "shares"
    replace_fields = frozenset({"path", "target"})

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        # apply's look-ups: one listing of an AEM's shares per apply, kept current by its writes
        self._live: SharedListing[str, dict[str, Any]] = SharedListing(share_id)
        self._folder_types: dict[str, str | None] = {}
        self._admin: dict[str, tuple[bool, str]] = {}  # AEM connection -> (is administrator, user)
        self._conn_of: dict[str, str] = {}  # address -> AEM connection

    def parse(self, address: str, data: Any) -> Parsed[ShareSpec]:
        return parse_model(ShareSpec, address, data)

    def _members(self, spec: Parsed[ShareSpec]) -> list[dict[str, Any]]:
        out = []
        for i, m in enumerate(spec.model.members):
            email = spec.link(f"member_{i}_email")
            out.append(
                {
                    "email": email.lower() if isinstance(email, str) and spec.known(f"member_{i}_email") else email,
                    "role": m.role,
                }
            )
        return sorted(out, key=lambda m: str(m["email"]))

    def desired(self, spec: Parsed[ShareSpec]) -> dict[str, Any]:
        out: dict[str, Any] = {"path": spec.link("folder_path"), "target": spec.model.target}
        if spec.model.target == "creative_cloud":
            out["members"] = self._members(spec)
        else:
            out["cloud_config"] = spec.link("cloud_config_path")
        return out

    def location(self, spec: Parsed[ShareSpec] | None, record: StateRecord | None) -> tuple[str, str] | None:
        """A share lives on its folder: deleting the folder stops the share."""
        if spec is not None:
            if not spec.known("connection", "folder_path"):
                return None
            return str(spec.link("connection")), str(spec.link("folder_path"))
        if record is not None and {"connection", "path"} <= set(record.outputs):
            return str(record.outputs["connection"]), str(record.outputs["path"])
        return None

    def identity(self, spec: Parsed[ShareSpec]) -> str:
        return f"folders.{spec.model.folder} -> {spec.model.target}"

    def change_notes(self, address: str, spec: Parsed[ShareSpec], observed: Observed | None) -> list[str]:
        side = "Experience Cloud" if spec.model.target == "experience_cloud" else "Creative Cloud"
        return [OWNERSHIP_RULE.format(side=side)]

    def notes(self, address: str, spec: Parsed[ShareSpec], observed: Observed | None) -> list[Note]:
        conn = self._conn_of.get(address)
        side = "Experience Cloud" if spec.model.target == "experience_cloud" else "Creative Cloud"
        admin = admin_notes(self._admin.get(conn) if conn else None, conn or "", f"sharing to {side}")
        if admin:
            return admin
        if self._folder_types.get(address) == ORDERED:
            return [
                Note(
                    "error",
                    f"{spec.link('folder_path')} is a sling:OrderedFolder in AEM: ordered folders cannot be shared"
                    f" to {spec.model.target.replace('_', ' ').title()}",
                    "recreate the folder as a plain folder (folders: ordered: false; made with the Sling POST servlet,"
                    " not the Assets HTTP API) and move its assets into it",
                )
            ]
        return []

    def destroy_note(self, record: StateRecord) -> str:
        return (
            f"stops sharing {record.outputs.get('path')} to {record.outputs.get('target')}; the folder and assets stay"
        )

    # -- observe -------------------------------------------------------------------------------

    async def _listing(self, conn: str) -> dict[tuple[str, str], dict[str, Any]]:
        shares = await self.read(shares_listing(self.ctx, conn))
        return {(s["path"], s["target"]): s for s in shares}

    async def _folder_types_of(self, conn: str) -> dict[str, str]:
        """Folder path -> ``jcr:primaryType`` of every folder of ``conn``, from the folder listing the
        plan shares with ``folders`` (``folders.folder_listing``), not a query of its own."""
        hits = await self.read(folder_listing(self.ctx, conn))
        return {p: str(h.get("jcr:primaryType", "")) for h in hits if (p := hit_path(h)) is not None}

    def _only_aem_connection(self) -> str | None:
        """The name of the configuration's only AEM connection, or None (none or several)."""
        names = [n for n, c in self.ctx.connections.items() if isinstance(c, AemConnection)]
        return names[0] if len(names) == 1 else None

    async def _check_admin(self, conn: str) -> tuple[bool, str]:
        """(is administrator, user) of AEM connection ``conn``, asked once per provider (in a plan,
        the plan's shared read)."""
        if conn not in self._admin:
            self._admin[conn] = await self.read(admin_read(self.ctx, conn))
        return self._admin[conn]

    def start_reads(self, items: list[PrefetchItem]) -> None:
        self._admin.clear()  # asked again by each plan
        conns = {c for i in items if (c := prefetch_value(i, "connection", link="connection")) is not None}
        if any(prefetch_value(i, "connection", link="connection") is None for i in items):
            only = self._only_aem_connection()
            if only is not None:
                conns.add(only)
        for conn in sorted(conns):
            self.start(admin_read(self.ctx, conn))
            self.start(shares_listing(self.ctx, conn))
            self.start(folder_listing(self.ctx, conn))

    async def refresh(self, items: list[RefreshItem[Parsed[ShareSpec]]]) -> dict[str, Observed | None]:
        by_conn: dict[str, list[RefreshItem]] = {}
        out: dict[str, Observed | None] = {}
        for item in items:
            if item.record is not None:
                conn = item.record.outputs["connection"]
            elif item.parsed.known("connection", "folder_path"):
                conn = str(item.parsed.link("connection"))
            else:
                out[item.address] = None  # the folder is being created
                only = self._only_aem_connection()
                if only is not None:  # its AEM is then the only one there is: check its user anyway
                    self._conn_of[item.address] = only
                    await self._check_admin(only)
                continue
            by_conn.setdefault(conn, []).append(item)
        for conn, group in by_conn.items():
            await self._check_admin(conn)
            listing = await self._listing(conn)
            types = await self._folder_types_of(conn)
            for item in group:
                self._conn_of[item.address] = conn
                if item.spec is not None and item.spec.known("folder_path"):
                    self._folder_types[item.address] = types.get(str(item.spec.link("folder_path")))
                out[item.address] = self._found(conn, item, listing)
        return out

    def _found(
        self, conn: str, item: RefreshItem[Parsed[ShareSpec]], listing: Mapping[tuple[str, str], dict[str, Any]]
    ) -> Observed | None:
        """The share of ``item`` in ``listing``: by its record (remote id), else by folder + target."""
        if item.record is not None:
            key = (item.record.outputs["path"], item.record.outputs["target"])
        else:
            key = (str(item.parsed.link("folder_path")), item.parsed.model.target)
        found = listing.get(key)
        return None if found is None else self._observed(conn, found)

    async def lookup(self, spec: Parsed[ShareSpec], record: StateRecord | None, address: str) -> Observed | None:
        """The live share before a write, from one listing of its AEM's shares per apply
        (``GET /libs/dam/mac/shares.json``, kept current by this run's writes): the assumed share
        endpoints have no read of one share (docs/api-fidelity.md). No folder query."""
        if record is not None:
            conn, key = record.outputs["connection"], f"{record.outputs['path']}#{record.outputs['target']}"
        elif spec.known("connection", "folder_path"):
            conn, key = str(spec.link("connection")), f"{spec.link('folder_path')}#{spec.model.target}"
        else:
            return None  # its folder is created by this apply: nothing to find yet
        client = self.ctx.aem(conn)
        found = await self._live.find(conn, key, client.list_shares)
        return None if found is None else self._observed(conn, found)

    @staticmethod
    def _observed(conn: str, share: dict[str, Any]) -> Observed:
        attrs: dict[str, Any] = {"path": share["path"], "target": share["target"]}
        if share["target"] == "creative_cloud":
            attrs["members"] = sorted(
                ({"email": str(m.get("email", "")).lower(), "role": m.get("role")} for m in share.get("members") or []),
                key=lambda m: m["email"],
            )
        else:
            attrs["cloud_config"] = share.get("cloudConfig")
        outputs = {"path": share["path"], "target": share["target"], "connection": conn}
        return Observed(f"{share['path']}#{share['target']}", attrs, outputs)

    # -- write ---------------------------------------------------------------------------------

    async def _save(self, spec: Parsed[ShareSpec]) -> Observed:
        conn = str(spec.link("connection"))
        side = "Experience Cloud" if spec.model.target == "experience_cloud" else "Creative Cloud"
        refused = admin_notes(await self._check_admin(conn), conn, f"sharing to {side}")
        if refused:  # checked again at apply: the plan may not have known the folder's AEM
            raise ActionFailed(f"{refused[0].summary}; {refused[0].detail}")
        body: dict[str, Any] = {"path": spec.link("folder_path"), "target": spec.model.target}
        if spec.model.target == "creative_cloud":
            body["members"] = self._members(spec)
        else:
            body["cloudConfig"] = spec.link("cloud_config_path")
        saved = await self.ctx.aem(conn).save_share(body)
        self._live.put(conn, saved)
        return self._observed(conn, saved)

    async def create(self, address: str, spec: Parsed[ShareSpec]) -> Observed:
        return await self._save(spec)

    async def update(self, address: str, spec: Parsed[ShareSpec], observed: Observed, changes: Any) -> Observed:
        return await self._save(spec)

    async def delete(self, record: StateRecord) -> None:
        o = record.outputs
        await self.ctx.aem(o["connection"]).delete_share(o["path"], o["target"])
        self._live.drop(o["connection"], f"{o['path']}#{o['target']}")


KIND = ShareKindDef(
    name="shares",
    model=ShareSpec,
    outputs=frozenset({"path", "target", "connection"}),
    provider=ShareProvider,
    links={
        "folder_path": Link("folder", "folders", "path"),
        "connection": Link("folder", "folders", "connection"),
        "cloud_config_path": Link("cloud_config", "cloud_configs", "path"),
    },
    description="Folders shared to Experience Cloud or Creative Cloud (members with roles).",
    implicit_deps=waits_for_agents,
)

"""``users``: an org's users and the product profiles / user groups they belong to (seed 000, "Add
users to Marketing Cloud"), through the User Management API.

Identity: org + email. Observed in bulk: one paged ``GET /users/{orgId}/{page}`` listing (2000
users a page) and one ``GET /groups/{orgId}/{page}`` per org and run, never a request per user.
Writes are batched ``POST /action/{orgId}`` commands.

Ownership: only the memberships this tool added are managed (kept in state as ``added_groups``).
A group the user already had is never removed, even when it leaves the YAML. Removing the user
from the YAML removes the memberships this tool added and leaves the account, unless
``remove_from_org: true`` was applied before: then the user is removed from the org, and the
account itself is deleted only if this tool created it (and it is not an Adobe ID, which belongs
to the person).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from reconciler.clients import ActionResult, user_command
from reconciler.config.diagnostics import did_you_mean, listing
from reconciler.engine import Note, Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.refs import RefTo

from .base import KindDef, KindProvider, Link, Parsed, Read, SharedListing, Spec, parse_model, prefetch_value
from .context import ProviderContext

ID_TYPES = {"adobe_id": "adobeID", "enterprise_id": "enterpriseID", "federated_id": "federatedID"}
WIRE_TYPES = {v: k for k, v in ID_TYPES.items()}
CREATE_STEP = {"adobe_id": "addAdobeID", "enterprise_id": "createEnterpriseID", "federated_id": "createFederatedID"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserSpec(Spec):
    """A user of an IMS org and the product profiles / user groups this tool keeps them in."""

    org: Annotated[str, RefTo("orgs")] = Field(description="The org (a resource of kind orgs) the user belongs to.")
    email: str = Field(description="The user's email (the natural key with the org; case-insensitive).")
    type: Literal["adobe_id", "enterprise_id", "federated_id"] = Field(
        default="federated_id",
        description="Identity type: adobe_id (personal Adobe ID), enterprise_id or federated_id (SSO).",
    )
    firstname: str | None = Field(default=None, description="First name (not updatable for an Adobe ID).")
    lastname: str | None = Field(default=None, description="Last name (not updatable for an Adobe ID).")
    country: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 country code; required for a Federated ID;"
        " set at creation only (UMAPI cannot change it).",
    )
    groups: list[str] = Field(
        default_factory=list,
        description="Product profiles and user groups (e.g. the Marketing Cloud product profile of seed 000).",
    )
    remove_from_org: bool = Field(
        default=False,
        description="When this user is later removed from the YAML, remove them from the org (default: only"
        " the memberships this tool added are removed). Accounts this tool did not create are never deleted.",
    )

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not EMAIL_RE.match(v):
            raise ValueError("must be an email address such as jane@example.com")
        return v.lower()

    @field_validator("groups")
    @classmethod
    def _groups(cls, v: list[str]) -> list[str]:
        if "_org_admin" in v:
            raise ValueError("_org_admin cannot be granted through the User Management API")
        dupes = sorted({g for g in v if v.count(g) > 1})
        if dupes:
            raise ValueError(f"duplicate groups: {', '.join(dupes)}")
        return v


class UserError(Exception):
    """A UMAPI command for one user did not complete; the message names the user and the error."""


def _raise_for(result: ActionResult, what: str) -> None:
    if result.errors:
        raise UserError(f"{what}: " + "; ".join(f"{e.code}: {e.message}" for e in result.errors))


def users_listing(ctx: ProviderContext, conn: str, org: str) -> Read:
    """The users of one org (``UmapiClient.list_users``, paged), one read per plan."""
    return ("umapi-users", conn, org), lambda: ctx.umapi(conn).list_users(org)


def groups_listing(ctx: ProviderContext, conn: str, org: str) -> Read:
    """The product profiles and user groups of one org (``UmapiClient.list_groups``), one read per plan."""
    return ("umapi-groups", conn, org), lambda: ctx.umapi(conn).list_groups(org)


class UserProvider(KindProvider[Parsed[UserSpec]]):
    kind = "users"

    def __init__(self, ctx: ProviderContext) -> None:
        super().__init__(ctx)
        self._live: dict[str, dict[str, Any] | None] = {}
        self._missing_groups: dict[str, list[str]] = {}
        self._org_groups: dict[str, list[str]] = {}

    def parse(self, address: str, data: Any) -> Parsed[UserSpec]:
        return parse_model(UserSpec, address, data)

    def desired(self, spec: Parsed[UserSpec]) -> dict[str, Any]:
        m = spec.model
        out: dict[str, Any] = {"email": m.email, "type": m.type, "groups": sorted(m.groups)}
        if m.type != "adobe_id":
            if m.firstname is not None:
                out["firstname"] = m.firstname
            if m.lastname is not None:
                out["lastname"] = m.lastname
        out["remove_from_org"] = m.remove_from_org
        return out

    def identity(self, spec: Parsed[UserSpec]) -> str:
        return f"{spec.link('ims_org_id') or spec.model.org}/{spec.model.email}"

    # -- observe -------------------------------------------------------------------------------

    async def _org_data(self, conn: str, org: str) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """(email -> user, group names) of one org: one paged listing each (shared by the plan)."""
        users = await self.read(users_listing(self.ctx, conn, org))
        groups = await self.read(groups_listing(self.ctx, conn, org))
        return {str(u.get("email", "")).lower(): u for u in users}, {str(g.get("groupName")) for g in groups}

    def start_reads(self, items: list[PrefetchItem]) -> None:
        keys = set()
        for item in items:
            conn = prefetch_value(item, "connection", link="connection")
            org = prefetch_value(item, "org", link="ims_org_id")
            if conn is not None and org is not None:
                keys.add((conn, org))
        for conn, org in sorted(keys):
            self.start(users_listing(self.ctx, conn, org))
            self.start(groups_listing(self.ctx, conn, org))

    @staticmethod
    def _where(item: RefreshItem[Parsed[UserSpec]]) -> tuple[str, str, str]:
        if item.record is not None:
            o = item.record.outputs
            return o["connection"], o["org"], o["email"]
        spec = item.parsed
        return str(spec.link("connection")), str(spec.link("ims_org_id")), spec.model.email

    async def refresh(self, items: list[RefreshItem[Parsed[UserSpec]]]) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        orgs: dict[tuple[str, str], tuple[dict[str, dict[str, Any]], set[str]]] = {}
        for item in items:
            conn, org, email = self._where(item)
            if item.record is None and not item.parsed.known("connection", "ims_org_id"):
                out[item.address] = None
                continue
            if (conn, org) not in orgs:
                orgs[(conn, org)] = await self._org_data(conn, org)
            users, groups = orgs[(conn, org)]
            user = users.get(email)
            self._live[item.address] = user
            if item.spec is not None:
                self._missing_groups[item.address] = [g for g in item.spec.model.groups if g not in groups]
                self._org_groups[item.address] = sorted(groups)
            out[item.address] = None if user is None else self._observed(item, conn, org, user)
        return out

    def _live_users(self) -> SharedListing[tuple[str, str], dict[str, Any]]:
        """The orgs' user listings for this apply's writes, keyed by lower-case email."""
        live: SharedListing[tuple[str, str], dict[str, Any]] = self.ctx.cache.setdefault(
            "umapi-users-live", SharedListing(lambda u: str(u.get("email", "")).lower())
        )
        return live

    async def lookup(self, spec: Parsed[UserSpec], record: StateRecord | None, address: str) -> Observed | None:
        """Live re-read of one user right before a write, from one paged listing of its org per apply
        (``GET /users/{orgId}/{page}``, kept current by this run's writes) rather than one
        ``GET /organizations/{org}/users/{email}`` per user: the User Management API allows 25 user
        reads per minute (``../shared/reference/adobe-umapi.md`` §4), a page holds up to 2,000 users."""
        item = RefreshItem(address, spec, record)
        conn, org, email = self._where(item)
        client = self.ctx.umapi(conn)
        user = await self._live_users().find((conn, org), email.lower(), lambda: client.list_users(org))
        self._live[address] = user
        return None if user is None else self._observed(item, conn, org, user)

    def _observed(self, item: RefreshItem, conn: str, org: str, user: dict[str, Any]) -> Observed:
        prev = item.record.outputs if item.record is not None else {}
        added = set(prev.get("added_groups") or [])
        live_groups = set(user.get("groups") or [])
        wanted = set(item.spec.model.groups) if item.spec is not None else set()
        attrs: dict[str, Any] = {
            "email": str(user.get("email", "")).lower(),
            "type": WIRE_TYPES.get(str(user.get("type")), str(user.get("type"))),
            # managed memberships only: those the YAML asks for and those this tool added
            "groups": sorted(g for g in live_groups if g in wanted or g in added),
            "remove_from_org": bool(prev.get("remove_from_org", False)),
        }
        for key in ("firstname", "lastname"):
            if user.get(key) is not None:
                attrs[key] = user[key]
        outputs = {
            "email": attrs["email"],
            "org": org,
            "connection": conn,
            "user_id": user.get("id", ""),
            "type": attrs["type"],
            "added_groups": sorted(added & live_groups),
            "created": bool(prev.get("created", False)),
            "remove_from_org": attrs["remove_from_org"],
        }
        return Observed(f"{org}/{attrs['email']}", attrs, outputs)

    def notes(self, address: str, spec: Parsed[UserSpec], observed: Observed | None) -> list[Note]:
        notes = []
        missing = self._missing_groups.get(address) or []
        if missing:
            known = self._org_groups.get(address, [])
            near = [n for n in (did_you_mean(g, known) for g in missing) if n]
            notes.append(
                Note(
                    "error",
                    f"group(s) {', '.join(missing)} not found in org {spec.link('ims_org_id')}"
                    + (f"; did you mean {', '.join(near)}?" if near else "")
                    + f"; the org has: {listing(known) or 'no groups'}",
                    "name an existing product profile or user group exactly as the Admin Console shows it",
                )
            )
        if observed is not None and observed.attributes.get("type") != spec.model.type:
            notes.append(
                Note(
                    "error",
                    f"{spec.model.email} exists as {observed.attributes.get('type')}, the YAML says {spec.model.type}",
                    "an account's identity type cannot change: fix the YAML,"
                    " or migrate the account in the Admin Console",
                )
            )
        live_country = str((self._live.get(address) or {}).get("country") or "")
        if observed is not None and spec.model.country and spec.model.country.upper() != live_country.upper():
            notes.append(
                Note(
                    "warning",
                    f"{spec.model.email}: country {spec.model.country} is not applied: the account's country"
                    f" is {live_country or 'not set'}, and the User Management API cannot change it"
                    " (error.update.country.no_update)",
                    "set country to what the account has (or remove it); a country is chosen once, when the"
                    " account is created",
                )
            )
        if spec.model.type == "federated_id" and observed is None and spec.model.country is None:
            notes.append(Note("error", "country is required to create a Federated ID (it cannot be changed later)"))
        return notes

    def change_notes(self, address: str, spec: Parsed[UserSpec], observed: Observed | None) -> list[str]:
        if observed is None:
            return [
                "creates the account in the org; only users added to the Marketing Cloud product profile"
                " can share assets from AEM Assets to Creative Cloud (seed 000)"
            ]
        return []

    def destroy_note(self, record: StateRecord) -> str:
        return self._removal_note(record)

    def forget_note(self, record: StateRecord) -> str:
        return self._removal_note(record)

    @staticmethod
    def _removal_note(record: StateRecord) -> str:
        o = record.outputs
        if o.get("remove_from_org"):
            deleted = o.get("created") and o.get("type") != "adobe_id"
            return f"removes {o.get('email')} from the org" + (
                " and deletes the account (created by this tool)" if deleted else "; the account itself is kept"
            )
        added = o.get("added_groups") or []
        if not added:
            return "leaves the account and its memberships as they are (this tool added none)"
        return f"removes only the memberships this tool added ({', '.join(added)}); the account stays in the org"

    # -- write ---------------------------------------------------------------------------------

    async def create(self, address: str, spec: Parsed[UserSpec]) -> Observed:
        m = spec.model
        conn, org = str(spec.link("connection")), str(spec.link("ims_org_id"))
        body: dict[str, Any] = {"email": m.email, "option": "ignoreIfAlreadyExists"}
        for key in ("firstname", "lastname", "country"):
            if getattr(m, key) is not None:
                body[key] = getattr(m, key)
        steps: list[dict[str, Any]] = [{CREATE_STEP[m.type]: body}]
        if m.groups:
            steps.append({"add": {"group": list(m.groups)}})
        result = await self.ctx.umapi(conn).submit(org, user_command(m.email, steps, use_adobe_id=m.type == "adobe_id"))
        _raise_for(result, f"creating {m.email} in {org}")
        user = {
            "email": m.email,
            "type": ID_TYPES[m.type],
            "groups": list(m.groups),
            "firstname": m.firstname,
            "lastname": m.lastname,
        }
        user = {k: v for k, v in user.items() if v is not None}
        self._live_users().put((conn, org), user)
        record = StateRecord(
            address,
            "users",
            f"{org}/{m.email}",
            True,
            outputs={"created": True, "added_groups": list(m.groups), "remove_from_org": m.remove_from_org},
        )
        return self._observed(RefreshItem(address, spec, record), conn, org, user)

    async def update(self, address: str, spec: Parsed[UserSpec], observed: Observed, changes: Any) -> Observed:
        m = spec.model
        conn, org = observed.outputs["connection"], observed.outputs["org"]
        live = self._live.get(address) or {}
        live_groups = set(live.get("groups") or [])
        added = set(observed.outputs.get("added_groups") or [])
        to_add = sorted(set(m.groups) - live_groups)
        to_remove = sorted((added & live_groups) - set(m.groups))
        steps: list[dict[str, Any]] = []
        if m.type != "adobe_id":
            names = {
                k: getattr(m, k)
                for k in ("firstname", "lastname")
                if getattr(m, k) is not None and live.get(k) != getattr(m, k)
            }
            if names:
                steps.append({"update": names})
        if to_add:
            steps.append({"add": {"group": to_add}})
        if to_remove:
            steps.append({"remove": {"group": to_remove}})
        if steps:
            result = await self.ctx.umapi(conn).submit(org, user_command(m.email, steps))
            _raise_for(result, f"updating {m.email} in {org}")
        new_live = {**live, "groups": sorted((live_groups | set(to_add)) - set(to_remove))}
        if m.type != "adobe_id":
            new_live.update({k: getattr(m, k) for k in ("firstname", "lastname") if getattr(m, k) is not None})
        self._live_users().put((conn, org), {"email": m.email, **new_live})
        record = StateRecord(
            address,
            "users",
            observed.remote_id,
            bool(observed.outputs.get("created")),
            outputs={
                **observed.outputs,
                "added_groups": sorted((added | set(to_add)) - set(to_remove)),
                "remove_from_org": m.remove_from_org,
            },
        )
        return self._observed(RefreshItem(address, spec, record), conn, org, new_live)

    async def _undo(self, record: StateRecord) -> None:
        o = record.outputs
        conn, org, email = o["connection"], o["org"], o["email"]
        client = self.ctx.umapi(conn)
        user = await self._live_users().find((conn, org), email.lower(), lambda: client.list_users(org))
        if user is None:
            return
        if o.get("remove_from_org"):
            delete_account = bool(o.get("created")) and o.get("type") != "adobe_id"
            result = await client.submit(
                org, user_command(email, [{"removeFromOrg": {"deleteAccount": delete_account}}])
            )
            _raise_for(result, f"removing {email} from {org}")
            self._live_users().drop((conn, org), email.lower())
            return
        added = sorted(set(o.get("added_groups") or []) & set(user.get("groups") or []))
        if added:
            result = await client.submit(org, user_command(email, [{"remove": {"group": added}}]))
            _raise_for(result, f"removing {email} from {', '.join(added)}")
            left = sorted(set(user.get("groups") or []) - set(added))
            self._live_users().put((conn, org), {**user, "groups": left})

    async def delete(self, record: StateRecord) -> None:
        await self._undo(record)

    async def forget(self, record: StateRecord) -> None:
        await self._undo(record)


KIND = KindDef(
    name="users",
    model=UserSpec,
    outputs=frozenset({"email", "org", "connection", "user_id", "type", "added_groups", "created", "remove_from_org"}),
    provider=UserProvider,
    links={
        "ims_org_id": Link("org", "orgs", "ims_org_id"),
        "connection": Link("org", "orgs", "connection"),
    },
    description="Users of an org and their product profiles / user groups (User Management API).",
)

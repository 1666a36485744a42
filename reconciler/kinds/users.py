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

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from reconciler.clients import ActionResult, user_command
from reconciler.config.diagnostics import did_you_mean, listing
from reconciler.engine import Note, Observed, PrefetchItem, RefreshItem, StateRecord
from reconciler.engine.model import Effect
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


class CreatedIds:
    """The ids of the users an apply creates in one org, read back from the org's user listing.

    UMAPI's ``POST /action`` answer counts commands and lists errors but carries no user id
    (``../shared/reference/adobe-umapi.md`` §3, docs/api-fidelity.md), so the id is read from ``GET
    /users/{orgId}/{page}`` (``fetch``: the org's paged listing). One listing answers every create that
    finished before it started: creates finishing while it runs wait for the next one, so an apply
    lists the org about once per ``/action`` request that created users, never once per user.
    """

    def __init__(self, fetch: Callable[[], Awaitable[list[dict[str, Any]]]]) -> None:
        self._fetch = fetch
        self._waiting: dict[str, list[asyncio.Future[dict[str, Any] | None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self.listings = 0  # listings made (for tests)

    async def row_of(self, email: str) -> dict[str, Any] | None:
        """The listing's row of ``email`` (lower-case), from a listing started after this call, or
        None when the listing does not show the user (yet). Raises what ``fetch`` raises."""
        fut: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(email, []).append(fut)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._drain())
        return await fut

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            self.listings += 1
            try:
                rows = {str(u.get("email", "")).lower(): u for u in await self._fetch()}
            except Exception as exc:  # every create of this round gets the error
                for futs in batch.values():
                    for fut in futs:
                        if not fut.done():
                            fut.set_exception(exc)
                continue
            for email, futs in batch.items():
                for fut in futs:
                    if not fut.done():
                        fut.set_result(rows.get(email))


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
        self._unrecorded: set[str] = set()  # addresses refreshed without a state record

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
        if m.country is not None:
            out["country"] = m.country
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
            if item.record is None:
                self._unrecorded.add(item.address)
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
        # a user no longer declared keeps the memberships it was last managed with, so that leaving
        # the YAML is not read as "groups removed outside" (drift)
        last = item.record.attributes.get("groups") if item.record is not None else None
        wanted = set(item.spec.model.groups) if item.spec is not None else set(last or [])
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
        attrs.update(self._country(item, user))
        outputs = {
            "email": attrs["email"],
            "org": org,
            "connection": conn,
            "type": attrs["type"],
            "added_groups": sorted(added & live_groups),
            "created": bool(prev.get("created", False)),
            "remove_from_org": attrs["remove_from_org"],
        }
        if user.get("id"):  # unknown until a listing shows the account: a reference waits, never ""
            outputs["user_id"] = str(user["id"])
        elif prev.get("user_id"):
            outputs["user_id"] = prev["user_id"]
        return Observed(f"{org}/{attrs['email']}", attrs, outputs)

    @staticmethod
    def _country(item: RefreshItem, user: dict[str, Any]) -> dict[str, Any]:
        """The ``country`` attribute: set at creation only (UMAPI cannot change it), so a YAML value that
        differs from the account's is not a change to make but a warning (``notes``): the attribute is
        then the YAML's, so no update is planned for it. Without a spec (a user only in state), or
        with no country in the YAML, the account's country when it has one (else no attribute)."""
        spec = item.spec
        if spec is not None and spec.model.country is not None:
            return {"country": spec.model.country}
        if spec is None and user.get("country"):
            return {"country": str(user["country"])}
        return {}

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
            notes = [
                "creates the account in the org; only users added to the Marketing Cloud product profile"
                " can share assets from AEM Assets to Creative Cloud (seed 000)"
            ]
            if spec.model.country is not None:
                notes.append(
                    f"country {spec.model.country} is set at creation only: the User Management API cannot"
                    " change it later (error.update.country.no_update)"
                )
            return notes
        if address in self._unrecorded:
            return [
                f"{spec.model.email} has no record in this state, so it is adopted as an account this tool did"
                " not create (one it created before stays in the org after destroy or removal from the YAML):"
                " removing it later removes only the memberships this tool adds (and, with remove_from_org:"
                " true, the user from the org), never the account"
            ]
        return []

    def removal_effect(self, record: StateRecord) -> Effect | None:
        """What removing the user (from the YAML, or ``destroy``) does, by the ownership rules of the
        module docstring; None only when the account itself is deleted (``remove_from_org`` applied,
        created by this tool, not an Adobe ID): then "will be DELETED" says it."""
        o = record.outputs
        if o.get("remove_from_org"):
            if o.get("created") and o.get("type") != "adobe_id":
                return None
            why = "an Adobe ID belongs to the person" if o.get("type") == "adobe_id" else "not created by this tool"
            return Effect(
                f"will be removed from the org; the account itself stays ({why})",
                f"removed from the org; the account itself stays ({why})",
                kept=False,
            )
        added = set(o.get("added_groups") or [])
        live = self._live.get(record.address)
        if live is not None:  # observed by this plan: what apply will find to remove
            added &= set(live.get("groups") or [])
        if not added:
            return Effect(
                "will be forgotten; the account and its memberships stay (this tool added none)",
                "the account and its memberships stay (this tool added none)",
            )
        groups = ", ".join(sorted(added))
        return Effect(
            f"will lose the memberships this tool added ({groups}); the account stays",
            f"lost the memberships this tool added ({groups}); the account stays",
        )

    def destroy_note(self, record: StateRecord) -> str | None:
        if self.removal_effect(record) is not None:
            return None  # the header says it
        return f"removes {record.outputs.get('email')} from the org and deletes the account (created by this tool)"

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
            "country": m.country,
        }
        user = {k: v for k, v in user.items() if v is not None}
        listed = await self._created_ids(conn, org).row_of(m.email)
        if listed is not None and listed.get("id"):
            user["id"] = listed["id"]  # the answer to /action has no id: the listing's
        self._live_users().put((conn, org), user)
        record = StateRecord(
            address,
            "users",
            f"{org}/{m.email}",
            True,
            outputs={"created": True, "added_groups": list(m.groups), "remove_from_org": m.remove_from_org},
        )
        return self._observed(RefreshItem(address, spec, record), conn, org, user)

    def _created_ids(self, conn: str, org: str) -> CreatedIds:
        """The apply's ``CreatedIds`` of one org (kept in the context's cache)."""
        readers: dict[tuple[str, str], CreatedIds] = self.ctx.cache.setdefault("umapi-created-ids", {})
        if (conn, org) not in readers:
            client = self.ctx.umapi(conn)
            readers[(conn, org)] = CreatedIds(lambda: client.list_users(org))
        return readers[(conn, org)]

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

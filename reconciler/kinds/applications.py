"""``applications``: the Adobe application the Experience Cloud sync uses (seed 000 step 1).

In today's Developer Console an application is a project with a workspace and one credential,
subscribed to the services that grant the legacy gateway scopes ``dam-read``, ``dam-sync``,
``dam-write`` and ``cc-share``. The credential is OAuth Server-to-Server by default; the seed's
"Service Account (JWT Assertion)" is accepted as ``service_account_jwt`` with an end-of-life warning
(JWT credentials reached end of life on 2025-06-30: adobe-ims-console-api.md §2). Endpoints:
adobe-ims-console-api.md §3 and docs/api-fidelity.md. Every create step is looked up first, so an
interrupted apply resumes instead of duplicating the project or the credential.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import Field, field_validator

from reconciler.engine import Note, Observed, PrefetchItem, RefreshItem, SpecError, StateRecord
from reconciler.refs import RefTo

from .base import KindDef, KindProvider, Link, Parsed, Read, Spec, parse_named, prefetch_value

LEGACY_SCOPES = ("dam-read", "dam-sync", "dam-write", "cc-share")
#: every scope name ``scopes`` accepts (``rules.scopes`` refuses the others offline, with a
#: did-you-mean): the legacy gateway scopes of the Console's AEM Assets services
#: (adobe-ims-console-api.md §3 "Scope dam-read, dam-sync, dam-write, cc-share"; seed 000 step 1)
KNOWN_SCOPES: tuple[str, ...] = LEGACY_SCOPES
JWT_EOL = dt.date(2025, 6, 30)
MIGRATION_STEPS = (
    f"Service Account (JWT) credentials reached end of life on {JWT_EOL}. Migrate: in the Developer Console,"
    " add the equivalent OAuth Server-to-Server credential to the project (same client ID, technical account,"
    " APIs and product profiles), switch your integration to it, check that the JWT credential has not been"
    " used for 24 hours, delete the JWT credential, then set `credential: oauth_server_to_server` here."
)


class ApplicationSpec(Spec):
    """An Adobe application: Developer Console project + workspace + credential + API subscriptions."""

    org: Annotated[str, RefTo("orgs")] = Field(
        description="The org (a resource of kind orgs) the application belongs to."
    )
    name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,44}$",
        description="Console project name; defaults to the resource name.",
    )
    title: str | None = Field(default=None, max_length=45, description="Console project title; defaults to the name.")
    description: str = ""
    credential: Literal["oauth_server_to_server", "service_account_jwt"] = Field(
        default="oauth_server_to_server",
        description=f"Credential type. service_account_jwt is past end of life ({JWT_EOL})"
        " and only accepted with a warning.",
    )
    scopes: list[str] = Field(
        default_factory=lambda: list(LEGACY_SCOPES), description="Legacy gateway scopes the application needs."
    )

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, v: list[str]) -> list[str]:
        dupes = {s for s in v if v.count(s) > 1}
        if dupes:
            raise ValueError(f"duplicate scopes: {', '.join(sorted(dupes))}")
        return v


def _credential_name(name: str) -> str:
    """Console credential names are 6-25 characters (aio-cli-lib-console)."""
    base = f"{name}-cred"[:25]
    return base if len(base) >= 6 else base.ljust(6, "x")


def throwaway_certificate(common_name: str) -> str:
    """A self-signed PEM certificate whose private key is discarded: the Console requires one to create
    a JWT credential; the keys that matter are bound later by ``application_keys``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class ApplicationProvider(KindProvider[Parsed[ApplicationSpec]]):
    kind = "applications"
    replace_fields = frozenset({"name", "credential"})

    def parse(self, address: str, data: Any) -> Parsed[ApplicationSpec]:
        return parse_named(ApplicationSpec, address, data)

    def desired(self, spec: Parsed[ApplicationSpec]) -> dict[str, Any]:
        m = spec.model
        # title and description change in place (the Console's project edit call, as editProject)
        return {
            "name": m.name,
            "title": m.title or m.name,
            "description": m.description,
            "credential": m.credential,
            "scopes": sorted(m.scopes),
        }

    def identity(self, spec: Parsed[ApplicationSpec]) -> str:
        return f"{spec.model.org}/{spec.model.name}"

    def notes(self, address: str, spec: Parsed[ApplicationSpec], observed: Observed | None) -> list[Note]:
        notes = []
        if spec.model.credential == "service_account_jwt":
            notes.append(
                Note("warning", f"credential service_account_jwt is past end of life ({JWT_EOL})", MIGRATION_STEPS)
            )
        # scopes are checked offline by rules.scopes: an unknown name, or one of LEGACY_SCOPES missing
        # on an application a cloud configuration synchronizes with, is a validation error
        return notes

    def _conn(self, spec: Parsed[ApplicationSpec]) -> str:
        return str(spec.link("connection"))

    def _org_id(self, spec: Parsed[ApplicationSpec]) -> str:
        return str(spec.link("console_org_id"))

    async def _services(self, conn: str, org_id: str) -> list[dict[str, Any]]:
        key = ("services", conn, org_id)
        if key not in self.ctx.cache:
            self.ctx.cache[key] = await self.ctx.console(conn).list_services(org_id)
        return self.ctx.cache[key]

    def _projects(self, conn: str, org_id: str) -> Read:
        """The projects of a Console org (``ConsoleClient.list_projects``)."""
        return ("console-projects", conn, org_id), lambda: self.ctx.console(conn).list_projects(org_id)

    def _credentials(self, conn: str, org_id: str, project_id: str, workspace_id: str) -> Read:
        """The credentials of a project's workspace (``ConsoleClient.list_credentials``)."""
        console = self.ctx.console

        def fetch() -> Any:
            return console(conn).list_credentials(org_id, project_id, workspace_id)

        return ("console-credentials", conn, org_id, project_id, workspace_id), fetch

    def _integration(self, conn: str, org_id: str, credential_id: str) -> Read:
        """A credential's details (``ConsoleClient.get_integration``)."""
        return (
            ("console-integration", conn, org_id, credential_id),
            lambda: self.ctx.console(conn).get_integration(org_id, credential_id),
        )

    def start_reads(self, items: list[PrefetchItem]) -> None:
        """The org's projects, and for a recorded application its credentials and their details at
        once (the record knows their ids), instead of one after the other."""
        for item in items:
            conn = prefetch_value(item, "connection", link="connection")
            org = prefetch_value(item, "org_console_id", link="console_org_id")
            if conn is None or org is None:
                continue
            self.start(self._projects(conn, org))
            o = item.record.outputs if item.record is not None else {}
            if o.get("project_id") and o.get("workspace_id"):
                self.start(self._credentials(conn, org, str(o["project_id"]), str(o["workspace_id"])))
            if o.get("credential_id"):
                self.start(self._integration(conn, org, str(o["credential_id"])))

    async def refresh(self, items: list[RefreshItem[Parsed[ApplicationSpec]]]) -> dict[str, Observed | None]:
        out: dict[str, Observed | None] = {}
        projects_by_org: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for item in items:
            if item.record is not None:
                rec = item.record
                conn, org_id, name = rec.outputs["connection"], rec.outputs["org_console_id"], rec.outputs["name"]
            else:
                assert item.spec is not None
                if not item.spec.known("connection", "console_org_id"):
                    out[item.address] = None
                    continue
                conn, org_id, name = self._conn(item.spec), self._org_id(item.spec), item.spec.model.name
            if (conn, org_id) not in projects_by_org:
                listed = await self.read(self._projects(conn, org_id))
                projects_by_org[(conn, org_id)] = {p["name"]: p for p in listed if not p.get("deleted")}
            project = projects_by_org[(conn, org_id)].get(name)
            out[item.address] = None if project is None else await self._observe(conn, org_id, project)
        return out

    async def _observe(self, conn: str, org_id: str, project: dict[str, Any]) -> Observed:
        console = self.ctx.console(conn)
        workspaces = (project.get("metadata") or {}).get("workspaces") or await console.list_workspaces(
            org_id, project["id"]
        )
        attrs: dict[str, Any] = {
            "name": project["name"],
            "title": project.get("title"),
            "description": project.get("description") or "",
            "credential": None,
            "scopes": [],
        }
        outputs: dict[str, Any] = {
            "project_id": str(project["id"]),
            "org_console_id": org_id,
            "connection": conn,
            "name": project["name"],
        }
        if workspaces:
            ws = workspaces[0]
            outputs["workspace_id"] = str(ws["id"])
            creds = await self.read(self._credentials(conn, org_id, str(project["id"]), str(ws["id"])))
            if creds:
                cred = creds[0]
                cred_id = str(cred.get("id_integration"))
                ctype = cred.get("integration_type")
                attrs["credential"] = "service_account_jwt" if ctype == "service" else "oauth_server_to_server"
                outputs["credential_id"] = cred_id
                details = await self.read(self._integration(conn, org_id, cred_id)) or {}
                outputs["application_id"] = details.get("apikey")
                outputs["technical_account_id"] = details.get("technicalAccountId")
                scopes: set[str] = set()
                for sp in details.get("serviceProperties") or []:
                    scopes.update(sp.get("scopes") or [])
                attrs["scopes"] = sorted(scopes)
        return Observed(str(project["id"]), attrs, outputs)

    async def _sdk_codes(self, conn: str, org_id: str, scopes: list[str]) -> list[str]:
        services = await self._services(conn, org_id)
        codes: list[str] = []
        missing = []
        for scope in scopes:
            svc = next((s for s in services if scope in (s.get("scopes") or []) and s.get("enabled", True)), None)
            if svc is None:
                missing.append(scope)
            elif svc["code"] not in codes:
                codes.append(svc["code"])
        if missing:
            raise SpecError(
                [
                    f"no service of org {org_id} grants scope(s) {', '.join(missing)}; the org's services are "
                    + ", ".join(sorted(str(s.get("code")) for s in services))
                ]
            )
        return codes

    async def _ensure(self, spec: Parsed[ApplicationSpec], observed: Observed | None) -> Observed:
        """Create whatever is missing (project, credential, subscriptions), looking each up first."""
        m = spec.model
        conn, org_id = self._conn(spec), self._org_id(spec)
        console = self.ctx.console(conn)
        if observed is None:
            created = await console.create_project(
                org_id, name=m.name or "", title=m.title or m.name or "", description=m.description
            )
            project = {
                "id": created["projectId"],
                "name": m.name,
                "title": m.title or m.name,
                "description": m.description,
                "metadata": {"workspaces": [{"id": created["workspaceId"]}]},
            }
            observed = await self._observe(conn, org_id, project)
        project_id = observed.outputs["project_id"]
        title = m.title or m.name or ""
        if (observed.attributes.get("title"), observed.attributes.get("description") or "") != (title, m.description):
            await console.edit_project(org_id, project_id, title=title, description=m.description)
            observed = await self._refetch(conn, org_id, m.name or "")
        if "workspace_id" not in observed.outputs:
            raise SpecError([f"project {m.name} has no workspace; add one in the Developer Console"])
        ws = observed.outputs["workspace_id"]
        if observed.attributes.get("credential") is None:
            if m.credential == "oauth_server_to_server":
                await console.create_s2s_credential(
                    org_id,
                    project_id,
                    ws,
                    name=_credential_name(m.name or ""),
                    description=f"AEM Assets sync ({m.name})",
                )
            else:
                await console.create_entp_credential(
                    org_id,
                    project_id,
                    ws,
                    name=_credential_name(m.name or ""),
                    description=f"AEM Assets sync ({m.name})",
                    certificate_pem=throwaway_certificate(m.name or "app"),
                )
            observed = await self._refetch(conn, org_id, m.name or "")
        if sorted(observed.attributes.get("scopes") or []) != sorted(m.scopes):
            codes = await self._sdk_codes(conn, org_id, m.scopes)
            ctype = (
                "entp" if observed.attributes.get("credential") == "service_account_jwt" else "oauth_server_to_server"
            )
            await console.subscribe_services(org_id, project_id, ws, ctype, observed.outputs["credential_id"], codes)
            observed = await self._refetch(conn, org_id, m.name or "")
        return observed

    async def _refetch(self, conn: str, org_id: str, name: str) -> Observed:
        projects = await self.ctx.console(conn).list_projects(org_id)
        project = next(p for p in projects if p["name"] == name and not p.get("deleted"))
        return await self._observe(conn, org_id, project)

    async def create(self, address: str, spec: Parsed[ApplicationSpec]) -> Observed:
        return await self._ensure(spec, None)

    async def update(self, address: str, spec: Parsed[ApplicationSpec], observed: Observed, changes: Any) -> Observed:
        return await self._ensure(spec, observed)

    async def delete(self, record: StateRecord) -> None:
        await self.ctx.console(record.outputs["connection"]).delete_project(
            record.outputs["org_console_id"], record.outputs["project_id"]
        )

    def destroy_note(self, record: StateRecord) -> str:
        return "deletes the Developer Console project, its credential and its key bindings"


KIND = KindDef(
    name="applications",
    model=ApplicationSpec,
    outputs=frozenset(
        {
            "application_id",
            "technical_account_id",
            "credential_id",
            "project_id",
            "workspace_id",
            "org_console_id",
            "connection",
            "name",
        }
    ),
    provider=ApplicationProvider,
    links={"console_org_id": Link("org", "orgs", "console_org_id"), "connection": Link("org", "orgs", "connection")},
    description="Adobe applications (Developer Console project + credential + API subscriptions).",
)

"""The Developer Console's state and rules: the API gateway checks, organizations, projects,
workspaces, credentials, service subscriptions, integrations and certificate bindings
(docs/api-fidelity.md, section "Developer Console").

``ConsoleModel`` works on one transaction of the world; its methods return the JSON bodies the
Console answers and raise ``ConsoleError`` (status, ``error_code``, message) for a refusal.
"""

from __future__ import annotations

import json
import math
import secrets
import sqlite3
import string
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from starlette.responses import JSONResponse, Response

from .. import pki
from ..common import ServiceError
from ..ims.models import verify_access_token
from ..world import SEED, iso_now, new_technical_account, random_digits

ENTP_NAME_LENGTH = (6, 25)
INTEGRATION_SUMMARY = ("id", "apikey", "name", "orgId", "type", "status", "sdkList", "integration_type")


class ConsoleError(ServiceError):
    """An API gateway or Console error: ``{"error_code": code, "message": message}`` with ``status``
    (the gateway's shape is documented; the Console API's is assumed to be the same)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> Response:
        return JSONResponse({"error_code": self.code, "message": self.message}, status_code=self.status)


def invalid(message: str) -> ConsoleError:
    """400 ``ERR_MSG_INVALID_REQUEST``."""
    return ConsoleError(400, "ERR_MSG_INVALID_REQUEST", message)


def _secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return "p8e-" + "".join(secrets.choice(alphabet) for _ in range(32))


def _certificate(raw: Any) -> x509.Certificate:
    """The PEM certificate of a ``certificate`` field (text or uploaded bytes), else 400."""
    raw = raw.encode() if isinstance(raw, str) else raw
    try:
        cert = pki.load_cert(raw) if isinstance(raw, bytes) else None
    except ValueError:
        cert = None
    if cert is None:
        raise ConsoleError(400, "ERR_MSG_INVALID_CERTIFICATE", "certificate is missing or not a PEM certificate")
    return cert


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


# --------------------------------------------------------------------------------------------------
# JSON shapes
# --------------------------------------------------------------------------------------------------


def workspace_json(w: sqlite3.Row) -> dict[str, Any]:
    """A workspace as the Console lists it."""
    return {
        "id": w["id"],
        "name": w["name"],
        "title": w["title"],
        "description": w["description"],
        "enabled": 1,
        "runtime_enabled": 0,
        "quota_usage": None,
        "date_created": w["date_created"],
    }


def org_json(r: sqlite3.Row, user_id: Any) -> dict[str, Any]:
    """An organization of ``GET /console/organizations`` (``r`` joined with the caller's role)."""
    return {
        "id": r["id"],
        "code": r["code"],
        "name": r["name"],
        "description": r["description"],
        "type": r["type"],
        "roles": [
            {"principal": user_id, "organization": r["code"], "named_role": r["role"].lower(), "target": r["code"]}
        ],
        "role": r["role"],
    }


def service_json(s: sqlite3.Row) -> dict[str, Any]:
    """A service of ``GET .../services``."""
    return {
        "name": s["name"],
        "code": s["code"],
        "enabled": True,
        "type": s["type"],
        "properties": None,
        "requiresApproval": False,
        "entitledForOrg": True,
        "scopes": json.loads(s["scopes"]),
    }


def project_json(conn: sqlite3.Connection, p: sqlite3.Row) -> dict[str, Any]:
    """A project with its workspaces under ``metadata``."""
    workspaces = [
        {"id": w["id"], "name": w["name"], "runtime": False}
        for w in conn.execute(
            "SELECT id, name FROM workspaces WHERE project_id=? ORDER BY date_created, rowid", (p["id"],)
        )
    ]
    return {
        "id": p["id"],
        "name": p["name"],
        "title": p["title"],
        "description": p["description"],
        "type": p["type"],
        "enabled": 1,
        "deleted": 0,
        "org_id": p["org_id"],
        "date_created": p["date_created"],
        "date_last_modified": p["date_last_modified"],
        "who_created": p["who_created"],
        "who_last_modified": p["who_created"],
        "metadata": {"workspaces": workspaces},
    }


def bindings_json(conn: sqlite3.Connection, cred: sqlite3.Row, org_code: str) -> list[dict[str, Any]]:
    """The certificate bindings of a credential."""
    client = conn.execute("SELECT technical_account_id FROM clients WHERE client_id=?", (cred["client_id"],)).fetchone()
    return [
        {
            "bindingId": b["id"],
            "orgId": org_code,
            "technicalAccountId": client[0] if client else None,
            "certificateFingerprint": b["fingerprint"],
            "notAfter": b["not_after"],
        }
        for b in conn.execute("SELECT * FROM bindings WHERE credential_id=? ORDER BY created, rowid", (cred["id"],))
    ]


def _subscribed(conn: sqlite3.Connection, cred: sqlite3.Row) -> list[sqlite3.Row]:
    return list(
        conn.execute(
            "SELECT s.* FROM subscriptions sub JOIN services s ON s.org_id=? AND s.code=sub.sdk_code "
            "WHERE sub.credential_id=? ORDER BY sub.pos",
            (cred["org_id"], cred["id"]),
        )
    )


def integration_json(conn: sqlite3.Connection, cred: sqlite3.Row, org_code: str) -> dict[str, Any]:
    """A credential as ``GET .../integrations/{id}`` shows it."""
    client = conn.execute("SELECT * FROM clients WHERE client_id=?", (cred["client_id"],)).fetchone()
    services = _subscribed(conn, cred)
    return {
        "id": cred["id"],
        "apikey": cred["client_id"],
        "technicalAccountId": client["technical_account_id"],
        "technicalAccountEmail": client["technical_account_email"],
        "orgId": org_code,
        "name": cred["name"],
        "description": cred["description"],
        "sdkList": [s["code"] for s in services],
        "serviceProperties": [
            {
                "sdkCode": s["code"],
                "name": s["name"],
                "roles": None,
                "scopes": json.loads(s["scopes"]),
                "licenseConfigs": None,
            }
            for s in services
        ],
        "type": cred["flow_type"],
        "integration_type": cred["integration_type"],
        "status": "ENABLED",
        "createdDate": int(cred["date_created"]),
        "projectId": cred["project_id"],
        "workspaceId": cred["workspace_id"],
    }


# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------


class ConsoleModel:
    """The Console on one transaction (``conn``) for the caller of one request (``claims``)."""

    def __init__(self, conn: sqlite3.Connection, claims: dict[str, Any]) -> None:
        self.conn = conn
        self.claims = claims

    @classmethod
    def authenticate(cls, conn: sqlite3.Connection, api_key: str | None, authorization: str) -> ConsoleModel:
        """The API gateway checks in the documented order: ``x-api-key`` present (403 403000) and a
        registered client (403 403003), a bearer token present (403 403010) and valid (401 401013)."""
        if not api_key:
            raise ConsoleError(403, "403000", "Api Key is required")
        if conn.execute("SELECT 1 FROM clients WHERE client_id=?", (api_key,)).fetchone() is None:
            raise ConsoleError(403, "403003", "Api Key is invalid")
        if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            raise ConsoleError(403, "403010", "Oauth token is missing.")
        claims = verify_access_token(conn, authorization[7:].strip())
        if claims is None:
            raise ConsoleError(401, "401013", "Oauth token is not valid")
        return cls(conn, claims)

    # ---- lookups ----
    def org(self, org_id: str) -> sqlite3.Row:
        """The organization ``org_id`` if the caller is a member, else 403 ``ERR_MSG_FORBIDDEN``."""
        org = self.conn.execute("SELECT * FROM orgs WHERE id=?", (org_id,)).fetchone()
        member = self.conn.execute(
            "SELECT role FROM org_members WHERE org_id=? AND user_id=?", (org_id, self.claims.get("user_id"))
        ).fetchone()
        if org is None or member is None:
            raise ConsoleError(403, "ERR_MSG_FORBIDDEN", f"You do not have access to organization {org_id}")
        row: sqlite3.Row = org
        return row

    def _row(self, table: str, what: str, key: str, scope: tuple[str, str]) -> sqlite3.Row:
        """The row of ``table`` with ``id=key`` inside its parent (``scope`` = column, value), or the
        Console's 404 naming ``what``."""
        column, value = scope
        row: sqlite3.Row | None = self.conn.execute(
            f"SELECT * FROM {table} WHERE id=? AND {column}=?", (key, value)
        ).fetchone()
        if row is None:
            raise ConsoleError(404, "ERR_MSG_NOT_FOUND", f"{what} {key} not found")
        return row

    def project(self, org_id: str, project_id: str) -> sqlite3.Row:
        """Organization (403) then project (404)."""
        self.org(org_id)
        return self._row("projects", "Project", project_id, ("org_id", org_id))

    def workspace(self, org_id: str, project_id: str, workspace_id: str) -> sqlite3.Row:
        """Organization (403), project (404) then workspace (404)."""
        self.project(org_id, project_id)
        return self._row("workspaces", "Workspace", workspace_id, ("project_id", project_id))

    def credential(self, org_id: str, cred_id: str) -> sqlite3.Row:
        """A credential of the organization (404)."""
        return self._row("credentials", "Credential", cred_id, ("org_id", org_id))

    # ---- organizations and services ----
    def list_orgs(self) -> list[dict[str, Any]]:
        """The caller's organizations with its role."""
        user = self.claims.get("user_id")
        rows = self.conn.execute(
            "SELECT o.*, m.role FROM orgs o JOIN org_members m ON m.org_id=o.id WHERE m.user_id=? ORDER BY o.rowid",
            (user,),
        ).fetchall()
        return [org_json(r, user) for r in rows]

    def list_services(self, org_id: str, wanted: set[str]) -> list[dict[str, Any]]:
        """The organization's services (only the ``wanted`` SDK codes when not empty)."""
        self.org(org_id)
        rows = self.conn.execute("SELECT * FROM services WHERE org_id=? ORDER BY pos", (org_id,)).fetchall()
        return [service_json(s) for s in rows if not wanted or s["code"] in wanted]

    # ---- projects and workspaces ----
    def list_projects(self, org_id: str, title: str | None, page: str | None, size: str) -> list[dict[str, Any]]:
        """Projects in creation order (only those titled ``title`` when given); with ``page``
        (1-based, as text) only that page of ``size`` projects. A non-integer page or size raises
        ``ValueError``."""
        self.org(org_id)
        rows = self.conn.execute(
            "SELECT * FROM projects WHERE org_id=? ORDER BY date_created, rowid", (org_id,)
        ).fetchall()
        items = [project_json(self.conn, p) for p in rows if title is None or p["title"] == title]
        if page is not None:
            per_page = int(size)
            start = (max(int(page), 1) - 1) * per_page
            items = items[start : start + per_page]
        return items

    def create_project(self, org_id: str, body: Any) -> dict[str, Any]:
        """A project (``name``, ``title``, ``type`` default|jaeger, unique name) with its
        Production workspace; returns ``{projectId, projectType, workspaceId}``."""
        self.org(org_id)
        if not isinstance(body, dict):
            raise invalid("Request body must be a JSON object")
        name, title = body.get("name"), body.get("title")
        ptype = body.get("type", "default")
        if not isinstance(name, str) or not name or not isinstance(title, str) or not title:
            raise invalid("name and title are required")
        if ptype not in ("default", "jaeger"):
            raise invalid(f"invalid project type {ptype!r}")
        if self.conn.execute("SELECT 1 FROM projects WHERE org_id=? AND name=?", (org_id, name)).fetchone():
            raise ConsoleError(409, "ERR_MSG_DUPLICATE_NAME", f"A project named {name!r} already exists")
        pid, wid, now = random_digits(19), random_digits(19), iso_now()
        description = str(body.get("description") or "")
        self.conn.execute(
            "INSERT INTO projects VALUES (?,?,?,?,?,?,?,?,?)",
            (pid, org_id, name, title, description, ptype, now, now, self.claims.get("user_id", "")),
        )
        self.conn.execute(
            "INSERT INTO workspaces VALUES (?,?,?,?,?,?)", (wid, pid, "Production", "Production", "", now)
        )
        return {"projectId": pid, "projectType": ptype, "workspaceId": wid}

    def edit_project(self, org_id: str, project_id: str, body: Any) -> dict[str, Any]:
        """``PATCH`` a project (aio-lib-console ``editProject``): ``title`` and ``description`` change;
        ``name`` and ``type`` must stay as they are. Returns the project."""
        self.project(org_id, project_id)
        if not isinstance(body, dict):
            raise invalid("Request body must be a JSON object")
        row = self.conn.execute("SELECT name, type FROM projects WHERE id=?", (project_id,)).fetchone()
        for key, current in (("name", row[0]), ("type", row[1])):
            if key in body and body[key] != current:
                raise invalid(f"{key} cannot be changed")
        title = body.get("title")
        if title is not None and (not isinstance(title, str) or not title or len(title) > 45):
            raise invalid("title must be 1 to 45 characters")
        for key in ("title", "description"):
            if key in body:
                self.conn.execute(f"UPDATE projects SET {key}=? WHERE id=?", (str(body[key] or ""), project_id))
        self.conn.execute("UPDATE projects SET date_last_modified=? WHERE id=?", (iso_now(), project_id))
        return self.get_project(org_id, project_id)

    def get_project(self, org_id: str, project_id: str) -> dict[str, Any]:
        """One project."""
        return project_json(self.conn, self.project(org_id, project_id))

    def delete_project(self, org_id: str, project_id: str) -> None:
        """Delete a project with its workspaces and credentials."""
        self.project(org_id, project_id)
        for (cid,) in self.conn.execute("SELECT id FROM credentials WHERE project_id=?", (project_id,)).fetchall():
            self._delete_credential(cid)
        self.conn.execute("DELETE FROM workspaces WHERE project_id=?", (project_id,))
        self.conn.execute("DELETE FROM projects WHERE id=?", (project_id,))

    def list_workspaces(self, org_id: str, project_id: str) -> list[dict[str, Any]]:
        """A project's workspaces in creation order."""
        self.project(org_id, project_id)
        rows = self.conn.execute(
            "SELECT * FROM workspaces WHERE project_id=? ORDER BY date_created, rowid", (project_id,)
        )
        return [workspace_json(w) for w in rows]

    def create_workspace(self, org_id: str, project_id: str, body: Any) -> dict[str, Any]:
        """A workspace (``name`` unique in the project); returns ``{projectId, workspaceId}``."""
        self.project(org_id, project_id)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            raise invalid("name is required")
        if self.conn.execute(
            "SELECT 1 FROM workspaces WHERE project_id=? AND name=?", (project_id, body["name"])
        ).fetchone():
            raise ConsoleError(409, "ERR_MSG_DUPLICATE_NAME", f"A workspace named {body['name']!r} already exists")
        wid = random_digits(19)
        title, description = str(body.get("title") or body["name"]), str(body.get("description") or "")
        self.conn.execute(
            "INSERT INTO workspaces VALUES (?,?,?,?,?,?)",
            (wid, project_id, body["name"], title, description, iso_now()),
        )
        return {"projectId": project_id, "workspaceId": wid}

    def get_workspace(self, org_id: str, project_id: str, workspace_id: str) -> dict[str, Any]:
        """One workspace."""
        return workspace_json(self.workspace(org_id, project_id, workspace_id))

    # ---- credentials ----
    def list_credentials(self, org_id: str, project_id: str, workspace_id: str) -> list[dict[str, Any]]:
        """A workspace's credentials (``id_integration``, flow and integration types)."""
        self.workspace(org_id, project_id, workspace_id)
        rows = self.conn.execute(
            "SELECT * FROM credentials WHERE workspace_id=? ORDER BY date_created, rowid", (workspace_id,)
        )
        return [
            {
                "id_workspace": workspace_id,
                "id_integration": c["id"],
                "flow_type": c["flow_type"],
                "integration_type": c["integration_type"],
            }
            for c in rows
        ]

    def create_credential(
        self, org_id: str, project_id: str, workspace_id: str, integration_type: str, body: Any
    ) -> dict[str, Any]:
        """A credential of ``integration_type`` ``oauth_server_to_server`` (JSON object body) or
        ``service`` (JWT, body may be a form with a ``certificate`` upload; name 6-25 characters):
        its client (secret, technical account, org membership) and, for ``service``, the binding
        of the certificate. Returns ``{id, apiKey, orgId}``."""
        org = self.org(org_id)
        self.workspace(org_id, project_id, workspace_id)
        if integration_type != "service" and not isinstance(body, dict):
            raise invalid("Request body must be a JSON object")
        body = body or {}
        name, description = _text(body.get("name")), _text(body.get("description", ""))
        if not isinstance(name, str) or not name:
            raise invalid("name is required")
        if integration_type == "service" and not ENTP_NAME_LENGTH[0] <= len(name) <= ENTP_NAME_LENGTH[1]:
            raise invalid("name must be 6 to 25 characters long")
        if self.conn.execute(
            "SELECT 1 FROM credentials WHERE workspace_id=? AND name=?", (workspace_id, name)
        ).fetchone():
            raise ConsoleError(409, "ERR_MSG_DUPLICATE_NAME", f"A credential named {name!r} already exists")
        cert = _certificate(body.get("certificate")) if integration_type == "service" else None
        cred_id, client_id = random_digits(7), secrets.token_hex(16)
        ta_id, ta_email = new_technical_account()
        self.conn.execute(
            "INSERT INTO credentials VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                cred_id,
                org["id"],
                project_id,
                workspace_id,
                name,
                str(description or ""),
                "entp",
                integration_type,
                client_id,
                str(int(time.time() * 1000)),
            ),
        )
        self.conn.execute(
            "INSERT INTO clients VALUES (?,?,?,?,?,?,?)",
            (client_id, _secret(), json.dumps(SEED["credential_base_scopes"]), ta_id, ta_email, org["id"], cred_id),
        )
        self.conn.execute("INSERT OR IGNORE INTO org_members VALUES (?,?,?)", (org["id"], ta_id, "DEVELOPER"))
        if cert is not None:
            self._add_binding(cred_id, cert)
        return {"id": cred_id, "apiKey": client_id, "orgId": org["code"]}

    def delete_credential(self, org_id: str, project_id: str, workspace_id: str, cred_id: str) -> None:
        """Delete a credential of the workspace (with its client, bindings and subscriptions)."""
        self.workspace(org_id, project_id, workspace_id)
        if self.credential(org_id, cred_id)["workspace_id"] != workspace_id:
            raise ConsoleError(404, "ERR_MSG_NOT_FOUND", f"Credential {cred_id} not found")
        self._delete_credential(cred_id)

    def put_services(
        self, org_id: str, project_id: str, workspace_id: str, cred_type: str, cred_id: str, body: Any
    ) -> dict[str, Any]:
        """Replace a credential's subscriptions by the SDK codes of ``body`` (a list of
        ``{sdkCode, roles, licenseConfigs}``; each code known to the org); returns ``{sdkList}``."""
        self.workspace(org_id, project_id, workspace_id)
        cred = self.credential(org_id, cred_id)
        expected = "entp" if cred["integration_type"] == "service" else cred["integration_type"]
        if cred["workspace_id"] != workspace_id or cred_type != expected:
            raise ConsoleError(404, "ERR_MSG_NOT_FOUND", f"No {cred_type} credential {cred_id}")
        if not isinstance(body, list) or not all(
            isinstance(i, dict) and isinstance(i.get("sdkCode"), str) for i in body
        ):
            raise invalid("body must be a list of {sdkCode, roles, licenseConfigs}")
        known = {r[0] for r in self.conn.execute("SELECT code FROM services WHERE org_id=?", (org_id,))}
        unknown = [i["sdkCode"] for i in body if i["sdkCode"] not in known]
        if unknown:
            raise ConsoleError(400, "ERR_MSG_INVALID_SDK", f"Unknown service(s): {', '.join(unknown)}")
        self.conn.execute("DELETE FROM subscriptions WHERE credential_id=?", (cred_id,))
        codes: list[str] = []
        for item in body:
            if item["sdkCode"] not in codes:
                codes.append(item["sdkCode"])
        for pos, code in enumerate(codes):
            self.conn.execute("INSERT INTO subscriptions VALUES (?,?,?)", (cred_id, code, pos))
        return {"sdkList": codes}

    # ---- integrations and bindings ----
    def list_integrations(self, org_id: str, page_text: str, size_text: str) -> dict[str, Any]:
        """One 0-based page (at most 50) of the org's credentials as integration summaries."""
        org = self.org(org_id)
        page, size = int(page_text), min(int(size_text), 50)
        creds = self.conn.execute(
            "SELECT * FROM credentials WHERE org_id=? ORDER BY date_created, rowid", (org_id,)
        ).fetchall()
        content = [
            {k: v for k, v in integration_json(self.conn, c, org["code"]).items() if k in INTEGRATION_SUMMARY}
            for c in creds[page * size : (page + 1) * size]
        ]
        pages = max(1, math.ceil(len(creds) / size))
        return {"page": page, "pages": pages, "size": size, "total": len(creds), "content": content}

    def get_integration(self, org_id: str, cred_id: str) -> dict[str, Any]:
        """One credential as an integration."""
        org = self.org(org_id)
        return integration_json(self.conn, self.credential(org_id, cred_id), org["code"])

    def delete_integration(self, org_id: str, cred_id: str) -> None:
        """Delete a credential by its integration id."""
        self.org(org_id)
        self.credential(org_id, cred_id)
        self._delete_credential(cred_id)

    def list_bindings(self, org_id: str, cred_id: str) -> list[dict[str, Any]]:
        """A credential's certificate bindings."""
        org = self.org(org_id)
        return bindings_json(self.conn, self.credential(org_id, cred_id), org["code"])

    def add_binding(self, org_id: str, cred_id: str, body: Any) -> list[dict[str, Any]]:
        """Bind the ``certificate`` of ``body`` (400 when not PEM, 409 when already bound); returns
        the bindings."""
        org = self.org(org_id)
        cred = self.credential(org_id, cred_id)
        cert = _certificate((body or {}).get("certificate") if isinstance(body, dict) else None)
        fp = pki.fingerprint(cert)
        if self.conn.execute(
            "SELECT 1 FROM bindings WHERE credential_id=? AND fingerprint=?", (cred_id, fp)
        ).fetchone():
            raise ConsoleError(409, "ERR_MSG_DUPLICATE_CERTIFICATE", f"Certificate {fp} is already bound")
        self._add_binding(cred_id, cert)
        return bindings_json(self.conn, cred, org["code"])

    def delete_binding(self, org_id: str, cred_id: str, binding_id: str) -> None:
        """Remove one binding (404 when the credential has no such binding)."""
        self.org(org_id)
        self.credential(org_id, cred_id)
        cur = self.conn.execute("DELETE FROM bindings WHERE id=? AND credential_id=?", (binding_id, cred_id))
        if cur.rowcount == 0:
            raise ConsoleError(404, "ERR_MSG_NOT_FOUND", f"Binding {binding_id} not found")

    # ---- writes shared by several operations ----
    def _add_binding(self, cred_id: str, cert: x509.Certificate) -> None:
        self.conn.execute(
            "INSERT INTO bindings VALUES (?,?,?,?,?,?)",
            (
                secrets.token_hex(16),
                cred_id,
                cert.public_bytes(Encoding.PEM).decode(),
                pki.fingerprint(cert),
                pki.not_after_ms(cert),
                time.time_ns(),
            ),
        )

    def _delete_credential(self, cred_id: str) -> None:
        conn = self.conn
        row = conn.execute("SELECT client_id FROM credentials WHERE id=?", (cred_id,)).fetchone()
        if row is not None:
            client = conn.execute("SELECT technical_account_id FROM clients WHERE client_id=?", (row[0],)).fetchone()
            if client is not None:
                conn.execute("DELETE FROM org_members WHERE user_id=?", (client[0],))
            conn.execute("DELETE FROM clients WHERE client_id=?", (row[0],))
        conn.execute("DELETE FROM bindings WHERE credential_id=?", (cred_id,))
        conn.execute("DELETE FROM subscriptions WHERE credential_id=?", (cred_id,))
        conn.execute("DELETE FROM credentials WHERE id=?", (cred_id,))

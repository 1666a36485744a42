"""Adobe Developer Console emulator: the API gateway checks, organizations, projects, workspaces,
credentials, service subscriptions, integrations and certificate bindings
(docs/api-fidelity.md, section "Developer Console")."""

from __future__ import annotations

import json
import math
import secrets
import sqlite3
import string
import time
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import pki
from .common import FaultMiddleware, all_params, sandbox_routes
from .ims import verify_access_token
from .world import SEED, World, iso_now, new_technical_account, random_digits

ENTP_NAME_LENGTH = (6, 25)


def gateway_error(status: int, code: str, message: str) -> JSONResponse:
    """An Adobe API gateway error body ``{"error_code", "message"}``."""
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


def console_error(status: int, code: str, message: str) -> JSONResponse:
    """A Console API error (assumed shape, same keys as the gateway's)."""
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


class Denied(Exception):
    def __init__(self, response: Response):
        self.response = response


def _secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return "p8e-" + "".join(secrets.choice(alphabet) for _ in range(32))


def _project_json(conn: sqlite3.Connection, p: sqlite3.Row) -> dict[str, Any]:
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


def _bindings_json(conn: sqlite3.Connection, cred: sqlite3.Row, org_code: str) -> list[dict[str, Any]]:
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


def _integration_json(conn: sqlite3.Connection, cred: sqlite3.Row, org_code: str) -> dict[str, Any]:
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


def _delete_credential(conn: sqlite3.Connection, cred_id: str) -> None:
    row = conn.execute("SELECT client_id FROM credentials WHERE id=?", (cred_id,)).fetchone()
    if row is not None:
        client = conn.execute("SELECT technical_account_id FROM clients WHERE client_id=?", (row[0],)).fetchone()
        if client is not None:
            conn.execute("DELETE FROM org_members WHERE user_id=?", (client[0],))
        conn.execute("DELETE FROM clients WHERE client_id=?", (row[0],))
    conn.execute("DELETE FROM bindings WHERE credential_id=?", (cred_id,))
    conn.execute("DELETE FROM subscriptions WHERE credential_id=?", (cred_id,))
    conn.execute("DELETE FROM credentials WHERE id=?", (cred_id,))


def create_console_app(world: World, options: dict[str, Any]) -> Starlette:
    """The Developer Console ASGI app (api-fidelity.md "Developer Console")."""

    def gate(request: Request, conn: sqlite3.Connection) -> dict[str, Any]:
        """Gateway checks in the documented order; returns the token claims or raises Denied."""
        key = request.headers.get("x-api-key")
        if not key:
            raise Denied(gateway_error(403, "403000", "Api Key is required"))
        if conn.execute("SELECT 1 FROM clients WHERE client_id=?", (key,)).fetchone() is None:
            raise Denied(gateway_error(403, "403003", "Api Key is invalid"))
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            raise Denied(gateway_error(403, "403010", "Oauth token is missing."))
        claims = verify_access_token(conn, auth[7:].strip())
        if claims is None:
            raise Denied(gateway_error(401, "401013", "Oauth token is not valid"))
        return claims

    def org_of(conn: sqlite3.Connection, claims: dict[str, Any], org_id: str) -> sqlite3.Row:
        org = conn.execute("SELECT * FROM orgs WHERE id=?", (org_id,)).fetchone()
        member = conn.execute(
            "SELECT role FROM org_members WHERE org_id=? AND user_id=?", (org_id, claims.get("user_id"))
        ).fetchone()
        if org is None or member is None:
            raise Denied(console_error(403, "ERR_MSG_FORBIDDEN", f"You do not have access to organization {org_id}"))
        row: sqlite3.Row = org
        return row

    def row_or_404(conn: sqlite3.Connection, table: str, what: str, key: str, scope: tuple[str, str]) -> sqlite3.Row:
        """The row of ``table`` with ``id=key`` inside its parent (``scope`` = column, value), or the
        Console's 404 body naming ``what``."""
        column, value = scope
        row: sqlite3.Row | None = conn.execute(
            f"SELECT * FROM {table} WHERE id=? AND {column}=?", (key, value)
        ).fetchone()
        if row is None:
            raise Denied(console_error(404, "ERR_MSG_NOT_FOUND", f"{what} {key} not found"))
        return row

    def project_of(conn: sqlite3.Connection, org_id: str, project_id: str) -> sqlite3.Row:
        return row_or_404(conn, "projects", "Project", project_id, ("org_id", org_id))

    def workspace_of(conn: sqlite3.Connection, project_id: str, workspace_id: str) -> sqlite3.Row:
        return row_or_404(conn, "workspaces", "Workspace", workspace_id, ("project_id", project_id))

    def credential_of(conn: sqlite3.Connection, org_id: str, cred_id: str) -> sqlite3.Row:
        return row_or_404(conn, "credentials", "Credential", cred_id, ("org_id", org_id))

    def handler(fn: Any, write: bool = False) -> Any:
        async def endpoint(request: Request) -> Response:
            body: Any = None
            if request.method in ("POST", "PUT"):
                ctype = request.headers.get("content-type", "")
                if ctype.startswith("application/json"):
                    try:
                        body = await request.json()
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        return console_error(400, "ERR_MSG_INVALID_REQUEST", "Request body is not valid JSON")
                else:
                    params = await all_params(request)
                    body = {}
                    for k, v in params:
                        if isinstance(v, UploadFile):
                            body[k] = await v.read()
                        else:
                            body.setdefault(k, v)
            try:
                with world.tx(write=write) as conn:
                    claims = gate(request, conn)
                    result: Response = fn(request, conn, claims, body, **request.path_params)
                    return result
            except Denied as denied:
                return denied.response

        return endpoint

    # ---- organizations ----
    def list_orgs(request: Request, conn: sqlite3.Connection, claims: dict[str, Any], body: Any) -> Response:
        rows = conn.execute(
            "SELECT o.*, m.role FROM orgs o JOIN org_members m ON m.org_id=o.id WHERE m.user_id=? ORDER BY o.rowid",
            (claims.get("user_id"),),
        ).fetchall()
        return JSONResponse(
            [
                {
                    "id": r["id"],
                    "code": r["code"],
                    "name": r["name"],
                    "description": r["description"],
                    "type": r["type"],
                    "roles": [
                        {
                            "principal": claims.get("user_id"),
                            "organization": r["code"],
                            "named_role": r["role"].lower(),
                            "target": r["code"],
                        }
                    ],
                    "role": r["role"],
                }
                for r in rows
            ]
        )

    def list_services(
        request: Request, conn: sqlite3.Connection, claims: dict[str, Any], body: Any, orgId: str
    ) -> Response:
        org_of(conn, claims, orgId)
        wanted = {c for c in request.query_params.get("sdkCodes", "").split(",") if c}
        rows = conn.execute("SELECT * FROM services WHERE org_id=? ORDER BY pos", (orgId,)).fetchall()
        return JSONResponse(
            [
                {
                    "name": s["name"],
                    "code": s["code"],
                    "enabled": True,
                    "type": s["type"],
                    "properties": None,
                    "requiresApproval": False,
                    "entitledForOrg": True,
                    "scopes": json.loads(s["scopes"]),
                }
                for s in rows
                if not wanted or s["code"] in wanted
            ]
        )

    # ---- projects ----
    def list_projects(
        request: Request, conn: sqlite3.Connection, claims: dict[str, Any], body: Any, orgId: str
    ) -> Response:
        org_of(conn, claims, orgId)
        rows = conn.execute("SELECT * FROM projects WHERE org_id=? ORDER BY date_created, rowid", (orgId,)).fetchall()
        title = request.query_params.get("title")
        items = [_project_json(conn, p) for p in rows if title is None or p["title"] == title]
        page = request.query_params.get("page")
        if page is not None:
            size = int(request.query_params.get("size", "100"))
            start = (max(int(page), 1) - 1) * size
            items = items[start : start + size]
        return JSONResponse(items)

    def create_project(
        request: Request, conn: sqlite3.Connection, claims: dict[str, Any], body: Any, orgId: str
    ) -> Response:
        org_of(conn, claims, orgId)
        if not isinstance(body, dict):
            return console_error(400, "ERR_MSG_INVALID_REQUEST", "Request body must be a JSON object")
        name, title = body.get("name"), body.get("title")
        ptype = body.get("type", "default")
        if not isinstance(name, str) or not name or not isinstance(title, str) or not title:
            return console_error(400, "ERR_MSG_INVALID_REQUEST", "name and title are required")
        if ptype not in ("default", "jaeger"):
            return console_error(400, "ERR_MSG_INVALID_REQUEST", f"invalid project type {ptype!r}")
        if conn.execute("SELECT 1 FROM projects WHERE org_id=? AND name=?", (orgId, name)).fetchone():
            return console_error(409, "ERR_MSG_DUPLICATE_NAME", f"A project named {name!r} already exists")
        pid, wid, now = random_digits(19), random_digits(19), iso_now()
        conn.execute(
            "INSERT INTO projects VALUES (?,?,?,?,?,?,?,?,?)",
            (
                pid,
                orgId,
                name,
                title,
                str(body.get("description") or ""),
                ptype,
                now,
                now,
                claims.get("user_id", ""),
            ),
        )
        conn.execute("INSERT INTO workspaces VALUES (?,?,?,?,?,?)", (wid, pid, "Production", "Production", "", now))
        return JSONResponse({"projectId": pid, "projectType": ptype, "workspaceId": wid}, status_code=201)

    def get_project(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        return JSONResponse(_project_json(conn, project_of(conn, orgId, projectId)))

    def delete_project(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        for (cid,) in conn.execute("SELECT id FROM credentials WHERE project_id=?", (projectId,)).fetchall():
            _delete_credential(conn, cid)
        conn.execute("DELETE FROM workspaces WHERE project_id=?", (projectId,))
        conn.execute("DELETE FROM projects WHERE id=?", (projectId,))
        return JSONResponse({})

    # ---- workspaces ----
    def list_workspaces(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        rows = conn.execute("SELECT * FROM workspaces WHERE project_id=? ORDER BY date_created, rowid", (projectId,))
        return JSONResponse([_workspace_json(w) for w in rows])

    def create_workspace(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            return console_error(400, "ERR_MSG_INVALID_REQUEST", "name is required")
        if conn.execute("SELECT 1 FROM workspaces WHERE project_id=? AND name=?", (projectId, body["name"])).fetchone():
            return console_error(409, "ERR_MSG_DUPLICATE_NAME", f"A workspace named {body['name']!r} already exists")
        wid = random_digits(19)
        conn.execute(
            "INSERT INTO workspaces VALUES (?,?,?,?,?,?)",
            (
                wid,
                projectId,
                body["name"],
                str(body.get("title") or body["name"]),
                str(body.get("description") or ""),
                iso_now(),
            ),
        )
        return JSONResponse({"projectId": projectId, "workspaceId": wid}, status_code=201)

    def get_workspace(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
        workspaceId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        return JSONResponse(_workspace_json(workspace_of(conn, projectId, workspaceId)))

    # ---- credentials ----
    def list_credentials(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
        workspaceId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        workspace_of(conn, projectId, workspaceId)
        rows = conn.execute(
            "SELECT * FROM credentials WHERE workspace_id=? ORDER BY date_created, rowid", (workspaceId,)
        )
        return JSONResponse(
            [
                {
                    "id_workspace": workspaceId,
                    "id_integration": c["id"],
                    "flow_type": c["flow_type"],
                    "integration_type": c["integration_type"],
                }
                for c in rows
            ]
        )

    def _create_credential(
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        org: sqlite3.Row,
        project_id: str,
        workspace_id: str,
        integration_type: str,
    ) -> Response:
        name, description = body.get("name"), body.get("description", "")
        if isinstance(name, bytes):
            name = name.decode()
        if not isinstance(name, str) or not name:
            return console_error(400, "ERR_MSG_INVALID_REQUEST", "name is required")
        if integration_type == "service" and not ENTP_NAME_LENGTH[0] <= len(name) <= ENTP_NAME_LENGTH[1]:
            return console_error(400, "ERR_MSG_INVALID_REQUEST", "name must be 6 to 25 characters long")
        if conn.execute("SELECT 1 FROM credentials WHERE workspace_id=? AND name=?", (workspace_id, name)).fetchone():
            return console_error(409, "ERR_MSG_DUPLICATE_NAME", f"A credential named {name!r} already exists")
        cert = None
        if integration_type == "service":
            raw = body.get("certificate")
            raw = raw.encode() if isinstance(raw, str) else raw
            try:
                cert = pki.load_cert(raw) if isinstance(raw, bytes) else None
            except ValueError:
                cert = None
            if cert is None:
                return console_error(
                    400, "ERR_MSG_INVALID_CERTIFICATE", "certificate is missing or not a PEM certificate"
                )
        cred_id = random_digits(7)
        client_id = secrets.token_hex(16)
        ta_id, ta_email = new_technical_account()
        conn.execute(
            "INSERT INTO credentials VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                cred_id,
                org["id"],
                project_id,
                workspace_id,
                name,
                description.decode() if isinstance(description, bytes) else str(description or ""),
                "entp",
                integration_type,
                client_id,
                str(int(time.time() * 1000)),
            ),
        )
        conn.execute(
            "INSERT INTO clients VALUES (?,?,?,?,?,?,?)",
            (
                client_id,
                _secret(),
                json.dumps(SEED["credential_base_scopes"]),
                ta_id,
                ta_email,
                org["id"],
                cred_id,
            ),
        )
        conn.execute("INSERT OR IGNORE INTO org_members VALUES (?,?,?)", (org["id"], ta_id, "DEVELOPER"))
        if cert is not None:
            _add_binding(conn, cred_id, cert)
        return JSONResponse({"id": cred_id, "apiKey": client_id, "orgId": org["code"]})

    def create_s2s(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
        workspaceId: str,
    ) -> Response:
        org = org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        workspace_of(conn, projectId, workspaceId)
        if not isinstance(body, dict):
            return console_error(400, "ERR_MSG_INVALID_REQUEST", "Request body must be a JSON object")
        return _create_credential(conn, claims, body, org, projectId, workspaceId, "oauth_server_to_server")

    def create_entp(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
        workspaceId: str,
    ) -> Response:
        org = org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        workspace_of(conn, projectId, workspaceId)
        return _create_credential(conn, claims, body or {}, org, projectId, workspaceId, "service")

    def delete_credential(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
        workspaceId: str,
        credentialId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        workspace_of(conn, projectId, workspaceId)
        cred = credential_of(conn, orgId, credentialId)
        if cred["workspace_id"] != workspaceId:
            return console_error(404, "ERR_MSG_NOT_FOUND", f"Credential {credentialId} not found")
        _delete_credential(conn, credentialId)
        return JSONResponse({})

    def put_services(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        projectId: str,
        workspaceId: str,
        credentialType: str,
        credentialId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        project_of(conn, orgId, projectId)
        workspace_of(conn, projectId, workspaceId)
        cred = credential_of(conn, orgId, credentialId)
        expected = "entp" if cred["integration_type"] == "service" else cred["integration_type"]
        if cred["workspace_id"] != workspaceId or credentialType != expected:
            return console_error(404, "ERR_MSG_NOT_FOUND", f"No {credentialType} credential {credentialId}")
        if not isinstance(body, list) or not all(
            isinstance(i, dict) and isinstance(i.get("sdkCode"), str) for i in body
        ):
            return console_error(
                400, "ERR_MSG_INVALID_REQUEST", "body must be a list of {sdkCode, roles, licenseConfigs}"
            )
        known = {r[0] for r in conn.execute("SELECT code FROM services WHERE org_id=?", (orgId,))}
        unknown = [i["sdkCode"] for i in body if i["sdkCode"] not in known]
        if unknown:
            return console_error(400, "ERR_MSG_INVALID_SDK", f"Unknown service(s): {', '.join(unknown)}")
        conn.execute("DELETE FROM subscriptions WHERE credential_id=?", (credentialId,))
        codes: list[str] = []
        for item in body:
            if item["sdkCode"] not in codes:
                codes.append(item["sdkCode"])
        for pos, code in enumerate(codes):
            conn.execute("INSERT INTO subscriptions VALUES (?,?,?)", (credentialId, code, pos))
        return JSONResponse({"sdkList": codes})

    # ---- integrations ----
    def list_integrations(
        request: Request, conn: sqlite3.Connection, claims: dict[str, Any], body: Any, orgId: str
    ) -> Response:
        org = org_of(conn, claims, orgId)
        page = int(request.query_params.get("page", "0"))
        size = min(int(request.query_params.get("size", "50")), 50)
        creds = conn.execute(
            "SELECT * FROM credentials WHERE org_id=? ORDER BY date_created, rowid", (orgId,)
        ).fetchall()
        content = [
            {
                k: v
                for k, v in _integration_json(conn, c, org["code"]).items()
                if k in ("id", "apikey", "name", "orgId", "type", "status", "sdkList", "integration_type")
            }
            for c in creds[page * size : (page + 1) * size]
        ]
        return JSONResponse(
            {
                "page": page,
                "pages": max(1, math.ceil(len(creds) / size)),
                "size": size,
                "total": len(creds),
                "content": content,
            }
        )

    def get_integration(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        credentialId: str,
    ) -> Response:
        org = org_of(conn, claims, orgId)
        return JSONResponse(_integration_json(conn, credential_of(conn, orgId, credentialId), org["code"]))

    def delete_integration(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        credentialId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        credential_of(conn, orgId, credentialId)
        _delete_credential(conn, credentialId)
        return Response(status_code=204)

    def list_bindings(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        credentialId: str,
    ) -> Response:
        org = org_of(conn, claims, orgId)
        return JSONResponse(_bindings_json(conn, credential_of(conn, orgId, credentialId), org["code"]))

    def add_binding(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        credentialId: str,
    ) -> Response:
        org = org_of(conn, claims, orgId)
        cred = credential_of(conn, orgId, credentialId)
        raw = (body or {}).get("certificate") if isinstance(body, dict) else None
        raw = raw.encode() if isinstance(raw, str) else raw
        try:
            cert = pki.load_cert(raw) if isinstance(raw, bytes) else None
        except ValueError:
            cert = None
        if cert is None:
            return console_error(400, "ERR_MSG_INVALID_CERTIFICATE", "certificate is missing or not a PEM certificate")
        fp = pki.fingerprint(cert)
        if conn.execute(
            "SELECT 1 FROM bindings WHERE credential_id=? AND fingerprint=?", (credentialId, fp)
        ).fetchone():
            return console_error(409, "ERR_MSG_DUPLICATE_CERTIFICATE", f"Certificate {fp} is already bound")
        _add_binding(conn, credentialId, cert)
        return JSONResponse(_bindings_json(conn, cred, org["code"]))

    def delete_binding(
        request: Request,
        conn: sqlite3.Connection,
        claims: dict[str, Any],
        body: Any,
        orgId: str,
        credentialId: str,
        bindingId: str,
    ) -> Response:
        org_of(conn, claims, orgId)
        credential_of(conn, orgId, credentialId)
        cur = conn.execute("DELETE FROM bindings WHERE id=? AND credential_id=?", (bindingId, credentialId))
        if cur.rowcount == 0:
            return console_error(404, "ERR_MSG_NOT_FOUND", f"Binding {bindingId} not found")
        return JSONResponse({})

    org = "/console/organizations/{orgId}"
    ws = org + "/projects/{projectId}/workspaces/{workspaceId}"
    routes = [
        *sandbox_routes(world, "console"),
        Route("/console/organizations", handler(list_orgs), methods=["GET"]),
        Route(org + "/services", handler(list_services), methods=["GET"]),
        Route(org + "/projects", handler(list_projects), methods=["GET"]),
        Route(org + "/projects", handler(create_project, write=True), methods=["POST"]),
        Route(org + "/projects/{projectId}", handler(get_project), methods=["GET"]),
        Route(org + "/projects/{projectId}", handler(delete_project, write=True), methods=["DELETE"]),
        Route(org + "/projects/{projectId}/workspaces", handler(list_workspaces), methods=["GET"]),
        Route(org + "/projects/{projectId}/workspaces", handler(create_workspace, write=True), methods=["POST"]),
        Route(ws, handler(get_workspace), methods=["GET"]),
        Route(ws + "/credentials", handler(list_credentials), methods=["GET"]),
        Route(ws + "/credentials/oauth-server-to-server", handler(create_s2s, write=True), methods=["POST"]),
        Route(ws + "/credentials/entp", handler(create_entp, write=True), methods=["POST"]),
        Route(ws + "/credentials/{credentialId}", handler(delete_credential, write=True), methods=["DELETE"]),
        Route(
            ws + "/credentials/{credentialType}/{credentialId}/services",
            handler(put_services, write=True),
            methods=["PUT"],
        ),
        Route(org + "/integrations", handler(list_integrations), methods=["GET"]),
        Route(org + "/integrations/entp/{credentialId}/bindings", handler(list_bindings), methods=["GET"]),
        Route(
            org + "/integrations/entp/{credentialId}/bindings",
            handler(add_binding, write=True),
            methods=["POST"],
        ),
        Route(
            org + "/integrations/entp/{credentialId}/bindings/{bindingId}",
            handler(delete_binding, write=True),
            methods=["DELETE"],
        ),
        Route(org + "/integrations/{credentialId}", handler(get_integration), methods=["GET"]),
        Route(org + "/integrations/{credentialId}", handler(delete_integration, write=True), methods=["DELETE"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(FaultMiddleware, world=world, service="console", options=options)],
    )
    app.state.sandbox_options = options
    return app


def _workspace_json(w: sqlite3.Row) -> dict[str, Any]:
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


def _add_binding(conn: sqlite3.Connection, cred_id: str, cert: Any) -> None:
    conn.execute(
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

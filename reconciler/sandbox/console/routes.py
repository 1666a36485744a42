"""Adobe Developer Console emulator, HTTP side (docs/api-fidelity.md, section "Developer Console").

Each route function translates one request into a ``ConsoleModel`` call (``models.py``) and its
result into the Console's answer; ``common.handler`` reads the body, runs the transaction and the
gateway checks, and answers a ``ConsoleError`` in the Console's error shape.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..common import all_params, handler, service_app
from ..world import World
from .models import ConsoleModel, invalid

Conn = sqlite3.Connection
Model = ConsoleModel


async def read_body(request: Request) -> Any:
    """POST/PUT bodies: JSON (400 when invalid) or form fields (uploads as bytes, first value
    wins); None for other methods."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            return await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise invalid("Request body is not valid JSON") from None
    body: dict[str, Any] = {}
    for k, v in await all_params(request):
        if isinstance(v, UploadFile):
            body[k] = await v.read()
        else:
            body.setdefault(k, v)
    return body


def gateway(request: Request, conn: Conn) -> ConsoleModel:
    """The API gateway's checks; the model bound to the caller's token."""
    return ConsoleModel.authenticate(conn, request.headers.get("x-api-key"), request.headers.get("authorization", ""))


# ---- organizations ----
def list_orgs(request: Request, conn: Conn, m: Model, body: Any) -> Response:
    return JSONResponse(m.list_orgs())


def list_services(request: Request, conn: Conn, m: Model, body: Any, orgId: str) -> Response:
    wanted = {c for c in request.query_params.get("sdkCodes", "").split(",") if c}
    return JSONResponse(m.list_services(orgId, wanted))


# ---- projects and workspaces ----
def list_projects(request: Request, conn: Conn, m: Model, body: Any, orgId: str) -> Response:
    q = request.query_params
    return JSONResponse(m.list_projects(orgId, q.get("title"), q.get("page"), q.get("size", "100")))


def create_project(request: Request, conn: Conn, m: Model, body: Any, orgId: str) -> Response:
    return JSONResponse(m.create_project(orgId, body), status_code=201)


def get_project(request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str) -> Response:
    return JSONResponse(m.get_project(orgId, projectId))


def edit_project(request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str) -> Response:
    return JSONResponse(m.edit_project(orgId, projectId, body))


def delete_project(request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str) -> Response:
    m.delete_project(orgId, projectId)
    return JSONResponse({})


def list_workspaces(request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str) -> Response:
    return JSONResponse(m.list_workspaces(orgId, projectId))


def create_workspace(request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str) -> Response:
    return JSONResponse(m.create_workspace(orgId, projectId, body), status_code=201)


def get_workspace(
    request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str, workspaceId: str
) -> Response:
    return JSONResponse(m.get_workspace(orgId, projectId, workspaceId))


# ---- credentials ----
def list_credentials(
    request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str, workspaceId: str
) -> Response:
    return JSONResponse(m.list_credentials(orgId, projectId, workspaceId))


def create_s2s(
    request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str, workspaceId: str
) -> Response:
    return JSONResponse(m.create_credential(orgId, projectId, workspaceId, "oauth_server_to_server", body))


def create_entp(
    request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str, workspaceId: str
) -> Response:
    return JSONResponse(m.create_credential(orgId, projectId, workspaceId, "service", body))


def delete_credential(
    request: Request, conn: Conn, m: Model, body: Any, orgId: str, projectId: str, workspaceId: str, credentialId: str
) -> Response:
    m.delete_credential(orgId, projectId, workspaceId, credentialId)
    return JSONResponse({})


def put_services(
    request: Request,
    conn: Conn,
    m: Model,
    body: Any,
    orgId: str,
    projectId: str,
    workspaceId: str,
    credentialType: str,
    credentialId: str,
) -> Response:
    return JSONResponse(m.put_services(orgId, projectId, workspaceId, credentialType, credentialId, body))


# ---- integrations and bindings ----
def list_integrations(request: Request, conn: Conn, m: Model, body: Any, orgId: str) -> Response:
    q = request.query_params
    return JSONResponse(m.list_integrations(orgId, q.get("page", "0"), q.get("size", "50")))


def get_integration(request: Request, conn: Conn, m: Model, body: Any, orgId: str, credentialId: str) -> Response:
    return JSONResponse(m.get_integration(orgId, credentialId))


def delete_integration(request: Request, conn: Conn, m: Model, body: Any, orgId: str, credentialId: str) -> Response:
    m.delete_integration(orgId, credentialId)
    return Response(status_code=204)


def list_bindings(request: Request, conn: Conn, m: Model, body: Any, orgId: str, credentialId: str) -> Response:
    return JSONResponse(m.list_bindings(orgId, credentialId))


def add_binding(request: Request, conn: Conn, m: Model, body: Any, orgId: str, credentialId: str) -> Response:
    return JSONResponse(m.add_binding(orgId, credentialId, body))


def delete_binding(
    request: Request, conn: Conn, m: Model, body: Any, orgId: str, credentialId: str, bindingId: str
) -> Response:
    m.delete_binding(orgId, credentialId, bindingId)
    return JSONResponse({})


ORG = "/console/organizations/{orgId}"
WS = ORG + "/projects/{projectId}/workspaces/{workspaceId}"
BINDINGS = ORG + "/integrations/entp/{credentialId}/bindings"
#: (path, method, route function, writes)
ROUTES = (
    ("/console/organizations", "GET", list_orgs, False),
    (ORG + "/services", "GET", list_services, False),
    (ORG + "/projects", "GET", list_projects, False),
    (ORG + "/projects", "POST", create_project, True),
    (ORG + "/projects/{projectId}", "GET", get_project, False),
    (ORG + "/projects/{projectId}", "PATCH", edit_project, True),
    (ORG + "/projects/{projectId}", "DELETE", delete_project, True),
    (ORG + "/projects/{projectId}/workspaces", "GET", list_workspaces, False),
    (ORG + "/projects/{projectId}/workspaces", "POST", create_workspace, True),
    (WS, "GET", get_workspace, False),
    (WS + "/credentials", "GET", list_credentials, False),
    (WS + "/credentials/oauth-server-to-server", "POST", create_s2s, True),
    (WS + "/credentials/entp", "POST", create_entp, True),
    (WS + "/credentials/{credentialId}", "DELETE", delete_credential, True),
    (WS + "/credentials/{credentialType}/{credentialId}/services", "PUT", put_services, True),
    (ORG + "/integrations", "GET", list_integrations, False),
    (BINDINGS, "GET", list_bindings, False),
    (BINDINGS, "POST", add_binding, True),
    (BINDINGS + "/{bindingId}", "DELETE", delete_binding, True),
    (ORG + "/integrations/{credentialId}", "GET", get_integration, False),
    (ORG + "/integrations/{credentialId}", "DELETE", delete_integration, True),
)


def create_console_app(world: World, options: dict[str, Any], _ims_url: str = "") -> Starlette:
    """The Developer Console ASGI app (api-fidelity.md "Developer Console")."""
    routes = [
        Route(path, handler(world, fn, gate=gateway, write=write, body=read_body), methods=[method])
        for path, method, fn, write in ROUTES
    ]
    return service_app(world, "console", routes, options)

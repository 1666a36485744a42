"""Workfront emulator, HTTP side (docs/api-fidelity.md, section "Workfront").

``/attask/api/v<version>/`` (and ``/attask/api-internal/``, the official npm client's default):
object codes and aliases (case-insensitive), GET/POST/PUT/DELETE and the ``method=`` override (query
string or form body), ``updates`` as a parameter, a form field or a raw JSON body, ``fields``
(CSV or JSON array, ``ref:field``, ``ref:*``, ``*``), filters with ``_Mod`` modifiers,
``$$FIRST``/``$$LIMIT`` (default 100, more than 2000 is an error), ``_Sort``, ``count``, ``batch``,
the ``{data}``/``{error}`` envelopes, 429 for too many concurrent requests. Auth: ``apiKey``
(header or parameter) or an IMS bearer token of this world (with ``x-gw-ims-org-id``).

The native AEM integration's settings have no public API; the sandbox defines
``/aem-integration/api/v1/integrations[/{id}[/metadata-mappings[/{mid}]]]`` (assumed).
The rules are in ``models.py``; this module reads requests and writes the envelopes.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..common import handler, service_app
from ..ims.models import verify_access_token
from ..world import World
from .models import SUPPORTED_VERSIONS, WfError, WorkfrontModel, _first, error_response
from .seed import WORKFRONT_SEED, seed_workfront

Params = list[tuple[str, str]]


class Concurrency:
    """In-flight request counter: beyond ``limit`` requests at once, answer 429."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.current = 0


def authenticate(request: Request, conn: sqlite3.Connection, params: Params) -> str:
    """The caller's user: an ``apiKey`` (header or parameter) of the seed, or an IMS access token of
    this world (``x-gw-ims-org-id``, when sent, must be a known org). 401/403 ``WfError`` else."""
    key = request.headers.get("apikey") or _first(params, "apiKey")
    if key is not None:
        user = WORKFRONT_SEED["api_keys"].get(key)
        if user is None:
            raise WfError(401, "Invalid API key")
        return str(user)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        claims = verify_access_token(conn, auth[7:].strip())
        if claims is None:
            raise WfError(401, "The IMS access token is not valid or has expired")
        org = request.headers.get("x-gw-ims-org-id")
        if org is not None and conn.execute("SELECT 1 FROM orgs WHERE code=?", (org,)).fetchone() is None:
            raise WfError(403, f"IMS org {org} is not linked to this Workfront instance")
        return str(claims.get("user_id"))
    if request.headers.get("sessionid") or _first(params, "sessionID"):
        raise WfError(401, "Invalid session: API login is not available; use an API key or an IMS token")
    raise WfError(401, "You are not currently logged in")


async def read_request(request: Request) -> tuple[Params, Any]:
    """(query + form text parameters, the JSON body or None); 422 for a body that is not JSON."""
    params = list(request.query_params.multi_items())
    body_json: Any = None
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        params += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    else:
        raw = await request.body()
        if raw.strip():
            try:
                body_json = json.loads(raw)
            except ValueError:
                raise WfError(422, "the request body is not valid JSON") from None
    return params, body_json


def workfront_fault(status: int, phrase: str, headers: dict[str, str]) -> Response:
    """Workfront's answer to an injected fault (``TooManyConcurrentRequestsException`` for 429)."""
    cls = "TooManyConcurrentRequestsException" if status == 429 else "InternalException"
    return JSONResponse(
        {"error": {"class": f"com.attask.common.{cls}", "message": phrase}}, status_code=status, headers=headers
    )


def _data(value: Any) -> JSONResponse:
    return JSONResponse({"data": value})


def _version_error(version: str | None) -> Response | None:
    if version is None:
        return None
    m = re.fullmatch(r"(\d+)\.(\d+)", version)
    if m is not None and SUPPORTED_VERSIONS[0] <= int(m[1]) <= SUPPORTED_VERSIONS[1]:
        return None
    return error_response(
        410,
        f"API version v{version} is not available (supported: "
        f"v{SUPPORTED_VERSIONS[0]}.0 to v{SUPPORTED_VERSIONS[1]}.0)",
    )


def api_endpoint(world: World, gate: Concurrency) -> Any:
    """The REST API endpoint: version check (410), concurrency (429), then one transaction
    (a write one unless the effective method is GET) for the model's ``dispatch``."""

    async def api(request: Request) -> Response:
        gone = _version_error(request.path_params.get("version"))
        if gone is not None:
            return gone
        if gate.current >= gate.limit:
            return error_response(429, "Too many concurrent API requests for the given customer")
        gate.current += 1
        try:
            params, body_json = await read_request(request)
            method = (_first(params, "method") or request.method).upper()
            with world.tx(write=method != "GET") as conn:
                model = WorkfrontModel(conn, authenticate(request, conn, params))
                result = model.dispatch(method, request.path_params["rest"], params, body_json)
            return _data(result)
        except WfError as exc:
            return exc.response()
        finally:
            gate.current -= 1

    return api


async def _settings_body(request: Request) -> Any:
    """``read_request`` for the settings routes; the parameters are kept for the gate."""
    request.state.wf_params, body = await read_request(request)
    return body


def _settings_gate(request: Request, conn: sqlite3.Connection) -> WorkfrontModel:
    """The REST API's authentication, with the parameters ``_settings_body`` read."""
    return WorkfrontModel(conn, authenticate(request, conn, request.state.wf_params))


def _writes(request: Request) -> bool:
    return request.method != "GET"


def integrations(request: Request, conn: sqlite3.Connection, m: WorkfrontModel, body: Any) -> Response:
    if request.method == "GET":
        return _data(m.integrations())
    return _data(m.create_integration(body))


def integration(request: Request, conn: sqlite3.Connection, m: WorkfrontModel, body: Any, iid: str) -> Response:
    if request.method == "GET":
        return _data(m.integration(iid))
    if request.method == "PUT":
        return _data(m.update_integration(iid, body))
    m.delete_integration(iid)
    return _data({"success": True})


def mappings(request: Request, conn: sqlite3.Connection, m: WorkfrontModel, body: Any, iid: str) -> Response:
    if request.method == "GET":
        return _data(m.mappings(iid))
    return _data(m.save_mapping(iid, None, body))


def mapping(request: Request, conn: sqlite3.Connection, m: WorkfrontModel, body: Any, iid: str, mid: str) -> Response:
    if request.method == "DELETE":
        m.delete_mapping(iid, mid)
        return _data({"success": True})
    return _data(m.save_mapping(iid, mid, body))  # GET included: it answers 422 without a JSON body


def create_workfront_app(world: World, options: dict[str, Any], _ims_url: str = "") -> Starlette:
    """The Workfront ASGI app. ``options["max_concurrent"]`` caps concurrent API requests (429);
    the counter is ``app.state.workfront_gate``."""
    with world.tx() as conn:
        seed_workfront(conn)  # worlds created before the Workfront service existed
    gate = Concurrency(int(options.get("max_concurrent", 16)))
    api = api_endpoint(world, gate)

    def settings(route: Any) -> Any:
        return handler(world, route, gate=_settings_gate, write=_writes, body=_settings_body)

    methods = ["GET", "POST", "PUT", "DELETE"]
    base = "/aem-integration/api/v1/integrations"
    routes = [
        Route("/attask/api/v{version}/{rest:path}", api, methods=methods),
        Route("/attask/api-internal/{rest:path}", api, methods=methods),
        Route(base, settings(integrations), methods=["GET", "POST"]),
        Route(base + "/{iid}", settings(integration), methods=["GET", "PUT", "DELETE"]),
        Route(base + "/{iid}/metadata-mappings", settings(mappings), methods=["GET", "POST"]),
        Route(base + "/{iid}/metadata-mappings/{mid}", settings(mapping), methods=["GET", "PUT", "DELETE"]),
    ]
    app = service_app(world, "workfront", routes, options, fault=workfront_fault)
    app.state.workfront_gate = gate
    return app

"""User Management API emulator, HTTP side (docs/api-fidelity.md, section "User Management API").

Paths under ``/v2/usermanagement``: paged users (``/users/{orgId}/{page}[/{group}]``), one user
(``/organizations/{orgId}/users/{user}``), paged groups (``/groups/{orgId}/{page}``), and
``POST /action/{orgId}`` (the command rules are in ``models.py``). ``GET /status`` at the root. The
published per-client rate limits are enforced only when switched on (``set_umapi_rate_limits``),
so that tests are not slowed down by them. ``X-Request-Id`` is echoed back on every response.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from ..common import Gate, Refused, ResponseHeaderMiddleware, handler, request_header, service_app
from ..ims.models import verify_access_token
from ..world import World
from .models import PAGE_SIZE, Limiter, UmapiError, UmapiModel, page_count

BASE = "/v2/usermanagement"
Conn = sqlite3.Connection


def _unauthorized(description: str) -> Refused:
    challenge = f'Bearer realm="JIL", error="invalid_token", error_description="{description}"'
    return Refused(Response(status_code=401, headers={"WWW-Authenticate": challenge}))


def gate_for(world: World, limiter: Limiter, family: str) -> Gate:
    """The checks of every UMAPI call, in order: bearer token (401), ``X-Api-Key`` is the token's
    client and the token has ``user_management_sdk`` (403), the rate limit of ``family`` when
    switched on (429), a known org (400) of which the caller is a member (403)."""

    def gate(request: Request, conn: Conn) -> UmapiModel:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            raise _unauthorized("missing token")
        claims = verify_access_token(conn, auth[7:].strip())
        if claims is None:
            raise _unauthorized("token invalid")
        if request.headers.get("x-api-key") != claims.get("client_id"):
            raise Refused(Response(status_code=403))
        if "user_management_sdk" not in str(claims.get("scope", "")).split(","):
            raise Refused(Response(status_code=403))
        if world.meta_get(conn, "umapi_rate_limits") == "on":
            wait = limiter.retry_after(str(claims.get("client_id")), family)
            if wait:
                raise Refused(
                    JSONResponse(
                        {"error_code": "429050", "message": "Too many requests"},
                        status_code=429,
                        headers={"Retry-After": str(wait)},
                    )
                )
        model = UmapiModel(conn)
        if not model.org_member(request.path_params["org"], claims.get("user_id")):
            raise Refused(Response(status_code=403))
        return model

    return gate


def _page(request: Request) -> int:
    try:
        page = int(request.path_params["page"])
    except ValueError:
        page = -1
    if page < 0:
        raise UmapiError(400, "error.command.malformed", "page must be a non-negative integer")
    return page


def paged(items: list[dict[str, Any]], page: int, key: str, extra: dict[str, Any] | None = None) -> Response:
    """One page of ``items`` under ``key`` with the ``X-*`` paging headers (a page past the end
    answers the last page)."""
    pages = page_count(items)
    page = min(page, pages - 1)
    chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    body = {"lastPage": page >= pages - 1, "result": "success", **(extra or {}), key: chunk}
    headers = {
        "X-Total-Count": str(len(items)),
        "X-Page-Count": str(pages),
        "X-Current-Page": str(page),
        "X-Page-Size": str(len(chunk)),
    }
    return JSONResponse(body, headers=headers)


def users(
    request: Request, conn: Conn, m: UmapiModel, body: None, org: str, page: str, group: str | None = None
) -> Response:
    number = _page(request)
    if group is not None and not m.has_group(org, group):
        raise Refused(
            JSONResponse(
                {"lastPage": False, "result": "error.group.not_found", "message": f"Not found: Group {group}"},
                status_code=404,
            )
        )
    items = m.users(org, group, request.query_params.get("domain"))
    return paged(items, number, "users", {"groupName": group} if group is not None else None)


def one_user(request: Request, conn: Conn, m: UmapiModel, body: None, org: str, user: str) -> Response:
    found = m.user(org, user)
    if found is None:
        raise UmapiError(404, "error.user.not_found", f"User not found {user}")
    return JSONResponse({"result": "success", "user": found})


def groups(request: Request, conn: Conn, m: UmapiModel, body: None, org: str, page: str) -> Response:
    number = _page(request)
    items = m.groups(org)
    if number >= page_count(items):
        return JSONResponse({"lastPage": True, "result": "Not found"})
    return paged(items, number, "groups")


async def read_commands(request: Request) -> Any:
    """The JSON body of ``/action`` (400 when it is not JSON)."""
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise UmapiError(400, "error.command.malformed", "the body is not JSON") from None


def action(request: Request, conn: Conn, m: UmapiModel, commands: Any, org: str) -> Response:
    test_only = request.query_params.get("testOnly", "false").lower() == "true"
    return JSONResponse(m.action(org, commands, test_only))


async def status(request: Request) -> Response:
    return JSONResponse({"build": "sandbox", "version": "2.0", "state": "LIVE"})


def _request_id(scope: Scope) -> bytes | None:
    return request_header(scope, b"x-request-id")


def create_umapi_app(world: World, options: dict[str, Any], _ims_url: str = "") -> Starlette:
    """The UMAPI ASGI app (api-fidelity.md "User Management API")."""
    limiter = Limiter()
    users_endpoint = handler(world, users, gate=gate_for(world, limiter, "users"))
    routes = [
        Route("/status", status, methods=["GET"]),
        Route(BASE + "/users/{org}/{page}", users_endpoint, methods=["GET"]),
        Route(BASE + "/users/{org}/{page}/{group:path}", users_endpoint, methods=["GET"]),
        Route(
            BASE + "/organizations/{org}/users/{user}",
            handler(world, one_user, gate=gate_for(world, limiter, "users")),
            methods=["GET"],
        ),
        Route(
            BASE + "/groups/{org}/{page}",
            handler(world, groups, gate=gate_for(world, limiter, "groups")),
            methods=["GET"],
        ),
        Route(
            BASE + "/action/{org}",
            handler(world, action, gate=gate_for(world, limiter, "action"), write=True, body=read_commands),
            methods=["POST"],
        ),
    ]
    header = Middleware(ResponseHeaderMiddleware, name=b"x-request-id", value=_request_id)
    return service_app(world, "umapi", routes, options, [header])

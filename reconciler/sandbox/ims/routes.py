"""Adobe IMS emulator, HTTP side: ``/ims/token/v3`` (client credentials) and ``/ims/exchange/jwt``
(JWT assertion) issuing RS256 access tokens, ``/ims/keys`` (docs/api-fidelity.md, section "IMS").
The rules are in ``models.py``."""

from __future__ import annotations

import base64
import binascii
import sqlite3
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..common import ResponseHeaderMiddleware, all_params, handler, service_app, text_params
from ..world import World
from .models import IMS_PUBLIC_BASES, ImsError, ImsModel


async def _form(request: Request) -> dict[str, str]:
    return dict(text_params(await all_params(request)))


def token_v3(request: Request, conn: sqlite3.Connection, _auth: None, params: dict[str, str]) -> Response:
    """``POST /ims/token/v3`` (and ``/v2``): client id and secret as parameters or HTTP Basic."""
    client_id, client_secret = params.get("client_id", ""), params.get("client_secret")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic ") and not client_id:
        try:
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ImsError(400, "invalid_client", "invalid Authorization header") from None
    if not client_id:
        raise ImsError(400, "invalid_client", "missing client_id parameter")
    return JSONResponse(ImsModel(conn).client_credentials(client_id, client_secret, params))


def exchange_jwt(request: Request, conn: sqlite3.Connection, _auth: None, params: dict[str, str]) -> Response:
    """``POST /ims/exchange/jwt``: the audience may name a public IMS host or this server's URL."""
    client_id = params.get("client_id", "")
    if not client_id:
        raise ImsError(400, "invalid_client", "missing client_id parameter")
    bases = {*IMS_PUBLIC_BASES, str(request.base_url).rstrip("/")}
    return JSONResponse(ImsModel(conn).exchange_jwt(client_id, params, bases))


def keys(request: Request, conn: sqlite3.Connection, _auth: None, _body: None) -> Response:
    """``GET /ims/keys``: the token signing key as a JWKS."""
    return JSONResponse(ImsModel(conn).keys())


def ims_fault(status: int, phrase: str, headers: dict[str, str]) -> Response:
    """IMS's answer to an injected fault: ``{"error": too_many_requests | server_error, ...}``."""
    code = "too_many_requests" if status == 429 else "server_error"
    return JSONResponse({"error": code, "error_description": phrase}, status_code=status, headers=headers)


def _debug_id(_scope: Any) -> bytes:
    return uuid.uuid4().hex.encode()


def create_ims_app(world: World, options: dict[str, Any], _ims_url: str = "") -> Starlette:
    """The IMS ASGI app (api-fidelity.md "IMS"); every response carries a fresh ``x-debug-id``."""
    token = handler(world, token_v3, body=_form)
    exchange = handler(world, exchange_jwt, body=_form)
    routes = [
        Route("/ims/token/v3", token, methods=["POST"]),
        Route("/ims/token/v2", token, methods=["POST"]),
        Route("/ims/exchange/jwt", exchange, methods=["POST"]),
        Route("/ims/exchange/jwt/", exchange, methods=["POST"]),
        Route("/ims/keys", handler(world, keys), methods=["GET"]),
    ]
    header = Middleware(ResponseHeaderMiddleware, name=b"x-debug-id", value=_debug_id)
    return service_app(world, "ims", routes, options, [header], fault=ims_fault, counts_writes=False)

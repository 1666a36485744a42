"""Adobe IMS emulator: ``/ims/token/v3`` (client credentials) and ``/ims/exchange/jwt`` (JWT
assertion), issuing RS256 access tokens (docs/api-fidelity.md, section "IMS")."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import sqlite3
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import pki
from .common import FaultMiddleware, all_params, sandbox_routes, text_params
from .world import World

IMS_PUBLIC_BASES = ("https://ims-na1.adobelogin.com", "https://ims-na1-stg1.adobelogin.com", "sandbox://ims")
V3_EXPIRES_S = 86399
JWT_EXPIRES_MS = 86399000
KEY_ID = "ims_na1-key-at-1"
SCOPE_MISMATCH = "The metascopes in the JWT are not a subset of the metascopes in the binding."
NO_BINDING = "Could not match JWT signature to any of the bindings"

_key_cache: dict[str, Any] = {}


def _ims_key(conn: sqlite3.Connection) -> Any:
    row = conn.execute("SELECT value FROM meta WHERE key='ims_key_pem'").fetchone()
    pem = row[0]
    if pem not in _key_cache:
        _key_cache[pem] = serialization.load_pem_private_key(pem.encode(), password=None)
    return _key_cache[pem]


def issue_token(conn: sqlite3.Connection, client: sqlite3.Row, scopes: list[str], expires_ms: int) -> str:
    """An IMS-style access token: RS256 JWT with ``type``, ``client_id``, ``user_id``, ``as``,
    ``created_at`` and ``expires_in`` (ms, strings) and ``scope`` (comma-separated)."""
    now_ms = int(time.time() * 1000)
    claims = {
        "id": f"{now_ms}_{uuid.uuid4()}_ue1",
        "type": "access_token",
        "client_id": client["client_id"],
        "user_id": client["technical_account_id"],
        "as": "ims-na1",
        "aa_id": client["technical_account_id"],
        "created_at": str(now_ms),
        "expires_in": str(expires_ms),
        "scope": ",".join(scopes),
    }
    return jwt.encode(claims, _ims_key(conn), algorithm="RS256", headers={"kid": KEY_ID, "x5u": f"{KEY_ID}.cer"})


def verify_access_token(conn: sqlite3.Connection, token: str) -> dict[str, Any] | None:
    """Claims of a valid, unexpired access token issued by this world's IMS, else None."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _ims_key(conn).public_key(),
            algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False},
        )
        expiry = int(claims["created_at"]) + int(claims["expires_in"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
    if claims.get("type") != "access_token" or expiry <= time.time() * 1000:
        return None
    return claims


def client_scopes(conn: sqlite3.Connection, client: sqlite3.Row) -> tuple[set[str], set[str]]:
    """(scopes allowed at /ims/token/v3, metascopes of the subscribed services)."""
    service_scopes: set[str] = set()
    if client["credential_id"]:
        rows = conn.execute(
            "SELECT s.scopes FROM subscriptions sub JOIN credentials c ON c.id = sub.credential_id "
            "JOIN services s ON s.org_id = c.org_id AND s.code = sub.sdk_code WHERE c.id = ?",
            (client["credential_id"],),
        ).fetchall()
        for (raw,) in rows:
            service_scopes.update(json.loads(raw))
    return set(json.loads(client["base_scopes"])) | service_scopes, service_scopes


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


class DebugIdMiddleware:
    """Adds an ``x-debug-id`` header to every IMS response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-debug-id", uuid.uuid4().hex.encode())]
            await send(message)

        await self.app(scope, receive, with_id)


def create_ims_app(world: World, options: dict[str, Any]) -> Starlette:
    """The IMS ASGI app (api-fidelity.md "IMS")."""

    def lookup_client(conn: sqlite3.Connection, client_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = conn.execute("SELECT * FROM clients WHERE client_id=?", (client_id,)).fetchone()
        return row

    async def token_v3(request: Request) -> Response:
        params = dict(text_params(await all_params(request)))
        client_id, client_secret = params.get("client_id", ""), params.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic ") and not client_id:
            try:
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return _error(400, "invalid_client", "invalid Authorization header")
        if not client_id:
            return _error(400, "invalid_client", "missing client_id parameter")
        with world.tx(write=False) as conn:
            client = lookup_client(conn, client_id)
            if client is None:
                return _error(400, "invalid_client", "invalid client_id parameter")
            if not client_secret or not secrets.compare_digest(client_secret, client["client_secret"] or ""):
                return _error(401, "invalid_client", "invalid client_secret parameter")
            grant = params.get("grant_type", "")
            if grant != "client_credentials":
                return _error(400, "unsupported_grant_type", f"unsupported grant_type {grant!r}")
            requested = [s for s in re.split(r"[,\s]+", params.get("scope", "")) if s]
            if not requested:
                return _error(400, "invalid_scope", "scope parameter is missing")
            allowed, _ = client_scopes(conn, client)
            bad = [s for s in requested if s not in allowed]
            if bad:
                return _error(400, "invalid_scope", f"Invalid scope: {','.join(bad)}")
            token = issue_token(conn, client, requested, V3_EXPIRES_S * 1000)
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": V3_EXPIRES_S})

    async def exchange_jwt(request: Request) -> Response:
        params = dict(text_params(await all_params(request)))
        client_id = params.get("client_id", "")
        bases = {*IMS_PUBLIC_BASES, str(request.base_url).rstrip("/")}
        if not client_id:
            return _error(400, "invalid_client", "missing client_id parameter")
        with world.tx(write=False) as conn:
            client = lookup_client(conn, client_id)
            if client is None:
                return _error(400, "invalid_client", "invalid client_id parameter")
            secret = params.get("client_secret")
            if secret is not None and not secrets.compare_digest(secret, client["client_secret"] or ""):
                return _error(401, "invalid_client", "invalid client_secret parameter")
            assertion = params.get("jwt_token", "")
            if not assertion:
                return _error(400, "invalid_token", "missing jwt_token parameter")
            try:
                header = jwt.get_unverified_header(assertion)
                claims = jwt.decode(assertion, options={"verify_signature": False})
            except jwt.PyJWTError:
                return _error(400, "invalid_token", "Cannot decode JWT token")
            aud = claims.get("aud")
            if not isinstance(aud, str) or aud not in {f"{b}/c/{client_id}" for b in bases}:
                return _error(400, "invalid_client", "JWT audience (aud) does not match the client_id")
            certs = [
                r[0]
                for r in conn.execute(
                    "SELECT b.cert_pem FROM bindings b JOIN credentials c ON c.id = b.credential_id "
                    "WHERE c.client_id = ? ORDER BY b.created",
                    (client_id,),
                )
            ]
            matched = False
            if header.get("alg") == "RS256":
                for pem in certs:
                    try:
                        jwt.decode(
                            assertion,
                            pki.load_cert(pem).public_key(),  # type: ignore[arg-type]
                            algorithms=["RS256"],
                            options={"verify_aud": False, "verify_exp": False},
                        )
                    except (jwt.PyJWTError, ValueError):
                        continue
                    matched = True
                    break
            if not matched:
                return _error(400, "invalid_token", NO_BINDING)
            exp = claims.get("exp")
            if isinstance(exp, bool) or not isinstance(exp, int):
                return _error(400, "invalid_token", "JWT token is missing an integer exp claim")
            if exp <= time.time():
                return _error(400, "invalid_token", "JWT token is expired")
            metascopes = {
                key.rsplit("/s/", 1)[1]
                for key, value in claims.items()
                if "/s/" in key and key.rsplit("/s/", 1)[0] in bases and value is True
            }
            if not metascopes:
                return _error(400, "invalid_scope", "No metascopes in the JWT")
            _, granted = client_scopes(conn, client)
            if not metascopes <= granted:
                return _error(400, "invalid_scope", SCOPE_MISMATCH)
            token = issue_token(conn, client, sorted(metascopes), JWT_EXPIRES_MS)
        return JSONResponse({"token_type": "bearer", "access_token": token, "expires_in": JWT_EXPIRES_MS})

    async def keys(request: Request) -> Response:
        with world.tx(write=False) as conn:
            public = _ims_key(conn).public_key()
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
        return JSONResponse({"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]})

    routes = [
        *sandbox_routes(world, "ims"),
        Route("/ims/token/v3", token_v3, methods=["POST"]),
        Route("/ims/token/v2", token_v3, methods=["POST"]),
        Route("/ims/exchange/jwt", exchange_jwt, methods=["POST"]),
        Route("/ims/exchange/jwt/", exchange_jwt, methods=["POST"]),
        Route("/ims/keys", keys, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(DebugIdMiddleware),
            Middleware(FaultMiddleware, world=world, service="ims", options=options),
        ],
    )
    app.state.sandbox_options = options
    return app

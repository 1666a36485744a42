"""Adobe IMS's state and rules: the token signing key, clients, the client-credentials grant and
the JWT exchange (docs/api-fidelity.md, section "IMS").

``verify_access_token`` is also the gateway check of the Console, UMAPI and Workfront emulators.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.responses import JSONResponse, Response

from .. import pki
from ..common import ServiceError

IMS_PUBLIC_BASES = ("https://ims-na1.adobelogin.com", "https://ims-na1-stg1.adobelogin.com", "sandbox://ims")
V3_EXPIRES_S = 86399
JWT_EXPIRES_MS = 86399000
KEY_ID = "ims_na1-key-at-1"
SCOPE_MISMATCH = "The metascopes in the JWT are not a subset of the metascopes in the binding."
NO_BINDING = "Could not match JWT signature to any of the bindings"

_key_cache: dict[str, Any] = {}


class ImsError(ServiceError):
    """An IMS error: HTTP ``status`` and the body ``{"error": error, "error_description": description}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> Response:
        return JSONResponse({"error": self.error, "error_description": self.description}, status_code=self.status)


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


class ImsModel:
    """IMS on one transaction of the world (``conn``). Methods raise ``ImsError``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def client(self, client_id: str) -> sqlite3.Row:
        """The registered client ``client_id``; 400 ``invalid_client`` when unknown."""
        row: sqlite3.Row | None = self.conn.execute("SELECT * FROM clients WHERE client_id=?", (client_id,)).fetchone()
        if row is None:
            raise ImsError(400, "invalid_client", "invalid client_id parameter")
        return row

    def client_credentials(self, client_id: str, client_secret: str | None, params: dict[str, str]) -> dict[str, Any]:
        """``/ims/token/v3``: check the client, its secret, ``grant_type`` and ``scope`` (comma or
        space separated, each allowed for the client); returns the token body (``expires_in`` s)."""
        client = self.client(client_id)
        if not client_secret or not secrets.compare_digest(client_secret, client["client_secret"] or ""):
            raise ImsError(401, "invalid_client", "invalid client_secret parameter")
        grant = params.get("grant_type", "")
        if grant != "client_credentials":
            raise ImsError(400, "unsupported_grant_type", f"unsupported grant_type {grant!r}")
        requested = [s for s in re.split(r"[,\s]+", params.get("scope", "")) if s]
        if not requested:
            raise ImsError(400, "invalid_scope", "scope parameter is missing")
        allowed, _ = client_scopes(self.conn, client)
        bad = [s for s in requested if s not in allowed]
        if bad:
            raise ImsError(400, "invalid_scope", f"Invalid scope: {','.join(bad)}")
        token = issue_token(self.conn, client, requested, V3_EXPIRES_S * 1000)
        return {"access_token": token, "token_type": "bearer", "expires_in": V3_EXPIRES_S}

    def exchange_jwt(self, client_id: str, params: dict[str, str], bases: set[str]) -> dict[str, Any]:
        """``/ims/exchange/jwt``: the assertion's audience must be ``<base>/c/<client_id>`` for one of
        ``bases``, its RS256 signature must match a certificate bound to the client, ``exp`` must
        be a future integer, and its metascopes a subset of the subscribed services' ones. Returns
        the token body (``expires_in`` in ms)."""
        client = self.client(client_id)
        secret = params.get("client_secret")
        if secret is not None and not secrets.compare_digest(secret, client["client_secret"] or ""):
            raise ImsError(401, "invalid_client", "invalid client_secret parameter")
        assertion = params.get("jwt_token", "")
        if not assertion:
            raise ImsError(400, "invalid_token", "missing jwt_token parameter")
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise ImsError(400, "invalid_token", "Cannot decode JWT token") from None
        aud = claims.get("aud")
        if not isinstance(aud, str) or aud not in {f"{b}/c/{client_id}" for b in bases}:
            raise ImsError(400, "invalid_client", "JWT audience (aud) does not match the client_id")
        if header.get("alg") != "RS256" or not self._signed_by_binding(client_id, assertion):
            raise ImsError(400, "invalid_token", NO_BINDING)
        exp = claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int):
            raise ImsError(400, "invalid_token", "JWT token is missing an integer exp claim")
        if exp <= time.time():
            raise ImsError(400, "invalid_token", "JWT token is expired")
        metascopes = {
            key.rsplit("/s/", 1)[1]
            for key, value in claims.items()
            if "/s/" in key and key.rsplit("/s/", 1)[0] in bases and value is True
        }
        if not metascopes:
            raise ImsError(400, "invalid_scope", "No metascopes in the JWT")
        _, granted = client_scopes(self.conn, client)
        if not metascopes <= granted:
            raise ImsError(400, "invalid_scope", SCOPE_MISMATCH)
        token = issue_token(self.conn, client, sorted(metascopes), JWT_EXPIRES_MS)
        return {"token_type": "bearer", "access_token": token, "expires_in": JWT_EXPIRES_MS}

    def _signed_by_binding(self, client_id: str, assertion: str) -> bool:
        """Whether the RS256 signature of ``assertion`` verifies with a certificate bound to the
        client's credential (a certificate without an RSA key cannot verify RS256)."""
        certs = self.conn.execute(
            "SELECT b.cert_pem FROM bindings b JOIN credentials c ON c.id = b.credential_id "
            "WHERE c.client_id = ? ORDER BY b.created",
            (client_id,),
        )
        for (pem,) in certs:
            try:
                key = pki.load_cert(pem).public_key()
                if not isinstance(key, rsa.RSAPublicKey):
                    continue
                jwt.decode(assertion, key, algorithms=["RS256"], options={"verify_aud": False, "verify_exp": False})
            except (jwt.PyJWTError, ValueError):
                continue
            return True
        return False

    def keys(self) -> dict[str, Any]:
        """``/ims/keys``: the JWKS of the token signing key."""
        public = _ims_key(self.conn).public_key()
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
        return {"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

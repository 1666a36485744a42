"""Adobe IMS client: OAuth Server-to-Server tokens and the (legacy) JWT assertion exchange.

Protocol source: ``docs/api-fidelity.md`` section "IMS" and
``../shared/reference/adobe-ims-console-api.md`` sections 1 (JWT) and 2 (client credentials).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx
import jwt

from reconciler.clients.errors import ApiError
from reconciler.clients.tokens import AccessToken, TokenCache
from reconciler.clients.transport import HttpPolicy, ServiceClient, SleepFn

__all__ = [
    "AccessToken",
    "ImsClient",
    "JwtExchangeTokenProvider",
    "ServerToServerTokenProvider",
    "build_jwt_assertion",
]

TOKEN_V3_PATH = "/ims/token/v3"
EXCHANGE_JWT_PATH = "/ims/exchange/jwt"


class ImsClient(ServiceClient):
    """Client for Adobe IMS (``https://ims-na1.adobelogin.com`` or ``sandbox://ims``).

    ``clock`` (epoch seconds) turns the relative ``expires_in`` into :attr:`AccessToken.expires_at`.
    Every client secret, JWT assertion and access token passed through it is redacted from logs.
    Errors carry the IMS ``error`` as ``code`` and ``error_description`` as ``message``
    (e.g. 400 ``invalid_client``, 401 ``invalid_client``, 400 ``invalid_scope``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: SleepFn | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__("ims", base_url, transport=transport, policy=policy, secrets=secrets, sleep=sleep)
        self.clock = clock
        self._token_caches: dict[tuple[str, str, tuple[str, ...]], TokenCache] = {}

    def shared_token_cache(
        self, client_id: str, client_secret: str, scopes: Sequence[str], *, margin_s: float = 60.0
    ) -> TokenCache:
        """The one :class:`TokenCache` of this IMS client for a credential and scope set, so that
        every service client using the same OAuth Server-to-Server credential (the Developer
        Console and Workfront of one Adobe connection) shares one token and one fetch in flight,
        instead of fetching one each. Keyed by client id, a hash of the secret (never kept in clear
        as a key) and the scopes (order ignored); ``margin_s`` of the first caller applies."""
        digest = hashlib.sha256(client_secret.encode()).hexdigest()
        key = (client_id, digest, tuple(sorted(scopes)))
        if key not in self._token_caches:

            async def fetch() -> AccessToken:
                return await self.client_credentials_token(client_id, client_secret, scopes)

            self._token_caches[key] = TokenCache(fetch, margin_s=margin_s, clock=self.clock)
        return self._token_caches[key]

    async def client_credentials_token(self, client_id: str, client_secret: str, scopes: Sequence[str]) -> AccessToken:
        """OAuth Server-to-Server token: ``POST /ims/token/v3`` (form).

        Sends ``grant_type=client_credentials``, ``client_id``, ``client_secret``,
        ``scope=<comma-separated scopes>``. Response ``{"access_token","token_type","expires_in"}``
        with ``expires_in`` in **seconds**. Retried like an idempotent request (a second token
        does no harm). Raises :class:`~reconciler.clients.ApiError` 400 ``invalid_client`` /
        ``invalid_scope``, :class:`~reconciler.clients.AuthError` 401 ``invalid_client``.
        Protocol: api-fidelity.md row ``POST /ims/token/v3``.
        """
        self.add_secret(client_secret)
        now = self.clock()
        response = await self.request(
            "POST",
            TOKEN_V3_PATH,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "scope": ",".join(scopes),
            },
            idempotent=True,
        )
        return self._parse_token(response, now, expires_in_unit_s=1.0)

    async def exchange_jwt(self, client_id: str, jwt_token: str, client_secret: str | None = None) -> AccessToken:
        """Legacy Service Account (JWT) exchange: ``POST /ims/exchange/jwt`` (form).

        Sends ``client_id``, ``jwt_token`` and, when given, ``client_secret``. Response
        ``{"token_type","access_token","expires_in"}`` with ``expires_in`` in **milliseconds**.
        Raises :class:`~reconciler.clients.ApiError` 400 ``invalid_client`` (unknown client
        or wrong ``aud``), ``invalid_token`` (expired, undecodable, or "Could not match JWT
        signature to any of the bindings"), ``invalid_scope`` (metascopes not in the binding).
        Protocol: api-fidelity.md row ``POST /ims/exchange/jwt``.
        """
        self.add_secret(jwt_token)
        self.add_secret(client_secret)
        form = {"client_id": client_id, "jwt_token": jwt_token}
        if client_secret:
            form["client_secret"] = client_secret
        now = self.clock()
        response = await self.request("POST", EXCHANGE_JWT_PATH, data=form, idempotent=True)
        return self._parse_token(response, now, expires_in_unit_s=0.001)

    def _parse_token(self, response: httpx.Response, now: float, *, expires_in_unit_s: float) -> AccessToken:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ApiError(
                "ims",
                response.request.method,
                self.redact(str(response.request.url)),
                response.status_code,
                "invalid_response",
                "no access_token in the IMS response",
            )
        self.add_secret(token)
        try:
            lifetime = float(expires_in) * expires_in_unit_s if expires_in is not None else 0.0
        except (TypeError, ValueError):
            lifetime = 0.0
        if lifetime <= 0:  # unknown lifetime: assume IMS's usual 24 h minus safety
            lifetime = 23 * 3600.0
        return AccessToken(token=token, expires_at=now + lifetime)


class ServerToServerTokenProvider:
    """:class:`~reconciler.clients.TokenProvider` for an OAuth Server-to-Server credential.

    Fetches with :meth:`ImsClient.client_credentials_token` and caches the token until 60 s
    (``margin_s``) before it expires; one fetch in flight at a time. The cache is the IMS client's
    one for this credential and scope set (:meth:`ImsClient.shared_token_cache`): providers made
    for several services of one credential share the token. ``invalidate()`` forces a refetch
    (used after a 401) for all of them; ``fetch_count`` counts the shared cache's IMS round trips.
    """

    def __init__(
        self,
        ims: ImsClient,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str],
        *,
        margin_s: float = 60.0,
    ) -> None:
        self.ims = ims
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes)
        ims.add_secret(client_secret)
        self._cache = ims.shared_token_cache(client_id, client_secret, self.scopes, margin_s=margin_s)

    async def token(self) -> str:
        """A valid access token (cached)."""
        return await self._cache.token()

    async def access_token(self) -> AccessToken:
        """The cached :class:`AccessToken` with its expiry."""
        return await self._cache.get()

    def invalidate(self) -> None:
        """Forget the cached token."""
        self._cache.invalidate()

    @property
    def fetch_count(self) -> int:
        return self._cache.fetch_count

    def __repr__(self) -> str:
        return f"ServerToServerTokenProvider(client_id={self.client_id!r}, client_secret='***')"


def build_jwt_assertion(
    *,
    client_id: str,
    ims_org_id: str,
    technical_account_id: str,
    private_key_pem: str | bytes,
    metascopes: Sequence[str],
    ims_url: str,
    lifetime_s: int = 300,
    now: float | None = None,
) -> str:
    """Sign the Service Account JWT assertion (RS256) for :meth:`ImsClient.exchange_jwt`.

    Claims: ``exp`` (now + ``lifetime_s``, integer seconds), ``iss`` = IMS org
    (``<24 hex>@AdobeOrg``), ``sub`` = technical account, ``aud`` = ``<ims_url>/c/<client_id>``,
    and ``<ims_url>/s/<metascope>: true`` per metascope (a metascope that is already a URL is
    used as is). Source: adobe-ims-console-api.md §1 "JWT claims".
    """
    ims = ims_url.rstrip("/")
    claims: dict[str, Any] = {
        "exp": int((time.time() if now is None else now) + lifetime_s),
        "iss": ims_org_id,
        "sub": technical_account_id,
        "aud": f"{ims}/c/{client_id}",
    }
    for scope in metascopes:
        claims[scope if scope.startswith("https://") else f"{ims}/s/{scope}"] = True
    key = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
    return jwt.encode(claims, key, algorithm="RS256")


class JwtExchangeTokenProvider:
    """Legacy :class:`~reconciler.clients.TokenProvider` for a Service Account (JWT) credential.

    Signs a fresh assertion with :func:`build_jwt_assertion` and exchanges it at
    ``/ims/exchange/jwt``; caches like :class:`ServerToServerTokenProvider`. Service Account (JWT)
    credentials are past end of life (2025-06-30); prefer OAuth Server-to-Server.
    """

    def __init__(
        self,
        ims: ImsClient,
        *,
        client_id: str,
        ims_org_id: str,
        technical_account_id: str,
        private_key_pem: str,
        metascopes: Sequence[str],
        client_secret: str | None = None,
        audience_ims_url: str | None = None,
        margin_s: float = 60.0,
    ) -> None:
        self.ims = ims
        self.client_id = client_id
        self._ims_org_id = ims_org_id
        self._technical_account_id = technical_account_id
        self._private_key_pem = private_key_pem
        self._client_secret = client_secret
        self.metascopes = tuple(metascopes)
        self._audience = audience_ims_url or ims.base_url
        ims.add_secret(client_secret)
        self._cache = TokenCache(self._fetch, margin_s=margin_s, clock=ims.clock)

    async def _fetch(self) -> AccessToken:
        assertion = build_jwt_assertion(
            client_id=self.client_id,
            ims_org_id=self._ims_org_id,
            technical_account_id=self._technical_account_id,
            private_key_pem=self._private_key_pem,
            metascopes=self.metascopes,
            ims_url=self._audience,
            now=self.ims.clock(),
        )
        return await self.ims.exchange_jwt(self.client_id, assertion, self._client_secret)

    async def token(self) -> str:
        """A valid access token (cached)."""
        return await self._cache.token()

    def invalidate(self) -> None:
        """Forget the cached token."""
        self._cache.invalidate()

    @property
    def fetch_count(self) -> int:
        return self._cache.fetch_count

    def __repr__(self) -> str:
        return f"JwtExchangeTokenProvider(client_id={self.client_id!r})"

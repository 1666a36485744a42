"""Clients for the providers, one per connection, built lazily and closed once.

The CLI gives a ``transport_for(url)`` function: for a ``sandbox://<service>`` URL it returns the
in-process transport of the embedded sandbox (the kinds never import the sandbox), otherwise None
(a normal network transport).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from reconciler.clients import (
    AemClient,
    ConsoleClient,
    HttpPolicy,
    ImsClient,
    ServerToServerTokenProvider,
    ServiceClient,
    UmapiClient,
    WorkfrontClient,
)
from reconciler.config.connections import AdobeConnection, AemConnection, WorkfrontConnection

from .errors import ConnectionMissing

__all__ = ["DEFAULT_RATES", "ConnectionMissing", "ProviderContext", "TransportFor", "default_transport_for"]

C = TypeVar("C", bound=ServiceClient)

TransportFor = Callable[[str], tuple[str, httpx.AsyncBaseTransport | None]]


def default_transport_for(url: str) -> tuple[str, httpx.AsyncBaseTransport | None]:
    return url, None


#: The client-side rate limit of each service when its connection sets no ``rate_limit_per_s``:
#: ``(requests per second, burst)``, burst = requests allowed at once after a quiet spell (None:
#: half a second's worth). Sources (docs/architecture.md "Client-side rate limits"):
#:
#: * ``umapi``: documented. The per-client limits per minute are users 25, groups 5, action 10
#:   (``../shared/reference/adobe-umapi.md`` section 4); 40 a minute is their sum, and the burst
#:   of 40 is what the UMAPI client's per-family limiters (which keep each family under its own
#:   limit) allow at once, so this limiter adds the shared slow-down and pause on 429.
#: * ``console``, ``ims``: assumed. No number is published for these APIs; 20 per second is the
#:   rate Adobe documents for another API behind the same gateway (its Admin Storage API,
#:   ``../shared/reference/reconciler-anchors.md`` section 3, lesson 8), with a burst of a whole
#:   second's worth (the quickstart's apply makes 16 Console requests; they go unspaced).
#: * ``workfront``: assumed. Workfront publishes a per-customer limit on *concurrent* requests
#:   but no number and no rate (``../shared/reference/workfront-api.md`` "Throttling").
#: * ``aem``: assumed. An AEM author has no request limit of its own; AEM as a Cloud Service's
#:   CDN blocks traffic above an unpublished Adobe-defined rate per client IP, and customers'
#:   traffic-filter rules set their own (Experience League "Blocking DoS ... using traffic filter
#:   rules"). 200 per second bounds bursts of fast reads; configure the real rate when known.
DEFAULT_RATES: dict[str, tuple[float, int | None]] = {
    "aem": (200.0, None),
    "workfront": (50.0, None),
    "ims": (20.0, 20),
    "console": (20.0, 20),
    "umapi": (40 / 60, 40),
}


class ProviderContext:
    """Holds the configured connections and the clients made for them.

    ``connections``: name -> connection model (``reconciler.config.connections``).
    ``policy``: the HTTP policy shared by all clients (per-connection timeouts and rate limits
    override it). Each client gets its own adaptive rate limiter: the connection's
    ``rate_limit_per_s`` (0 = none), else the policy's, else the service's :data:`DEFAULT_RATES`.
    Clients are cached per connection and closed by ``aclose``.
    """

    def __init__(
        self,
        connections: Mapping[str, Any],
        *,
        transport_for: TransportFor = default_transport_for,
        policy: HttpPolicy | None = None,
    ) -> None:
        self.connections = dict(connections)
        self.transport_for = transport_for
        self.policy = policy or HttpPolicy()
        self._clients: dict[tuple[str, str], ServiceClient] = {}
        self.cache: dict[Any, Any] = {}

    def _policy(self, conn: Any, service: str) -> HttpPolicy:
        """The policy of the ``service`` client (a :data:`DEFAULT_RATES` key) of connection ``conn``."""
        p = HttpPolicy(**vars(self.policy))
        p.timeout_s = conn.timeout_s
        p.verify_tls = conn.verify_tls
        if conn.rate_limit_per_s is not None:
            p.rate_limit_per_s = conn.rate_limit_per_s or None  # 0: no client-side limit
        elif p.rate_limit_per_s is None:
            p.rate_limit_per_s, p.rate_limit_burst = DEFAULT_RATES[service]
        return p

    def _client(self, key: tuple[str, str], typ: type[C]) -> C:
        client = self._clients[key]
        assert isinstance(client, typ), f"{key} holds a {type(client).__name__}"
        return client

    def _get(self, name: str, typ: type) -> Any:
        conn = self.connections.get(name)
        if conn is None or not isinstance(conn, typ):
            want = typ.__name__.removesuffix("Connection").lower()  # AemConnection -> aem
            what = "is not declared" if conn is None else f"has type {getattr(conn, 'type', '?')}"
            raise ConnectionMissing(f"connection {name!r} {what}; a connection of type {want} is needed")
        return conn

    def aem(self, name: str) -> AemClient:
        """The AEM author client of connection ``name``."""
        key = ("aem", name)
        if key not in self._clients:
            conn: AemConnection = self._get(name, AemConnection)
            base, transport = self.transport_for(conn.url)
            self._clients[key] = AemClient(
                base,
                username=conn.username,
                password=conn.password.get_secret_value() if conn.password else None,
                bearer_token=conn.token.get_secret_value() if conn.token else None,
                transport=transport,
                policy=self._policy(conn, "aem"),
            )
            self._clients[key].service = f"aem connection {name!r}"
        return self._client(key, AemClient)

    def aem_connection(self, name: str) -> AemConnection:
        conn: AemConnection = self._get(name, AemConnection)
        return conn

    def ims(self, name: str) -> ImsClient:
        key = ("ims", name)
        if key not in self._clients:
            conn: AdobeConnection = self._get(name, AdobeConnection)
            base, transport = self.transport_for(conn.ims_url)
            self._clients[key] = ImsClient(
                base, transport=transport, policy=self._policy(conn, "ims"),
                secrets=[conn.client_secret.get_secret_value()],
            )
            self._clients[key].service = f"IMS of adobe connection {name!r}"
        return self._client(key, ImsClient)

    def console(self, name: str) -> ConsoleClient:
        """The Developer Console client of Adobe connection ``name`` (token via OAuth S2S)."""
        key = ("console", name)
        if key not in self._clients:
            conn: AdobeConnection = self._get(name, AdobeConnection)
            secret = conn.client_secret.get_secret_value()
            tokens = ServerToServerTokenProvider(self.ims(name), conn.client_id, secret, conn.scopes)
            base, transport = self.transport_for(conn.console_url)
            self._clients[key] = ConsoleClient(
                base,
                api_key=conn.client_id,
                token_provider=tokens,
                transport=transport,
                policy=self._policy(conn, "console"),
                secrets=[secret],
            )
            self._clients[key].service = f"Developer Console of adobe connection {name!r}"
        return self._client(key, ConsoleClient)

    def umapi(self, name: str) -> UmapiClient:
        """The User Management API client of Adobe connection ``name`` (OAuth S2S token with the
        scope ``user_management_sdk``, as Adobe's own umapi-client asks for)."""
        key = ("umapi", name)
        if key not in self._clients:
            conn: AdobeConnection = self._get(name, AdobeConnection)
            secret = conn.client_secret.get_secret_value()
            tokens = ServerToServerTokenProvider(
                self.ims(name), conn.client_id, secret, ("openid", "AdobeID", "user_management_sdk")
            )
            base, transport = self.transport_for(conn.umapi_url)
            if conn.umapi_url.startswith("sandbox://"):
                base = base.rstrip("/") + "/v2/usermanagement"
            self._clients[key] = UmapiClient(
                base, api_key=conn.client_id, token_provider=tokens, transport=transport,
                policy=self._policy(conn, "umapi"), secrets=[secret],
            )
            self._clients[key].service = f"User Management API of adobe connection {name!r}"
        return self._client(key, UmapiClient)

    def workfront(self, name: str) -> WorkfrontClient:
        """The Workfront client of connection ``name``: an API key, or an IMS bearer token from the
        adobe connection it names (OAuth S2S) with ``x-gw-ims-org-id``."""
        key = ("workfront", name)
        if key not in self._clients:
            conn: WorkfrontConnection = self._get(name, WorkfrontConnection)
            base, transport = self.transport_for(conn.url)
            if conn.auth == "api_key":
                assert conn.api_key is not None
                client = WorkfrontClient(
                    base, api_version=conn.api_version, api_key=conn.api_key.get_secret_value(),
                    transport=transport, policy=self._policy(conn, "workfront"),
                )
            else:
                adobe: AdobeConnection = self._get(str(conn.adobe), AdobeConnection)
                secret = adobe.client_secret.get_secret_value()
                tokens = ServerToServerTokenProvider(self.ims(str(conn.adobe)), adobe.client_id, secret, adobe.scopes)
                client = WorkfrontClient(
                    base, api_version=conn.api_version, token_provider=tokens, ims_org_id=conn.ims_org_id,
                    transport=transport, policy=self._policy(conn, "workfront"), secrets=[secret],
                )
            client.service = f"workfront connection {name!r}"
            self._clients[key] = client
        return self._client(key, WorkfrontClient)

    def clients(self) -> list[ServiceClient]:
        return list(self._clients.values())

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

"""Thin typed async httpx clients for AEM author, Adobe IMS and the Adobe Developer Console.

All clients share one transport policy (:mod:`reconciler.clients.base`): timeouts, retries with
backoff/jitter honouring ``Retry-After``, an optional rate limit, token caching, secret
redaction and typed errors. The wire protocol is the one of ``docs/api-fidelity.md``.
This package never imports ``reconciler.engine``, ``kinds``, ``sandbox`` or ``config``.
"""

from reconciler.clients.aem import AemClient, AgentTestResult, SlingPostResult
from reconciler.clients.base import (
    TRACE,
    USER_AGENT,
    AccessToken,
    ApiError,
    AuthError,
    ConflictError,
    HttpPolicy,
    NotFoundError,
    RateLimitedError,
    Redactor,
    ServerError,
    ServiceClient,
    StaticTokenProvider,
    TokenCache,
    TokenProvider,
    TransportError,
)
from reconciler.clients.console import ConsoleClient
from reconciler.clients.ims import (
    ImsClient,
    JwtExchangeTokenProvider,
    ServerToServerTokenProvider,
    build_jwt_assertion,
)

__all__ = [
    "TRACE",
    "USER_AGENT",
    "AccessToken",
    "AemClient",
    "AgentTestResult",
    "ApiError",
    "AuthError",
    "ConflictError",
    "ConsoleClient",
    "HttpPolicy",
    "ImsClient",
    "JwtExchangeTokenProvider",
    "NotFoundError",
    "RateLimitedError",
    "Redactor",
    "ServerError",
    "ServerToServerTokenProvider",
    "ServiceClient",
    "SlingPostResult",
    "StaticTokenProvider",
    "TokenCache",
    "TokenProvider",
    "TransportError",
    "build_jwt_assertion",
]

"""Typed async httpx clients for AEM author, Adobe IMS, the Developer Console, UMAPI and Workfront.

This package is the public surface of the clients layer: import from ``reconciler.clients``, not
from its modules. Module map:

* :mod:`~reconciler.clients.errors`: the one exception hierarchy (:class:`ApiError` and its
  subclasses; :attr:`ApiError.temporary` tells "retry later" from "will not work").
* :mod:`~reconciler.clients.transport`: :class:`ServiceClient` and :class:`HttpPolicy`: timeouts,
  retries (tenacity) honouring ``Retry-After``, the client's rate limiter, request
  counting, DEBUG/TRACE logging, :meth:`ServiceClient.json_of`.
* :mod:`~reconciler.clients.ratelimit`: :class:`~reconciler.clients.ratelimit.AdaptiveRateLimiter`
  (spacing per client, halved on 429, a shared ``Retry-After`` pause with jitter).
* :mod:`~reconciler.clients.redaction`: :class:`Redactor` (secrets out of logs and errors).
* :mod:`~reconciler.clients.tokens`: :class:`AccessToken`, :class:`TokenProvider`,
  :class:`TokenCache`, :class:`StaticTokenProvider`, ``basic_auth_header``.
* one module per service: :mod:`~reconciler.clients.aem`, :mod:`~reconciler.clients.ims`,
  :mod:`~reconciler.clients.console`, :mod:`~reconciler.clients.umapi`,
  :mod:`~reconciler.clients.workfront`; each owns every wire call of its service (paths, bodies,
  JSON decoding), so callers never touch a raw response.

The wire protocol is the one of ``docs/api-fidelity.md``.
This package never imports ``reconciler.engine``, ``kinds``, ``sandbox`` or ``config``.
"""

from reconciler.clients.aem import AemClient, AgentTestResult, SlingPostResult
from reconciler.clients.console import ConsoleClient
from reconciler.clients.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from reconciler.clients.ims import (
    ImsClient,
    JwtExchangeTokenProvider,
    ServerToServerTokenProvider,
    build_jwt_assertion,
)
from reconciler.clients.redaction import Redactor
from reconciler.clients.tokens import AccessToken, StaticTokenProvider, TokenCache, TokenProvider
from reconciler.clients.transport import TRACE, USER_AGENT, HttpPolicy, ServiceClient
from reconciler.clients.umapi import ActionError, ActionResult, UmapiClient, UmapiError, user_command
from reconciler.clients.workfront import WorkfrontClient

__all__ = [
    "TRACE",
    "USER_AGENT",
    "AccessToken",
    "ActionError",
    "ActionResult",
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
    "UmapiClient",
    "UmapiError",
    "WorkfrontClient",
    "build_jwt_assertion",
    "user_command",
]

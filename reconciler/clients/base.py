"""Shared HTTP policy for every service client: timeouts, retries, rate limit, redaction, errors.

Protocol source: ``docs/api-fidelity.md`` "Common behaviour" and DESIGN.md section 6.

* Retries (tenacity, not a hand loop):

  - **429** and **503** are retried for every method, waiting ``Retry-After`` seconds (an integer
    or an HTTP date, capped at :attr:`HttpPolicy.retry_after_cap_s`), else exponential backoff
    with jitter (:attr:`HttpPolicy.backoff_initial_s` doubling up to :attr:`HttpPolicy.backoff_max_s`);
  - other **5xx** and a dropped connection after the request may have been sent
    (``httpx.ReadError``, ``RemoteProtocolError``, ``ReadTimeout``, ``WriteError``, ``WriteTimeout``)
    are retried only for idempotent requests (GET/HEAD/OPTIONS/PUT/DELETE by default, never a POST
    unless the caller says ``idempotent=True``);
  - connection failures before anything was sent (``httpx.ConnectError``, ``ConnectTimeout``,
    ``PoolTimeout``) are retried for every method.

* Errors: a status outside ``expected`` raises an :class:`ApiError` subclass whose ``str()`` is one
  line ``<service> <METHOD> <path> -> <status> <reason>: <code>: <message>`` with every registered
  secret redacted.
* Logging: logger ``reconciler.http`` at DEBUG, one line per attempt (method, redacted URL, status,
  elapsed ms, attempt number); logger ``reconciler.http.body`` at :data:`TRACE` (5, below DEBUG),
  redacted request/response headers and bodies.

This module imports nothing from the rest of ``reconciler`` except ``__version__``.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import html
import json as jsonlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Self, runtime_checkable
from urllib.parse import quote, quote_plus

import httpx
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from reconciler import __version__

__all__ = [
    "TRACE",
    "USER_AGENT",
    "AccessToken",
    "ApiError",
    "AuthError",
    "ConflictError",
    "HttpPolicy",
    "NotFoundError",
    "RateLimitedError",
    "Redactor",
    "ServerError",
    "ServiceClient",
    "StaticTokenProvider",
    "TokenCache",
    "TokenProvider",
    "TransportError",
]

log = logging.getLogger("reconciler.http")
body_log = logging.getLogger("reconciler.http.body")

#: Log level of ``reconciler.http.body`` (bodies and headers), below ``logging.DEBUG``.
TRACE = 5
logging.addLevelName(TRACE, "TRACE")

USER_AGENT = f"aem-assets-reconciler/{__version__}"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_BODY_LOG_LIMIT = 4000
_ERROR_MESSAGE_LIMIT = 300


# --------------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------------


@dataclass
class HttpPolicy:
    """Transport policy shared by every client of one run.

    Units: seconds for all ``*_s`` fields; ``rate_limit_per_s`` in requests per second per client
    (None = unlimited); ``max_attempts`` counts the first try (1 = no retry).
    """

    timeout_s: float = 30.0
    max_attempts: int = 5
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 20.0
    retry_after_cap_s: float = 60.0
    rate_limit_per_s: float | None = None
    verify_tls: bool = True
    max_connections: int = 10


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A request ended with a status outside ``expected`` (or could not be sent at all).

    Attributes: ``service`` ("aem", "ims", "console", ...), ``method``, ``url`` (redacted),
    ``status`` (int, or None for :class:`TransportError`), ``code`` (the server's error code such
    as ``invalid_client`` or ``403003``, or None), ``message`` (server message or a short body
    excerpt, redacted), ``attempts`` (how many times it was sent), ``request_id`` (``x-debug-id``
    / ``x-request-id`` response header, when present).
    """

    def __init__(
        self,
        service: str,
        method: str,
        url: str,
        status: int | None,
        code: str | None = None,
        message: str = "",
        *,
        attempts: int = 1,
        request_id: str | None = None,
    ) -> None:
        self.service = service
        self.method = method
        self.url = url
        self.status = status
        self.code = code
        self.message = message
        self.attempts = attempts
        self.request_id = request_id
        super().__init__(self._one_line())

    @property
    def path(self) -> str:
        """The URL path (no query string), as shown in ``str()``."""
        return httpx.URL(self.url).path if "://" in self.url else self.url.split("?", 1)[0]

    def _one_line(self) -> str:
        if self.status is None:
            head = f"{self.service} {self.method} {self.path} -> connection failed"
        else:
            reason = _reason(self.status)
            status = f"{self.status} {reason}" if reason else str(self.status)
            head = f"{self.service} {self.method} {self.path} -> {status}"
        detail = ": ".join(p for p in (self.code, self.message) if p)
        if self.attempts > 1:
            head += f" (after {self.attempts} attempts)"
        return _one_line(f"{head}: {detail}" if detail else head)

    def __str__(self) -> str:
        return self._one_line()


class AuthError(ApiError):
    """401 or 403: wrong or missing credentials, or not allowed."""


class NotFoundError(ApiError):
    """404."""


class ConflictError(ApiError):
    """409 (e.g. a Developer Console project name already taken)."""


class RateLimitedError(ApiError):
    """429 still returned after all retries."""


class ServerError(ApiError):
    """5xx (after retries where the request was retryable)."""


class TransportError(ApiError):
    """Connection problem (refused, timeout, dropped) after retries; ``status`` is None."""


def error_class_for(status: int | None) -> type[ApiError]:
    """Map an HTTP status to the :class:`ApiError` subclass raised for it."""
    if status is None:
        return TransportError
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitedError
    if status >= 500:
        return ServerError
    return ApiError


def _reason(status: int) -> str:
    return httpx.codes.get_reason_phrase(status)


def _one_line(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TAG_RE = re.compile(r"<[^>]+>")
_SCRIPT_RE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_SLING_MESSAGE_RE = re.compile(r'<div\s+id="Message"[^>]*>(.*?)</div>', re.I | re.S)
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def html_to_text(markup: str) -> str:
    """Strip tags, scripts and entities; block-level tags and ``<br>`` become line breaks."""
    markup = _SCRIPT_RE.sub("", markup)
    markup = re.sub(r"<br\s*/?>|</(p|div|tr|li|h\d|pre|table|dd|dt)\s*>", "\n", markup, flags=re.I)
    return html.unescape(_TAG_RE.sub("", markup))


def parse_error_body(response: httpx.Response) -> tuple[str | None, str]:
    """Extract ``(code, message)`` from an error response body.

    Understands IMS ``{"error","error_description"}``, the Adobe API gateway
    ``{"error_code","message"}``, Sling POST JSON ``{"status.code","status.message",
    "error":{"class","message"}}``, Workfront ``{"error":{"message"}}``, Sling HTML
    (``<div id="Message">`` / ``<title>``); otherwise a short excerpt of the body.
    """
    text = response.text
    try:
        body: Any = jsonlib.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, str):
            desc = body.get("error_description") or body.get("message") or ""
            return error, str(desc)
        if "error_code" in body:
            return str(body["error_code"]), str(body.get("message") or "")
        if isinstance(error, dict):
            cls = error.get("class") or error.get("code")
            msg = error.get("message") or body.get("status.message") or ""
            return (str(cls).rsplit(".", 1)[-1] if cls else None), str(msg)
        if "status.message" in body:
            return None, str(body["status.message"])
        for key in ("message", "detail", "title"):
            if isinstance(body.get(key), str):
                return None, body[key]
    if "<" in text:
        match = _SLING_MESSAGE_RE.search(text) or _TITLE_RE.search(text)
        if match:
            return None, _one_line(html_to_text(match.group(1)), _ERROR_MESSAGE_LIMIT)
        text = html_to_text(text)
    return None, _one_line(text, _ERROR_MESSAGE_LIMIT)


# --------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------

_SENSITIVE_KEY = (
    r"(?:client_secrets?|[\w:%./-]*password|jwt_token|access_token|refresh_token|private_key|"
    r"passphrase|secret|api_secret)"
)
_FORM_FIELD_RE = re.compile(rf"((?:^|(?<=[?&\s]))[\w:%./-]*?{_SENSITIVE_KEY}(?:(?:@|%40)\w+)?=)[^&\s]*", re.I)
_JSON_FIELD_RE = re.compile(rf'("[^"\\]*?{_SENSITIVE_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"', re.I)
_MULTIPART_FIELD_RE = re.compile(rf'(name="[^"]*?{_SENSITIVE_KEY}"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)[^\r\n]*', re.I)
_PEM_KEY_RE = re.compile(
    r"-----BEGIN[ +A-Z]*PRIVATE(?: |\+|%20)KEY-----(?:.*?-----END[ +A-Z]*PRIVATE(?: |\+|%20)KEY-----|.*)",
    re.S,
)
_AUTH_SCHEME_RE = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
_SENSITIVE_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "csrf-token", "x-gw-ims-user-token", "proxy-authorization"}
)


class Redactor:
    """Replaces secrets in text with ``***``.

    Redacted: every registered secret (also URL-encoded), ``Bearer``/``Basic`` credentials,
    values of sensitive fields (``client_secret``, ``password``, ``rep:password``,
    ``transportPassword``, ``jwt_token``, ``access_token``, ... in form, query, JSON and multipart
    form) and PEM private keys.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register a secret value (empty values and values under 3 characters are ignored)."""
        if not secret or len(secret) < 3:
            return
        self._secrets.update({secret, quote_plus(secret), quote(secret, safe="")})
        # JSON-escaped form, for bodies logged verbatim
        self._secrets.add(jsonlib.dumps(secret)[1:-1])

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = _PEM_KEY_RE.sub("***", text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        text = _AUTH_SCHEME_RE.sub(lambda m: f"{m.group(1)} ***", text)
        text = _JSON_FIELD_RE.sub(r'\1"***"', text)
        text = _MULTIPART_FIELD_RE.sub(r"\1***", text)
        return _FORM_FIELD_RE.sub(r"\1***", text)

    def headers(self, headers: httpx.Headers) -> str:
        """Headers as ``Name: value`` lines, sensitive headers replaced by ``***``."""
        return "\n".join(f"{k}: {'***' if k.lower() in _SENSITIVE_HEADERS else self(v)}" for k, v in headers.items())


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and its absolute expiry (``expires_at``: epoch seconds, ``time.time()`` clock)."""

    token: str
    expires_at: float

    def __repr__(self) -> str:  # never print the token itself
        return f"AccessToken(token='***', expires_at={self.expires_at:.0f})"


@runtime_checkable
class TokenProvider(Protocol):
    """Anything that returns a currently valid bearer token (without the ``Bearer `` prefix)."""

    async def token(self) -> str: ...


class StaticTokenProvider:
    """A fixed token (e.g. a bearer token given in the configuration); never refreshed."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def token(self) -> str:
        return self._token


class TokenCache:
    """Caches the :class:`AccessToken` returned by ``fetch`` until ``expires_at - margin_s``.

    At most one fetch is in flight (an ``asyncio.Lock``): concurrent callers wait for it. The
    margin shrinks to half the token's lifetime for very short-lived tokens. ``invalidate()``
    forgets the token (e.g. after a 401).
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[AccessToken]],
        *,
        margin_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._margin_s = margin_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._current: AccessToken | None = None
        self._refresh_at = 0.0
        self.fetch_count = 0

    def _valid(self) -> AccessToken | None:
        if self._current is not None and self._clock() < self._refresh_at:
            return self._current
        return None

    async def get(self) -> AccessToken:
        """The cached token, fetching a new one if none is cached or it is (nearly) expired."""
        cached = self._valid()
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._valid()
            if cached is not None:
                return cached
            now = self._clock()
            fresh = await self._fetch()
            self.fetch_count += 1
            lifetime = max(0.0, fresh.expires_at - now)
            self._current = fresh
            self._refresh_at = fresh.expires_at - min(self._margin_s, lifetime / 2)
            return fresh

    async def token(self) -> str:
        """The token string (implements :class:`TokenProvider`)."""
        return (await self.get()).token

    def invalidate(self) -> None:
        """Forget the cached token; the next call fetches a new one."""
        self._current = None
        self._refresh_at = 0.0


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _SendFailure(Exception):
    def __init__(self, exc: httpx.TransportError, retryable: bool) -> None:
        super().__init__(type(exc).__name__)
        self.exc = exc
        self.retryable = retryable


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_MAYBE_SENT = (
    httpx.ReadError,
    httpx.RemoteProtocolError,
    httpx.ReadTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


def _retry_after_seconds(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


SleepFn = Callable[[float], Awaitable[None]]
Params = httpx.QueryParams | Mapping[str, Any] | list[tuple[str, Any]]


class ServiceClient:
    """Base of every service client: one ``httpx.AsyncClient`` plus the shared :class:`HttpPolicy`.

    Args:
        service: short service name used in logs and errors (``"aem"``, ``"ims"``, ``"console"``).
        base_url: service root, e.g. ``http://localhost:4502``; request paths are appended to it.
        transport: injected transport (e.g. ``httpx.ASGITransport`` for ``sandbox://`` URLs or
            ``httpx.MockTransport`` in tests); None = a real network transport with the policy's
            TLS verification and connection limit.
        policy: retry/timeout/rate-limit policy.
        secrets: strings to redact from logs and error messages (more via :meth:`add_secret`).
        sleep: the async sleep used between retries (tests inject a recorder).
        headers: extra default headers.

    Counters (for API-call budgets): ``request_count`` is the number of HTTP requests actually
    sent (each retry counts), ``request_log`` one ``(method, path, status)`` per request sent,
    ``path`` without base URL or query string, ``status`` 0 when no response came back.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: SleepFn | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.service = service
        self.policy = policy or HttpPolicy()
        self.base_url = base_url.rstrip("/")
        self.redact = Redactor(secrets)
        self._sleep: SleepFn = sleep or asyncio.sleep
        self.request_count = 0
        self.request_log: list[tuple[str, str, int]] = []
        if transport is None:
            transport = httpx.AsyncHTTPTransport(
                verify=self.policy.verify_tls,
                limits=httpx.Limits(max_connections=self.policy.max_connections),
            )
        default_headers = {"User-Agent": USER_AGENT}
        default_headers.update(headers or {})
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(self.policy.timeout_s),
            headers=default_headers,
            follow_redirects=False,
        )
        rate = self.policy.rate_limit_per_s
        self._limiter: AsyncLimiter | None = None
        if rate is not None and rate > 0:
            self._limiter = AsyncLimiter(rate, 1.0) if rate >= 1 else AsyncLimiter(1, 1.0 / rate)
        self._backoff = wait_exponential_jitter(
            multiplier=self.policy.backoff_initial_s,
            max=self.policy.backoff_max_s,
            jitter=self.policy.backoff_initial_s,
        )

    # -- lifecycle --------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def add_secret(self, secret: str | None) -> None:
        """Register one more value to redact from logs and errors."""
        self.redact.add(secret)

    async def auth_headers(self) -> dict[str, str]:
        """Per-request authentication headers; subclasses override (default: none)."""
        return {}

    # -- the one request method --------------------------------------------------------------

    def json_of(self, response: httpx.Response, error: type[ApiError] | None = None) -> Any:
        """The decoded JSON body of ``response``. Raises ``error`` (default ApiError) with code
        ``invalid_response`` when the body is not JSON; the URL in the message is redacted."""
        try:
            return response.json()
        except ValueError:
            raise (error or ApiError)(
                self.service,
                response.request.method,
                self.redact(str(response.request.url)),
                response.status_code,
                "invalid_response",
                "response is not JSON",
            ) from None

    async def request_with_token_refresh(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """:meth:`request`, plus one more try after a 401 when the client's ``token_provider`` can
        ``invalidate()`` its cached token (a bearer token may be revoked before it expires)."""
        try:
            return await self.request(method, path, **kwargs)
        except AuthError as exc:
            invalidate = getattr(getattr(self, "token_provider", None), "invalidate", None)
            if exc.status != 401 or invalidate is None:
                raise
            invalidate()
            return await self.request(method, path, **kwargs)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        expected: Collection[int] = (200,),
    ) -> httpx.Response:
        """Send one logical request under the retry policy and return the response.

        ``path`` is relative to ``base_url`` (``/etc/replication/agents.author.2.json``).
        ``data`` is form-encoded (or multipart form fields when ``files`` is given), ``json`` is
        a JSON body. ``idempotent`` None means "by method" (GET/HEAD/OPTIONS/PUT/DELETE yes, POST
        no). Returns the response when its status is in ``expected``.

        Raises: :class:`AuthError` (401/403), :class:`NotFoundError` (404),
        :class:`ConflictError` (409), :class:`RateLimitedError` (429 after retries),
        :class:`ServerError` (5xx), :class:`ApiError` (any other unexpected status),
        :class:`TransportError` (connection problems after retries).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        req_headers = await self.auth_headers()
        req_headers.update(headers or {})
        log_path = path.split("?", 1)[0]

        async def send_once(attempt: int) -> httpx.Response:
            if self._limiter is not None:
                await self._limiter.acquire()
            request = self._http.build_request(
                method, path, params=params, data=data, files=files, json=json, headers=req_headers
            )
            self._trace_request(request)
            started = time.perf_counter()
            self.request_count += 1
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                elapsed = (time.perf_counter() - started) * 1000
                self.request_log.append((method, log_path, 0))
                log.debug(
                    "%s %s %s -> %s in %.0f ms (attempt %d)",
                    self.service,
                    method,
                    self.redact(str(request.url)),
                    type(exc).__name__,
                    elapsed,
                    attempt,
                )
                retryable = isinstance(exc, _NOT_SENT) or (idempotent and isinstance(exc, _MAYBE_SENT))
                raise _SendFailure(exc, bool(retryable)) from exc
            elapsed = (time.perf_counter() - started) * 1000
            status = response.status_code
            self.request_log.append((method, log_path, status))
            log.debug(
                "%s %s %s -> %d in %.0f ms (attempt %d)",
                self.service,
                method,
                self.redact(str(request.url)),
                status,
                elapsed,
                attempt,
            )
            self._trace_response(response)
            if status in expected:
                return response
            if status in (429, 503) or (status >= 500 and idempotent):
                raise _RetryableStatus(response)
            return response

        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, self.policy.max_attempts)),
            wait=self._wait,
            retry=retry_if_exception(
                lambda e: isinstance(e, _RetryableStatus) or (isinstance(e, _SendFailure) and e.retryable)
            ),
            sleep=self._sleep,
            before_sleep=self._log_retry(method, log_path),
            reraise=True,
        )
        attempt_no = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempt_no = attempt.retry_state.attempt_number
                    response = await send_once(attempt_no)
        except _RetryableStatus as exc:
            raise self._error(method, exc.response, attempt_no) from None
        except _SendFailure as failure:
            raise TransportError(
                self.service,
                method,
                self.redact(str(failure.exc.request.url) if _has_request(failure.exc) else path),
                None,
                type(failure.exc).__name__,
                self.redact(str(failure.exc)) or type(failure.exc).__name__,
                attempts=attempt_no,
            ) from None
        if response.status_code not in expected:
            raise self._error(method, response, attempt_no)
        return response

    # -- helpers -------------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _RetryableStatus):
            after = _retry_after_seconds(exc.response.headers.get("Retry-After"), time.time())
            if after is not None:
                return min(after, self.policy.retry_after_cap_s)
        return float(self._backoff(state))

    def _log_retry(self, method: str, path: str) -> Callable[[RetryCallState], None]:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            why = (
                str(exc.response.status_code)
                if isinstance(exc, _RetryableStatus)
                else type(exc.exc).__name__
                if isinstance(exc, _SendFailure)
                else "?"
            )
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            log.debug("%s %s %s: %s, retrying in %.2f s", self.service, method, path, why, wait)

        return before_sleep

    def _error(self, method: str, response: httpx.Response, attempts: int) -> ApiError:
        code, message = parse_error_body(response)
        cls = error_class_for(response.status_code)
        request_id = response.headers.get("x-debug-id") or response.headers.get("x-request-id")
        return cls(
            self.service,
            method,
            self.redact(str(response.request.url)),
            response.status_code,
            self.redact(code) if code else None,
            self.redact(_one_line(message, _ERROR_MESSAGE_LIMIT)),
            attempts=attempts,
            request_id=request_id,
        )

    def _trace_request(self, request: httpx.Request) -> None:
        if not body_log.isEnabledFor(TRACE):
            return
        try:
            content = request.read()
        except Exception:  # an unreadable stream: log no body
            content = b""
        body = _body_text(content, request.headers.get("content-type", ""))
        body_log.log(
            TRACE,
            "%s request %s %s\n%s\n\n%s",
            self.service,
            request.method,
            self.redact(str(request.url)),
            self.redact.headers(request.headers),
            self.redact(body),
        )

    def _trace_response(self, response: httpx.Response) -> None:
        if not body_log.isEnabledFor(TRACE):
            return
        body = _body_text(response.content, response.headers.get("content-type", ""))
        body_log.log(
            TRACE,
            "%s response %d %s\n%s\n\n%s",
            self.service,
            response.status_code,
            self.redact(str(response.request.url)),
            self.redact.headers(response.headers),
            self.redact(body),
        )


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        exc.request  # noqa: B018 - raises RuntimeError when not set
    except RuntimeError:
        return False
    return True


def _body_text(content: bytes, content_type: str) -> str:
    if not content:
        return ""
    if not any(t in content_type for t in ("json", "text", "xml", "html", "form", "javascript")):
        if "multipart" not in content_type:
            return f"<{len(content)} bytes {content_type or 'binary'}>"
    text = content.decode("utf-8", errors="replace")
    return text if len(text) <= _BODY_LOG_LIMIT else text[:_BODY_LOG_LIMIT] + f"... <{len(text)} chars>"


def basic_auth_header(username: str, password: str) -> str:
    """``Basic <base64(username:password)>`` (RFC 7617, UTF-8)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

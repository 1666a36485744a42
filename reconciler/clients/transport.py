"""Shared HTTP policy for every service client: timeouts, retries, rate limit, counting, logging.

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

* Rate limit: an :class:`~reconciler.clients.ratelimit.AdaptiveRateLimiter` per client when
  :attr:`HttpPolicy.rate_limit_per_s` is set (``rate_limit_burst`` requests at once, then evenly
  spaced). It is adaptive: a **429** halves the client's rate and pauses *every* request of the
  client for ``Retry-After`` (capped) plus up to 10% jitter, or for the backoff when the answer has
  no ``Retry-After``; the retry of the refused request waits in that pause instead of sleeping on
  its own, and the rate climbs back with each answer that is not a 429. Without a rate (None) a
  429 is retried per request after its own ``Retry-After``, as above.
* Errors: a status outside ``expected`` raises an :class:`~reconciler.clients.errors.ApiError`
  subclass (see :mod:`reconciler.clients.errors`) with every registered secret redacted
  (:mod:`reconciler.clients.redaction`).
* Logging: logger ``reconciler.http`` at DEBUG, one line per attempt (method, redacted URL, status,
  elapsed ms, attempt number); logger ``reconciler.http.body`` at :data:`TRACE` (5, below DEBUG),
  redacted request/response headers and bodies. A secret that a response carries (``secret_fields``
  of :meth:`ServiceClient.request`, e.g. AEM's CSRF token) is registered before that response is
  logged, so its body is logged with ``***`` like the header that later carries the value.

This module imports nothing from the rest of ``reconciler`` except ``__version__``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from reconciler import __version__

from .errors import (
    ERROR_MESSAGE_LIMIT,
    ApiError,
    AuthError,
    TransportError,
    error_class_for,
    one_line,
    parse_error_body,
)
from .ratelimit import AdaptiveRateLimiter
from .redaction import Redactor

__all__ = ["IDEMPOTENT_METHODS", "TRACE", "USER_AGENT", "HttpPolicy", "Params", "ServiceClient", "SleepFn"]

log = logging.getLogger("reconciler.http")
body_log = logging.getLogger("reconciler.http.body")

#: Log level of ``reconciler.http.body`` (bodies and headers), below ``logging.DEBUG``.
TRACE = 5
logging.addLevelName(TRACE, "TRACE")

USER_AGENT = f"aem-assets-reconciler/{__version__}"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_BODY_LOG_LIMIT = 4000

SleepFn = Callable[[float], Awaitable[None]]
Params = httpx.QueryParams | Mapping[str, Any] | list[tuple[str, Any]]


@dataclass
class HttpPolicy:
    """Transport policy shared by every client of one run.

    Units: seconds for all ``*_s`` fields; ``rate_limit_per_s`` in requests per second per client
    (None = no client-side limit: no spacing, and a 429 pauses only the request it refused);
    ``rate_limit_burst`` requests allowed at once after a quiet spell (None = half a second's
    worth of the rate, at least 1: :func:`~reconciler.clients.ratelimit.default_burst`);
    ``max_attempts`` counts the first try (1 = no retry).
    """

    timeout_s: float = 30.0
    max_attempts: int = 5
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 20.0
    retry_after_cap_s: float = 60.0
    rate_limit_per_s: float | None = None
    rate_limit_burst: int | None = None
    verify_tls: bool = True
    max_connections: int = 10


# -- internal: one logical request and the two ways an attempt asks to be retried ------------------


@dataclass(frozen=True)
class _Call:
    """The arguments of one logical request, sent once per attempt."""

    method: str
    path: str
    params: Params | None
    data: Mapping[str, Any] | None
    files: Mapping[str, Any] | None
    json: Any
    headers: dict[str, str]
    idempotent: bool
    expected: Collection[int]
    secret_fields: Collection[str] = ()

    @property
    def log_path(self) -> str:
        return self.path.split("?", 1)[0]


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


def _should_retry(exc: BaseException) -> bool:
    return isinstance(exc, _RetryableStatus) or (isinstance(exc, _SendFailure) and exc.retryable)


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


def looks_like_html(response: httpx.Response) -> bool:
    """True when the body is an HTML page (``Content-Type: text/html`` or a body starting with
    ``<``): what a login page, a proxy's error page or another application answers."""
    ctype = response.headers.get("content-type", "").lower()
    return "html" in ctype or response.content.lstrip()[:1] == b"<"


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
    ``limiter`` is the client's :class:`~reconciler.clients.ratelimit.AdaptiveRateLimiter` (None
    without ``policy.rate_limit_per_s``); its ``stats`` count 429s, slow-downs and pause time.
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
        self.limiter: AdaptiveRateLimiter | None = None
        if rate is not None and rate > 0:
            self.limiter = AdaptiveRateLimiter(rate, burst=self.policy.rate_limit_burst, sleep=self._sleep)
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

    # -- decoding ----------------------------------------------------------------------------

    def json_of(self, response: httpx.Response, error: type[ApiError] | None = None) -> Any:
        """The decoded JSON body of ``response``. Raises ``error`` (default ApiError) with code
        ``invalid_response`` when the body is not JSON; the message names the service, method, the
        redacted URL and the likely fix (an HTML page, e.g. a login page of a proxy or of another
        application, is named as such: the connection's base URL points somewhere else)."""
        try:
            return response.json()
        except ValueError:
            what = "response is not JSON"
            if looks_like_html(response):
                what += " (an HTML page: a login or error page?)"
            raise (error or ApiError)(
                self.service,
                response.request.method,
                self.redact(str(response.request.url)),
                response.status_code,
                "invalid_response",
                f"{what}; {self.base_url_hint(response)}",
            ) from None

    def base_url_hint(self, response: httpx.Response) -> str:
        """``from <redacted URL>; check the connection's base URL (<base URL>)``: the likely fix
        when a service answers something that is not its documented API."""
        url = self.redact(str(response.request.url))
        return f"from {url}; check the connection's base URL ({self.redact(self.base_url)})"

    def listing_failed(self, response: httpx.Response, why: str, error: type[ApiError] | None = None) -> ApiError:
        """The error for a listing whose answer is not the documented one (``why``: e.g. "the
        endpoint answered 404"): code ``listing_failed``; the message names the redacted URL and
        the connection's base URL. A failed listing must never be read as an empty one (the plan
        would propose creating what may exist)."""
        return (error or ApiError)(
            self.service,
            response.request.method,
            self.redact(str(response.request.url)),
            response.status_code,
            "listing_failed",
            f"{why}, so nothing can be listed {self.base_url_hint(response)}",
        )

    # -- the one request method --------------------------------------------------------------

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
        secret_fields: Collection[str] = (),
    ) -> httpx.Response:
        """Send one logical request under the retry policy and return the response.

        ``path`` is relative to ``base_url`` (``/etc/replication/agents.author.2.json``).
        ``data`` is form-encoded (or multipart form fields when ``files`` is given), ``json`` is
        a JSON body. ``idempotent`` None means "by method" (GET/HEAD/OPTIONS/PUT/DELETE yes, POST
        no). Returns the response when its status is in ``expected``. ``secret_fields``: top-level
        fields of a JSON object response whose string values are secrets (``("token",)`` for AEM's
        CSRF token); they are registered (:meth:`add_secret`) before the response is logged, so
        the logged body shows ``***`` where the value was.

        Raises: :class:`~reconciler.clients.errors.AuthError` (401/403), ``NotFoundError`` (404),
        ``ConflictError`` (409), ``RateLimitedError`` (429 after retries), ``ServerError`` (5xx),
        ``ApiError`` (any other unexpected status), ``TransportError`` (connection problems after
        retries); all from :mod:`reconciler.clients.errors`.
        """
        method = method.upper()
        req_headers = await self.auth_headers()
        req_headers.update(headers or {})
        call = _Call(
            method,
            path,
            params,
            data,
            files,
            json,
            req_headers,
            method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            expected,
            tuple(secret_fields),
        )
        response, attempts = await self._send_with_retries(call)
        if response.status_code not in expected:
            raise self._error(method, response, attempts)
        return response

    # -- helpers -------------------------------------------------------------------------------

    async def _send_with_retries(self, call: _Call) -> tuple[httpx.Response, int]:
        """Send ``call`` until it succeeds or the policy gives up; ``(last response, attempts)``.

        Raises the error for a retryable status still returned after the last attempt, or
        :class:`TransportError` when no answer came back.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, self.policy.max_attempts)),
            wait=self._wait,
            retry=retry_if_exception(_should_retry),
            sleep=self._sleep,
            before_sleep=self._log_retry(call.method, call.log_path),
            reraise=True,
        )
        attempt_no = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempt_no = attempt.retry_state.attempt_number
                    response = await self._send_once(call, attempt_no)
        except _RetryableStatus as exc:
            raise self._error(call.method, exc.response, attempt_no) from None
        except _SendFailure as failure:
            raise self._transport_error(call, failure.exc, attempt_no) from None
        return response, attempt_no

    async def _send_once(self, call: _Call, attempt: int) -> httpx.Response:
        """One attempt: rate limit, send, count, log, tell the limiter how it went. Raises
        :class:`_RetryableStatus` for a status the policy retries and :class:`_SendFailure` when
        no answer came back."""
        ticket = await self.limiter.acquire() if self.limiter is not None else 0
        request = self._http.build_request(
            call.method,
            call.path,
            params=call.params,
            data=call.data,
            files=call.files,
            json=call.json,
            headers=call.headers,
        )
        self._trace_request(request)
        started = time.perf_counter()
        self.request_count += 1
        try:
            response = await self._http.send(request)
        except httpx.TransportError as exc:
            self.request_log.append((call.method, call.log_path, 0))
            self._log_attempt(request, type(exc).__name__, started, attempt)
            retryable = isinstance(exc, _NOT_SENT) or (call.idempotent and isinstance(exc, _MAYBE_SENT))
            raise _SendFailure(exc, bool(retryable)) from exc
        status = response.status_code
        self.request_log.append((call.method, call.log_path, status))
        self._log_attempt(request, status, started, attempt)
        self._add_response_secrets(response, call.secret_fields)
        self._trace_response(response)
        if self.limiter is not None:
            if status == 429:
                self.limiter.on_rate_limited(ticket, self._retry_after_or_backoff(response, attempt))
            else:
                self.limiter.on_success()
        if status not in call.expected and (status in (429, 503) or (status >= 500 and call.idempotent)):
            raise _RetryableStatus(response)
        return response

    def _log_attempt(self, request: httpx.Request, outcome: int | str, started: float, attempt: int) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        log.debug(
            "%s %s %s -> %s in %.0f ms (attempt %d)",
            self.service,
            request.method,
            self.redact(str(request.url)),
            outcome,
            elapsed,
            attempt,
        )

    def _retry_after_or_backoff(self, response: httpx.Response, attempt: int) -> float:
        """Seconds to wait after ``response`` (a 429): its ``Retry-After`` capped at
        ``retry_after_cap_s``, else the exponential backoff of attempt number ``attempt``."""
        after = _retry_after_seconds(response.headers.get("Retry-After"), time.time())
        if after is not None:
            return min(after, self.policy.retry_after_cap_s)
        return min(self.policy.backoff_max_s, self.policy.backoff_initial_s * 2 ** (attempt - 1))

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _RetryableStatus):
            if exc.response.status_code == 429 and self.limiter is not None:
                return 0.0  # the limiter's shared pause holds the retry (see _send_once)
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
            if self.limiter is not None and why == "429":
                wait = self.limiter.pause_remaining()
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
            self.redact(one_line(message, ERROR_MESSAGE_LIMIT)),
            attempts=attempts,
            request_id=request_id,
        )

    def _transport_error(self, call: _Call, exc: httpx.TransportError, attempts: int) -> TransportError:
        return TransportError(
            self.service,
            call.method,
            self.redact(str(exc.request.url) if _has_request(exc) else call.path),
            None,
            type(exc).__name__,
            self.redact(str(exc)) or type(exc).__name__,
            attempts=attempts,
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

    def _add_response_secrets(self, response: httpx.Response, fields: Collection[str]) -> None:
        """Register the string values of ``fields`` of a JSON object body as secrets (nothing for
        a body that is not a JSON object)."""
        if not fields:
            return
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict):
            for name in fields:
                value = body.get(name)
                if isinstance(value, str):
                    self.add_secret(value)

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

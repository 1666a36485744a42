"""The exceptions of the clients layer, in one hierarchy (as httpx keeps ``_exceptions.py``).

Every failed wire call raises an :class:`ApiError` subclass; nothing else leaves a client except
``ValueError`` for a wrong argument given by the caller (never for something the server said)::

    ApiError                  a request ended with a status outside ``expected``, or the answer
    |                         could not be used (code ``invalid_response``: not JSON, wrong shape)
    +-- AuthError             401 / 403
    +-- NotFoundError         404
    +-- ConflictError         409
    +-- RateLimitedError      429 after all retries                       (temporary)
    +-- ServerError           5xx after the retries the method allows     (temporary)
    +-- TransportError        no answer: refused, timeout, dropped; status None (temporary)
    +-- UmapiError            (clients/umapi.py) a 200 whose body says the call failed

Temporary or permanent: :attr:`ApiError.temporary` is True when the same request may succeed if
sent again later (no answer, 408, 429, 5xx); callers that can wait (a provider saying "retry
later") test it instead of matching classes or statuses. The transport has already retried such
failures as far as :class:`~reconciler.clients.transport.HttpPolicy` allows.

``str()`` of every error is one line ``<service> <METHOD> <path> -> <status> <reason>: <code>:
<message>`` with every registered secret redacted (the transport redacts ``url``, ``code`` and
``message`` before building the error).

This module also holds the helpers that turn an error response into ``(code, message)``:
:func:`parse_error_body` and :func:`html_to_text`.
"""

from __future__ import annotations

import html
import json as jsonlib
import re
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "AuthError",
    "ConflictError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "error_class_for",
    "html_to_text",
    "parse_error_body",
]

#: statuses after which the same request may succeed later (besides every 5xx)
TEMPORARY_STATUSES = frozenset({408, 429})
ERROR_MESSAGE_LIMIT = 300


class ApiError(Exception):
    """A request ended with a status outside ``expected`` (or could not be sent at all).

    Attributes: ``service`` ("aem", "ims", "console", "umapi", "workfront"), ``method``, ``url``
    (redacted), ``status`` (int, or None for :class:`TransportError`), ``code`` (the server's error
    code such as ``invalid_client`` or ``403003``, ``invalid_response`` when the body could not be
    used, or None), ``message`` (server message or a short body excerpt, redacted), ``attempts``
    (how many times it was sent), ``request_id`` (``x-debug-id`` / ``x-request-id`` response
    header, when present).
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

    @property
    def temporary(self) -> bool:
        """True if sending the same request later may succeed: no answer at all (``status``
        None), 408, 429 or any 5xx. False for every other status (wrong credentials, missing
        object, conflict, invalid request, unusable answer): retrying cannot help."""
        status = self.status
        return status is None or status in TEMPORARY_STATUSES or status >= 500

    def _one_line(self) -> str:
        if self.status is None:
            head = f"{self.service} {self.method} {self.path} -> connection failed"
        else:
            reason = httpx.codes.get_reason_phrase(self.status)
            status = f"{self.status} {reason}" if reason else str(self.status)
            head = f"{self.service} {self.method} {self.path} -> {status}"
        shown = {str(self.status), str(self.status) + " " + httpx.codes.get_reason_phrase(self.status or 0)}
        # a body that only repeats the status line ("401 Unauthorized") adds nothing
        detail = ": ".join(p for p in (self.code, self.message) if p and p.strip() not in shown)
        if self.attempts > 1:
            head += f" (after {self.attempts} attempts)"
        return one_line(f"{head}: {detail}" if detail else head)

    def __str__(self) -> str:
        return self._one_line()


class AuthError(ApiError):
    """401 or 403: wrong or missing credentials, or not allowed (permanent)."""


class NotFoundError(ApiError):
    """404 (permanent)."""


class ConflictError(ApiError):
    """409, e.g. a Developer Console project name already taken (permanent)."""


class RateLimitedError(ApiError):
    """429 still returned after all retries (temporary)."""


class ServerError(ApiError):
    """5xx, after retries where the request was retryable (temporary)."""


class TransportError(ApiError):
    """Connection problem (refused, timeout, dropped) after retries; ``status`` is None (temporary)."""


def error_class_for(status: int | None) -> type[ApiError]:
    """Map an HTTP status (None: no answer) to the :class:`ApiError` subclass raised for it."""
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


def one_line(text: str, limit: int = 600) -> str:
    """``text`` with all whitespace runs collapsed to one space, cut to ``limit`` characters."""
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
    Protocol source: ``docs/api-fidelity.md`` (the error shape of each service).
    """
    text = response.text
    try:
        body: Any = jsonlib.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        found = _json_error(body)
        if found is not None:
            return found
    if "<" in text:
        match = _SLING_MESSAGE_RE.search(text) or _TITLE_RE.search(text)
        if match:
            return None, one_line(html_to_text(match.group(1)), ERROR_MESSAGE_LIMIT)
        text = html_to_text(text)
    return None, one_line(text, ERROR_MESSAGE_LIMIT)


def _json_error(body: dict[str, Any]) -> tuple[str | None, str] | None:
    """``(code, message)`` of a JSON error body in one of the known shapes, else None."""
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
    return None

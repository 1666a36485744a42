"""Secret redaction for everything a client logs or puts in an error message.

Protocol source: DESIGN.md section 6 (secrets never appear in logs, errors or plans). A
:class:`Redactor` belongs to one :class:`~reconciler.clients.transport.ServiceClient`; each client
registers the secrets it is given (passwords, client secrets, tokens, CSRF tokens) and the
transport passes every URL, header, body and error message through it.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

import httpx

__all__ = ["SENSITIVE_HEADERS", "Redactor"]

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

#: header names (lower case) whose values are always replaced by ``***`` in logs
SENSITIVE_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "csrf-token", "x-gw-ims-user-token", "proxy-authorization"}
)


class Redactor:
    """Replaces secrets in text with ``***``.

    Redacted: every registered secret (also URL-encoded and JSON-escaped), ``Bearer``/``Basic``
    credentials, values of sensitive fields (``client_secret``, ``password``, ``rep:password``,
    ``transportPassword``, ``jwt_token``, ``access_token``, ... in form, query, JSON and multipart
    form) and PEM private keys. Calling it (``redact(text) -> str``) never raises.
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
        return "\n".join(f"{k}: {'***' if k.lower() in SENSITIVE_HEADERS else self(v)}" for k, v in headers.items())

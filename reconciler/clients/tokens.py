"""Credentials a client sends: bearer tokens (fixed or cached until expiry) and HTTP Basic.

Protocol source: ``docs/api-fidelity.md`` "IMS" (``expires_in`` of an access token) and RFC 7617
(Basic). The IMS-specific providers that fetch tokens live in :mod:`reconciler.clients.ims`.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["AccessToken", "StaticTokenProvider", "TokenCache", "TokenProvider", "basic_auth_header"]


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
        """The fixed token."""
        return self._token


class TokenCache:
    """Caches the :class:`AccessToken` returned by ``fetch`` until ``expires_at - margin_s``.

    At most one fetch is in flight (an ``asyncio.Lock``): concurrent callers wait for it. The
    margin shrinks to half the token's lifetime for very short-lived tokens. ``invalidate()``
    forgets the token (e.g. after a 401). ``fetch_count`` counts the fetches made. Errors raised
    by ``fetch`` (an :class:`~reconciler.clients.errors.ApiError`) propagate.
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


def basic_auth_header(username: str, password: str) -> str:
    """``Basic <base64(username:password)>`` (RFC 7617, UTF-8)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

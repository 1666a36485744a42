"""Request rounds: how many requests a run makes one after another (latency multiplies by it).

A run's wall time under network latency is about ``rounds x latency``, not ``requests x latency``:
requests in flight together cost one latency. The *depth* of a request is 1 + the largest depth of
the requests that had completed when it started (a request started before any other completed has
depth 1); ``rounds`` is the largest depth. A plan that starts every listing at once and then only
reads what they returned makes 1 round per level of real dependency (an IMS token, then the
listings that need it).

:class:`CountingTransport` wraps any ``httpx.AsyncBaseTransport`` (the embedded sandbox's, or
``httpx.AsyncHTTPTransport``) and counts into a :class:`RoundCounter`; it can add a fixed delay per
request (``delay_s``), so that requests started together are in flight together however fast the
server is, which makes the count depend on the order of the requests only, not on timing.
:func:`counting_transport_for` wraps a ``transport_for(url)`` function of the kinds' provider
context. Used by tests and benchmarks; the clients themselves do not need it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

__all__ = ["CountingTransport", "RoundCounter", "counting_transport_for"]

TransportFor = Callable[[str], tuple[str, httpx.AsyncBaseTransport | None]]


@dataclass
class RoundCounter:
    """Requests and rounds of one run (see the module docstring).

    ``requests``: requests started; ``rounds``: the largest depth; ``by_round``: requests per depth;
    ``log``: ``(depth, method, host, path)`` per request, in start order (no query string, so no
    secret from a URL).
    """

    requests: int = 0
    rounds: int = 0
    by_round: Counter[int] = field(default_factory=Counter)
    log: list[tuple[int, str, str, str]] = field(default_factory=list)
    _completed_depth: int = 0

    def started(self, method: str = "", host: str = "", path: str = "") -> int:
        """Count a request starting now; returns its depth (pass it to :meth:`finished`)."""
        depth = self._completed_depth + 1
        self.requests += 1
        self.rounds = max(self.rounds, depth)
        self.by_round[depth] += 1
        self.log.append((depth, method, host, path))
        return depth

    def finished(self, depth: int) -> None:
        """The request of ``depth`` has completed (answered or failed)."""
        self._completed_depth = max(self._completed_depth, depth)

    def reset(self) -> None:
        """Start counting a new run from zero."""
        self.requests = self.rounds = self._completed_depth = 0
        self.by_round.clear()
        self.log.clear()


class CountingTransport(httpx.AsyncBaseTransport):
    """``inner`` with every request counted in ``counter``, after an optional ``delay_s`` (seconds)
    of simulated latency inside the request."""

    def __init__(self, inner: httpx.AsyncBaseTransport, counter: RoundCounter, *, delay_s: float = 0.0) -> None:
        self.inner = inner
        self.counter = counter
        self.delay_s = delay_s

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        depth = self.counter.started(request.method, request.url.host, request.url.path)
        try:
            if self.delay_s > 0:
                await asyncio.sleep(self.delay_s)
            return await self.inner.handle_async_request(request)
        finally:
            self.counter.finished(depth)

    async def aclose(self) -> None:
        await self.inner.aclose()


def counting_transport_for(
    transport_for: TransportFor, counter: RoundCounter, *, delay_s: float = 0.0
) -> TransportFor:
    """``transport_for`` whose transports count into ``counter`` (a URL that gets no transport of
    its own, i.e. the network, gets an ``httpx.AsyncHTTPTransport``)."""

    def wrapped(url: str) -> tuple[str, httpx.AsyncBaseTransport | None]:
        base, inner = transport_for(url)
        return base, CountingTransport(inner or httpx.AsyncHTTPTransport(), counter, delay_s=delay_s)

    return wrapped

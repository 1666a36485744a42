"""Client-side adaptive rate limiter: a request budget per client that slows down on 429.

Protocol source: ``docs/api-fidelity.md`` "Common behaviour" (429 + ``Retry-After`` in seconds, as
Adobe's APIs answer: ``../shared/reference/adobe-umapi.md`` section 4) and the design lesson "never
exceed the configured rate limit: client-side token bucket; honour ``Retry-After``; +-10% jitter"
(``../shared/reference/reconciler-anchors.md`` section 4).

How it works (one :class:`AdaptiveRateLimiter` per client instance, shared by all its concurrent
requests; asyncio only, no threads):

* **Spacing** (a GCRA token bucket): at most ``burst`` requests at once after a quiet spell, then
  one every ``1 / rate`` seconds. Each :meth:`~AdaptiveRateLimiter.acquire` reserves the next
  free slot and sleeps until it, so concurrent callers are spread out, never sent together.
* **Slow down** on a 429 (:meth:`~AdaptiveRateLimiter.on_rate_limited`): the rate is multiplied
  by ``decrease_factor`` (0.5: halved), once per "generation" (the 429s of requests that were
  already scheduled under the old rate do not halve it again), down to ``min_rate``.
* **Pause**: every request of the client, not only the one that was refused, waits until
  ``Retry-After`` (plus 0 to ``jitter`` of it, so that several clients do not come back in
  step) has passed; requests already sleeping for a slot wake up and reserve again.
* **Recover** (additive increase, as TCP's congestion avoidance): each answer that is not a 429
  (:meth:`~AdaptiveRateLimiter.on_success`) adds ``recovery * ceiling / rate``, where ``ceiling``
  is the rate at which the last 429 came; at ``rate`` answers a second that is ``recovery x
  ceiling`` per second (0.1: from half the ceiling back to it in about 5 s), never above the
  configured rate. So a client configured above the server's real limit settles just under it
  with a 429 every several seconds, not a storm.

``rate_per_s=None`` means no spacing; the shared pause on 429 still applies.
This module imports nothing from the rest of ``reconciler``.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["AdaptiveRateLimiter", "LimiterStats", "default_burst"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def default_burst(rate_per_s: float | None) -> int:
    """Requests allowed at once after a quiet spell when none is configured: half a second's
    worth of ``rate_per_s`` (requests per second), at least 1 (1 for None).

    Half, not a whole second: a server with a token bucket of one second's worth (the usual
    shape, and the sandbox's ``rate_limit_per_s`` fault) then still has half a second of slack for
    requests that arrive closer together than they were sent."""
    if rate_per_s is None:
        return 1
    return max(1, math.floor(rate_per_s / 2))


@dataclass
class LimiterStats:
    """Counters of one limiter: ``rate_limited`` 429 answers reported, ``decreases`` times the rate
    was lowered, ``paused_s`` seconds of pause scheduled in total (overlapping pauses count once),
    ``waits`` acquisitions that had to sleep."""

    rate_limited: int = 0
    decreases: int = 0
    paused_s: float = 0.0
    waits: int = 0


class AdaptiveRateLimiter:
    """The request budget of one client (see the module docstring for the algorithm).

    Args:
        rate_per_s: configured rate in requests per second (> 0), or None for no spacing.
        burst: requests allowed at once after a quiet spell (>= 1; default :func:`default_burst`).
        min_rate_per_s: the rate never drops below this (default: a tenth of ``rate_per_s``, at
            least one request a minute).
        decrease_factor: multiplier applied to the rate on a 429 (0 < f <= 1).
        recovery: fraction of the rate at the last 429 regained per second of answers.
        jitter: the pause after a 429 is ``wait * (1 + jitter * U[0, 1))``.
        clock: monotonic clock in seconds (tests inject a fake one).
        sleep: async sleep (tests inject one that advances the fake clock).
        rng: random source of the jitter.

    Raises ``ValueError`` for a rate <= 0, a burst < 1 or a factor outside (0, 1].
    """

    def __init__(
        self,
        rate_per_s: float | None,
        *,
        burst: int | None = None,
        min_rate_per_s: float | None = None,
        decrease_factor: float = 0.5,
        recovery: float = 0.1,
        jitter: float = 0.1,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if rate_per_s is not None and not rate_per_s > 0:
            raise ValueError(f"rate_per_s must be > 0 or None, got {rate_per_s!r}")
        if not 0 < decrease_factor <= 1:
            raise ValueError(f"decrease_factor must be in (0, 1], got {decrease_factor!r}")
        self.max_rate = rate_per_s
        self.rate = rate_per_s
        self.ceiling = rate_per_s  # the rate when the last 429 came
        self.burst = default_burst(rate_per_s) if burst is None else burst
        if self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst!r}")
        floor = None if rate_per_s is None else max(rate_per_s / 10, 1 / 60)
        self.min_rate = floor if min_rate_per_s is None or rate_per_s is None else min(min_rate_per_s, rate_per_s)
        self.decrease_factor = decrease_factor
        self.recovery = recovery
        self.jitter = jitter
        self.stats = LimiterStats()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._tat = -math.inf  # GCRA "theoretical arrival time" of the next request
        self._paused_until = -math.inf
        self._generation = 0

    # -- the request side ---------------------------------------------------------------------

    async def acquire(self) -> int:
        """Wait until this request may be sent; returns its ticket (pass it to
        :meth:`on_rate_limited`). Concurrent callers get successive slots. A 429 reported while
        waiting makes the caller reserve again under the new rate and pause."""
        while True:
            ticket = self._generation
            delay = self._reserve()
            if delay > 0:
                self.stats.waits += 1
                await self._sleep(delay)
            if ticket == self._generation:
                return ticket

    def _reserve(self) -> float:
        """Take the next free slot; seconds from now until it."""
        now = self._clock()
        start = max(now, self._paused_until)
        if self.rate is None:
            return start - now
        interval = 1.0 / self.rate
        slot = max(start, self._tat - (self.burst - 1) * interval)
        self._tat = max(self._tat, slot) + interval
        return slot - now

    def pause_remaining(self) -> float:
        """Seconds until the current pause ends (0.0 when not paused)."""
        return max(0.0, self._paused_until - self._clock())

    # -- the answer side ----------------------------------------------------------------------

    def on_rate_limited(self, ticket: int, wait_s: float) -> float:
        """Report a 429 for the request holding ``ticket``; ``wait_s`` is the server's
        ``Retry-After`` in seconds (or the caller's backoff when it sent none). Halves the rate
        (once per generation) and pauses every request of the client for ``wait_s`` plus jitter.
        Returns the pause in seconds from now."""
        self.stats.rate_limited += 1
        now = self._clock()
        pause = max(0.0, wait_s) * (1.0 + self.jitter * self._rng.random())
        changed = False
        if ticket == self._generation and self.rate is not None:
            assert self.min_rate is not None
            self.ceiling = self.rate
            self.rate = max(self.min_rate, self.rate * self.decrease_factor)
            self.stats.decreases += 1
            changed = True
        if now + pause > self._paused_until:
            self.stats.paused_s += now + pause - max(now, self._paused_until)
            self._paused_until = now + pause
            changed = True
        if changed:
            self._generation += 1
            if self.rate is not None:  # no burst right after the pause: start spacing again
                self._tat = self._paused_until + (self.burst - 1) / self.rate
        return pause

    def on_success(self) -> None:
        """Report an answer that is not a 429: the rate climbs by ``recovery * ceiling / rate``
        requests per second, never above the configured rate."""
        if self.rate is not None and self.max_rate is not None and self.rate < self.max_rate:
            assert self.ceiling is not None
            self.rate = min(self.max_rate, self.rate + self.recovery * self.ceiling / self.rate)

"""The adaptive client-side rate limiter: spacing, slow-down on 429, the shared Retry-After pause.

A fake clock and sleep make every figure exact; nothing here waits for real time.
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from reconciler.clients import HttpPolicy, ServiceClient
from reconciler.clients.ratelimit import AdaptiveRateLimiter, default_burst


class FakeTime:
    """A clock whose ``sleep`` advances it (and yields to other tasks); ``slept`` records the waits.
    ``during_sleep`` (optional) runs once inside the next sleep, as if an answer came meanwhile."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.during_sleep: list[object] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        target = self.now + seconds
        if self.during_sleep:
            callback = self.during_sleep.pop(0)
            assert callable(callback)
            callback()
        await asyncio.sleep(0)
        self.now = max(self.now, target)


class HalfRandom(random.Random):
    """``random()`` is always 0.5: the jitter is exactly half its maximum."""

    def random(self) -> float:
        return 0.5


def limiter(t: FakeTime, rate: float | None = 10.0, burst: int | None = None) -> AdaptiveRateLimiter:
    return AdaptiveRateLimiter(rate, burst=burst, clock=t.clock, sleep=t.sleep, rng=HalfRandom())


def test_default_burst_is_half_a_second_of_the_rate() -> None:
    assert [default_burst(r) for r in (None, 0.5, 1, 3, 20, 200)] == [1, 1, 1, 1, 10, 100]


def test_a_burst_then_even_spacing() -> None:
    t = FakeTime()
    lim = limiter(t, 10.0, burst=2)

    async def go() -> list[float]:
        sent = []
        for _ in range(5):
            await lim.acquire()
            sent.append(round(t.now, 6))
        return sent

    assert asyncio.run(go()) == [0.0, 0.0, 0.1, 0.2, 0.3]


def test_concurrent_callers_share_one_schedule() -> None:
    t = FakeTime()
    lim = limiter(t, 10.0, burst=1)

    async def go() -> None:
        await asyncio.gather(*(lim.acquire() for _ in range(4)))

    asyncio.run(go())
    assert sorted(t.slept) == [0.1, 0.2, 0.3]  # the first goes at once, the others one slot each


def test_a_429_halves_the_rate_and_pauses_every_request_for_retry_after_plus_jitter() -> None:
    t = FakeTime()
    lim = limiter(t, 10.0, burst=5)

    async def go() -> list[float]:
        ticket = await lim.acquire()
        pause = lim.on_rate_limited(ticket, 2.0)
        assert pause == pytest.approx(2.1)  # 2 s + half of the 10% jitter
        assert lim.rate == 5.0 and lim.stats.decreases == 1
        sent = []
        for _ in range(3):  # other requests, not only the refused one, wait out the pause
            await lim.acquire()
            sent.append(round(t.now, 6))
        return sent

    # After the pause no burst: spaced at the new rate (5 per second).
    assert asyncio.run(go()) == [2.1, 2.3, 2.5]
    assert lim.stats.rate_limited == 1 and lim.stats.paused_s == pytest.approx(2.1)


def test_429s_of_requests_sent_before_the_slow_down_do_not_halve_again() -> None:
    t = FakeTime()
    lim = limiter(t, 16.0, burst=8)

    async def go() -> None:
        tickets = [await lim.acquire() for _ in range(4)]  # four in flight at once
        for ticket in tickets:  # all four come back 429
            lim.on_rate_limited(ticket, 1.0)
        assert lim.rate == 8.0 and lim.stats.decreases == 1 and lim.stats.rate_limited == 4
        ticket = await lim.acquire()  # sent at the new rate, refused again: halve again
        lim.on_rate_limited(ticket, 1.0)
        assert lim.rate == 4.0 and lim.stats.decreases == 2

    asyncio.run(go())


def test_the_rate_never_drops_below_its_floor() -> None:
    t = FakeTime()
    lim = limiter(t, 20.0)

    async def go() -> None:
        for _ in range(10):
            lim.on_rate_limited(await lim.acquire(), 0.0)

    asyncio.run(go())
    assert lim.rate == 2.0  # a tenth of the configured rate


def test_a_request_waiting_for_its_slot_when_a_429_comes_waits_out_the_pause() -> None:
    t = FakeTime()
    lim = limiter(t, 10.0, burst=1)

    async def go() -> float:
        first = await lim.acquire()  # at 0.0; the next slot is 0.1
        t.during_sleep.append(lambda: lim.on_rate_limited(first, 1.0))  # the 429 comes while it waits
        await lim.acquire()
        return t.now

    assert asyncio.run(go()) == pytest.approx(1.05)  # not 0.1: it reserved again after the pause
    assert t.slept == [0.1, pytest.approx(0.95)]


def test_the_rate_recovers_with_answers_up_to_the_configured_rate() -> None:
    t = FakeTime()
    lim = limiter(t, 20.0)

    async def go() -> list[float]:
        lim.on_rate_limited(await lim.acquire(), 1.0)
        rates = [lim.rate or 0.0]
        for _ in range(100):
            lim.on_success()
            rates.append(lim.rate or 0.0)
        return rates

    rates = asyncio.run(go())
    assert rates[0] == 10.0
    assert rates[1] == pytest.approx(10.2)  # + 0.1 * 20 / 10
    assert rates == sorted(rates) and rates[-1] == 20.0
    # 0.1 x 20 = 2 per second of answers: half to full in about 5 s, i.e. about 75 answers
    assert 60 <= next(i for i, r in enumerate(rates) if r == 20.0) <= 80


def test_unlimited_rate_still_pauses_on_429() -> None:
    t = FakeTime()
    lim = limiter(t, None)

    async def go() -> None:
        await lim.acquire()
        await lim.acquire()
        assert t.slept == []  # no spacing
        lim.on_rate_limited(0, 3.0)
        await lim.acquire()

    asyncio.run(go())
    assert t.slept == [pytest.approx(3.15)] and lim.rate is None


@pytest.mark.parametrize(
    ("rate", "burst", "factor"), [(0.0, None, 0.5), (-1.0, None, 0.5), (5.0, 0, 0.5), (5.0, None, 0.0)]
)
def test_bad_settings_are_refused(rate: float, burst: int | None, factor: float) -> None:
    with pytest.raises(ValueError):
        AdaptiveRateLimiter(rate, burst=burst, decrease_factor=factor)


# -- in the transport ------------------------------------------------------------------------------


class Recorder:
    """Records sleeps without sleeping (the real clock barely moves meanwhile)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_client_429_pauses_all_its_requests_and_slows_down() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"})])
    sleeps = Recorder()

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200))

    async def go() -> ServiceClient:
        policy = HttpPolicy(rate_limit_per_s=100.0, max_attempts=3)
        async with ServiceClient("svc", "http://svc.test", transport=httpx.MockTransport(handler),
                                 policy=policy, sleep=sleeps) as client:
            await client.request("GET", "/a")  # 429, then retried after the pause
            await client.request("GET", "/b")  # a different request, sent within the pause
            return client

    client = asyncio.run(go())
    assert client.request_log == [("GET", "/a", 429), ("GET", "/a", 200), ("GET", "/b", 200)]
    pauses = [w for w in sleeps.waits if w > 1.0]
    # both requests waited it out (2 s + up to 10% jitter, the second one slot of 1/50 s later)
    assert len(pauses) == 2 and all(1.9 <= w <= 2.25 for w in pauses)
    assert 0.0 in sleeps.waits  # the retry itself did not sleep on its own as well
    assert client.limiter is not None
    assert client.limiter.stats.rate_limited == 1 and client.limiter.stats.decreases == 1
    assert 50.0 < (client.limiter.rate or 0) < 51.0  # halved, then two answers of recovery


def test_client_429_without_retry_after_pauses_for_the_backoff() -> None:
    answers = iter([httpx.Response(429)])
    sleeps = Recorder()

    async def go() -> ServiceClient:
        policy = HttpPolicy(rate_limit_per_s=100.0, backoff_initial_s=0.5)
        async with ServiceClient("svc", "http://svc.test",
                                 transport=httpx.MockTransport(lambda r: next(answers, httpx.Response(200))),
                                 policy=policy, sleep=sleeps) as client:
            await client.request("POST", "/x", json={})
            return client

    client = asyncio.run(go())
    assert client.request_count == 2
    assert [w for w in sleeps.waits if w > 0.1] == [pytest.approx(0.5, abs=0.06)]

"""The ``rate_limit_rps`` test fault: a token bucket per service, 429 + Retry-After past the rate.

Time is frozen (the middleware's clock is replaced), so every assertion counts requests.
"""

from __future__ import annotations

import asyncio
import pathlib
import types

import pytest

from reconciler.sandbox import clear_faults, get_faults, set_faults
from reconciler.sandbox import common as sandbox_common
from reconciler.sandbox.world import World, take_rate_token

from .sandbox_helpers import client_for


class FrozenClock:
    """Stands in for the ``time`` module of the fault middleware: ``time()`` returns ``now``."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock()
    monkeypatch.setattr(sandbox_common, "time", types.SimpleNamespace(time=frozen.time))
    return frozen


async def statuses(service: str, db: pathlib.Path, n: int) -> list[tuple[int, str | None]]:
    """``(status, Retry-After)`` of ``n`` sequential GETs of a cheap page of ``service`` (AEM as
    admin: 200; the Console without an API key: 403, the answer of a request that got through)."""
    path = {"aem": "/content.json", "console": "/console/organizations"}[service]
    out = []
    async with client_for(service, db, auth=("admin", "admin")) as client:
        for _ in range(n):
            r = await client.get(path)
            out.append((r.status_code, r.headers.get("retry-after")))
    return out


def test_past_the_rate_a_service_answers_429_with_retry_after(db: pathlib.Path, clock: FrozenClock) -> None:
    set_faults(db, rate_limit_rps=5)
    answers = asyncio.run(statuses("aem", db, 8))
    assert [s for s, _ in answers] == [200] * 5 + [429] * 3
    assert {ra for s, ra in answers if s == 429} == {"1"}
    assert get_faults(db)["rate_limited"] == 3
    clock.now += 0.4  # 0.4 s at 5 per second: 2 tokens back
    answers = asyncio.run(statuses("aem", db, 3))
    assert [s for s, _ in answers] == [200, 200, 429]
    assert get_faults(db)["rate_limited"] == 4


def test_each_service_has_its_own_bucket_and_sandbox_paths_are_exempt(db: pathlib.Path, clock: FrozenClock) -> None:
    set_faults(db, rate_limit_rps=2)

    async def go() -> None:
        assert [s for s, _ in await statuses("aem", db, 3)] == [200, 200, 429]
        assert [s for s, _ in await statuses("console", db, 3)] == [403, 403, 429]
        async with client_for("aem", db) as aem:
            for _ in range(5):
                assert (await aem.get("/_sandbox/health")).status_code == 200

    asyncio.run(go())
    assert get_faults(db)["rate_limited"] == 2


def test_the_429_is_in_the_service_style(db: pathlib.Path, clock: FrozenClock) -> None:
    set_faults(db, rate_limit_rps=1)

    async def go() -> None:
        async with client_for("console", db) as console:
            assert (await console.get("/console/organizations")).status_code == 403
            r = await console.get("/console/organizations")
            assert r.status_code == 429 and r.headers["retry-after"] == "1"
            assert r.json()["error_code"] == "429050"

    asyncio.run(go())


def test_setting_or_clearing_refills_the_buckets(db: pathlib.Path, clock: FrozenClock) -> None:
    set_faults(db, rate_limit_rps=1)
    assert [s for s, _ in asyncio.run(statuses("aem", db, 2))] == [200, 429]
    set_faults(db, rate_limit_rps=1)  # set again: a full bucket and a fresh count
    assert get_faults(db)["rate_limited"] == 0
    assert [s for s, _ in asyncio.run(statuses("aem", db, 2))] == [200, 429]
    clear_faults(db)
    assert get_faults(db)["rate_limit_rps"] == 0
    assert [s for s, _ in asyncio.run(statuses("aem", db, 4))] == [200] * 4


def test_retry_after_is_the_time_until_a_token_rounded_up(db: pathlib.Path) -> None:
    with World(db).tx() as conn:
        assert take_rate_token(conn, "svc", 1, 100.0) == 0  # a full bucket of 1
        assert take_rate_token(conn, "svc", 1, 100.1) == 1  # 0.9 s to go: 1
        assert take_rate_token(conn, "svc", 1, 101.1) == 0  # refilled
        for _ in range(10):
            assert take_rate_token(conn, "fast", 10, 200.0) == 0
        assert take_rate_token(conn, "fast", 10, 200.0) == 1  # 0.1 s to go, at least 1
        assert take_rate_token(conn, "fast", 10, 200.05) == 1
        assert take_rate_token(conn, "fast", 10, 200.2) == 0


def test_the_bucket_is_shared_through_the_world_file(db: pathlib.Path, clock: FrozenClock) -> None:
    """Two app instances (as two processes serving one world would have) drain one bucket."""
    set_faults(db, rate_limit_rps=3)
    first = asyncio.run(statuses("aem", db, 2))
    second = asyncio.run(statuses("aem", db, 2))  # a new app on the same file
    assert [s for s, _ in first + second] == [200, 200, 200, 429]


def test_rate_limit_rps_is_checked_and_settable_over_http(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db) as aem:
            r = await aem.put("/_sandbox/faults", json={"rate_limit_rps": -1})
            assert r.status_code == 400 and "rate_limit_rps" in r.json()["error"]
            r = await aem.put("/_sandbox/faults", json={"rate_limit_rps": 20})
            assert r.status_code == 200
            assert r.json()["rate_limit_rps"] == 20 and r.json()["rate_limited"] == 0

    asyncio.run(go())
    assert get_faults(db)["rate_limit_rps"] == 20

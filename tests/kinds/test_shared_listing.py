"""kinds.base.SharedListing: one listing per key per apply, shared by concurrent writes, kept current."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.kinds.base import SharedListing


def listing() -> SharedListing[str, dict[str, str]]:
    return SharedListing(lambda row: row["ID"])


def test_concurrent_gets_share_one_fetch_and_writes_keep_it_current() -> None:
    calls: list[str] = []

    async def fetch() -> list[dict[str, str]]:
        calls.append("x")
        await asyncio.sleep(0.02)
        return [{"ID": "1"}, {"ID": "2"}]

    async def scenario() -> None:
        live = listing()
        got = await asyncio.gather(*(live.get("k", fetch) for _ in range(20)))
        assert all(sorted(r["ID"] for r in rows) == ["1", "2"] for rows in got)
        live.put("k", {"ID": "3"})
        live.drop("k", "1")
        live.put("other", {"ID": "9"})  # never listed: not invented
        assert sorted(r["ID"] for r in await live.get("k", fetch)) == ["2", "3"]
        assert calls == ["x"]

    asyncio.run(scenario())


def test_a_failed_fetch_reaches_every_waiter_and_the_next_get_lists_again() -> None:
    attempts = 0

    async def flaky() -> list[dict[str, str]]:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.01)
        if attempts == 1:
            raise RuntimeError("503")
        return [{"ID": "1"}]

    async def scenario() -> None:
        live = listing()
        results = await asyncio.gather(*(live.get("k", flaky) for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        assert [r["ID"] for r in await live.get("k", flaky)] == ["1"]
        assert attempts == 2

    asyncio.run(scenario())


def test_the_error_is_the_fetch_error() -> None:
    async def broken() -> list[dict[str, str]]:
        raise ValueError("not JSON")

    with pytest.raises(ValueError, match="not JSON"):
        asyncio.run(listing().get("k", broken))

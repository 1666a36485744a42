"""kinds.base.SharedListing (one listing per key per apply, kept current) and SharedReads (one read
per key, started early by a plan's prefetch)."""

from __future__ import annotations

import asyncio
import gc

import pytest

from reconciler.kinds.base import SharedListing, SharedReads


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


def test_a_started_read_is_shared_by_the_get_that_follows() -> None:
    calls: list[str] = []

    async def fetch() -> int:
        calls.append("x")
        await asyncio.sleep(0.01)
        return 42

    async def scenario() -> None:
        reads: SharedReads[str, int] = SharedReads()
        reads.start("k", fetch)
        reads.start("k", fetch)  # already in flight: not read twice
        assert "k" in reads
        assert await asyncio.gather(reads.get("k", fetch), reads.get("k", fetch)) == [42, 42]
        assert calls == ["x"] and reads.fetches == 1
        reads.forget(lambda key: key == "k")
        assert await reads.get("k", fetch) == 42 and calls == ["x", "x"]

    asyncio.run(scenario())


def test_a_started_read_that_fails_is_dropped_and_read_again_by_get() -> None:
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("503")
        return "ok"

    async def scenario() -> None:
        errors: list[dict[str, object]] = []
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: errors.append(context))
        reads: SharedReads[str, str] = SharedReads()
        reads.start("k", flaky)
        await asyncio.sleep(0.01)  # the started read fails with nobody waiting for it
        gc.collect()
        assert errors == [], "no 'exception was never retrieved'"
        assert "k" not in reads
        assert await reads.get("k", flaky) == "ok" and attempts == 2

    asyncio.run(scenario())


def test_a_natural_key_index_is_kept_current_by_put_and_drop() -> None:
    async def fetch() -> list[dict[str, str]]:
        return [{"ID": "1", "key": "a"}, {"ID": "2", "key": "b"}]

    async def scenario() -> None:
        live: SharedListing[str, dict[str, str]] = SharedListing(lambda r: r["ID"], lambda r: r["key"])
        assert (await live.find_natural("k", "a", fetch)) == {"ID": "1", "key": "a"}
        live.put("k", {"ID": "1", "key": "c"})  # row 1 now has natural key c
        assert await live.find_natural("k", "a", fetch) is None
        assert (await live.find_natural("k", "c", fetch)) == {"ID": "1", "key": "c"}
        live.drop("k", "2")
        assert await live.find_natural("k", "b", fetch) is None
        live.drop_where("k", lambda row_id: row_id.startswith("1"))
        assert await live.find("k", "1", fetch) is None
        with pytest.raises(ValueError, match="no natural key"):
            await listing().find_natural("k", "a", fetch)

    asyncio.run(scenario())

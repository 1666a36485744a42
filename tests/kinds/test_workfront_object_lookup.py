"""Workfront linked folders look projects up by name once, even when many creates ask at the same time.

With latency, concurrent creates used to read the cache's placeholder as "no project named ..."
before the one search had answered.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.clients import ApiError
from reconciler.kinds import ProviderContext
from reconciler.kinds.workfront_linked_folders import LinkedFolderProvider


class SlowWorkfront:
    """A Workfront client stand-in whose search answers after ``delay_s``; counts searches."""

    def __init__(self, projects: dict[str, str], delay_s: float = 0.05, fail_first: bool = False) -> None:
        self.projects, self.delay_s, self.fail_first = projects, delay_s, fail_first
        self.searches: list[list[str]] = []

    async def search(self, obj_code: str, filters: list[tuple[str, Any]], fields: list[str]) -> list[dict[str, str]]:
        names = list(dict(filters)["name"])
        self.searches.append(names)
        await asyncio.sleep(self.delay_s)
        if self.fail_first and len(self.searches) == 1:
            raise ApiError("workfront", "GET", "https://wf.test/attask/api/v21.0/PROJ/search", 503, "unavailable")
        return [{"ID": self.projects[n], "name": n} for n in names if n in self.projects]


def provider_on(client: SlowWorkfront) -> LinkedFolderProvider:
    ctx = ProviderContext({})
    ctx.workfront = lambda conn: client  # type: ignore[method-assign]
    return LinkedFolderProvider(ctx)


def test_concurrent_lookups_share_one_search_and_all_see_the_answer() -> None:
    async def scenario() -> None:
        client = SlowWorkfront({"Spring Launch": "a" * 32})
        provider = provider_on(client)
        answers = await asyncio.gather(
            *(provider._object_ids("wf", "project", {"Spring Launch"}) for _ in range(100))
        )
        assert all(a == {"Spring Launch": "a" * 32} for a in answers)
        assert client.searches == [["Spring Launch"]]

    asyncio.run(scenario())


def test_a_name_workfront_does_not_know_is_absent_for_every_caller() -> None:
    async def scenario() -> None:
        client = SlowWorkfront({"Spring Launch": "a" * 32})
        provider = provider_on(client)
        answers = await asyncio.gather(*(provider._object_ids("wf", "project", {"Nope", "Spring Launch"}) for _ in range(5)))
        assert all(a == {"Spring Launch": "a" * 32} for a in answers)
        assert len(client.searches) == 1

    asyncio.run(scenario())


def test_a_failed_search_reaches_every_waiting_caller_and_is_not_cached() -> None:
    async def scenario() -> None:
        client = SlowWorkfront({"Spring Launch": "a" * 32}, fail_first=True)
        provider = provider_on(client)
        results = await asyncio.gather(
            *(provider._object_ids("wf", "project", {"Spring Launch"}) for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(r, ApiError) for r in results)
        assert await provider._object_ids("wf", "project", {"Spring Launch"}) == {"Spring Launch": "a" * 32}
        assert len(client.searches) == 2

    asyncio.run(scenario())


def test_resolve_id_of_concurrent_creates_never_reports_not_found() -> None:
    async def scenario() -> None:
        client = SlowWorkfront({"Spring Launch": "b" * 32})
        provider = provider_on(client)
        spec = type("M", (), {"id": None, "name": "Spring Launch", "object": "project"})()
        ids = await asyncio.gather(*(provider._resolve_id("wf", spec) for _ in range(50)))  # type: ignore[arg-type]
        assert set(ids) == {"b" * 32}

    asyncio.run(scenario())

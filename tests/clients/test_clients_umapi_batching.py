"""UmapiClient.submit: commands from concurrent writes share /action requests (10 entries each)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from reconciler.clients import ApiError
from reconciler.clients.umapi import UmapiClient, user_command
from reconciler.sandbox import add_umapi_users, umapi_snapshot
from tests.helpers import ORG

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def actions(client: UmapiClient) -> list[str]:
    return [p for m, p, _ in client.request_log if m == "POST" and "/action/" in p]


async def test_concurrent_submits_are_sent_ten_commands_per_request(umapi: UmapiClient, db: Path) -> None:
    add_umapi_users(db, ORG, [{"email": f"c{i}@acme.example"} for i in range(25)])
    results = await asyncio.gather(*(
        umapi.submit(ORG, user_command(f"c{i}@acme.example", [{"add": {"group": ["Marketing Cloud"]}}]))
        for i in range(25)
    ))
    assert all(r.ok and r.completed == 1 for r in results)
    assert len(actions(umapi)) == 3  # 10 + 10 + 5, not 25
    members = umapi_snapshot(db)["members"]
    assert all("Marketing Cloud" in members[f"{ORG}/c{i}@acme.example"] for i in range(25))


async def test_each_submitter_gets_only_its_own_error(umapi: UmapiClient, db: Path) -> None:
    good = user_command("dana@acme.example", [{"add": {"group": ["Marketing Cloud"]}}])
    bad = user_command("ghost@acme.example", [{"add": {"group": ["Marketing Cloud"]}}])
    ok, failed = await asyncio.gather(umapi.submit(ORG, good), umapi.submit(ORG, bad))
    assert len(actions(umapi)) == 1
    assert ok.ok and not ok.errors
    assert not failed.ok and [(e.command, e.code) for e in failed.errors] == [(0, "error.user.nonexistent")]


async def test_a_command_that_splits_counts_as_several_entries(umapi: UmapiClient, db: Path) -> None:
    add_umapi_users(db, ORG, [{"email": f"s{i}@acme.example"} for i in range(10)])
    big = user_command("s0@acme.example", [{"update": {"firstname": f"F{i}"}} for i in range(11)])  # 2 entries
    rest = [user_command(f"s{i}@acme.example", [{"add": {"group": ["Marketing Cloud"]}}]) for i in range(1, 10)]
    results = await asyncio.gather(umapi.submit(ORG, big), *(umapi.submit(ORG, c) for c in rest))
    assert all(r.ok for r in results)
    assert len(actions(umapi)) == 2  # 2 + 8 entries, then 1: never 11 entries in one request


async def test_a_failed_request_raises_in_every_command_it_carried() -> None:
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(len(json.loads(request.content)))
        return httpx.Response(400, json={"error_code": "400003", "message": "bad request"})

    class NoTokens:
        async def token(self) -> str:
            return "t"

        def invalidate(self) -> None:
            return None

    client = UmapiClient("http://umapi.test/v2/usermanagement", api_key="k", token_provider=NoTokens(),  # type: ignore[arg-type]
                         transport=httpx.MockTransport(handler), limits_per_min={})
    try:
        results = await asyncio.gather(
            *(client.submit(ORG, user_command(f"x{i}@acme.example", [{"add": {"group": ["G"]}}])) for i in range(3)),
            return_exceptions=True,
        )
    finally:
        await client.aclose()
    assert sent == [3]
    assert all(isinstance(r, ApiError) and r.status == 400 for r in results)

"""Shared helpers for the client tests: a recording sleep, a tiny retry policy, a UMAPI client on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from reconciler.clients import HttpPolicy
from reconciler.clients.ims import ImsClient, ServerToServerTokenProvider
from reconciler.clients.umapi import UmapiClient
from tests.helpers import CLIENT_ID, SECRET, UMAPI_SCOPES, World


class SleepRecorder:
    """Stands in for ``asyncio.sleep`` between retries: records the waits, sleeps not at all."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def policy() -> HttpPolicy:
    return HttpPolicy(max_attempts=4, backoff_initial_s=0.01, backoff_max_s=0.05, retry_after_cap_s=5.0)


AsyncSleep = Callable[[float], Awaitable[None]]


@pytest.fixture
async def umapi(world: World) -> AsyncIterator[UmapiClient]:
    """A UMAPI client on the in-process sandbox, without the per-minute limits, instant retries."""
    ims = ImsClient("http://ims.test", transport=world.transport("ims"))
    tokens = ServerToServerTokenProvider(ims, CLIENT_ID, SECRET, UMAPI_SCOPES)

    async def no_sleep(_: float) -> None:
        return None

    client = UmapiClient(
        "http://umapi.test/v2/usermanagement",
        api_key=CLIENT_ID,
        token_provider=tokens,
        transport=world.transport("umapi"),
        limits_per_min={},
        sleep=no_sleep,
    )
    yield client
    await client.aclose()
    await ims.aclose()

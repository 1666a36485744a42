"""Shared helpers for the client tests: a recording sleep and a tiny retry policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from reconciler.clients import HttpPolicy


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

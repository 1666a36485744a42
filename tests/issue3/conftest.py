"""Fixtures for issue 3 (users, shares, Creative Cloud connection): UMAPI clients on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reconciler.clients.ims import ImsClient, ServerToServerTokenProvider
from reconciler.clients.umapi import UmapiClient
from reconciler.sandbox import SEED, create_app

from ..e2e.conftest import cli, quickstart  # noqa: F401 - fixtures shared with the e2e tests

ORG = "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg"
CC_ORG = "0F1E2D3C4B5A69788796A5B4@AdobeOrg"
CLIENT_ID = SEED["reconciler_credential"]["client_id"]
SECRET = SEED["reconciler_credential"]["client_secret"]
SCOPES = ("openid", "AdobeID", "user_management_sdk")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "world.db"


@pytest.fixture
async def umapi(db: Path) -> AsyncIterator[UmapiClient]:
    """A UMAPI client on the in-process sandbox, without the per-minute limits, instant retries."""
    ims = ImsClient("http://ims.test", transport=httpx.ASGITransport(app=create_app("ims", db)))
    tokens = ServerToServerTokenProvider(ims, CLIENT_ID, SECRET, SCOPES)

    async def no_sleep(_: float) -> None:
        return None

    client = UmapiClient(
        "http://umapi.test/v2/usermanagement",
        api_key=CLIENT_ID,
        token_provider=tokens,
        transport=httpx.ASGITransport(app=create_app("umapi", db)),
        limits_per_min={},
        sleep=no_sleep,
    )
    yield client
    await client.aclose()
    await ims.aclose()

"""The Console's project edit call (issue 10 item 5), as ``@adobe/aio-lib-console`` ``editProject`` sends it."""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.clients import StaticTokenProvider
from reconciler.clients.console import ConsoleClient

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_edit_project_is_a_patch_with_title_and_description() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "7", "name": "app", "title": "New", "description": "d"})

    client = ConsoleClient("http://console.test", api_key="k", token_provider=StaticTokenProvider("t"),
                           transport=httpx.MockTransport(handler))
    got = await client.edit_project("1", "7", title="New", description="d")
    await client.aclose()
    (req,) = seen
    assert req.method == "PATCH" and req.url.path == "/console/organizations/1/projects/7"
    assert json.loads(req.content) == {"title": "New", "description": "d"}
    assert got["title"] == "New"

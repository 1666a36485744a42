"""The User Management API emulator over raw HTTP: page headers past the end, 404s for a group and a
user, auth errors (401 with WWW-Authenticate, 403), a foreign org, more than ten commands, the request id."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.clients.umapi import user_command
from reconciler.sandbox import create_app
from tests.helpers import CLIENT_ID, ORG

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_page_headers_group_404_and_request_id(db: Path) -> None:
    app = create_app("umapi", db)
    ims = create_app("ims", db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ims), base_url="http://ims") as c:
        token = (
            await c.post(
                "/ims/token/v3",
                data={
                    "client_id": CLIENT_ID,
                    "client_secret": "p8e-SandboxReconcilerSecret0123456789ab",
                    "grant_type": "client_credentials",
                    "scope": "openid,AdobeID,user_management_sdk",
                },
            )
        ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-Api-Key": CLIENT_ID, "X-Request-Id": "abc_1"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://u/v2/usermanagement") as c:
        r = await c.get(f"/users/{ORG}/7", headers=headers, params={"directOnly": "True"})
        assert r.status_code == 200 and r.json()["lastPage"] is True  # past the end: the last page
        assert r.headers["x-total-count"] == "2" and r.headers["x-page-count"] == "1"
        assert r.headers["x-request-id"] == "abc_1"
        r = await c.get(f"/users/{ORG}/0/No Such Group", headers=headers)
        assert r.status_code == 404 and r.json()["result"] == "error.group.not_found"
        r = await c.get(f"/organizations/{ORG}/users/nobody@acme.example", headers=headers)
        assert r.status_code == 404 and r.json()["result"] == "error.user.not_found"
        r = await c.get(f"/users/{ORG}/0", headers={"X-Api-Key": CLIENT_ID})
        assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"] and not r.content
        r = await c.get(f"/users/{ORG}/0", headers={**headers, "X-Api-Key": "0" * 32})
        assert r.status_code == 403 and not r.content
        r = await c.get("/users/000000000000000000000000@AdobeOrg/0", headers=headers)
        assert r.status_code == 400 and r.json()["result"] == "error.organization.invalid_id"
        r = await c.post(
            f"/action/{ORG}",
            headers=headers,
            json=[user_command(f"x{i}@a.example", [{"add": {"group": ["Marketing Cloud"]}}]) for i in range(11)],
        )
        assert r.status_code == 400 and r.json()["result"] == "error.command.malformed"
        r = await c.get(f"/groups/{ORG}/5", headers=headers)
        assert r.json() == {"lastPage": True, "result": "Not found"}

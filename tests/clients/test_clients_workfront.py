"""The Workfront client on the in-process Workfront emulator: paging with $$LIMIT, an IMS bearer token,
a foreign IMS org refused (the emulator's own protocol: tests/sandbox/test_sandbox_workfront.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from reconciler.clients import StaticTokenProvider
from reconciler.clients.workfront import WorkfrontClient
from reconciler.sandbox import SEED, create_app


def test_client_pages_with_limit_and_ims_bearer(db: Path) -> None:
    rc = SEED["reconciler_credential"]

    async def go() -> None:
        ims = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app("ims", db)), base_url="http://ims")
        token = (await ims.post("/ims/token/v3", data={
            "grant_type": "client_credentials", "client_id": rc["client_id"], "client_secret": rc["client_secret"],
            "scope": "openid,AdobeID"})).json()["access_token"]
        await ims.aclose()
        transport = httpx.ASGITransport(app=create_app("workfront", db))
        client = WorkfrontClient("http://wf", token_provider=StaticTokenProvider(token),
                                 ims_org_id=SEED["orgs"][0]["code"], transport=transport)
        projects = await client.search("PROJ", {"name": "Scale Project", "name_Mod": "contains"}, fields=["name"],
                                       page_size=5)
        assert len(projects) == 12 and client.request_count == 3  # 5 + 5 + 2
        assert await client.count("PROJ") == 15
        bad_org = WorkfrontClient("http://wf", token_provider=StaticTokenProvider(token),
                                  ims_org_id="000000000000000000000000@AdobeOrg", transport=transport)
        try:
            await bad_org.search("PROJ")
        except Exception as exc:
            assert "403" in str(exc)
        else:
            raise AssertionError("a foreign org must be refused")
        await client.aclose()
        await bad_org.aclose()

    asyncio.run(go())

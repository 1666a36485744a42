"""Helpers for the sandbox tests: in-process httpx clients and common set-up steps."""

from __future__ import annotations

import pathlib

import httpx

from reconciler.sandbox import SEED, create_app

RC = SEED["reconciler_credential"]
ORG = SEED["orgs"][0]["id"]


def client_for(service: str, db: pathlib.Path, **kwargs: object) -> httpx.AsyncClient:
    app = create_app(service, db)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://{service}.sandbox",
        **kwargs,  # type: ignore[arg-type]
    )


async def console_headers(ims: httpx.AsyncClient) -> dict[str, str]:
    """Headers with an access token of the reconciler's own S2S credential."""
    r = await ims.post(
        "/ims/token/v3",
        data={
            "grant_type": "client_credentials",
            "client_id": RC["client_id"],
            "client_secret": RC["client_secret"],
            "scope": ",".join(RC["scopes"]),
        },
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}", "x-api-key": RC["client_id"]}


async def make_application(
    console: httpx.AsyncClient, headers: dict[str, str], services: tuple[str, ...], name: str = "assets-sync"
) -> dict[str, str]:
    """Project + S2S credential subscribed to ``services``. Returns ids and the client id."""
    r = await console.post(
        f"/console/organizations/{ORG}/projects",
        headers=headers,
        json={"name": name, "title": name, "type": "default"},
    )
    assert r.status_code == 201, r.text
    pid, wid = r.json()["projectId"], r.json()["workspaceId"]
    r = await console.post(
        f"/console/organizations/{ORG}/projects/{pid}/workspaces/{wid}/credentials/oauth-server-to-server",
        headers=headers,
        json={"name": name, "description": "sync"},
    )
    assert r.status_code == 200, r.text
    cid, api_key = r.json()["id"], r.json()["apiKey"]
    r = await console.put(
        f"/console/organizations/{ORG}/projects/{pid}/workspaces/{wid}/credentials/oauth_server_to_server/{cid}/services",
        headers=headers,
        json=[{"sdkCode": s, "roles": None, "licenseConfigs": None} for s in services],
    )
    assert r.status_code == 200, r.text
    return {"project": pid, "workspace": wid, "credential": cid, "client_id": api_key}


async def make_cloud_config(aem: httpx.AsyncClient, client_id: str, name: str = "acme") -> httpx.Response:
    return await aem.post(
        f"/etc/cloudservices/marketingcloud/{name}",
        data={
            "jcr:primaryType": "cq:Page",
            "jcr:content/jcr:title": "Acme",
            "jcr:content/cq:template": "/libs/mac/sync/templates/config",
            "jcr:content/sling:resourceType": "mac/sync/components/config",
            "jcr:content/tenantURL": "https://acme.experiencecloud.adobe.com",
            "jcr:content/clientId": client_id,
            "jcr:content/syncEnabled": "true",
            "jcr:content/syncEnabled@TypeHint": "Boolean",
        },
    )

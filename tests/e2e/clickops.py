"""A sandbox world built the way the seeds' click-ops steps build it, through the services' own HTTP
APIs (httpx), never through the reconciler's clients or kinds.

``build_world(services, world)`` takes one ``httpx.AsyncClient`` per sandbox service (in-process
ASGI or a served port) and a ``ClickOpsWorld`` describing what a team clicked together:

1. Developer Console: a project with an OAuth Server-to-Server credential subscribed to the AEM
   Assets services (seed 000 "Create an application").
2. AEM: the "Adobe Experience Cloud" cloud configuration with the application's ID (AEM makes a key
   pair and the mac-sync agents), then the public key downloaded and bound to the credential
   ("paste the public key into the application").
3. AEM: folders with the Sling POST servlet (plain or ordered), extra replication agents.
4. Admin Console (User Management API): users added to the Marketing Cloud product profile.
5. AEM: folders shared to Experience Cloud and to Creative Cloud users; Settings > Creative Cloud.
6. Workfront: a native integration, projects linked to AEM folders (``linkExternalDocumentObjects``),
   metadata mappings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.sandbox import SEED
from tests.helpers import CC_ORG, CLIENT_ID, ORG, SECRET, WORKFRONT_API, WORKFRONT_API_KEY

CONSOLE_ORG = SEED["orgs"][0]["id"]
SERVICES = ("AEMAssetsDAMSDK", "AEMAssetsSyncSDK", "CCShareSDK")
MAC_ROOT = "/etc/cloudservices/marketingcloud"


@dataclass
class Folder:
    """A folder under /content/dam: ``path``, ``title`` (None: no jcr:content title), ``ordered``."""

    path: str
    title: str | None = None
    ordered: bool = False


@dataclass
class ClickOpsWorld:
    """What the click-ops steps make. ``users``: (email, firstname, lastname) added to the Marketing
    Cloud product profile (created as Federated IDs when missing); ``ec_shares``: folder paths shared
    to Experience Cloud; ``cc_shares``: folder path -> [(email, role)]; ``agents``: extra agent node
    names; ``links``: (Workfront project name, folder path, Workfront folder name);
    ``mappings``: (source, target, applies_to); ``cc_org``: IMS org to switch Creative Cloud to."""

    app_name: str = "assets-sync"
    config_name: str = "acme"
    folders: list[Folder] = field(default_factory=list)
    users: list[tuple[str, str, str]] = field(default_factory=list)
    ec_shares: list[str] = field(default_factory=list)
    cc_shares: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    agents: list[str] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    mappings: list[tuple[str, str, str]] = field(default_factory=list)
    workfront: bool = True
    cc_org: str | None = None


def ok(r: httpx.Response) -> httpx.Response:
    """``r`` when its status is 2xx; fails the test with the body otherwise."""
    assert 200 <= r.status_code < 300, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r


async def ims_headers(ims: httpx.AsyncClient, scopes: str) -> dict[str, str]:
    """Bearer + API key headers of the reconciler's seeded OAuth Server-to-Server credential."""
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET, "scope": scopes}
    token = ok(await ims.post("/ims/token/v3", data=form)).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "x-api-key": CLIENT_ID}


async def create_application(console: httpx.AsyncClient, h: dict[str, str], name: str) -> dict[str, str]:
    """Console: project + OAuth S2S credential subscribed to ``SERVICES``; returns its ids."""
    base = f"/console/organizations/{CONSOLE_ORG}"
    made = ok(await console.post(f"{base}/projects", headers=h,
                                 json={"name": name, "title": "AEM Assets sync", "type": "default"})).json()
    ws = f"{base}/projects/{made['projectId']}/workspaces/{made['workspaceId']}"
    cred = ok(await console.post(f"{ws}/credentials/oauth-server-to-server", headers=h,
                                 json={"name": f"{name}-cred", "description": "sync"})).json()
    body = [{"sdkCode": s, "roles": None, "licenseConfigs": None} for s in SERVICES]
    ok(await console.put(f"{ws}/credentials/oauth_server_to_server/{cred['id']}/services", headers=h, json=body))
    return {"credential": cred["id"], "client_id": cred["apiKey"]}


async def create_cloud_config(aem: httpx.AsyncClient, name: str, client_id: str) -> str:
    """AEM: Tools > Cloud Services > Adobe Experience Cloud > new configuration; returns AEM's PEM."""
    ok(await aem.post(f"{MAC_ROOT}/{name}", data={
        "jcr:primaryType": "cq:Page",
        "jcr:content/jcr:primaryType": "cq:PageContent",
        "jcr:content/jcr:title": "Acme sync",
        "jcr:content/cq:template": "/libs/mac/sync/templates/config",
        "jcr:content/sling:resourceType": "mac/sync/components/config",
        "jcr:content/tenantURL": "https://acme.experiencecloud.adobe.com",
        "jcr:content/clientId": client_id,
        "jcr:content/syncEnabled": "true",
        "jcr:content/syncEnabled@TypeHint": "Boolean",
    }))
    return ok(await aem.get(f"{MAC_ROOT}/{name}.publickey.pem")).text


async def bind_key(console: httpx.AsyncClient, h: dict[str, str], credential: str, pem: str) -> None:
    """Console: upload AEM's public key to the credential."""
    files = {"certificate": ("aem.pem", pem.encode(), "application/x-pem-file")}
    path = f"/console/organizations/{CONSOLE_ORG}/integrations/entp/{credential}/bindings"
    ok(await console.post(path, headers=h, files=files))


async def make_folders(aem: httpx.AsyncClient, folders: list[Folder]) -> None:
    """AEM: folders with the Sling POST servlet (parents first)."""
    for f in sorted(folders, key=lambda f: f.path):
        data = {"jcr:primaryType": "sling:OrderedFolder" if f.ordered else "sling:Folder"}
        if f.title is not None:
            data.update({"jcr:content/jcr:primaryType": "nt:unstructured", "jcr:content/jcr:title": f.title})
        ok(await aem.post(f.path, data=data))


async def make_agents(aem: httpx.AsyncClient, names: list[str]) -> None:
    """AEM: Tools > Deployment > Replication > new agent (a cq:Page with the agent's properties)."""
    for name in names:
        ok(await aem.post(f"/etc/replication/agents.author/{name}", data={
            "jcr:primaryType": "cq:Page",
            "jcr:content/jcr:primaryType": "cq:PageContent",
            "jcr:content/sling:resourceType": "/libs/cq/replication/components/agent",
            "jcr:content/cq:template": "/libs/cq/replication/templates/agent",
            "jcr:content/jcr:title": f"Agent {name}",
            "jcr:content/enabled": "false",
            "jcr:content/transportUri": f"https://{name}.example/bin/receive",
            "jcr:content/serializationType": "durbo",
            "jcr:content/logLevel": "error",
        }))


async def add_users(umapi: httpx.AsyncClient, h: dict[str, str], org: str, users: list[tuple[str, str, str]]) -> None:
    """Admin Console: each user created (if new) and added to the Marketing Cloud product profile."""
    commands = [
        {"user": email, "requestID": f"r{i}", "do": [
            {"createFederatedID": {"email": email, "firstname": first, "lastname": last, "country": "US",
                                   "option": "ignoreIfAlreadyExists"}},
            {"add": {"group": ["Marketing Cloud"]}},
        ]}
        for i, (email, first, last) in enumerate(users)
    ]
    if commands:
        body = ok(await umapi.post(f"/v2/usermanagement/action/{org}", headers=h, json=commands)).json()
        assert body.get("result") == "success", body


async def share(aem: httpx.AsyncClient, world: ClickOpsWorld) -> None:
    """AEM: share folders to Experience Cloud (through the configuration) and to Creative Cloud users."""
    for path in world.ec_shares:
        body = {"path": path, "target": "experience_cloud", "cloudConfig": f"{MAC_ROOT}/{world.config_name}"}
        ok(await aem.post("/libs/dam/mac/shares", json=body))
    for path, members in world.cc_shares.items():
        body = {"path": path, "target": "creative_cloud", "members": [{"email": e, "role": r} for e, r in members]}
        ok(await aem.post("/libs/dam/mac/shares", json=body))


async def workfront(wf: httpx.AsyncClient, world: ClickOpsWorld, aem_url: str) -> None:
    """Workfront: a native integration, the project links and the metadata mappings."""
    h = {"apiKey": WORKFRONT_API_KEY}
    integration = ok(await wf.post("/aem-integration/api/v1/integrations", headers=h, json={
        "name": "AEM Assets", "type": "native", "repository": "author-p1-e1.adobeaemcloud.com",
        "aemHosts": [aem_url], "connectorVersion": None,
        "features": ["manually_link_folders", "map_asset_metadata", "send_files_to_assets"],
        "linkedFolders": None,
    })).json()["data"]
    projects = ok(await wf.get(f"{WORKFRONT_API}/PROJ/search", headers=h,
                               params={"fields": "ID,name", "$$LIMIT": "2000"})).json()["data"]
    ids = {p["name"]: p["ID"] for p in projects}
    for project, path, name in world.links:
        objects = {path: {"ID": path, "name": name, "ext": "", "isFolder": True}}
        ok(await wf.put(f"{WORKFRONT_API}/EXTDOC", headers=h, params={
            "action": "linkExternalDocumentObjects", "refObjCode": "PROJ", "refObjID": ids[project],
            "providerType": "AEM", "documentProviderID": integration["ID"], "objects": json.dumps(objects),
        }))
    for source, target, applies_to in world.mappings:
        ok(await wf.post(f"/aem-integration/api/v1/integrations/{integration['ID']}/metadata-mappings", headers=h,
                         json={"source": source, "target": target, "appliesTo": applies_to,
                               "direction": "workfront_to_aem"}))


async def build_world(services: dict[str, httpx.AsyncClient], world: ClickOpsWorld, *, aem_url: str) -> dict[str, Any]:
    """Run every click-ops step of ``world`` against ``services`` (service name -> client; AEM's
    authenticated as admin). ``aem_url``: the AEM URL the Workfront integration records (the
    configuration's AEM connection URL). Returns the application's ids."""
    console_h = await ims_headers(services["ims"], "openid,AdobeID,read_organizations,adobeio_api")
    umapi_h = await ims_headers(services["ims"], "openid,AdobeID,user_management_sdk")
    app = await create_application(services["console"], console_h, world.app_name)
    pem = await create_cloud_config(services["aem"], world.config_name, app["client_id"])
    await bind_key(services["console"], console_h, app["credential"], pem)
    await make_folders(services["aem"], world.folders)
    await make_agents(services["aem"], world.agents)
    await add_users(services["umapi"], umapi_h, ORG, world.users)
    if world.cc_org:
        ok(await services["aem"].post("/libs/dam/cc/connection", json={"orgId": world.cc_org}))
    await share(services["aem"], world)
    if world.workfront:
        await workfront(services["workfront"], world, aem_url)
    return app


SEED_WORLD = ClickOpsWorld(
    folders=[
        Folder("/content/dam/mc-demo", "MC Demo"),
        Folder("/content/dam/campaigns", "Campaigns"),
        Folder("/content/dam/campaigns/spring-launch", "Spring Launch"),
        Folder("/content/dam/campaigns/summer-teaser"),
        Folder("/content/dam/archive", "Archive", ordered=True),
    ],
    users=[("jane.doe@acme.example", "Jane", "Doe"), ("dana@acme.example", "Dana", "Designer")],
    ec_shares=["/content/dam/mc-demo"],
    cc_shares={"/content/dam/mc-demo": [("jane.doe@acme.example", "editor"), ("dana@acme.example", "viewer")]},
    agents=["flush-cdn"],
    links=[("Spring Launch", "/content/dam/campaigns/spring-launch", "Spring Launch assets"),
           ("Summer Teaser", "/content/dam/campaigns/summer-teaser", "summer-teaser")],
    mappings=[("project:name", "wm:projectName", "documents"), ("DE:Campaign Code", "wm:campaignCode", "documents"),
              ("project:name", "wm:projectName", "folders")],
    cc_org=None,
)
"""The seeds' setup: seed 000 (application, configuration, key, users, shares), seed 002 (a native
Workfront integration with two linked projects and mappings), plus an ordered folder and an agent."""

__all__ = ["CC_ORG", "SEED_WORLD", "ClickOpsWorld", "Folder", "build_world"]

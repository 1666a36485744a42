"""serve(): every registered emulator on real loopback ports (the shared ``served`` fixture)."""

from __future__ import annotations

import re

import httpx
import pytest

from reconciler.sandbox import set_faults
from tests.helpers import Served

from .sandbox_helpers import ORG, RC


@pytest.mark.parametrize("served", ["free-ports"], indirect=True)
def test_serve_over_http(served: Served) -> None:
    ports, db = served.ports, served.db
    assert ports == served.requested  # the explicit port numbers are the ones served
    try:
        aem = f"http://127.0.0.1:{ports['aem']}"
        ims = f"http://127.0.0.1:{ports['ims']}"
        console = f"http://127.0.0.1:{ports['console']}"
        with httpx.Client(timeout=10) as c:
            for svc, base in (("aem", aem), ("ims", ims), ("console", console)):
                assert c.get(f"{base}/_sandbox/health").json() == {"status": "ok", "service": svc}
            assert c.get(f"{aem}/content/dam.1.json").status_code == 401
            assert c.get(f"{aem}/content/dam.1.json", auth=("admin", "admin")).status_code == 200
            token = c.post(
                f"{ims}/ims/token/v3",
                data={
                    "grant_type": "client_credentials",
                    "client_id": RC["client_id"],
                    "client_secret": RC["client_secret"],
                    "scope": "openid,adobeio_api",
                },
            ).json()["access_token"]
            h = {"Authorization": f"Bearer {token}", "x-api-key": RC["client_id"]}
            p = c.post(
                f"{console}/console/organizations/{ORG}/projects",
                headers=h,
                json={"name": "http", "title": "http", "type": "default"},
            ).json()
            cred = c.post(
                f"{console}/console/organizations/{ORG}/projects/{p['projectId']}/workspaces/{p['workspaceId']}"
                "/credentials/oauth-server-to-server",
                headers=h,
                json={"name": "http", "description": "d"},
            ).json()
            c.put(
                f"{console}/console/organizations/{ORG}/projects/{p['projectId']}/workspaces/{p['workspaceId']}"
                f"/credentials/oauth_server_to_server/{cred['id']}/services",
                headers=h,
                json=[
                    {"sdkCode": s, "roles": None, "licenseConfigs": None}
                    for s in ("AEMAssetsDAMSDK", "AEMAssetsSyncSDK", "CCShareSDK")
                ],
            )
            r = c.post(
                f"{aem}/etc/cloudservices/marketingcloud/web",
                auth=("admin", "admin"),
                data={
                    "jcr:primaryType": "cq:Page",
                    "jcr:content/tenantURL": "https://web.experiencecloud.adobe.com",
                    "jcr:content/clientId": cred["apiKey"],
                },
            )
            assert r.status_code == 201
            pem = c.get(f"{aem}/etc/cloudservices/marketingcloud/web.publickey.pem", auth=("admin", "admin")).text
            c.post(
                f"{console}/console/organizations/{ORG}/integrations/entp/{cred['id']}/bindings",
                headers=h,
                files={"certificate": ("certificate", pem.encode())},
            )
            log = c.get(f"{aem}/etc/replication/agents.author/mac-sync-web.test.html", auth=("admin", "admin")).text
            assert f"Exchanging the JWT at http://127.0.0.1:{ports['ims']}/ims/exchange/jwt" in log
            lines = [ln for ln in re.sub(r"<[^>]+>", "\n", log).splitlines() if ln.strip()]
            assert lines[-1] == "Replication test succeeded"

            set_faults(db, crash_after_writes=1)
            r = c.post(f"{aem}/content/dam/boom", auth=("admin", "admin"), data={"jcr:primaryType": "sling:Folder"})
            assert r.status_code == 503 and r.headers["connection"] == "close"
            r = c.get(f"{aem}/content.json", auth=("admin", "admin"))
            assert r.status_code == 503
            assert c.delete(f"{aem}/_sandbox/faults").status_code == 200
            assert c.get(f"{aem}/content/dam/boom.json", auth=("admin", "admin")).status_code == 200
    finally:
        served.stop()
    assert served.stopped
    assert not served.errors


def test_serve_port_zero_reports_bound_ports(served: Served) -> None:
    bound = served.ports
    assert set(served.requested.values()) == {0}
    try:
        assert set(bound) == {"aem", "ims", "console", "umapi", "workfront"} and all(bound.values())
        r = httpx.get(f"http://127.0.0.1:{bound['console']}/console/organizations", timeout=10)
        assert r.status_code == 403 and r.json()["error_code"] == "403000"
    finally:
        served.stop()
    assert served.stopped

"""IMS and Developer Console emulators, and the mac-sync Test Connection across AEM -> IMS."""

from __future__ import annotations

import asyncio
import hashlib
import pathlib
import re
import time

import jwt
from cryptography.hazmat.primitives import serialization

from reconciler.sandbox import pki, world_counts

from .sandbox_helpers import ORG, RC, client_for, console_headers, make_application, make_cloud_config

ALL = ("AEMAssetsDAMSDK", "AEMAssetsSyncSDK", "CCShareSDK")


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def last_line(html: str) -> str:
    return [ln for ln in re.sub(r"<[^>]+>", "\n", html).splitlines() if ln.strip()][-1]


def test_ims_token_v3(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("ims", db) as ims:
            form = {
                "grant_type": "client_credentials",
                "client_id": RC["client_id"],
                "client_secret": RC["client_secret"],
                "scope": "openid,AdobeID,adobeio_api",
            }
            r = await ims.post("/ims/token/v3", data=form)
            assert r.status_code == 200 and r.headers["x-debug-id"]
            body = r.json()
            assert body["token_type"] == "bearer" and body["expires_in"] == 86399
            claims = jwt.decode(body["access_token"], options={"verify_signature": False})
            assert claims["type"] == "access_token" and claims["client_id"] == RC["client_id"]
            assert claims["as"] == "ims-na1" and claims["user_id"] == RC["technical_account_id"]
            assert int(claims["expires_in"]) == 86399000 and claims["scope"] == "openid,AdobeID,adobeio_api"
            # scope in the query string, v2 path
            no_scope = {k: v for k, v in form.items() if k != "scope"}
            r = await ims.post("/ims/token/v2", params={"scope": "openid"}, data=no_scope)
            assert r.status_code == 200
            r = await ims.post("/ims/token/v3", data={**form, "client_id": "0" * 32})
            assert r.status_code == 400 and r.json()["error"] == "invalid_client"
            r = await ims.post("/ims/token/v3", data={**form, "client_secret": "p8e-wrong"})
            assert r.status_code == 401 and r.json()["error"] == "invalid_client"
            assert r.headers["x-debug-id"]
            r = await ims.post("/ims/token/v3", data={**form, "scope": "openid,dam-read"})
            assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
            r = await ims.post("/ims/token/v3", data={**form, "grant_type": "password"})
            assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"

    run(go())


def test_console_gateway_errors(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("ims", db) as ims, client_for("console", db) as console:
            good = await console_headers(ims)
            url = "/console/organizations"
            r = await console.get(url, headers={"Authorization": good["Authorization"]})
            assert (r.status_code, r.json()) == (
                403,
                {"error_code": "403000", "message": "Api Key is required"},
            )
            r = await console.get(url, headers={**good, "x-api-key": "nope"})
            assert (r.status_code, r.json()) == (
                403,
                {"error_code": "403003", "message": "Api Key is invalid"},
            )
            r = await console.get(url, headers={"x-api-key": RC["client_id"]})
            assert (r.status_code, r.json()) == (
                403,
                {"error_code": "403010", "message": "Oauth token is missing."},
            )
            r = await console.get(url, headers={**good, "Authorization": "Bearer abc.def.ghi"})
            assert (r.status_code, r.json()) == (
                401,
                {"error_code": "401013", "message": "Oauth token is not valid"},
            )
            r = await console.get(url, headers=good)
            assert r.status_code == 200
            orgs = r.json()
            assert [(o["id"], o["code"], o["role"]) for o in orgs] == [
                ("23294", "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg", "ADMIN"),
                ("50512", "0F1E2D3C4B5A69788796A5B4@AdobeOrg", "ADMIN"),
            ]
            assert (await console.get("/console/organizations/99999/projects", headers=good)).status_code == 403

    run(go())


def test_console_projects_credentials_bindings(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("ims", db) as ims, client_for("console", db) as console:
            h = await console_headers(ims)
            services = (await console.get(f"/console/organizations/{ORG}/services", headers=h)).json()
            by_code = {s["code"]: s for s in services}
            assert by_code["AEMAssetsDAMSDK"]["scopes"] == ["dam-read", "dam-write"]
            assert by_code["AEMAssetsSyncSDK"]["scopes"] == ["dam-sync"]
            assert by_code["CCShareSDK"]["scopes"] == ["cc-share"]
            assert by_code["UserMgmtSDK"]["scopes"] == []
            assert by_code["CCShareSDK"]["type"] == "entp"

            app = await make_application(console, h, ALL)
            pid, wid, cid = app["project"], app["workspace"], app["credential"]
            assert re.fullmatch(r"[0-9a-f]{32}", app["client_id"])
            projects = (await console.get(f"/console/organizations/{ORG}/projects", headers=h)).json()
            assert len(projects) == 1 and projects[0]["metadata"]["workspaces"] == [
                {"id": wid, "name": "Production", "runtime": False}
            ]
            titled = await console.get(f"/console/organizations/{ORG}/projects", params={"title": "x"}, headers=h)
            assert titled.json() == []
            r = await console.post(
                f"/console/organizations/{ORG}/projects",
                headers=h,
                json={"name": "assets-sync", "title": "again", "type": "default"},
            )
            assert r.status_code == 409
            creds = (
                await console.get(
                    f"/console/organizations/{ORG}/projects/{pid}/workspaces/{wid}/credentials", headers=h
                )
            ).json()
            assert creds == [
                {
                    "id_workspace": wid,
                    "id_integration": cid,
                    "flow_type": "entp",
                    "integration_type": "oauth_server_to_server",
                }
            ]

            details = (await console.get(f"/console/organizations/{ORG}/integrations/{cid}", headers=h)).json()
            assert details["apikey"] == app["client_id"] and details["sdkList"] == list(ALL)
            assert re.fullmatch(r"[0-9A-F]{24}@techacct\.adobe\.com", details["technicalAccountId"])
            assert details["serviceProperties"][0]["scopes"] == ["dam-read", "dam-write"]
            assert details["integration_type"] == "oauth_server_to_server"

            key = pki.generate_key_pem()
            cert_pem = pki.self_signed_cert(key, "test")
            url = f"/console/organizations/{ORG}/integrations/entp/{cid}/bindings"
            r = await console.post(url, headers=h, files={"certificate": ("certificate", cert_pem.encode())})
            assert r.status_code == 200
            [binding] = r.json()
            der = pki.load_cert(cert_pem).public_bytes(serialization.Encoding.DER)
            assert binding["certificateFingerprint"] == hashlib.sha1(der).hexdigest()
            assert binding["technicalAccountId"] == details["technicalAccountId"]
            assert isinstance(binding["notAfter"], int)
            assert (await console.get(url, headers=h)).json() == [binding]
            r = await console.post(url, headers=h, files={"certificate": ("certificate", cert_pem.encode())})
            assert r.status_code == 409
            r = await console.post(url, headers=h, files={"certificate": ("certificate", b"not a cert")})
            assert r.status_code == 400
            assert (await console.delete(f"{url}/{binding['bindingId']}", headers=h)).status_code == 200
            assert (await console.get(url, headers=h)).json() == []

            # Legacy JWT (entp) credential: the certificate becomes its first binding.
            r = await console.post(
                f"/console/organizations/{ORG}/projects/{pid}/workspaces/{wid}/credentials/entp",
                headers=h,
                files={
                    "certificate": ("certificate", cert_pem.encode()),
                    "name": (None, "legacy-jwt"),
                    "description": (None, "old"),
                },
            )
            assert r.status_code == 200, r.text
            entp = r.json()["id"]
            assert (
                len(
                    (
                        await console.get(f"/console/organizations/{ORG}/integrations/entp/{entp}/bindings", headers=h)
                    ).json()
                )
                == 1
            )
            counts = world_counts(db)
            assert counts["projects"] == {f"{ORG}/assets-sync": 1}
            assert counts["bindings"] == {entp: 1}

            assert (await console.delete(f"/console/organizations/{ORG}/projects/{pid}", headers=h)).status_code == 200
            assert (await console.get(f"/console/organizations/{ORG}/projects", headers=h)).json() == []
            assert (await console.get(f"/console/organizations/{ORG}/integrations/{cid}", headers=h)).status_code == 404

    run(go())


def test_test_connection_end_to_end(db: pathlib.Path) -> None:
    async def go() -> None:
        async with (
            client_for("aem", db, auth=("admin", "admin")) as aem,
            client_for("ims", db) as ims,
            client_for("console", db) as console,
        ):
            h = await console_headers(ims)
            app = await make_application(console, h, ALL)
            assert (await make_cloud_config(aem, app["client_id"])).status_code == 201
            agent = "/etc/replication/agents.author/mac-sync-acme.test.html"

            r = await aem.get(agent)
            assert last_line(r.text) == (
                'Replication test failed: 400 {"error":"invalid_token",'
                '"error_description":"Could not match JWT signature to any of the bindings"}'
            )
            pem = (await aem.get("/etc/cloudservices/marketingcloud/acme.publickey.pem")).text
            r = await console.post(
                f"/console/organizations/{ORG}/integrations/entp/{app['credential']}/bindings",
                headers=h,
                files={"certificate": ("certificate", pem.encode(), "application/x-pem-file")},
            )
            assert r.status_code == 200
            assert last_line((await aem.get(agent)).text) == "Replication test succeeded"
            assert last_line((await aem.post(agent)).text) == "Replication test succeeded"
            sync_disabled = await aem.post(
                "/etc/cloudservices/marketingcloud/acme/jcr:content",
                data={"syncEnabled": "false", "syncEnabled@TypeHint": "Boolean"},
            )
            assert sync_disabled.status_code == 200
            assert last_line((await aem.get(agent)).text) == "Replication test succeeded"

            # Drop CCShareSDK: cc-share is no longer granted.
            r = await console.put(
                f"/console/organizations/{ORG}/projects/{app['project']}/workspaces/{app['workspace']}"
                f"/credentials/oauth_server_to_server/{app['credential']}/services",
                headers=h,
                json=[{"sdkCode": s, "roles": None, "licenseConfigs": None} for s in ALL[:2]],
            )
            assert r.json() == {"sdkList": list(ALL[:2])}
            assert last_line((await aem.get(agent)).text) == (
                'Replication test failed: 400 {"error":"invalid_scope","error_description":'
                '"The metascopes in the JWT are not a subset of the metascopes in the binding."}'
            )

            # An unknown client id in the configuration.
            await aem.post("/etc/cloudservices/marketingcloud/acme/jcr:content", data={"clientId": "0" * 32})
            assert last_line((await aem.get(agent)).text).startswith(
                'Replication test failed: 400 {"error":"invalid_client"'
            )

    run(go())


def test_ims_jwt_exchange_errors(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("ims", db) as ims, client_for("console", db) as console:
            h = await console_headers(ims)
            app = await make_application(console, h, ALL)
            key = pki.generate_key_pem()
            cert = pki.self_signed_cert(key, "mine")
            await console.post(
                f"/console/organizations/{ORG}/integrations/entp/{app['credential']}/bindings",
                headers=h,
                files={"certificate": ("certificate", cert.encode())},
            )
            cid = app["client_id"]
            ims_base = "https://ims-na1.adobelogin.com"

            def assertion(**over: object) -> str:
                claims: dict[str, object] = {
                    "exp": int(time.time()) + 300,
                    "iss": f"{ORG}@AdobeOrg",
                    "sub": "x@techacct.adobe.com",
                    "aud": f"{ims_base}/c/{cid}",
                    f"{ims_base}/s/dam-read": True,
                }
                claims.update(over)
                return jwt.encode(claims, key, algorithm="RS256")

            ok = await ims.post("/ims/exchange/jwt", data={"client_id": cid, "jwt_token": assertion()})
            assert ok.status_code == 200 and ok.json()["expires_in"] == 86399000
            assert ok.json()["token_type"] == "bearer"
            # multipart + trailing slash, as jwt-auth sends it
            r = await ims.post("/ims/exchange/jwt/", files={"client_id": (None, cid), "jwt_token": (None, assertion())})
            assert r.status_code == 200
            # the exchanged token is accepted by the Console gateway
            r = await console.get(
                "/console/organizations",
                headers={"Authorization": f"Bearer {ok.json()['access_token']}", "x-api-key": cid},
            )
            assert r.status_code == 200

            async def err(data: dict[str, str]) -> tuple[int, dict[str, str]]:
                resp = await ims.post("/ims/exchange/jwt", data=data)
                return resp.status_code, resp.json()

            assert (await err({"client_id": "f" * 32, "jwt_token": assertion()}))[1]["error"] == "invalid_client"
            status, body = await err({"client_id": cid, "jwt_token": assertion(aud=f"{ims_base}/c/other")})
            assert (status, body["error"]) == (400, "invalid_client")
            status, body = await err({"client_id": cid, "jwt_token": "garbage"})
            assert (status, body["error"]) == (400, "invalid_token")
            status, body = await err({"client_id": cid, "jwt_token": assertion(exp=int(time.time()) - 10)})
            assert (status, body["error"]) == (400, "invalid_token")
            other = jwt.encode(
                {"exp": int(time.time()) + 60, "aud": f"{ims_base}/c/{cid}"},
                pki.generate_key_pem(),
                algorithm="RS256",
            )
            assert await err({"client_id": cid, "jwt_token": other}) == (
                400,
                {
                    "error": "invalid_token",
                    "error_description": "Could not match JWT signature to any of the bindings",
                },
            )
            status, body = await err({"client_id": cid, "jwt_token": assertion(**{f"{ims_base}/s/ent_user_sdk": True})})
            assert (status, body["error"]) == (400, "invalid_scope")
            status, body = await err({"client_id": cid, "jwt_token": assertion(), "client_secret": "wrong"})
            assert (status, body["error"]) == (401, "invalid_client")

    run(go())

"""ImsClient, token providers and ConsoleClient against httpx.MockTransport handlers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from reconciler.clients import (
    AuthError,
    ConflictError,
    HttpPolicy,
    StaticTokenProvider,
    TransportError,
)
from reconciler.clients.console import ConsoleClient
from reconciler.clients.ims import (
    ImsClient,
    JwtExchangeTokenProvider,
    ServerToServerTokenProvider,
    build_jwt_assertion,
)

CLIENT_ID = "e053e1a87cf74c68a6ec8e71d4a82662"
CLIENT_SECRET = "p8e-EIRF6kY6EHLBSdw2b-pLUWKodDqJqSz3"
POLICY = HttpPolicy(max_attempts=3, backoff_initial_s=0.001, backoff_max_s=0.002)


def run(coro):
    return asyncio.run(coro)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def ims_handler(requests):
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if request.url.path == "/ims/token/v3":
            if form.get("client_secret") != CLIENT_SECRET:
                return httpx.Response(
                    401,
                    headers={"x-debug-id": "d1"},
                    json={"error": "invalid_client", "error_description": "invalid client_secret parameter"},
                )
            return httpx.Response(
                200, json={"access_token": f"at-{len(requests)}", "token_type": "bearer", "expires_in": 86399}
            )
        if request.url.path == "/ims/exchange/jwt":
            return httpx.Response(
                200, json={"token_type": "bearer", "access_token": "jwt-at", "expires_in": 86399000}
            )
        return httpx.Response(404)

    return handler


def test_client_credentials_token_request_and_expiry():
    requests: list[httpx.Request] = []
    clock = Clock()

    async def go():
        async with ImsClient(
            "https://ims.test", transport=httpx.MockTransport(ims_handler(requests)), clock=clock
        ) as ims:
            return await ims.client_credentials_token(
                CLIENT_ID, CLIENT_SECRET, ["openid", "AdobeID", "dam-read"]
            )

    token = run(go())
    assert token.token == "at-1"
    assert token.expires_at == clock.now + 86399
    req = requests[0]
    assert req.method == "POST" and req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(req.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
        "scope": ["openid,AdobeID,dam-read"],
    }


def test_exchange_jwt_expires_in_is_milliseconds():
    requests: list[httpx.Request] = []
    clock = Clock()

    async def go():
        async with ImsClient(
            "https://ims.test", transport=httpx.MockTransport(ims_handler(requests)), clock=clock
        ) as ims:
            return await ims.exchange_jwt(CLIENT_ID, "eyJ.assertion.sig")

    token = run(go())
    assert token.token == "jwt-at" and token.expires_at == clock.now + 86399
    assert parse_qs(requests[0].content.decode()) == {
        "client_id": [CLIENT_ID],
        "jwt_token": ["eyJ.assertion.sig"],
    }


def test_ims_error_names_code_without_secret(caplog):
    requests: list[httpx.Request] = []

    async def go():
        async with ImsClient("https://ims.test", transport=httpx.MockTransport(ims_handler(requests))) as ims:
            with pytest.raises(AuthError) as info:
                await ims.client_credentials_token(
                    CLIENT_ID, "p8e-WRONGWRONGWRONGWRONGWRONGWRONG", ["openid"]
                )
            return info.value

    caplog.set_level(1, logger="reconciler.http")
    err = run(go())
    assert (err.status, err.code, err.message, err.request_id) == (
        401,
        "invalid_client",
        "invalid client_secret parameter",
        "d1",
    )
    assert str(err) == (
        "ims POST /ims/token/v3 -> 401 Unauthorized: invalid_client: invalid client_secret parameter"
    )
    assert "WRONGWRONG" not in caplog.text and "WRONGWRONG" not in str(err)


def test_providers_of_one_credential_and_scope_set_share_one_token():
    """The Console and Workfront clients of one Adobe connection each get a provider; they share
    one token (one IMS request), while another scope set (the User Management API's) gets its own."""
    requests: list[httpx.Request] = []

    async def go():
        ims = ImsClient("https://ims.test", transport=httpx.MockTransport(ims_handler(requests)), clock=Clock())
        console = ServerToServerTokenProvider(ims, CLIENT_ID, CLIENT_SECRET, ["openid", "AdobeID"])
        workfront = ServerToServerTokenProvider(ims, CLIENT_ID, CLIENT_SECRET, ["AdobeID", "openid"])
        umapi = ServerToServerTokenProvider(ims, CLIENT_ID, CLIENT_SECRET, ["openid", "user_management_sdk"])
        got = await asyncio.gather(console.token(), workfront.token(), umapi.token(), console.token())
        workfront.invalidate()  # a 401 on one service: the shared token is fetched again, once
        again = await asyncio.gather(console.token(), workfront.token())
        await ims.aclose()
        return got, again, console.fetch_count

    got, again, fetches = run(go())
    assert got[0] == got[1] == got[3] != got[2]
    assert again[0] == again[1] != got[0]
    assert len(requests) == 3 and fetches == 2


def test_server_to_server_provider_caches_until_expiry():
    requests: list[httpx.Request] = []
    clock = Clock()

    async def go():
        ims = ImsClient("https://ims.test", transport=httpx.MockTransport(ims_handler(requests)), clock=clock)
        provider = ServerToServerTokenProvider(ims, CLIENT_ID, CLIENT_SECRET, ["openid"])
        first = await asyncio.gather(*(provider.token() for _ in range(25)))
        clock.now += 86399 - 120
        still = await provider.token()
        clock.now += 61  # inside the 60 s refresh margin
        renewed = await provider.token()
        await ims.aclose()
        return provider, first, still, renewed

    provider, first, still, renewed = run(go())
    assert set(first) == {"at-1"} and still == "at-1" and renewed == "at-2"
    assert provider.fetch_count == 2 and len(requests) == 2
    assert CLIENT_SECRET not in repr(provider)


def make_cert():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode(), key


def test_jwt_assertion_and_exchange_provider():
    key_pem, _cert_pem, key = make_cert()
    assertion = build_jwt_assertion(
        client_id=CLIENT_ID,
        ims_org_id="11111111111AAAAAAAAABBBB@AdobeOrg",
        technical_account_id="x@techacct.adobe.com",
        private_key_pem=key_pem,
        metascopes=["dam-read", "https://ims.test/s/cc-share"],
        ims_url="https://ims.test/",
        now=1000.0,
    )
    claims = jwt.decode(
        assertion,
        key.public_key(),
        algorithms=["RS256"],
        audience=f"https://ims.test/c/{CLIENT_ID}",
        options={"verify_exp": False},
    )
    assert claims["exp"] == 1300 and claims["iss"] == "11111111111AAAAAAAAABBBB@AdobeOrg"
    assert claims["https://ims.test/s/dam-read"] is True and claims["https://ims.test/s/cc-share"] is True

    requests: list[httpx.Request] = []

    async def go():
        ims = ImsClient("https://ims.test", transport=httpx.MockTransport(ims_handler(requests)))
        provider = JwtExchangeTokenProvider(
            ims,
            client_id=CLIENT_ID,
            ims_org_id="O@AdobeOrg",
            technical_account_id="T@techacct.adobe.com",
            private_key_pem=key_pem,
            metascopes=["dam-read"],
        )
        tokens = [await provider.token() for _ in range(3)]
        await ims.aclose()
        return tokens

    assert run(go()) == ["jwt-at"] * 3
    assert len(requests) == 1


# -- Developer Console -----------------------------------------------------------------------------------

CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


class FakeConsole:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.valid_token = "tok-1"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not request.headers.get("x-api-key"):
            return httpx.Response(403, json={"error_code": "403000", "message": "Api Key is required"})
        if request.headers.get("authorization") != f"Bearer {self.valid_token}":
            return httpx.Response(401, json={"error_code": "401013", "message": "Oauth token is not valid"})
        p, m = request.url.path, request.method
        base = "/console/organizations/123/projects"
        ws = f"{base}/9/workspaces/8"
        if (m, p) == ("GET", "/console/organizations"):
            return httpx.Response(200, json=[{"id": "123", "code": "ABC@AdobeOrg", "role": "ADMIN"}])
        if (m, p) == ("GET", base):
            items = [{"id": "9", "name": "sync", "title": "Sync"}]
            title = request.url.params.get("title")
            return httpx.Response(200, json=[i for i in items if title in (None, i["title"])])
        if (m, p) == ("POST", base):
            if json.loads(request.content)["name"] == "taken":
                return httpx.Response(
                    409, json={"error_code": "409001", "message": "Project name already exists"}
                )
            return httpx.Response(201, json={"projectId": "9", "projectType": "default", "workspaceId": "8"})
        if (m, p) == ("DELETE", f"{base}/9"):
            return httpx.Response(200)
        if (m, p) == ("GET", f"{base}/9/workspaces"):
            return httpx.Response(200, json=[{"id": "8", "name": "Production"}])
        if (m, p) == ("GET", f"{ws}/credentials"):
            return httpx.Response(
                200,
                json=[
                    {
                        "id_workspace": "8",
                        "id_integration": "77",
                        "flow_type": "entp",
                        "integration_type": "oauth_server_to_server",
                    }
                ],
            )
        if m == "POST" and p in (f"{ws}/credentials/oauth-server-to-server", f"{ws}/credentials/entp"):
            return httpx.Response(200, json={"id": "77", "apiKey": "k", "orgId": "123"})
        if (m, p) == ("PUT", f"{ws}/credentials/entp/77/services"):
            return httpx.Response(200, json={"sdkList": [x["sdkCode"] for x in json.loads(request.content)]})
        if (m, p) == ("GET", "/console/organizations/123/services"):
            return httpx.Response(200, json=[{"code": "AEMAssetsDAMSDK", "enabled": True}])
        if (m, p) == ("GET", "/console/organizations/123/integrations/77"):
            return httpx.Response(200, json={"id": "77", "technicalAccountId": "T@techacct.adobe.com"})
        bindings = "/console/organizations/123/integrations/entp/77/bindings"
        binding = [{"bindingId": "b1", "certificateFingerprint": "ab"}]
        if p == bindings:
            return httpx.Response(200, json=binding)
        if (m, p) == ("DELETE", f"{bindings}/b1"):
            return httpx.Response(200)
        return httpx.Response(404, json={"error_code": "404000", "message": "not found"})


def console_for(fake, provider=None, **kw) -> ConsoleClient:
    return ConsoleClient(
        "https://console.test",
        api_key=CLIENT_ID,
        token_provider=provider or StaticTokenProvider("tok-1"),
        transport=httpx.MockTransport(fake),
        policy=POLICY,
        **kw,
    )


def test_console_every_call_sends_bearer_and_api_key():
    fake = FakeConsole()

    async def go():
        async with console_for(fake) as c:
            out = {
                "orgs": await c.list_orgs(),
                "projects": await c.list_projects("123", title="Sync"),
                "none": await c.list_projects(123, title="Other"),
                "created": await c.create_project("123", name="sync", title="Sync", description="d"),
                "workspaces": await c.list_workspaces("123", "9"),
                "creds": await c.list_credentials("123", "9", "8"),
                "s2s": await c.create_s2s_credential("123", "9", "8", name="sync-cred", description="d"),
                "subscribed": await c.subscribe_services(
                    "123", "9", "8", "entp", "77", ["AEMAssetsDAMSDK", "CCShareSDK"]
                ),
                "services": await c.list_services("123"),
                "integration": await c.get_integration("123", "77"),
                "missing": await c.get_integration("123", "78"),
                "bindings": await c.list_bindings("123", "77"),
                "deleted": await c.delete_project("123", "9"),
            }
            await c.delete_binding("123", "77", "b1")
            return c, out

    c, out = run(go())
    assert out["orgs"][0]["code"] == "ABC@AdobeOrg"
    assert [p["id"] for p in out["projects"]] == ["9"] and out["none"] == []
    assert out["created"] == {"projectId": "9", "projectType": "default", "workspaceId": "8"}
    assert out["subscribed"] == {"sdkList": ["AEMAssetsDAMSDK", "CCShareSDK"]}
    assert out["missing"] is None and out["deleted"] is True
    assert out["bindings"][0]["bindingId"] == "b1"
    for r in fake.requests:
        assert r.headers["authorization"] == "Bearer tok-1"
        assert r.headers["x-api-key"] == CLIENT_ID
    create = next(r for r in fake.requests if r.method == "POST" and r.url.path.endswith("/projects"))
    assert json.loads(create.content) == {
        "name": "sync",
        "title": "Sync",
        "type": "default",
        "description": "d",
    }
    put = next(r for r in fake.requests if r.method == "PUT")
    assert json.loads(put.content) == [
        {"sdkCode": "AEMAssetsDAMSDK", "roles": None, "licenseConfigs": None},
        {"sdkCode": "CCShareSDK", "roles": None, "licenseConfigs": None},
    ]
    assert c.request_count == len(fake.requests) == 14


def test_console_multipart_certificate_field():
    fake = FakeConsole()

    async def go():
        async with console_for(fake) as c:
            cred = await c.create_entp_credential(
                "123", "9", "8", name="legacy-sync", description="d", certificate_pem=CERT_PEM
            )
            bindings = await c.add_binding("123", "77", CERT_PEM.encode())
            return cred, bindings

    cred, bindings = run(go())
    assert cred["id"] == "77" and bindings[0]["bindingId"] == "b1"
    for request in fake.requests:
        assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
        body = request.content.decode()
        assert 'name="certificate"; filename="certificate"' in body
        assert CERT_PEM in body
    body = fake.requests[0].content.decode()
    assert 'name="name"\r\n\r\nlegacy-sync' in body and 'name="description"\r\n\r\nd' in body


def test_console_create_not_retried_after_dropped_response():
    fake = FakeConsole()

    def dropping(request):
        fake.requests.append(request)
        raise httpx.ReadError("connection reset", request=request)

    async def go():
        async with ConsoleClient(
            "https://console.test",
            api_key=CLIENT_ID,
            token_provider=StaticTokenProvider("t"),
            transport=httpx.MockTransport(dropping),
            policy=POLICY,
        ) as c:
            with pytest.raises(TransportError):
                await c.create_project("123", name="sync", title="Sync")
            with pytest.raises(TransportError):
                await c.add_binding("123", "77", CERT_PEM)
            with pytest.raises(TransportError):
                await c.list_orgs()
            return c

    c = run(go())
    assert [m for m, _p, _s in c.request_log] == ["POST", "POST", "GET", "GET", "GET"]


def test_console_conflict_and_gateway_errors():
    fake = FakeConsole()

    async def go():
        async with console_for(fake) as c:
            with pytest.raises(ConflictError) as conflict:
                await c.create_project("123", name="taken", title="T")
        async with ConsoleClient(
            "https://console.test",
            api_key="",
            token_provider=StaticTokenProvider("tok-1"),
            transport=httpx.MockTransport(fake),
            policy=POLICY,
        ) as c:
            with pytest.raises(AuthError) as no_key:
                await c.list_services("123")
            with pytest.raises(ValueError):
                await c.subscribe_services("123", "9", "8", "jwt", "77", [])
            assert c.request_count == 1
        return conflict.value, no_key.value

    conflict, no_key = run(go())
    assert conflict.code == "409001" and "Project name already exists" in str(conflict)
    assert str(no_key) == (
        "console GET /console/organizations/123/services -> 403 Forbidden: 403000: Api Key is required"
    )


def test_console_refreshes_token_once_after_401():
    fake = FakeConsole()

    class Rotating:
        def __init__(self) -> None:
            self.tokens = iter(["stale", "tok-1"])
            self.current = next(self.tokens)
            self.invalidated = 0

        async def token(self) -> str:
            return self.current

        def invalidate(self) -> None:
            self.invalidated += 1
            self.current = next(self.tokens)

    provider = Rotating()

    async def go():
        async with console_for(fake, provider) as c:
            return await c.list_orgs()

    assert run(go())[0]["id"] == "123"
    assert provider.invalidated == 1
    assert [r.headers["authorization"] for r in fake.requests] == ["Bearer stale", "Bearer tok-1"]


def test_console_with_server_to_server_provider_one_token_for_many_calls():
    ims_requests: list[httpx.Request] = []
    fake = FakeConsole()
    fake.valid_token = "at-1"

    async def go():
        ims = ImsClient("https://ims.test", transport=httpx.MockTransport(ims_handler(ims_requests)))
        provider = ServerToServerTokenProvider(ims, CLIENT_ID, CLIENT_SECRET, ["openid", "AdobeID"])
        async with console_for(fake, provider) as c:
            await asyncio.gather(*(c.list_orgs() for _ in range(10)))
        await ims.aclose()

    run(go())
    assert len(ims_requests) == 1 and len(fake.requests) == 10

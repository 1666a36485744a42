"""Shared transport policy: retries, errors, redaction, logging, counting, token cache."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time

import httpx
import pytest

from reconciler import __version__
from reconciler.clients import (
    TRACE,
    AccessToken,
    ApiError,
    AuthError,
    ConflictError,
    HttpPolicy,
    NotFoundError,
    RateLimitedError,
    Redactor,
    ServerError,
    ServiceClient,
    TokenCache,
    TransportError,
)

SECRET = "p8e-TopSecretValue0123456789abcdefgh"


def make_client(handler, policy, sleeps, **kw) -> ServiceClient:
    return ServiceClient(
        "svc", "http://svc.test", transport=httpx.MockTransport(handler), policy=policy, sleep=sleeps, **kw
    )


def run(coro):
    return asyncio.run(coro)


# -- retries ---------------------------------------------------------------------------------------


def test_429_retried_honouring_retry_after(policy, sleeps):
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) < 3:
            return httpx.Response(429, headers={"Retry-After": "2"}, json={"error_code": "429050"})
        return httpx.Response(200, json={"ok": True})

    async def go():
        async with make_client(handler, policy, sleeps) as client:
            response = await client.request("POST", "/thing", json={})
            return response, client

    response, client = run(go())
    assert response.json() == {"ok": True}
    assert sleeps.waits == [2.0, 2.0]
    assert client.request_count == 3
    assert client.request_log == [("POST", "/thing", 429), ("POST", "/thing", 429), ("POST", "/thing", 200)]


def test_retry_after_is_capped_and_http_date_understood(policy, sleeps):
    future = email.utils.formatdate(time.time() + 3, usegmt=True)
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "3600"}),
            httpx.Response(503, headers={"Retry-After": future}),
            httpx.Response(200),
        ]
    )

    async def go():
        async with make_client(lambda r: next(answers), policy, sleeps) as client:
            await client.request("GET", "/x")

    run(go())
    assert sleeps.waits[0] == policy.retry_after_cap_s
    assert 0.0 <= sleeps.waits[1] <= 3.5


def test_429_exhausted_raises_rate_limited(policy, sleeps):
    def handler(request):
        return httpx.Response(
            429, headers={"Retry-After": "0"}, json={"error_code": "429050", "message": "Too many requests"}
        )

    async def go():
        async with make_client(handler, policy, sleeps) as client:
            with pytest.raises(RateLimitedError) as info:
                await client.request("GET", "/busy")
            return client, info.value

    client, err = run(go())
    assert client.request_count == policy.max_attempts
    assert err.status == 429 and err.code == "429050" and err.attempts == policy.max_attempts
    assert str(err) == "svc GET /busy -> 429 Too Many Requests (after 4 attempts): 429050: Too many requests"


def test_503_retried_for_post(policy, sleeps):
    answers = iter([httpx.Response(503), httpx.Response(503), httpx.Response(201, json={"id": 1})])

    async def go():
        async with make_client(lambda r: next(answers), policy, sleeps) as client:
            response = await client.request("POST", "/create", json={}, expected=(201,))
            return response, client

    response, client = run(go())
    assert response.status_code == 201 and client.request_count == 3
    assert len(sleeps.waits) == 2
    assert all(0 <= w <= policy.backoff_max_s for w in sleeps.waits)  # backoff with jitter, capped


def test_500_not_retried_for_post_but_retried_for_get(policy, sleeps):
    def handler(request):
        return httpx.Response(500, json={"status.code": 500, "status.message": "boom"})

    async def post():
        async with make_client(handler, policy, sleeps) as client:
            with pytest.raises(ServerError) as info:
                await client.request("POST", "/p", data={"a": "b"})
            return client, info.value

    client, err = run(post())
    assert client.request_count == 1 and sleeps.waits == []
    assert err.message == "boom" and err.status == 500

    answers = iter([httpx.Response(500), httpx.Response(502), httpx.Response(200, json=[])])

    async def get():
        async with make_client(lambda r: next(answers), policy, sleeps) as client:
            await client.request("GET", "/g")
            return client

    assert run(get()).request_count == 3


def test_post_marked_idempotent_is_retried_on_500(policy, sleeps):
    answers = iter([httpx.Response(500), httpx.Response(200)])

    async def go():
        async with make_client(lambda r: next(answers), policy, sleeps) as client:
            await client.request("POST", "/sling", data={"x": "1"}, idempotent=True)
            return client

    assert run(go()).request_count == 2


def test_connect_error_retried_for_every_method(policy, sleeps):
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201)

    async def go():
        async with make_client(handler, policy, sleeps) as client:
            await client.request("POST", "/create", json={}, expected=(201,))
            return client

    client = run(go())
    assert client.request_count == 3
    assert client.request_log[0] == ("POST", "/create", 0)


def test_dropped_response_not_retried_for_post_retried_for_get(policy, sleeps):
    def dropping(request):
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    async def post():
        async with make_client(dropping, policy, sleeps) as client:
            with pytest.raises(TransportError) as info:
                await client.request("POST", "/create", json={})
            return client, info.value

    client, err = run(post())
    assert client.request_count == 1
    assert err.status is None and err.code == "RemoteProtocolError"
    assert str(err).startswith(
        "svc POST /create -> connection failed: RemoteProtocolError: Server disconnected"
    )

    calls = []

    def flaky(request):
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadError("reset", request=request)
        return httpx.Response(200)

    async def get():
        async with make_client(flaky, policy, sleeps) as client:
            await client.request("GET", "/list")
            return client

    assert run(get()).request_count == 2


def test_transport_error_after_all_attempts(policy, sleeps):
    def refused(request):
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    async def go():
        async with make_client(refused, policy, sleeps) as client:
            with pytest.raises(TransportError) as info:
                await client.request("GET", "/x")
            return client, info.value

    client, err = run(go())
    assert client.request_count == policy.max_attempts == err.attempts
    assert "\n" not in str(err) and "after 4 attempts" in str(err)


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message"),
    [
        (
            400,
            {"error": "invalid_client", "error_description": "Unknown client"},
            ApiError,
            "invalid_client",
            "Unknown client",
        ),
        (
            403,
            {"error_code": "403003", "message": "Api Key is invalid"},
            AuthError,
            "403003",
            "Api Key is invalid",
        ),
        (
            401,
            {"error_code": "401013", "message": "Oauth token is not valid"},
            AuthError,
            "401013",
            "Oauth token is not valid",
        ),
        (404, "<html><body>Not found</body></html>", NotFoundError, None, "Not found"),
        (
            409,
            {"error_code": "409001", "message": "duplicate name"},
            ConflictError,
            "409001",
            "duplicate name",
        ),
        (
            500,
            {
                "status.code": 500,
                "status.message": "RepositoryException",
                "error": {"class": "javax.jcr.RepositoryException", "message": "constraint violated"},
            },
            ServerError,
            "RepositoryException",
            "constraint violated",
        ),
        (
            500,
            '<html><head><title>Error</title></head><body><div id="Message">java.lang.Bad\nthing</div>'
            "</body></html>",
            ServerError,
            None,
            "java.lang.Bad thing",
        ),
    ],
)
def test_error_mapping_and_parsing(status, body, cls, code, message, sleeps):
    def handler(request):
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers={"content-type": "text/html"})
        return httpx.Response(status, json=body, headers={"x-debug-id": "dbg-1"})

    async def go():
        async with make_client(handler, HttpPolicy(max_attempts=1), sleeps) as client:
            with pytest.raises(ApiError) as info:
                await client.request("POST", "/ims/token/v3?client_id=abc", data={"x": "y"})
            return info.value

    err = run(go())
    assert type(err) is cls
    assert (err.service, err.method, err.status, err.code, err.message) == (
        "svc",
        "POST",
        status,
        code,
        message,
    )
    assert "\n" not in str(err)
    assert str(err).startswith(f"svc POST /ims/token/v3 -> {status} ")


def test_error_never_shows_secret(sleeps):
    def handler(request):
        # a server that echoes what it got, including the secret and line breaks
        return httpx.Response(400, text="bad request\nclient_secret=" + SECRET + "\nrest")

    async def go():
        client = make_client(handler, HttpPolicy(max_attempts=1), sleeps, secrets=[SECRET])
        async with client:
            with pytest.raises(ApiError) as info:
                await client.request("POST", f"/t?client_secret={SECRET}", data={"client_secret": SECRET})
            return info.value

    err = run(go())
    text = str(err)
    assert SECRET not in text and SECRET not in err.url and SECRET not in err.message
    assert "***" in text and "\n" not in text


# -- logging and redaction --------------------------------------------------------------------------


def test_logs_are_redacted(caplog, policy, sleeps):
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"

    def handler(request):
        return httpx.Response(200, json={"access_token": "eyJhbGciOi.token-value.sig", "expires_in": 86399})

    async def go():
        client = make_client(
            handler, policy, sleeps, secrets=[SECRET], headers={"Authorization": "Bearer my-bearer-token-xyz"}
        )
        async with client:
            await client.request(
                "POST",
                "/ims/token/v3",
                data={
                    "client_secret": SECRET,
                    "rep:password": "hunter22",
                    "jwt_token": "abc.def.ghi",
                    "jcr:content/transportPassword": "tp-secret",
                    "key": pem,
                    "client_id": "visible-id",
                },
            )

    caplog.set_level(TRACE, logger="reconciler.http")
    caplog.set_level(TRACE, logger="reconciler.http.body")
    run(go())
    text = caplog.text
    for secret in (
        SECRET,
        "hunter22",
        "abc.def.ghi",
        "tp-secret",
        "MIIEvQIBADAN",
        "my-bearer-token-xyz",
        "token-value",
    ):
        assert secret not in text, secret
    assert "visible-id" in text
    assert "***" in text
    summary = [r for r in caplog.records if r.name == "reconciler.http"]
    assert len(summary) == 1
    assert "POST http://svc.test/ims/token/v3 -> 200" in summary[0].getMessage()
    assert "attempt 1" in summary[0].getMessage()


def test_bodies_not_logged_at_debug(caplog, policy, sleeps):
    async def go():
        async with make_client(lambda r: httpx.Response(200, text="BODY-TEXT"), policy, sleeps) as client:
            await client.request("GET", "/x")

    caplog.set_level(logging.DEBUG, logger="reconciler.http")
    run(go())
    assert "BODY-TEXT" not in caplog.text
    assert "GET http://svc.test/x -> 200" in caplog.text


def test_redactor_patterns():
    redact = Redactor(["s3cr3t!value"])
    assert redact("a s3cr3t!value b") == "a *** b"
    assert redact("x=s3cr3t%21value") == "x=***"  # URL-encoded form
    assert redact('{"client_secret": "abc", "password": "p", "id": "i"}') == (
        '{"client_secret": "***", "password": "***", "id": "i"}'
    )
    assert redact("grant_type=cc&client_secret=abc&scope=x") == "grant_type=cc&client_secret=***&scope=x"
    assert redact("jcr%3Acontent%2FtransportPassword=tp&a=b") == "jcr%3Acontent%2FtransportPassword=***&a=b"
    assert redact("rep:password=pw&x=1") == "rep:password=***&x=1"
    assert redact("Authorization: Basic YWRtaW46YWRtaW4=") == "Authorization: Basic ***"
    multipart = 'Content-Disposition: form-data; name="client_secret"\r\n\r\nmysecret\r\n--b'
    assert "mysecret" not in redact(multipart)
    pem = "a\n-----BEGIN RSA PRIVATE KEY-----\nAAAA\nBBBB\n-----END RSA PRIVATE KEY-----\nb"
    assert redact(pem) == "a\n***\nb"
    assert "BBBB" not in redact("-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB")  # truncated key
    cert = "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----"
    assert redact(cert) == cert  # certificates are public


def test_user_agent_and_counts(policy, sleeps):
    seen = []

    def handler(request):
        seen.append(request.headers["user-agent"])
        return httpx.Response(404 if request.url.path == "/missing" else 200)

    async def go():
        async with make_client(handler, policy, sleeps) as client:
            await client.request("GET", "/a?x=1")
            await client.request("GET", "/missing", expected=(200, 404))
            return client

    client = run(go())
    assert seen == [f"aem-assets-reconciler/{__version__}"] * 2
    assert client.request_count == 2
    assert client.request_log == [("GET", "/a", 200), ("GET", "/missing", 404)]


def test_rate_limit_is_applied(sleeps):
    async def go():
        policy = HttpPolicy(rate_limit_per_s=1000.0)
        async with make_client(lambda r: httpx.Response(200), policy, sleeps) as client:
            assert client.limiter is not None
            await asyncio.gather(*(client.request("GET", f"/{i}") for i in range(20)))
            return client

    assert run(go()).request_count == 20


def test_default_transport_uses_policy():
    client = ServiceClient("svc", "https://example.test/", policy=HttpPolicy(verify_tls=False, timeout_s=7))
    assert client.base_url == "https://example.test"
    assert client._http.timeout.read == 7
    run(client.aclose())


# -- token cache -------------------------------------------------------------------------------------


def test_token_cache_one_fetch_in_flight_and_refetch_after_expiry():
    now = [1000.0]
    fetches = []

    async def fetch():
        fetches.append(now[0])
        await asyncio.sleep(0.01)
        return AccessToken(token=f"tok-{len(fetches)}", expires_at=now[0] + 3600)

    cache = TokenCache(fetch, clock=lambda: now[0])

    async def go():
        tokens = await asyncio.gather(*(cache.token() for _ in range(10)))
        assert set(tokens) == {"tok-1"}
        now[0] += 3600 - 61
        assert await cache.token() == "tok-1"
        now[0] += 2  # within the 60 s margin
        assert await cache.token() == "tok-2"
        cache.invalidate()
        assert await cache.token() == "tok-3"

    run(go())
    assert cache.fetch_count == 3
    assert "tok-secret" not in repr(AccessToken("tok-secret", 1.0))


# -- temporary or permanent ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls", "temporary"),
    [
        (None, TransportError, True),
        (408, ApiError, True),
        (429, RateLimitedError, True),
        (500, ServerError, True),
        (503, ServerError, True),
        (400, ApiError, False),
        (401, AuthError, False),
        (403, AuthError, False),
        (404, NotFoundError, False),
        (409, ConflictError, False),
        (422, ApiError, False),
    ],
)
def test_errors_say_whether_a_retry_later_may_help(status, cls, temporary):
    from reconciler.clients.errors import error_class_for

    assert error_class_for(status) is cls
    err = cls("svc", "GET", "http://svc.test/x", status)
    assert err.temporary is temporary
    assert isinstance(err, ApiError)


def test_errors_after_retries_are_temporary(policy, sleeps):
    def handler(request):
        return httpx.Response(503)

    client = make_client(handler, policy, sleeps)
    with pytest.raises(ServerError) as info:
        run(client.request("GET", "/x"))
    assert info.value.temporary is True
    assert info.value.attempts == policy.max_attempts

"""What ``-vv`` logs (``reconciler.http.body`` at TRACE) holds no secret a client knows: AEM's CSRF
token is masked in the body of ``/libs/granite/csrf/token.json`` as it is in the ``CSRF-Token``
header of the writes that carry it, and any value registered as a secret is masked in bodies."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import httpx
import pytest

from reconciler.clients import TRACE, HttpPolicy, ServiceClient
from reconciler.clients.aem import CSRF_TOKEN_PATH, AemClient
from tests.helpers import World

TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVl"


@pytest.fixture
def trace(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Logs captured as ``-vv`` sets them up (request lines at DEBUG, bodies at TRACE)."""
    caplog.set_level(logging.DEBUG, logger="reconciler.http")
    caplog.set_level(TRACE, logger="reconciler.http.body")
    return caplog


def _bodies(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "reconciler.http.body"]


def test_the_csrf_token_is_masked_in_the_logged_body_and_header(world: World, trace: pytest.LogCaptureFixture) -> None:
    """On the sandbox AEM: a login check (which fetches the token) and a Sling POST that sends it."""
    seen: list[str] = []

    async def go() -> None:
        async with AemClient("http://aem.test", username="admin", password="admin",
                             transport=world.transport("aem")) as aem:
            await aem.check_login()
            await aem.sling_post("/content/dam/logged", {"jcr:primaryType": "sling:Folder"})
            seen.append(aem._csrf_token or "")

    asyncio.run(go())
    token = seen[0]
    assert len(token) > 8  # the sandbox issued one, so the test can fail
    assert token not in trace.text
    csrf_bodies = [m for m in _bodies(trace) if "response 200" in m and CSRF_TOKEN_PATH in m]
    assert len(csrf_bodies) == 1
    assert json.loads(csrf_bodies[0].rsplit("\n\n", 1)[1]) == {"token": "***"}
    posts = [m for m in _bodies(trace) if m.startswith("aem request POST")]
    assert len(posts) == 1 and re.search(r"(?im)^csrf-token: \*\*\*$", posts[0])


def test_a_refetched_token_is_masked_too(trace: pytest.LogCaptureFixture) -> None:
    """Each fetch is a new value: the second token is registered before its body is logged."""
    tokens = iter([TOKEN, TOKEN[::-1]])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == CSRF_TOKEN_PATH:
            return httpx.Response(200, json={"token": next(tokens)})
        return httpx.Response(200, json={})

    async def go() -> None:
        async with AemClient("http://aem.test", username="admin", password="admin",
                             transport=httpx.MockTransport(handler), csrf_ttl_s=0.0) as aem:
            await aem.sling_post("/content/dam/a", {"title": "a"})
            await aem.sling_post("/content/dam/b", {"title": "b"})

    asyncio.run(go())
    assert sum(CSRF_TOKEN_PATH in m and "response 200" in m for m in _bodies(trace)) == 2
    assert TOKEN not in trace.text and TOKEN[::-1] not in trace.text
    assert trace.text.count('{"token":"***"}') + trace.text.count('{"token": "***"}') == 2


def test_a_registered_secret_is_masked_in_logged_bodies(trace: pytest.LogCaptureFixture) -> None:
    """A value the client knows as a secret is masked wherever a body holds it, under any field name."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"echo": request.content.decode(), "session": "opaque-session-value"})

    async def go() -> None:
        async with ServiceClient("svc", "http://svc.test", transport=httpx.MockTransport(handler),
                                 policy=HttpPolicy(max_attempts=1)) as client:
            client.add_secret("opaque-session-value")
            await client.request("POST", "/x", json={"note": "opaque-session-value"})
            await client.request("GET", "/y", secret_fields=("session",))

    asyncio.run(go())
    assert len(_bodies(trace)) == 4
    assert "opaque-session-value" not in trace.text
    assert trace.text.count("***") >= 3

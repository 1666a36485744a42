"""The typed AEM calls of the shares and creative_cloud_connections kinds (assumed endpoints,
docs/api-fidelity.md "AEM author: shares and Creative Cloud connection"), and what a caller sees
when such an answer is not JSON."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reconciler.clients import AemClient, ApiError, ConflictError, HttpPolicy

PASSWORD = "Sh4re-Pa55word!"
TOKEN = "tkn-SecretBearer-0123456789"
POLICY = HttpPolicy(max_attempts=2, backoff_initial_s=0.001, backoff_max_s=0.002)


def run(coro):
    return asyncio.run(coro)


async def _nosleep(_: float) -> None:
    return None


def client(handler, **auth) -> AemClient:
    auth = auth or {"username": "admin", "password": PASSWORD}
    return AemClient("http://aem.test", transport=httpx.MockTransport(handler), policy=POLICY, sleep=_nosleep, **auth)


def call(handler, method: str, *args, **auth):
    async def go():
        async with client(handler, **auth) as c:
            return await getattr(c, method)(*args), c.request_log

    return run(go())


SHARE = {"path": "/content/dam/a", "target": "creative_cloud", "members": [{"email": "x@y.z", "role": "editor"}]}


def test_list_shares_reads_one_listing_and_drops_non_objects():
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path))
        return httpx.Response(200, json={"shares": [SHARE, "junk", None]})

    shares, log = call(handler, "list_shares")
    assert shares == [SHARE]
    assert seen == [("GET", "/libs/dam/mac/shares.json")]
    assert log == [("GET", "/libs/dam/mac/shares.json", 200)]


def test_save_share_posts_json_and_returns_the_share():
    bodies = []

    def handler(request):
        bodies.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(201, json=SHARE)

    share, _ = call(handler, "save_share", {"path": "/content/dam/a", "target": "creative_cloud"})
    assert share == SHARE
    assert bodies == [("POST", "/libs/dam/mac/shares", {"path": "/content/dam/a", "target": "creative_cloud"})]


def test_save_share_is_retried_like_a_put_on_a_5xx():
    statuses = iter([502, 200])

    def handler(request):
        status = next(statuses)
        return httpx.Response(status, json=SHARE if status == 200 else {"message": "bad gateway"})

    share, log = call(handler, "save_share", SHARE)
    assert share == SHARE
    assert [s for _, _, s in log] == [502, 200]


def test_delete_share_sends_path_and_target_and_tells_whether_one_existed():
    def handler(request):
        assert request.method == "DELETE"
        assert dict(request.url.params) == {"path": "/content/dam/a b", "target": "experience_cloud"}
        return httpx.Response(204 if request.url.params["path"] == "/content/dam/a b" else 404)

    assert call(handler, "delete_share", "/content/dam/a b", "experience_cloud")[0] is True

    def gone(request):
        return httpx.Response(404)

    assert call(gone, "delete_share", "/content/dam/x", "creative_cloud")[0] is False


def test_cc_connection_read_and_switch():
    state = {"orgId": "A@AdobeOrg", "orgName": "A", "availableOrgs": []}
    sent = []

    def handler(request):
        sent.append((request.method, request.url.path, request.content))
        return httpx.Response(200, json=state)

    assert call(handler, "get_cc_connection")[0] == state
    assert call(handler, "set_cc_connection", "B@AdobeOrg")[0] == state
    assert sent[0][:2] == ("GET", "/libs/dam/cc/connection.json")
    assert sent[1][:2] == ("POST", "/libs/dam/cc/connection")
    assert json.loads(sent[1][2]) == {"orgId": "B@AdobeOrg"}


def test_cc_connection_without_entitlement_is_a_permanent_conflict():
    def handler(request):
        return httpx.Response(409, json={"message": "no active Creative Cloud entitlement"})

    with pytest.raises(ConflictError) as info:
        call(handler, "set_cc_connection", "B@AdobeOrg")
    assert info.value.temporary is False
    assert "no active Creative Cloud entitlement" in str(info.value)


@pytest.mark.parametrize(
    ("method", "args", "path"),
    [
        ("list_shares", (), "/libs/dam/mac/shares.json"),
        ("save_share", (SHARE,), "/libs/dam/mac/shares"),
        ("get_cc_connection", (), "/libs/dam/cc/connection.json"),
        ("set_cc_connection", ("B@AdobeOrg",), "/libs/dam/cc/connection"),
    ],
)
def test_a_non_json_body_names_the_service_and_the_redacted_url(method, args, path):
    """Not "Expecting value: line 1 column 1 (char 0)": the error says which service and URL."""

    def handler(request):
        return httpx.Response(200, text="<html><body>Login</body></html>", headers={"content-type": "text/html"})

    with pytest.raises(ApiError) as info:
        call(handler, method, *args, bearer_token=TOKEN)
    err = info.value
    assert err.service == "aem"
    assert err.code == "invalid_response"
    assert err.path == path
    assert err.url.startswith("http://aem.test" + path)
    text = str(err)
    assert text.startswith(f"aem {err.method} {path} -> 200 OK: invalid_response: response is not JSON")
    assert "Expecting value" not in text
    assert TOKEN not in text and TOKEN not in err.url


def test_the_url_in_a_non_json_error_is_redacted():
    """A secret that appears in the URL (here: in the query) is replaced by ***."""
    secret = "p8e-SecretInTheQuery0123456789"

    def handler(request):
        return httpx.Response(200, text="not json")

    async def go():
        async with client(handler, bearer_token=TOKEN) as c:
            c.add_secret(secret)
            response = await c.request("GET", "/libs/dam/mac/shares.json", params={"k": secret})
            return c.json_of(response)

    with pytest.raises(ApiError) as info:
        run(go())
    assert secret not in info.value.url and secret not in str(info.value)
    assert "k=***" in info.value.url


def test_a_json_body_that_is_not_an_object_is_an_invalid_response():
    def handler(request):
        return httpx.Response(200, json=["not", "an", "object"])

    with pytest.raises(ApiError) as info:
        call(handler, "list_shares")
    assert info.value.code == "invalid_response"
    assert "expected a JSON object" in str(info.value)

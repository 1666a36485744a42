"""AemClient against an httpx.MockTransport speaking the AEM rows of docs/api-fidelity.md."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs, parse_qsl

import httpx
import pytest

from reconciler.clients import AuthError, HttpPolicy, NotFoundError
from reconciler.clients.aem import AemClient

PASSWORD = "Adm1n-Pa55word!"


def run(coro):
    return asyncio.run(coro)


class FakeAem:
    """A tiny AEM: CSRF token, Sling POST (JSON), DELETE, GET .json, Query Builder, agents."""

    def __init__(self, *, hits: int = 0) -> None:
        self.requests: list[httpx.Request] = []
        self.csrf_calls = 0
        self.nodes: set[str] = {"/content/dam"}
        self.hits = [{"path": f"/content/dam/f{i}", "name": f"f{i}"} for i in range(hits)]
        self.reject_token: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        auth = request.headers.get("authorization", "")
        if (
            auth != "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
            and auth != "Bearer tkn-123"
        ):
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="Sling (Development)"'})
        if path == "/libs/granite/csrf/token.json":
            self.csrf_calls += 1
            return httpx.Response(200, json={"token": f"csrf-{self.csrf_calls}"})
        if request.method in ("POST", "DELETE") and request.headers.get("csrf-token") == self.reject_token:
            return httpx.Response(403, text="<html><title>Forbidden</title></html>")
        if path == "/bin/querybuilder.json":
            q = dict(request.url.params)
            limit, offset = int(q.get("p.limit", "10")), int(q.get("p.offset", "0"))
            page = self.hits[offset:] if limit == -1 else self.hits[offset : offset + limit]
            return httpx.Response(
                200,
                json={
                    "success": True,
                    "results": len(page),
                    "total": len(self.hits),
                    "more": offset + len(page) < len(self.hits),
                    "offset": offset,
                    "hits": page,
                },
            )
        if request.method == "POST" and ("operation", "delete") in [
            (k.lstrip(":"), v) for k, v in parse_qsl(request.content.decode())
        ]:
            if path not in self.nodes:
                return httpx.Response(404, json={"status.code": 404, "status.message": "Not Found"})
            self.nodes.discard(path)
            return httpx.Response(200, json={"status.code": 200, "changes": [{"type": "deleted", "argument": path}]})
        if request.method == "POST":
            created = path not in self.nodes
            self.nodes.add(path)
            status = 201 if created else 200
            return httpx.Response(
                status,
                headers={"Location": path} if created else {},
                json={
                    "status.code": status,
                    "status.message": "OK",
                    "title": f"Content created {path}",
                    "path": path,
                    "location": path,
                    "parentLocation": path.rsplit("/", 1)[0],
                    "referer": "",
                    "isCreate": created,
                    "changes": [{"type": "created", "argument": path}],
                },
            )
        if request.method == "DELETE":  # a hardened author (WebDAV bundle stopped)
            return httpx.Response(405, text="<html><head><title>405 Method DELETE not supported</title></head></html>")
        if path == "/content/dam.json":
            return httpx.Response(200, json={"jcr:primaryType": "sling:Folder"})
        if path == "/content/dam/a b.2.json":
            return httpx.Response(200, json={"jcr:primaryType": "sling:Folder", "c": {}})
        if path == "/content/dam.infinity.json":
            return httpx.Response(200, json={"jcr:primaryType": "sling:Folder", "deep": {}})
        if path == "/etc/replication/agents.author.2.json":
            return httpx.Response(
                200,
                json={
                    "jcr:primaryType": "cq:Page",
                    "jcr:content": {"jcr:primaryType": "nt:unstructured", "jcr:title": "Agents on author"},
                    "publish": {
                        "jcr:primaryType": "cq:Page",
                        "jcr:content": {
                            "jcr:title": "Default Agent",
                            "enabled": True,
                            "transportUri": "http://localhost:4503/bin/receive?sling:authRequestLogin=1",
                            "transportPassword": "{abc123}",
                        },
                    },
                    "mac-sync-x": {
                        "jcr:primaryType": "cq:Page",
                        "jcr:content": {"serializationType": "mac-sync"},
                    },
                },
            )
        if path == "/etc/replication/agents.author/publish.test.html":
            return httpx.Response(
                200,
                headers={"content-type": "text/html"},
                text=(
                    "<html><body><h2>Replication Test</h2><div>Start test</div><br>"
                    "<code>Replication (TEST) of /content successful.</code><br/>"
                    "<strong>Replication test succeeded</strong></body></html>"
                ),
            )
        if path == "/etc/replication/agents.author/mac-sync-x.test.html":
            return httpx.Response(
                200,
                headers={"content-type": "text/html"},
                text=(
                    "<html><body><div>Sending request</div>\n<div>Replication test failed: 400 "
                    "{&quot;error&quot;:&quot;invalid_token&quot;}</div>\n\n</body></html>"
                ),
            )
        if path == "/etc/cloudservices/marketingcloud/acme.publickey.pem":
            return httpx.Response(200, text="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        return httpx.Response(404)


def client_for(fake, **kw) -> AemClient:
    auth = kw.pop("auth", {"username": "admin", "password": PASSWORD})
    return AemClient(
        "http://aem.test:4502",
        transport=httpx.MockTransport(fake),
        policy=kw.pop("policy", HttpPolicy(max_attempts=2, backoff_initial_s=0.001)),
        **auth,
        **kw,
    )


def test_basic_auth_and_bearer_headers():
    fake = FakeAem()

    async def go():
        async with client_for(fake) as c:
            await c.get_json("/content/dam")
        async with client_for(fake, auth={"bearer_token": "tkn-123"}) as c:
            await c.get_json("/content/dam")

    run(go())
    basic, bearer = (r.headers["authorization"] for r in fake.requests)
    assert basic == "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    assert bearer == "Bearer tkn-123"
    with pytest.raises(ValueError):
        AemClient("http://x", username="a", password="b", bearer_token="c")
    with pytest.raises(ValueError):
        AemClient("http://x")


def test_csrf_token_fetched_once_and_sent_with_referer():
    fake = FakeAem()

    async def go():
        async with client_for(fake) as c:
            r1 = await c.sling_post(
                "/content/dam/shared",
                [("jcr:primaryType", "sling:Folder"), ("jcr:content/jcr:title", "Shared")],
            )
            r2 = await c.sling_post("/content/dam/shared", {"jcr:content/jcr:title": "Shared 2"})
            deleted = await c.delete("/content/dam/shared")
            again = await c.delete("/content/dam/shared")
            return c, r1, r2, deleted, again

    c, r1, r2, deleted, again = run(go())
    assert fake.csrf_calls == 1
    writes = [r for r in fake.requests if r.method in ("POST", "DELETE")]
    assert len(writes) == 4
    for w in writes:
        assert w.headers["csrf-token"] == "csrf-1"
        assert w.headers["referer"] == "http://aem.test:4502/"
    post = writes[0]
    assert post.headers["accept"] == "application/json"
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(post.content.decode()) == [
        ("jcr:primaryType", "sling:Folder"),
        ("jcr:content/jcr:title", "Shared"),
    ]
    assert (r1.status, r1.created, r1.path) == (201, True, "/content/dam/shared")
    assert r1.changes == [{"type": "created", "argument": "/content/dam/shared"}]
    assert r1.location == "/content/dam/shared"
    assert (r2.status, r2.created) == (200, False)
    assert deleted is True and again is False
    for d in writes[2:]:  # deletes go through the Sling POST servlet, never HTTP DELETE
        assert d.method == "POST" and d.url.path == "/content/dam/shared"
        assert parse_qsl(d.content.decode()) == [(":operation", "delete")]
    assert c.request_count == 5


def test_sling_post_multi_value_and_html_fallback():
    seen = []

    def handler(request):
        if request.url.path.endswith("token.json"):
            return httpx.Response(404)  # an AEM without the CSRF servlet: no token header
        seen.append(request)
        return httpx.Response(
            201,
            headers={"Location": "/content/x/y", "content-type": "text/html"},
            text="<html><head><title>Content created /content/x/y</title></head></html>",
        )

    async def go():
        async with AemClient(
            "http://aem.test", username="admin", password="admin", transport=httpx.MockTransport(handler)
        ) as c:
            return await c.sling_post(
                "/content/x/*",
                [("tags", "a"), ("tags", "b"), ("tags@TypeHint", "String[]")],
                idempotent=False,
            )

    result = run(go())
    assert (result.status, result.created, result.path, result.changes) == (201, True, "/content/x/y", [])
    assert parse_qs(seen[0].content.decode()) == {"tags": ["a", "b"], "tags@TypeHint": ["String[]"]}
    assert "csrf-token" not in seen[0].headers


def test_csrf_token_refreshed_once_on_403():
    fake = FakeAem()
    fake.reject_token = "csrf-1"  # the first token has "expired"

    async def go():
        async with client_for(fake) as c:
            return await c.sling_post("/content/dam/x", {"a": "b"})

    assert run(go()).created is True
    assert fake.csrf_calls == 2


def test_get_json_depths_and_missing():
    fake = FakeAem()

    async def go():
        async with client_for(fake) as c:
            return (
                await c.get_json("/content/dam"),
                await c.get_json("/content/dam/a b", 2),
                await c.get_json("/content/dam", "infinity"),
                await c.get_json("/content/dam", -1),
                await c.get_json("/nope", 1),
            )

    zero, two, inf, minus_one, missing = run(go())
    assert zero == {"jcr:primaryType": "sling:Folder"}
    assert two == {"jcr:primaryType": "sling:Folder", "c": {}}
    assert inf == minus_one and "deep" in inf
    assert missing is None
    assert [r.url.raw_path.decode() for r in fake.requests][:2] == [
        "/content/dam.json",
        "/content/dam/a%20b.2.json",
    ]
    with pytest.raises(ValueError):
        run(client_for(fake).get_json("/x", "tidy"))


def test_query_builder_paging():
    fake = FakeAem(hits=2500)

    async def go():
        async with client_for(fake) as c:
            paged = await c.query({"path": "/content/dam", "type": "sling:Folder", "p.limit": "5"})
            everything = await c.query({"path": "/content/dam"}, page_size=None)
            return paged, everything

    paged, everything = run(go())
    assert len(paged) == 2500 and paged[-1]["name"] == "f2499"
    assert len(everything) == 2500
    queries = [dict(r.url.params) for r in fake.requests]
    assert [(q["p.limit"], q.get("p.offset")) for q in queries] == [
        ("1000", "0"),
        ("1000", "1000"),
        ("1000", "2000"),
        ("-1", None),
    ]
    assert queries[0]["type"] == "sling:Folder"


def test_list_agents_in_one_request():
    fake = FakeAem()

    async def go():
        async with client_for(fake) as c:
            return c, await c.list_agents()

    c, agents = run(go())
    assert set(agents) == {"publish", "mac-sync-x"}
    assert agents["publish"]["enabled"] is True
    assert c.request_log == [("GET", "/etc/replication/agents.author.2.json", 200)]


def test_test_agent_parsing():
    fake = FakeAem()

    async def go():
        async with client_for(fake) as c:
            ok = await c.test_agent("publish")
            bad = await c.test_agent("mac-sync-x")
            with pytest.raises(NotFoundError):
                await c.test_agent("missing")
            return ok, bad

    ok, bad = run(go())
    assert ok.ok is True and ok.message == "Replication test succeeded"
    assert "Replication (TEST) of /content successful." in ok.log
    assert bad.ok is False
    assert bad.message == 'Replication test failed: 400 {"error":"invalid_token"}'
    assert "<" not in bad.log


def test_get_text_and_missing():
    fake = FakeAem()

    async def go():
        async with client_for(fake) as c:
            return (
                await c.get_text("/etc/cloudservices/marketingcloud/acme.publickey.pem"),
                await c.get_text("/etc/cloudservices/marketingcloud/other.publickey.pem"),
            )

    pem, missing = run(go())
    assert pem.startswith("-----BEGIN CERTIFICATE-----") and missing is None


def test_check_login_ok_and_wrong_password():
    fake = FakeAem()

    async def go():
        async with client_for(fake) as c:
            await c.check_login()
            await c.sling_post("/content/dam/y", {"a": "b"})  # reuses the token from check_login
        async with client_for(fake, auth={"username": "admin", "password": "wrong-" + PASSWORD}) as c:
            with pytest.raises(AuthError) as info:
                await c.check_login()
            return c, info.value

    c, err = run(go())
    assert fake.csrf_calls == 1
    text = str(err)
    assert err.status == 401 and "\n" not in text
    assert PASSWORD not in text and "wrong-" not in text
    assert "admin" in text and "http://aem.test:4502" in text
    assert c.request_count == 1  # 401 is not retried


def test_sling_post_retried_on_500_when_idempotent_only():
    calls = []

    def handler(request):
        if request.url.path.endswith("token.json"):
            return httpx.Response(200, json={"token": "t"})
        calls.append(request)
        return httpx.Response(500, json={"status.code": 500, "status.message": "boom"})

    async def go(idempotent):
        async with AemClient(
            "http://aem.test",
            username="admin",
            password="admin",
            transport=httpx.MockTransport(handler),
            policy=HttpPolicy(max_attempts=3, backoff_initial_s=0.001, backoff_max_s=0.002),
        ) as c:
            with pytest.raises(Exception, match="boom"):
                await c.sling_post("/content/x", {"a": "b"}, idempotent=idempotent)

    run(go(True))
    assert len(calls) == 3
    calls.clear()
    run(go(False))
    assert len(calls) == 1


def test_default_admin_password_does_not_blank_the_user_name():
    def handler(request):
        if request.url.path.endswith("token.json"):
            return httpx.Response(404)
        return httpx.Response(500, text="cannot modify /home/users/admin")

    async def go():
        async with AemClient(
            "http://aem.test",
            username="admin",
            password="admin",
            transport=httpx.MockTransport(handler),
            policy=HttpPolicy(max_attempts=1),
        ) as c:
            with pytest.raises(Exception) as info:
                await c.sling_post("/home/users/admin", {"a": "b"}, idempotent=False)
            return str(info.value)

    assert "/home/users/admin" in run(go())

"""AEM author emulator: auth, CSRF, Sling GET/POST/DELETE, Query Builder, cloud configuration."""

from __future__ import annotations

import asyncio
import pathlib
import re

from cryptography import x509

from .sandbox_helpers import client_for, make_cloud_config

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_auth_failures_and_bearer(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db) as anon:
            r = await anon.get("/content/dam.json")
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == 'Basic realm="Sling (Development)"'
        async with client_for("aem", db, auth=("admin", "wrong")) as bad:
            assert (await bad.get("/content/dam.json")).status_code == 401
            assert (await bad.post("/content/dam/x", data={"a": "b"})).status_code == 401
        async with client_for("aem", db, headers={"Authorization": "Bearer sandbox-aem-dev-token"}) as tok:
            assert (await tok.get("/content/dam.json")).status_code == 200
        async with client_for("aem", db, headers={"Authorization": "Bearer nope"}) as tok:
            assert (await tok.get("/content/dam.json")).status_code == 401
        async with client_for("aem", db, auth=("admin", "admin")) as ok:
            assert (await ok.get("/system/sling/login")).status_code == 200

    run(go())


def test_csrf_for_browser_agents(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            data = {"jcr:primaryType": "sling:Folder"}
            r = await aem.post("/content/dam/a", data=data, headers={"User-Agent": BROWSER})
            assert r.status_code == 403
            r = await aem.post(
                "/content/dam/a",
                data=data,
                headers={"User-Agent": BROWSER, "Referer": "http://aem.sandbox/x"},
            )
            assert r.status_code == 403  # referer but no CSRF token
            token = (await aem.get("/libs/granite/csrf/token.json")).json()["token"]
            assert token.count(".") == 2
            r = await aem.post(
                "/content/dam/a",
                data=data,
                headers={"User-Agent": BROWSER, "Referer": "http://evil.example/", "CSRF-Token": token},
            )
            assert r.status_code == 403  # foreign referer
            r = await aem.post(
                "/content/dam/a",
                data=data,
                headers={"User-Agent": BROWSER, "Referer": "http://aem.sandbox/x", "CSRF-Token": token},
            )
            assert r.status_code == 201
            r = await aem.post(
                "/content/dam/b",
                data={**data, ":cq_csrf_token": token},
                headers={"User-Agent": BROWSER, "Referer": "/assets.html"},
            )
            assert r.status_code == 201
            r = await aem.delete("/content/dam/b", headers={"User-Agent": BROWSER})
            assert r.status_code == 403
            # Non-browser agents are not checked.
            r = await aem.post("/content/dam/c", data=data, headers={"User-Agent": "curl/8.0"})
            assert r.status_code == 201

    run(go())


def test_sling_post_create_modify_delete(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            js = {"Accept": "application/json"}
            r = await aem.post(
                "/content/dam/mc-demo",
                data={"jcr:primaryType": "sling:Folder", "jcr:content/jcr:title": "MC Demo"},
                headers=js,
            )
            assert r.status_code == 201
            assert r.headers["location"] == "/content/dam/mc-demo"
            body = r.json()
            assert body["isCreate"] is True and body["status.code"] == 201
            assert body["title"] == "Content created /content/dam/mc-demo"
            assert body["parentLocation"] == "/content/dam"
            assert {"type": "created", "argument": "/content/dam/mc-demo"} in body["changes"]
            node = (await aem.get("/content/dam/mc-demo.1.json")).json()
            assert node["jcr:primaryType"] == "sling:Folder"
            assert node["jcr:content"] == {"jcr:primaryType": "nt:unstructured", "jcr:title": "MC Demo"}

            # Modify: params from the query string, type hints, multi-values, HTML response.
            r = await aem.post(
                "/content/dam/mc-demo/jcr:content",
                params={"flag": "true", "flag@TypeHint": "Boolean", "count": "7", "count@TypeHint": "Long"},
                data={"tags": ["a", "b"], "one@TypeHint": "String[]", "one": "x"},
            )
            assert r.status_code == 200
            assert "<title>Content modified /content/dam/mc-demo/jcr:content</title>" in r.text
            assert 'id="Message"' in r.text
            content = (await aem.get("/content/dam/mc-demo/jcr:content.json")).json()
            assert content["flag"] is True and content["count"] == 7
            assert content["tags"] == ["a", "b"] and content["one"] == ["x"]

            # Existing Boolean keeps its type without a hint; empty value removes; @Delete removes.
            r = await aem.post(
                "/content/dam/mc-demo/jcr:content",
                files={"flag": (None, "false"), "count": (None, ""), "tags@Delete": (None, "")},
                headers=js,
            )
            assert r.status_code == 200 and r.json()["isCreate"] is False
            content = (await aem.get("/content/dam/mc-demo/jcr:content.json")).json()
            assert content["flag"] is False and "count" not in content and "tags" not in content

            # HTML create title (ruby_aem parses it)
            r = await aem.post("/content/dam/other", data={"jcr:primaryType": "sling:OrderedFolder"})
            assert r.status_code == 201 and "<title>Content created /content/dam/other</title>" in r.text

            # :operation=delete and DELETE
            r = await aem.post("/content/dam/other", data={":operation": "delete"}, headers=js)
            assert r.status_code == 200
            r = await aem.post("/content/dam/other", data={":operation": "delete"})
            assert r.status_code == 404
            assert (await aem.delete("/content/dam/mc-demo")).status_code == 204
            assert (await aem.get("/content/dam/mc-demo/jcr:content.json")).status_code == 404
            assert (await aem.delete("/content/dam/mc-demo")).status_code == 404

            # Name generation and encrypted passwords
            r = await aem.post("/content/dam/*", data={"jcr:title": "My Folder", "jcr:primaryType": "sling:Folder"})
            assert r.status_code == 201
            assert (await aem.get("/content/dam/my_folder.json")).status_code == 200
            await aem.post("/etc/replication/agents.author/publish/jcr:content", data={"transportPassword": "s3cret"})
            agent = (await aem.get("/etc/replication/agents.author/publish/jcr:content.json")).json()
            assert agent["transportPassword"].startswith("{") and "s3cret" not in agent["transportPassword"]

    run(go())


def test_get_depth_selectors(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            zero = (await aem.get("/content/dam.json")).json()
            assert zero["jcr:primaryType"] == "sling:OrderedFolder" and "we-retail" not in zero
            one = (await aem.get("/content/dam.1.json")).json()
            assert one["we-retail"]["jcr:primaryType"] == "sling:OrderedFolder"
            assert "jcr:content" not in one["we-retail"]
            two = (await aem.get("/content/dam.2.json")).json()
            assert two["we-retail"]["jcr:content"]["jcr:title"] == "We.Retail"
            for sel in ("infinity", "-1"):
                full = (await aem.get(f"/content.{sel}.json")).json()
                assert full["dam"]["we-retail"]["jcr:content"]["jcr:title"] == "We.Retail"
            assert (await aem.get("/content/dam.abc.json")).status_code == 400
            assert (await aem.get("/content/nothing.json")).status_code == 404
            agents = (await aem.get("/etc/replication/agents.author.1.json")).json()
            assert {"publish", "publish_reverse"} <= set(agents)
            publish = (await aem.get("/etc/replication/agents.author/publish.1.json")).json()["jcr:content"]
            assert publish["transportUri"] == "http://localhost:4503/bin/receive?sling:authRequestLogin=1"
            assert publish["serializationType"] == "durbo" and publish["enabled"] == "true"
            tidy = await aem.get("/content/dam.tidy.1.json")
            assert tidy.status_code == 200 and "\n" in tidy.text
            r = await aem.get("/content/dam")
            assert r.status_code == 302

    run(go())


def test_query_builder(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            for i in range(12):
                await aem.post(
                    f"/content/dam/f{i:02d}",
                    data={"jcr:primaryType": "sling:Folder", "jcr:content/jcr:title": f"F{i}"},
                )
            q = {"path": "/content/dam", "type": "sling:Folder", "p.limit": "-1"}
            r = (await aem.get("/bin/querybuilder.json", params=q)).json()
            paths = [h["path"] for h in r["hits"]]
            assert "/content/dam/we-retail" in paths  # sling:OrderedFolder is a sling:Folder
            assert r["total"] == 13 and r["results"] == 13 and r["more"] is False and r["success"] is True
            r = (await aem.get("/bin/querybuilder.json", params={**q, "type": "sling:OrderedFolder"})).json()
            assert [h["path"] for h in r["hits"]] == ["/content/dam/we-retail"]
            r = (
                await aem.get("/bin/querybuilder.json", params={"path": "/content/dam", "type": "sling:Folder"})
            ).json()
            assert r["results"] == 10 and r["total"] == 13 and r["more"] is True and r["offset"] == 0
            r = (
                await aem.get(
                    "/bin/querybuilder.json",
                    params={
                        "path": "/content/dam",
                        "type": "sling:Folder",
                        "p.offset": "10",
                        "p.limit": "10",
                    },
                )
            ).json()
            assert r["results"] == 3 and r["more"] is False
            r = (
                await aem.get(
                    "/bin/querybuilder.json",
                    params={
                        "path": "/content/dam",
                        "type": "sling:Folder",
                        "1_property": "jcr:content/jcr:title",
                        "1_property.value": "F3",
                        "p.hits": "full",
                        "p.nodedepth": "1",
                    },
                )
            ).json()
            assert r["total"] == 1
            hit = r["hits"][0]
            assert hit["jcr:path"] == "/content/dam/f03" and hit["jcr:content"]["jcr:title"] == "F3"
            r = (
                await aem.get(
                    "/bin/querybuilder.json",
                    params={
                        "path": "/etc/replication/agents.author",
                        "nodename": "publish*",
                        "type": "cq:Page",
                    },
                )
            ).json()
            assert sorted(h["name"] for h in r["hits"]) == ["publish", "publish_reverse"]
            r = (
                await aem.get(
                    "/bin/querybuilder.json",
                    params={
                        "path": "/content/dam",
                        "nodename": "f0*",
                        "p.hits": "selective",
                        "p.properties": "jcr:path",
                    },
                )
            ).json()
            assert r["hits"][0] == {"jcr:path": "/content/dam/f00"}

    run(go())


def test_cloud_config_side_effects_and_public_key(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            base = "/etc/cloudservices/marketingcloud/acme"
            r = await aem.post(base, data={"jcr:primaryType": "cq:Page", "jcr:content/jcr:title": "Acme"})
            assert r.status_code == 201
            assert (await aem.get(base + ".publickey.pem")).status_code == 404
            agents = (await aem.get("/etc/replication/agents.author.1.json")).json()
            assert "mac-sync-acme" not in agents
            r = await make_cloud_config(aem, "0123456789abcdef0123456789abcdef")
            assert r.status_code == 200
            content = (await aem.get(base + "/jcr:content.json")).json()
            assert content["jcr:primaryType"] == "cq:PageContent" and content["syncEnabled"] is True
            pem = await aem.get(base + ".publickey.pem")
            assert pem.status_code == 200 and pem.headers["content-type"].startswith("text/plain")
            cert = x509.load_pem_x509_certificate(pem.content)
            assert cert.subject.rfc4514_string() == "CN=mac-acme-replication"
            agents = (await aem.get("/etc/replication/agents.author.1.json")).json()
            for name in ("mac-sync-acme", "mac-sync-acme-1"):
                a = (await aem.get(f"/etc/replication/agents.author/{name}/jcr:content.json")).json()
                assert a["serializationType"] == "mac-sync"
                assert a["transportUri"] == "https://acme.experiencecloud.adobe.com/api/sync"
                assert a["userId"] == "mac-acme-replication" and a["macConfig"] == base
                assert a["enabled"] == "true"
            # A later save keeps the key and the agents.
            await aem.post(base + "/jcr:content", data={"jcr:title": "Acme 2", "clientId": "f" * 32})
            assert (await aem.get(base + ".publickey.pem")).text == pem.text
            # Deleting the configuration keeps the agents.
            assert (await aem.delete(base)).status_code == 204
            assert (await aem.get(base + ".publickey.pem")).status_code == 404
            agents = (await aem.get("/etc/replication/agents.author.1.json")).json()
            assert "mac-sync-acme" in agents and "mac-sync-acme-1" in agents

    run(go())


def test_default_agent_test_connection_fails(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            r = await aem.get("/etc/replication/agents.author/publish.test.html")
            assert r.status_code == 200
            lines = [ln for ln in re.sub(r"<[^>]+>", "\n", r.text).splitlines() if ln.strip()]
            assert lines[-1] == "Replication test failed: Connection refused"
            await aem.post("/etc/replication/agents.author/publish/jcr:content", data={"enabled": "false"})
            r = await aem.get("/etc/replication/agents.author/publish/jcr:content.test.html")
            assert "Replication test failed: agent is disabled" in r.text
            assert (await aem.get("/content/dam.test.html")).status_code == 404

    run(go())


def test_unauthenticated_sandbox_endpoints(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db) as anon:
            r = await anon.get("/_sandbox/health")
            assert r.json() == {"status": "ok", "service": "aem"}

    run(go())


def test_concurrent_writes_in_one_loop(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            rs = await asyncio.gather(
                *[aem.post(f"/content/dam/c{i}", data={"jcr:primaryType": "sling:Folder"}) for i in range(20)],
                *[aem.post("/content/dam/same", data={"jcr:primaryType": "sling:Folder"}) for _ in range(5)],
            )
            codes = [r.status_code for r in rs]
            assert codes[:20] == [201] * 20
            assert sorted(codes[20:]) == [200, 200, 200, 200, 201]
            listing = (await aem.get("/content/dam.1.json")).json()
            assert sum(1 for k in listing if k.startswith("c") and k[1:].isdigit()) == 20

    run(go())

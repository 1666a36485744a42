"""Fault injection, persistence across app instances and processes, world helpers, isolation."""

from __future__ import annotations

import ast
import asyncio
import pathlib
import subprocess
import sys
import time

import pytest

from reconciler.sandbox import (
    SandboxCrash,
    SandboxDown,
    clear_faults,
    create_app,
    get_faults,
    reset_world,
    set_faults,
    world_counts,
)

from .sandbox_helpers import client_for, console_headers

SANDBOX_DIR = pathlib.Path(__file__).resolve().parents[2] / "reconciler" / "sandbox"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_latency(db: pathlib.Path) -> None:
    set_faults(db, latency_ms=150)

    async def go() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            start = time.monotonic()
            assert (await aem.get("/content.json")).status_code == 200
            assert time.monotonic() - start >= 0.14
            start = time.monotonic()
            await aem.get("/_sandbox/health")  # exempt
            assert time.monotonic() - start < 0.14

    run(go())


def test_fail_next_with_429_and_default_503(db: pathlib.Path) -> None:
    set_faults(db, fail_next=2, fail_status=429, retry_after=3)

    async def go() -> None:
        async with (
            client_for("console", db) as console,
            client_for("aem", db, auth=("admin", "admin")) as aem,
        ):
            assert (await console.get("/_sandbox/health")).status_code == 200  # exempt, not counted
            r = await console.get("/console/organizations")
            assert r.status_code == 429 and r.headers["retry-after"] == "3"
            assert r.json()["error_code"] == "429050"
            r = await aem.post("/content/dam/x", data={"jcr:primaryType": "sling:Folder"})
            assert r.status_code == 429
            assert (await aem.get("/content/dam/x.json")).status_code == 404  # nothing was done
            assert (await aem.get("/content.json")).status_code == 200
        assert get_faults(db)["fail_next"] == 0
        set_faults(db, fail_next=1, fail_status=503)
        async with client_for("ims", db) as ims:
            r = await ims.post("/ims/token/v3")
            assert r.status_code == 503 and "retry-after" not in r.headers

    run(go())


def test_crash_after_writes(db: pathlib.Path) -> None:
    set_faults(db, crash_after_writes=2)

    async def go() -> None:
        async with (
            client_for("aem", db, auth=("admin", "admin")) as aem,
            client_for("ims", db) as ims,
            client_for("console", db) as console,
        ):
            h = await console_headers(ims)  # IMS token requests are not writes
            r = await console.post(
                "/console/organizations/23294/projects",
                headers=h,
                json={"name": "p1", "title": "p1", "type": "default"},
            )
            assert r.status_code == 201  # write 1
            r = await console.post(
                "/console/organizations/23294/projects",
                headers=h,
                json={"name": "p1", "title": "p1", "type": "default"},
            )
            assert r.status_code == 409  # a failed write is not counted
            assert get_faults(db)["writes"] == 1
            with pytest.raises(SandboxCrash):
                await aem.post("/content/dam/second", params={"x": "1"})  # write 2: committed, then crash
            assert get_faults(db)["writes"] == 2
            with pytest.raises(SandboxDown):
                await console.get("/console/organizations", headers=h)

    run(go())
    clear_faults(db)
    assert world_counts(db)["nodes"]["/content/dam/second"] == "sling:OrderedFolder"  # the default child type of /content/dam
    set_faults(db, crash_after_writes=1)

    async def go2() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            with pytest.raises(SandboxCrash):
                await aem.post("/content/dam/committed", data={"jcr:primaryType": "sling:Folder"})
            with pytest.raises(SandboxDown):
                await aem.get("/content.json")
            assert (await aem.get("/_sandbox/health")).status_code == 200
            assert (await aem.delete("/_sandbox/faults")).json()["crashed"] is False
            assert (await aem.get("/content/dam/committed.json")).status_code == 200  # the write was committed

    run(go2())
    assert get_faults(db)["crashed"] is False


def test_faults_endpoint(db: pathlib.Path) -> None:
    async def go() -> None:
        async with client_for("ims", db) as ims:
            r = await ims.put("/_sandbox/faults", json={"latency_ms": 5, "fail_status": 500})
            assert r.status_code == 200 and r.json()["latency_ms"] == 5 and r.json()["fail_status"] == 500
            assert (await ims.put("/_sandbox/faults", json={"bogus": 1})).status_code == 400
            assert (await ims.put("/_sandbox/faults", json={"fail_next": -1})).status_code == 400
            assert (await ims.get("/_sandbox/faults")).json()["latency_ms"] == 5
            assert (await ims.delete("/_sandbox/faults")).json()["latency_ms"] == 0

    run(go())
    with pytest.raises(ValueError):
        set_faults(db, nope=1)


def test_persistence_across_instances_and_processes(db: pathlib.Path) -> None:
    async def write() -> None:
        async with client_for("aem", db, auth=("admin", "admin")) as aem:
            assert (await aem.post("/content/dam/kept", data={"jcr:primaryType": "sling:Folder"})).status_code == 201

    async def read() -> int:
        app = create_app("aem", db)  # a second, independent instance
        import httpx

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://a", auth=("admin", "admin")
        ) as aem:
            return (await aem.get("/content/dam/kept.json")).status_code

    run(write())
    assert run(read()) == 200
    code = (
        "import asyncio, httpx, sys\n"
        "from reconciler.sandbox import create_app\n"
        "async def main():\n"
        "    app = create_app('aem', sys.argv[1])\n"
        "    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://a',"
        " auth=('admin', 'admin')) as c:\n"
        "        r = await c.get('/content/dam/kept.json')\n"
        "        r2 = await c.post('/content/dam/from-child', data={'jcr:primaryType': 'sling:Folder'})\n"
        "        print(r.status_code, r2.status_code)\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["200", "201"], out.stderr
    assert world_counts(db)["nodes"]["/content/dam/from-child"] == "sling:Folder"
    reset_world(db)
    assert "/content/dam/kept" not in world_counts(db)["nodes"]


def test_sandbox_imports_nothing_else_from_reconciler() -> None:
    for path in SANDBOX_DIR.rglob("*.py"):  # every service package too
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith("reconciler"), f"{path.name}: {node.module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("reconciler"), f"{path.name}: {alias.name}"

"""The clients package stays a leaf: no imports of engine, kinds, sandbox or config."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path

import httpx

import reconciler.clients
from reconciler.clients.aem import AemClient

FORBIDDEN = ("reconciler.engine", "reconciler.kinds", "reconciler.sandbox", "reconciler.config")


def test_clients_import_nothing_forbidden():
    root = Path(reconciler.clients.__file__).parent
    offenders = []
    for source in root.rglob("*.py"):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                names = [base] + [f"{base}.{a.name}" for a in node.names]
                if node.level:
                    names = [f"reconciler.{n}" if n else "reconciler" for n in names]
            offenders += [f"{source.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []


def test_works_over_an_asgi_transport():
    """The sandbox path: an ASGI app injected as transport (here a bare ASGI callable)."""

    async def app(scope, receive, send):
        assert scope["type"] == "http"
        body = json.dumps({"jcr:primaryType": "sling:Folder", "path": scope["path"]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def go():
        async with AemClient(
            "http://aem", username="admin", password="admin", transport=httpx.ASGITransport(app=app)
        ) as client:
            return await client.get_json("/content/dam", 1)

    assert asyncio.run(go()) == {"jcr:primaryType": "sling:Folder", "path": "/content/dam.1.json"}

"""Fixtures of the end-to-end layer: sandbox worlds built the click-ops way (``clickops.py``).

- ``clickops_served``: the seeds' setup (``clickops.SEED_WORLD``) clicked together over real HTTP on
  the ``served`` sandbox, and a configuration directory holding only ``version:`` and
  ``connections:`` for it (``ClickOpsSetup``).
- ``embedded_services(db)``: httpx clients on the in-process sandbox apps of world ``db``, for tests
  that build many worlds (AEM authenticated as admin); ``clicked_config(dir, world)``: a
  connections-only configuration whose in-process world has ``world`` clicked together.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import SERVICES, create_app, reset_world
from tests.helpers import CLIENT_ID, WORKFRONT_API_KEY, Served

from .clickops import SEED_WORLD, ClickOpsWorld, build_world

#: the environment the exported (and the source) connections read their secrets from
EXPORT_ENV = {"AEM_PASSWORD": "admin", "ADOBE_CLIENT_SECRET": "p8e-SandboxReconcilerSecret0123456789ab",
              "WF_API_KEY": WORKFRONT_API_KEY}


def connections_yaml(aem: str, ims: str, console: str, umapi: str, workfront: str) -> str:
    """A configuration with only ``version`` and ``connections`` (the Workfront API key in clear, the
    other secrets from the environment)."""
    return "\n".join([
        "version: 1",
        "connections:",
        f"  author: {{type: aem, url: '{aem}', username: admin, password: '${{env:AEM_PASSWORD}}'}}",
        "  adobe:",
        "    type: adobe",
        f"    ims_url: '{ims}'",
        f"    console_url: '{console}'",
        f"    umapi_url: '{umapi}'",
        f"    client_id: {CLIENT_ID}",
        "    client_secret: ${env:ADOBE_CLIENT_SECRET}",
        f"  wf: {{type: workfront, url: '{workfront}', auth: api_key, api_key: {WORKFRONT_API_KEY}}}",
        "",
    ])


SANDBOX_CONNECTIONS = connections_yaml(
    "sandbox://aem", "sandbox://ims", "sandbox://console", "sandbox://umapi", "sandbox://workfront"
)


@contextlib.asynccontextmanager
async def embedded_services(db: Path) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Service name -> an httpx client on that in-process sandbox app of world ``db``."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for service in SERVICES:
            auth = ("admin", "admin") if service == "aem" else None
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service, db)),
                                       base_url=f"http://{service}.sandbox", auth=auth)
            clients[service] = await stack.enter_async_context(client)
        yield clients


def clicked_config(
    config: Path,
    world: ClickOpsWorld,
    then: Callable[[dict[str, httpx.AsyncClient]], Awaitable[None]] | None = None,
) -> Path:
    """``config`` (created): a configuration holding only the ``sandbox://`` connections, whose
    fresh world (``config/.reconciler/sandbox.db``) has ``world`` clicked together through the
    services' HTTP APIs, then ``then(services)`` (more clicks) when given. Returns ``config``."""
    config.mkdir(parents=True)
    (config / "main.yaml").write_text(SANDBOX_CONNECTIONS)
    db = config / ".reconciler" / "sandbox.db"
    reset_world(db)

    async def go() -> None:
        async with embedded_services(db) as services:
            await build_world(services, world, aem_url="sandbox://aem")
            if then is not None:
                await then(services)

    asyncio.run(go())
    return config


@dataclass(frozen=True)
class ClickOpsSetup:
    """A clicked-together world on ``served`` and ``config``, a directory whose only file holds the
    connections to it; ``client_id``: the application's ID the click-ops steps made."""

    served: Served
    config: Path
    client_id: str


@pytest.fixture
def clickops_served(served: Served, tmp_path: Path) -> ClickOpsSetup:
    """``clickops.SEED_WORLD`` built over HTTP on the served sandbox (see the module docstring)."""

    async def go() -> str:
        async with contextlib.AsyncExitStack() as stack:
            clients = {}
            for service in SERVICES:
                auth = ("admin", "admin") if service == "aem" else None
                clients[service] = await stack.enter_async_context(
                    httpx.AsyncClient(base_url=served.url(service), auth=auth, timeout=30))
            app = await build_world(clients, SEED_WORLD, aem_url=served.url("aem"))
            return app["client_id"]

    client_id = asyncio.run(go())
    config = tmp_path / "existing"
    config.mkdir()
    umapi = f"{served.url('umapi')}/v2/usermanagement"
    (config / "main.yaml").write_text(connections_yaml(
        served.url("aem"), served.url("ims"), served.url("console"), umapi, served.url("workfront")))
    return ClickOpsSetup(served, config, client_id)

"""The sandbox's service registry is the single source of the emulated services."""

from __future__ import annotations

import pathlib

import httpx
import pytest
from starlette.applications import Starlette

from reconciler import sandbox, wiring
from reconciler.sandbox import DEFAULT_PORTS, REGISTRY, SERVICES, create_app, server

from .sandbox_helpers import client_for


def test_every_registered_service_has_a_port_an_app_and_a_description(db: pathlib.Path) -> None:
    assert SERVICES == tuple(REGISTRY) == ("aem", "ims", "console", "umapi", "workfront")
    assert DEFAULT_PORTS == {name: svc.port for name, svc in REGISTRY.items()}
    assert server.DEFAULT_PORTS is DEFAULT_PORTS and sandbox.DEFAULT_PORTS is DEFAULT_PORTS
    assert len(set(DEFAULT_PORTS.values())) == len(DEFAULT_PORTS)  # no two services on one port
    for name, svc in REGISTRY.items():
        assert svc.name == name and svc.description
        app = create_app(name, db)
        assert isinstance(app, Starlette) and app.state.sandbox_options["crash_mode"] == "raise"
    with pytest.raises(ValueError, match="unknown sandbox service 'nope'"):
        create_app("nope", db)


async def _health(service: str, db: pathlib.Path) -> dict[str, str]:
    async with client_for(service, db) as c:
        r = await c.get("/_sandbox/health")
        assert r.status_code == 200
        body: dict[str, str] = r.json()
        return body


def test_each_app_answers_health_with_its_registered_name(db: pathlib.Path) -> None:
    import asyncio

    for name in REGISTRY:
        assert asyncio.run(_health(name, db)) == {"status": "ok", "service": name}


def test_wiring_uses_the_registry(tmp_path: pathlib.Path) -> None:
    transports = wiring.SandboxTransports(tmp_path / "sandbox.db")
    for name in REGISTRY:
        url, transport = transports(f"sandbox://{name}")
        assert url == f"http://{name}.sandbox.invalid" and isinstance(transport, httpx.AsyncBaseTransport)
    with pytest.raises(ValueError, match="use one of aem, ims, console, umapi, workfront"):
        transports("sandbox://nope")
    assert not hasattr(wiring, "SANDBOX_SERVICES")  # no second list of services
    # serve() binding every registered service: test_sandbox_serve.test_serve_port_zero_reports_bound_ports

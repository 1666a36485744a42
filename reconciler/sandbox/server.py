"""Serving every registered emulator (``registry.REGISTRY``) on real TCP ports with uvicorn
(``reconciler sandbox serve``)."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

import uvicorn

from .registry import DEFAULT_PORTS, REGISTRY, create_app


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def _serve(
    db_path: Path,
    host: str,
    ports: dict[str, int],
    ready: threading.Event | None,
    stop: threading.Event | None,
    bound_ports: dict[str, int] | None,
    log_level: str,
) -> None:
    sockets: dict[str, socket.socket] = {}
    try:
        for service in REGISTRY:
            sockets[service] = _bind(host, ports[service])
    except OSError:
        for listener in sockets.values():
            listener.close()
        raise
    actual = {svc: s.getsockname()[1] for svc, s in sockets.items()}
    if bound_ports is not None:
        bound_ports.update(actual)
    url_host = f"[{host}]" if ":" in host else host
    servers: list[uvicorn.Server] = []
    tasks: list[asyncio.Task[Any]] = []
    for service, listener in sockets.items():
        app = create_app(service, db_path, ims_url=f"http://{url_host}:{actual['ims']}")
        app.state.sandbox_options["crash_mode"] = "respond"
        config = uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        servers.append(server)
        tasks.append(asyncio.create_task(server.serve(sockets=[listener])))
    try:
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                raise RuntimeError("a sandbox server failed to start")
            await asyncio.sleep(0.02)
        if ready is not None:
            ready.set()
        while not any(s.should_exit for s in servers) and not any(t.done() for t in tasks):
            if stop is not None and stop.is_set():
                break
            await asyncio.sleep(0.05)
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for listener in sockets.values():
            listener.close()


def serve(
    db_path: Path | str,
    *,
    host: str = "127.0.0.1",
    ports: dict[str, int] | None = None,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
    bound_ports: dict[str, int] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve every service of ``REGISTRY`` on real ports in this process (blocking).

    ``ports`` maps service names to TCP ports; a service not named gets its ``DEFAULT_PORTS`` port
    (aem 4502, ims 4510, console 4511, umapi 4512, workfront 4513); 0 picks a free port, reported
    in ``bound_ports`` (name -> port) if given. The AEM app's Test Connection calls IMS at
    ``http://<host>:<ims port>``. ``ready`` is set once all services accept connections; setting
    ``stop`` (or SIGINT/SIGTERM) shuts them all down and returns. Over real HTTP the crash faults
    answer 503 with ``Connection: close`` instead of raising. Raises ``OSError`` when a port
    cannot be bound.
    """
    merged = {**DEFAULT_PORTS, **(ports or {})}
    asyncio.run(_serve(Path(db_path), host, merged, ready, stop, bound_ports, log_level))

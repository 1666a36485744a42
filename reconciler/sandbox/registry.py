"""The one list of emulated services: name, default port, description and app factory.

``create_app``, ``serve`` (``server.py``), ``DEFAULT_PORTS`` and ``reconciler.wiring``'s
``sandbox://<service>`` URLs all derive from ``REGISTRY``; adding a service is one ``Service(...)``
line here plus the service's own ``<name>/models.py`` and ``<name>/routes.py``
(the checklist in docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from .aem.routes import create_aem_app
from .console.routes import create_console_app
from .ims.routes import create_ims_app
from .umapi.routes import create_umapi_app
from .workfront.routes import create_workfront_app
from .world import World, ensure_world

AppFactory = Callable[[World, dict[str, Any], str], Starlette]
"""``factory(world, options, ims_url) -> app``: ``options`` is the app's mutable settings dict
(``crash_mode`` ``"raise"``/``"respond"``, exposed as ``app.state.sandbox_options``); ``ims_url`` is
where a service that calls IMS itself (AEM's Test Connection) sends its requests."""


@dataclass(frozen=True)
class Service:
    """One emulated service.

    ``name`` is the ``sandbox://<name>`` host and the ``service`` of ``/_sandbox/health``;
    ``port`` the default TCP port of ``reconciler sandbox serve`` (its ``--<name>-port`` option);
    ``description`` a human name; ``base_path`` the API's path below the server root and ``hint``
    a short note, both only printed by ``sandbox serve`` (``http://host:port<base_path>``).
    """

    name: str
    port: int
    description: str
    factory: AppFactory
    base_path: str = ""
    hint: str = ""


REGISTRY: dict[str, Service] = {
    s.name: s
    for s in (
        Service("aem", 4502, "AEM author", create_aem_app, hint="admin/admin"),
        Service("ims", 4510, "Adobe IMS", create_ims_app),
        Service("console", 4511, "Adobe Developer Console", create_console_app),
        Service("umapi", 4512, "User Management API", create_umapi_app, base_path="/v2/usermanagement"),
        Service("workfront", 4513, "Workfront", create_workfront_app, base_path="/attask/api/v21.0"),
    )
}
"""Every emulated service by name, in serving order."""

SERVICES: tuple[str, ...] = tuple(REGISTRY)
"""The service names, in registry order."""

DEFAULT_PORTS: dict[str, int] = {s.name: s.port for s in REGISTRY.values()}
"""Service name -> default TCP port of ``reconciler sandbox serve``."""


def create_app(service: str, db_path: Path | str, *, ims_url: str = "sandbox://ims") -> Starlette:
    """The ASGI app of one emulated service, by its ``REGISTRY`` name (``"aem"``, ``"ims"``, ...).

    All apps created on the same ``db_path`` share one world (created and seeded on first use;
    the parent directory is created). ``ims_url`` is only used by the AEM app, for Test Connection
    of mac-sync agents: ``sandbox://ims`` exchanges the JWT in-process (``httpx.ASGITransport`` on
    an IMS app of the same world), an ``http(s)://`` base URL makes a real HTTP call.

    In-process, an app raises ``SandboxCrash`` when the crash-after-N-writes fault fires and
    ``SandboxDown`` for every later request until ``clear_faults``. Raises ``ValueError`` for an
    unknown service.
    """
    if service not in REGISTRY:
        raise ValueError(f"unknown sandbox service {service!r}; expected one of {', '.join(SERVICES)}")
    world = World(db_path)
    ensure_world(world.path)
    options: dict[str, Any] = {"crash_mode": "raise"}
    return REGISTRY[service].factory(world, options, ims_url)

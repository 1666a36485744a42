"""A faithful local emulator of AEM author, Adobe IMS and the Adobe Developer Console.

Three Starlette ASGI apps share one world kept in a SQLite file, so that separate processes
(``plan``, ``apply``, ``plan``) and concurrent requests see the same state. What each endpoint
does, and which behaviour is confirmed or assumed, is in ``docs/api-fidelity.md``.

This package imports nothing from the rest of ``reconciler`` (the clients and the emulator share
no code, so a protocol mistake on one side is not mirrored on the other).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from .aem import create_aem_app
from .common import SandboxCrash, SandboxDown
from .console import create_console_app
from .ims import create_ims_app
from .server import DEFAULT_PORTS, serve
from .umapi import create_umapi_app
from .workfront import create_workfront_app
from .world import (
    SEED,
    World,
    add_umapi_users,
    clear_faults,
    ensure_world,
    get_faults,
    reset_world,
    set_creative_cloud_entitlement,
    set_faults,
    set_umapi_membership,
    set_umapi_rate_limits,
    umapi_snapshot,
    world_counts,
)

SERVICES = ("aem", "ims", "console", "umapi", "workfront")

__all__ = [
    "DEFAULT_PORTS",
    "SEED",
    "SERVICES",
    "SandboxCrash",
    "SandboxDown",
    "add_umapi_users",
    "clear_faults",
    "create_app",
    "get_faults",
    "reset_world",
    "serve",
    "set_creative_cloud_entitlement",
    "set_faults",
    "set_umapi_membership",
    "set_umapi_rate_limits",
    "umapi_snapshot",
    "world_counts",
]


def create_app(service: str, db_path: Path | str, *, ims_url: str = "sandbox://ims") -> Starlette:
    """The ASGI app of one emulated service: ``"aem"``, ``"ims"``, ``"console"`` or ``"umapi"``.

    All apps created on the same ``db_path`` share one world (created and seeded on first use;
    the parent directory is created). ``ims_url`` is only used by the AEM app, for Test Connection
    of mac-sync agents: ``sandbox://ims`` exchanges the JWT in-process (``httpx.ASGITransport`` on
    ``create_app("ims", db_path)``), an ``http(s)://`` base URL makes a real HTTP call.

    In-process, an app raises ``SandboxCrash`` when the crash-after-N-writes fault fires and
    ``SandboxDown`` for every later request until ``clear_faults``. Raises ``ValueError`` for an
    unknown service.
    """
    if service not in SERVICES:
        raise ValueError(f"unknown sandbox service {service!r}; expected one of {', '.join(SERVICES)}")
    world = World(db_path)
    ensure_world(world.path)
    options: dict[str, object] = {"crash_mode": "raise"}
    if service == "aem":
        return create_aem_app(world, ims_url, options, lambda: create_app("ims", world.path))
    if service == "ims":
        return create_ims_app(world, options)
    if service == "umapi":
        return create_umapi_app(world, options)
    if service == "workfront":
        return create_workfront_app(world, options)
    return create_console_app(world, options)

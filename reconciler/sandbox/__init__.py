"""A faithful local emulator of AEM author, Adobe IMS, the Adobe Developer Console, the User
Management API and Workfront.

One Starlette ASGI app per service (the list is ``registry.REGISTRY``); all of them share one world
kept in a SQLite file (``world.py``), so that separate processes (``plan``, ``apply``, ``plan``) and
concurrent requests see the same state. Each service is a package in the moto shape:
``<service>/models.py`` owns the state and the rules, ``<service>/routes.py`` only translates HTTP
to model calls and back. What each endpoint does, and which behaviour is confirmed or assumed, is
in ``docs/api-fidelity.md``.

This package imports nothing from the rest of ``reconciler`` (the clients and the emulator share
no code, so a protocol mistake on one side is not mirrored on the other).
"""

from __future__ import annotations

from .common import SandboxCrash, SandboxDown
from .registry import DEFAULT_PORTS, REGISTRY, SERVICES, Service, create_app
from .server import serve
from .world import (
    SEED,
    add_umapi_users,
    aem_hardened,
    clear_faults,
    get_faults,
    reset_world,
    seed_summary,
    set_aem_hardened,
    set_creative_cloud_entitlement,
    set_faults,
    set_umapi_membership,
    set_umapi_rate_limits,
    umapi_snapshot,
    world_counts,
)

__all__ = [
    "DEFAULT_PORTS",
    "REGISTRY",
    "SEED",
    "SERVICES",
    "SandboxCrash",
    "SandboxDown",
    "Service",
    "add_umapi_users",
    "aem_hardened",
    "clear_faults",
    "create_app",
    "get_faults",
    "reset_world",
    "seed_summary",
    "serve",
    "set_aem_hardened",
    "set_creative_cloud_entitlement",
    "set_faults",
    "set_umapi_membership",
    "set_umapi_rate_limits",
    "umapi_snapshot",
    "world_counts",
]


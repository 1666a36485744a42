"""Wiring: configuration -> engine inputs, and ``sandbox://`` URLs -> in-process transports.

This is the one place (besides the CLI) that knows every layer: it loads the YAML with the kinds'
schemas, turns declarations into the engine's ``DesiredResource`` objects, builds the providers on
a ``ProviderContext``, and maps ``sandbox://<service>`` to the embedded sandbox running in this
process on ``<config root>/.reconciler/sandbox.db``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from reconciler import rules
from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import LoadedConfig, load_config
from reconciler.engine import BACKEND_ENV, WORKSPACE_ENV, DesiredResource, Provider, StateBackend, open_state
from reconciler.kinds import REGISTRY, ProviderContext
from reconciler.kinds.base import LINKS_KEY


def state_dir(root: Path) -> Path:
    return root / ".reconciler"


class SandboxTransport(httpx.AsyncBaseTransport):
    """ASGI transport to one embedded sandbox service; a sandbox "crash" looks like a dropped
    connection and a crashed sandbox like a refused one, as a real server would."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from reconciler.sandbox import SandboxCrash, SandboxDown

        try:
            return await self._inner.handle_async_request(request)
        except SandboxCrash:
            raise httpx.RemoteProtocolError(
                "server disconnected without sending a response (sandbox crash fault)", request=request
            ) from None
        except SandboxDown:
            raise httpx.ConnectError(
                "connection refused (the sandbox is down after a crash fault;"
                " run `reconciler sandbox reset --faults-only`)",
                request=request,
            ) from None


class SandboxTransports:
    """``transport_for`` for a ProviderContext: one app per sandbox service, all on ``db_path``."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._apps: dict[str, Any] = {}

    def __call__(self, url: str) -> tuple[str, httpx.AsyncBaseTransport | None]:
        if not url.startswith("sandbox://"):
            return url, None
        from reconciler.sandbox import SERVICES, create_app  # the sandbox's registry (imported only when used)

        service = url.removeprefix("sandbox://").strip("/")
        if service not in SERVICES:
            raise ValueError(f"unknown sandbox service {service!r} in {url}; use one of {', '.join(SERVICES)}")
        if service not in self._apps:
            self._apps[service] = create_app(service, self.db_path)
        return f"http://{service}.sandbox.invalid", SandboxTransport(self._apps[service])


def desired_resources(loaded: LoadedConfig) -> dict[str, DesiredResource]:
    """The engine's view of every declared resource: links injected as references, and the kind's
    implicit dependencies (``KindDef.implicit_deps``) added to the declared ones."""
    out: dict[str, DesiredResource] = {}
    data = {addr: decl.data for addr, decl in loaded.resources.items()}
    for addr, decl in loaded.resources.items():
        kind = REGISTRY[decl.kind]
        implicit = kind.implicit_deps(addr, decl.data, data) if kind.implicit_deps else ()
        injected = kind.inject_links(dict(decl.data))
        out[addr] = DesiredResource(
            address=addr,
            kind=decl.kind,
            name=decl.name,
            data=injected,
            depends_on=set(decl.depends_on) | set(implicit),
            prevent_destroy=decl.lifecycle.prevent_destroy,
            moved_from=list(decl.moved_from),
            import_id=decl.import_id,
            allow_content_loss=decl.lifecycle.allow_content_loss,
            has_refs=bool(decl.attr_refs) or LINKS_KEY in injected,
        )
    return out


class Workspace:
    """A loaded configuration with its state, providers and clients.

    ``path``: a YAML file or a directory (``recursive``: with its subdirectories). The state is
    opened on first use of ``state`` (``validate`` and ``graph`` never touch it): the backend named by
    ``RECONCILER_BACKEND``, else the configuration's ``backend:`` block, else SQLite in
    ``<root>/.reconciler/state.db`` (``backend_url``, ``workspace_name``). The embedded sandbox's
    world is in ``<root>/.reconciler/sandbox.db``. Raises ConfigError (bad YAML); ``state`` raises
    StateError (bad state file, unreachable server, missing or wrong secret-hash key).
    ``require_env=False`` (``validate``, ``graph``): an unset ``${env:...}`` is a warning, not an error.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        environ: dict[str, str] | None = None,
        recursive: bool = False,
        require_env: bool = True,
    ) -> None:
        self.recursive = recursive
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.loaded = load_config(
            path, kinds=REGISTRY, environ=environ, recursive=recursive, require_env=require_env
        )
        found = rules.check(self.loaded)
        if any(d.severity == "error" for d in found):
            raise ConfigError(found)
        self.loaded.warnings.extend(found)
        self.root = self.loaded.root
        self._state: StateBackend | None = None
        block = self.loaded.backend or {}
        self.backend_url: str | None = self.environ.get(BACKEND_ENV) or block.get("url") or None
        self.workspace_name: str | None = self.environ.get(WORKSPACE_ENV) or block.get("workspace") or None
        self.sandbox = SandboxTransports(state_dir(self.root) / "sandbox.db")
        self.ctx = ProviderContext(self.loaded.connections, transport_for=self.sandbox)
        self.providers: dict[str, Provider] = {name: k.provider(self.ctx) for name, k in REGISTRY.items()}
        self.desired = desired_resources(self.loaded)

    def request_count(self) -> int:
        """HTTP requests sent so far by every client of this workspace."""
        return sum(c.request_count for c in self.ctx.clients())

    async def aclose(self) -> None:
        for p in self.providers.values():
            await p.close()
        await self.ctx.aclose()

    @property
    def state(self) -> StateBackend:
        """The state backend, opened on first use (see the class docstring)."""
        if self._state is None:
            self._state = open_state(
                self.backend_url, root=self.root, workspace=self.workspace_name, environ=self.environ
            )
        return self._state

    def close_state(self) -> None:
        """Close the state if it was opened (a held lock is released)."""
        if self._state is not None:
            self._state.close()
            self._state = None

"""Constants and value types shared by every layer of the test suite (the fixtures are in ``conftest.py``).

Import as ``from tests.helpers import ...``; nothing here starts a server or touches the network.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from click.testing import Result

from reconciler.sandbox import SEED, create_app

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
"""The repository checkout (the directory holding ``pyproject.toml``)."""
EXAMPLES = ROOT / "examples"
QUICKSTART = EXAMPLES / "quickstart"

SECRETS = ("p8e-SandboxReconcilerSecret0123456789ab", "PRIVATE KEY")
"""Strings of the sandbox's seeded secrets that must never appear in output, plans, state or logs."""

Run = Callable[..., Result]
"""The ``cli`` fixture: ``cli("plan", path, env=None)`` runs the CLI in-process, returns click's Result."""

# The sandbox's seeded orgs and the reconciler's own OAuth Server-to-Server credential.
ORG = "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg"
CC_ORG = "0F1E2D3C4B5A69788796A5B4@AdobeOrg"
CLIENT_ID: str = SEED["reconciler_credential"]["client_id"]
SECRET: str = SEED["reconciler_credential"]["client_secret"]
UMAPI_SCOPES = ("openid", "AdobeID", "user_management_sdk")

# The Workfront emulator: API version path and the seeded API key.
WORKFRONT_API = "/attask/api/v21.0"
WORKFRONT_API_KEY = "sandbox-workfront-api-key"

#: the start of a one-file configuration with one native Workfront integration ``scale`` on the
#: embedded sandbox (connections ``wf`` and ``author``); tests append their own section after it
WORKFRONT_SCALE_HEADER = [
    "version: 1", "connections:",
    f"  wf: {{type: workfront, url: sandbox://workfront, auth: api_key, api_key: {WORKFRONT_API_KEY}}}",
    "  author: {type: aem, url: sandbox://aem, username: admin, password: admin}",
    "workfront_integrations:",
    "  scale: {workfront: wf, type: native, aem: [author], repository: author-p1-e1.adobeaemcloud.com}",
]


@dataclass(frozen=True)
class Installed:
    """The project as a user installs it: a wheel built from the sources, in its own virtual environment.

    ``bin`` is the environment's script directory (``reconciler`` and ``python`` are in it); ``wheel``
    the built ``.whl``; ``build_log`` what the build backend printed (``pip wheel -v``). All live in
    pytest's temporary directory, outside the repository.
    """

    wheel: Path
    bin: Path
    build_log: Path

    def env(self, **extra: str) -> dict[str, str]:
        """A process environment with only this installation on PATH (no PYTHONPATH, no dev venv)."""
        keep = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "VIRTUAL_ENV", "AEM_PASSWORD", "ADOBE_CLIENT_SECRET")}
        path = [p for p in keep.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(sys.executable).parent]
        keep["PATH"] = os.pathsep.join([str(self.bin), *path])
        keep.update(NO_COLOR="1", **extra)
        return keep


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class World:
    """The in-process sandbox: one freshly seeded world file, its emulators as ASGI apps (no ports).

    ``db`` is the SQLite world file every emulator of this world reads and writes.
    """

    db: Path

    def app(self, service: str) -> Starlette:
        """The ASGI app of ``service`` (a ``reconciler.sandbox.SERVICES`` name) on this world."""
        return create_app(service, self.db)

    def transport(self, service: str) -> httpx.ASGITransport:
        """An httpx transport calling ``service`` in-process, for the clients' ``transport=`` argument."""
        return httpx.ASGITransport(app=self.app(service))

    def http(self, service: str) -> TestClient:
        """A synchronous client on ``service`` (base URL ``http://<service>.test``); use it as a context manager."""
        return sync_client(service, self.db)


def sync_client(service: str, db: Path) -> TestClient:
    """A synchronous Starlette test client on the ``service`` emulator of world ``db``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    return TestClient(create_app(service, db), base_url=f"http://{service}.test")


def edit_in_aem(db: Path, path: str, **props: str) -> None:
    """Someone edits AEM directly (the Sling POST servlet, as the UI's dialog does) in world ``db``.

    ``props`` are the form fields posted to ``path`` as admin; fails unless AEM answers 200 or 201.
    """

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app("aem", db)),
                                     base_url="http://aem") as client:
            r = await client.post(path, data=props, auth=("admin", "admin"))
            assert r.status_code in (200, 201), r.text

    asyncio.run(go())


def workfront_http(db: Path) -> TestClient:
    """A synchronous client on the embedded Workfront emulator of world ``db`` (API key auth)."""
    client = sync_client("workfront", db)
    client.headers["apiKey"] = WORKFRONT_API_KEY
    return client


@dataclass
class Served:
    """``reconciler.sandbox.serve`` running in a thread of this process, every service on a loopback port.

    ``db`` is its world file; ``requested`` the ports asked for (0: let ``serve`` pick a free one);
    ``ports`` the ports bound (service name -> TCP port, every service of ``SERVICES``); ``errors``
    whatever ``serve`` raised in its thread. ``stop()`` shuts the servers down and waits for the thread.
    """

    db: Path
    requested: dict[str, int]
    ports: dict[str, int] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    thread: threading.Thread | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)

    def url(self, service: str) -> str:
        """``http://127.0.0.1:<port>`` of ``service`` (no path: UMAPI's is ``/v2/usermanagement``)."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def stop(self, timeout: float = 15) -> None:
        """Ask every server to shut down and wait up to ``timeout`` seconds for the thread to end."""
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)

    @property
    def stopped(self) -> bool:
        """True once the serving thread has ended."""
        return self.thread is not None and not self.thread.is_alive()

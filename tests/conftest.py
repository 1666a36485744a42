"""Fixtures shared by every layer of the test suite.

- ``cli``: the CLI run in-process (click's runner); ``quickstart``: a private copy of examples/quickstart.
- ``world`` / ``db``: the in-process sandbox, a freshly seeded world file and its emulators as ASGI apps.
- ``served``: ``reconciler.sandbox.serve`` on loopback ports with a fresh world, stopped afterwards.
- ``installed``: the wheel built from the sources, installed in a fresh virtual environment.
- ``pg_server`` / ``pg_url``: a throw-away PostgreSQL cluster (``scripts/pg_throwaway.py``, one per
  test process) and a fresh database on it per test. If the server cannot start, those tests fail.

Constants and the value types these fixtures return are in ``tests/helpers.py``.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import uuid
import venv
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.sandbox import SERVICES, reset_world, serve

from .helpers import QUICKSTART, ROOT, Installed, Run, Served, World, free_port

# What a source distribution of the project holds; everything else in a checkout (virtual
# environments, caches, state of earlier runs) stays out of the wheel build.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".cache", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    ".mypy_cache", ".ruff_cache", ".reconciler", ".hypothesis",
)


def _pip(python: Path, *args: str) -> str:
    """Run pip; returns its output (stdout + stderr). Raises RuntimeError with that output on failure."""
    done = subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=900)
    if done.returncode:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def build_wheel(dest: Path) -> Path:
    """Build the project's wheel from a copy of the sources into ``dest``; returns the ``.whl`` path.

    Built in a copy so the checkout gets no ``build/`` or ``*.egg-info``; uses pip's isolated build
    (the build backend named in ``pyproject.toml``), as ``pip install .`` does for a user.
    """
    src = dest / "src"
    shutil.copytree(ROOT, src, ignore=_NOT_SOURCE)
    log = _pip(Path(sys.executable), "wheel", "-v", "--no-deps", "-w", str(dest / "dist"), str(src))
    (dest / "build.log").write_text(log)
    (wheel,) = (dest / "dist").glob("aem_assets_reconciler-*.whl")
    return wheel


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel installed into a fresh virtual environment (built once per test run, shared by xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    # under xdist the workers' base directories share one parent per run; without it the parent is
    # shared by every run (pytest-of-<user>), whose wheel would be an old one
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "installed-package"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        env_dir = shared / "venv"
        bin_dir = env_dir / "bin"
        if not (shared / "ready").exists():
            shutil.rmtree(shared / "dist", ignore_errors=True)
            shutil.rmtree(shared / "src", ignore_errors=True)
            wheel = build_wheel(shared)
            venv.create(env_dir, with_pip=True, clear=True)
            _pip(bin_dir / "python", "install", "-q", str(wheel))
            (shared / "ready").write_text(str(wheel))
        return Installed(wheel=Path((shared / "ready").read_text()), bin=bin_dir, build_log=shared / "build.log")


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """A private copy of examples/quickstart (its own state and sandbox world)."""
    dest = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, dest, ignore=shutil.ignore_patterns(".reconciler"))
    return dest


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the CLI in-process: ``cli("plan", path)``; returns click's Result (exit_code, output).

    The arguments are turned into strings; ``env=`` adds environment variables for that run. The
    secrets' environment variables (``AEM_PASSWORD``, ``ADOBE_CLIENT_SECRET``) are unset.
    """
    monkeypatch.delenv("AEM_PASSWORD", raising=False)
    monkeypatch.delenv("ADOBE_CLIENT_SECRET", raising=False)

    def run(*args: object, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return run


@pytest.fixture
def world(tmp_path: Path) -> World:
    """The in-process sandbox: a freshly seeded world file (in a directory that did not exist yet)."""
    db = tmp_path / "sandbox" / "world.db"
    reset_world(db)
    return World(db)


@pytest.fixture
def db(world: World) -> Path:
    """The world file of ``world`` (what ``reconciler.sandbox``'s helpers and ``create_app`` take)."""
    return world.db


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """Every sandbox service served over real HTTP on 127.0.0.1 (``reconciler.sandbox.serve`` in a thread).

    The world is fresh (seeded in ``tmp_path``). By default every port is 0, so ``serve`` picks free
    ports and reports them; parametrize indirectly with ``"free-ports"`` to pass explicit port numbers
    found free beforehand instead. Fails when the servers are not ready within 30 s; stopped (and the
    thread joined) after the test.
    """
    explicit = getattr(request, "param", "port-zero") == "free-ports"
    requested = {service: free_port() if explicit else 0 for service in SERVICES}
    db = tmp_path / "served" / "world.db"
    reset_world(db)
    ready = threading.Event()
    handle = Served(db=db, requested=requested)

    def target() -> None:
        try:
            serve(db, ports=requested, ready=ready, stop=handle.stop_event, bound_ports=handle.ports)
        except BaseException as exc:  # reported by the tests (and below if never ready)
            handle.errors.append(exc)

    handle.thread = threading.Thread(target=target, name="sandbox-serve", daemon=True)
    handle.thread.start()
    try:
        assert ready.wait(30), f"sandbox serve did not start: {handle.errors}"
        yield handle
    finally:
        handle.stop()


def _pg_throwaway() -> object:
    spec = importlib.util.spec_from_file_location("pg_throwaway", ROOT / "scripts" / "pg_throwaway.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["pg_throwaway"] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A throw-away PostgreSQL cluster (``scripts/pg_throwaway.Cluster``) for this test process;
    raises (the test fails, never skips) when it cannot start."""
    cluster = _pg_throwaway().start()  # type: ignore[attr-defined]
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_server: object) -> str:
    """The URL of a fresh, empty database on ``pg_server`` (one per test)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:  # type: ignore[attr-defined]
        conn.execute(f"CREATE DATABASE {name}")
    return str(pg_server.url_for(name))  # type: ignore[attr-defined]

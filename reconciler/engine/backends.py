"""Choosing a state backend: ``RECONCILER_BACKEND``, a ``backend:`` block, or the SQLite default.

``open_state(url, root=..., workspace=..., environ=...)``: ``url`` None (or ``local``/``sqlite``)
means SQLite at ``<root>/.reconciler/state.db``; ``postgresql://...`` (or ``postgres://...``)
the PostgreSQL backend. The secret-hash key comes from ``environ`` (``state.secret_key_from``);
PostgreSQL has no fallback (a shared state never stores the key), SQLite falls back to
``.reconciler/secret.key``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .errors import StateError
from .state import KEY_ENV, KEY_FILE_ENV, StateBackend, StateStore, secret_key_from

BACKEND_ENV = "RECONCILER_BACKEND"
WORKSPACE_ENV = "RECONCILER_WORKSPACE"
DEFAULT_WORKSPACE = "default"


def is_postgres(url: str | None) -> bool:
    """True when ``url`` names the PostgreSQL backend."""
    return bool(url) and str(url).startswith(("postgresql://", "postgres://"))


def local_state_path(root: Path) -> Path:
    """Where the SQLite default keeps the state of the configuration at ``root``."""
    return Path(root) / ".reconciler" / "state.db"


def open_state(
    url: str | None,
    *,
    root: Path,
    workspace: str | None = None,
    environ: Mapping[str, str],
    need_key: bool = True,
) -> StateBackend:
    """Open the state named by ``url`` (see the module docstring).

    ``need_key``: plan/apply hash secrets, so a PostgreSQL state without a key in ``environ`` is a
    StateError up front (``state list``/``pull``/``unlock`` pass False). A key that does not match
    the state's key check is a StateError. Raises StateError for an unknown URL scheme too.
    """
    key = secret_key_from(environ)
    if url in (None, "", "local", "sqlite"):
        return StateStore(local_state_path(root), key=key, local_key=need_key)
    if url is not None and url.startswith("sqlite:///"):
        return StateStore(Path(url.removeprefix("sqlite://")), key=key, local_key=need_key)
    if not is_postgres(url):
        raise StateError(
            f"unknown state backend {url!r}: use postgresql://user@host:port/db (or none for local SQLite)"
        )
    from .pgstate import PostgresStateStore

    if key is None and need_key:
        raise StateError(
            f"the PostgreSQL state needs the team's secret-hash key: set {KEY_ENV} to it, or {KEY_FILE_ENV} to a"
            " file holding it (the shared state never stores the key)"
        )
    return PostgresStateStore(str(url), workspace=workspace or DEFAULT_WORKSPACE, key=key)

"""State: what this tool manages, in SQLite under ``<config root>/.reconciler/state.db``.

Per resource: address, kind, remote id, whether this tool created it (``managed``: only those are
ever deleted), ``prevent_destroy`` (kept in state so that deleting the YAML block does not lift the
protection), keyed hashes of secret attributes (HMAC-SHA256 with a key in
``.reconciler/secret.key``, so a changed password is detected without storing it), non-sensitive
outputs, and the last health-check status. The database also holds the ``lineage`` (a UUID fixed
when the state is created), the ``serial`` (incremented by every write) and a lock row naming its
holder. Writes happen per action during apply, not at the end.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import secrets
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LockError, StateError

FORMAT_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
  address TEXT PRIMARY KEY, kind TEXT NOT NULL, remote_id TEXT NOT NULL,
  managed INTEGER NOT NULL, prevent_destroy INTEGER NOT NULL DEFAULT 0,
  secret_hashes TEXT NOT NULL DEFAULT '{}', outputs TEXT NOT NULL DEFAULT '{}',
  attributes TEXT NOT NULL DEFAULT '{}', dependencies TEXT NOT NULL DEFAULT '[]',
  check_status TEXT, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS lock (
  id INTEGER PRIMARY KEY CHECK (id = 1), lock_id TEXT NOT NULL, holder TEXT NOT NULL,
  operation TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL, created_at REAL NOT NULL);
"""


@dataclass
class StateRecord:
    """One managed resource as the state remembers it.

    ``attributes``: the last applied managed attributes (non-sensitive), used to tell drift (the
    service changed) from a configuration change (the YAML changed).
    """

    address: str
    kind: str
    remote_id: str
    managed: bool
    prevent_destroy: bool = False
    secret_hashes: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    check_status: str | None = None


@dataclass(frozen=True)
class LockInfo:
    lock_id: str
    holder: str
    operation: str
    pid: int
    host: str
    created_at: float

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created_at))
        return f"{self.holder} (pid {self.pid} on {self.host}, {self.operation}, since {when}, lock id {self.lock_id})"


class StateStore:
    """SQLite-backed state. ``path`` is the database file; its directory is created if needed.

    Raises StateError when the file is not a state database.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            # WAL + NORMAL: each per-action write survives a crash of this process without an fsync
            # per transaction (a power cut may lose the last few; the next plan re-reads the services).
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StateError(f"cannot open state {self.path}: {exc}") from exc
        if self._meta("lineage") is None:
            with self._tx():
                self._set_meta("lineage", str(uuid.uuid4()))
                self._set_meta("serial", "0")
                self._set_meta("format_version", str(FORMAT_VERSION))
        self._key = self._load_key()

    # -- meta -----------------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def lineage(self) -> str:
        return self._meta("lineage") or ""

    @property
    def serial(self) -> int:
        return int(self._meta("serial") or 0)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _bump(self) -> None:
        self._set_meta("serial", str(self.serial + 1))

    # -- secrets ----------------------------------------------------------------------------------
    def _load_key(self) -> bytes:
        key_path = self.path.parent / "secret.key"
        if not key_path.exists():
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        return key_path.read_bytes()

    def secret_hash(self, address: str, field_name: str, value: str) -> str:
        """Keyed hash (HMAC-SHA256, hex) of a secret value, bound to its address and field."""
        msg = f"{address}\0{field_name}\0{value}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    # -- records ----------------------------------------------------------------------------------
    _COLUMNS = (
        "address, kind, remote_id, managed, prevent_destroy, secret_hashes, outputs, attributes,"
        " dependencies, check_status"
    )

    @staticmethod
    def _record(r: tuple[Any, ...]) -> StateRecord:
        return StateRecord(
            address=r[0],
            kind=r[1],
            remote_id=r[2],
            managed=bool(r[3]),
            prevent_destroy=bool(r[4]),
            secret_hashes=json.loads(r[5]),
            outputs=json.loads(r[6]),
            attributes=json.loads(r[7]),
            dependencies=json.loads(r[8]),
            check_status=r[9],
        )

    def records(self) -> dict[str, StateRecord]:
        """All records by address (one query)."""
        rows = self._db.execute(f"SELECT {self._COLUMNS} FROM resources ORDER BY address").fetchall()
        return {r[0]: self._record(r) for r in rows}

    def get(self, address: str) -> StateRecord | None:
        """One record (one indexed query), or None."""
        row = self._db.execute(f"SELECT {self._COLUMNS} FROM resources WHERE address=?", (address,)).fetchone()
        return None if row is None else self._record(row)

    def put(self, record: StateRecord) -> None:
        """Insert or replace one record and bump the serial, atomically."""
        with self._tx():
            self._db.execute(
                "INSERT OR REPLACE INTO resources(address, kind, remote_id, managed, prevent_destroy,"
                " secret_hashes, outputs, attributes, dependencies, check_status, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.address,
                    record.kind,
                    record.remote_id,
                    int(record.managed),
                    int(record.prevent_destroy),
                    json.dumps(record.secret_hashes, sort_keys=True),
                    json.dumps(record.outputs, sort_keys=True, default=str),
                    json.dumps(record.attributes, sort_keys=True, default=str),
                    json.dumps(sorted(record.dependencies)),
                    record.check_status,
                    time.time(),
                ),
            )
            self._bump()

    def remove(self, address: str) -> None:
        with self._tx():
            self._db.execute("DELETE FROM resources WHERE address=?", (address,))
            self._bump()

    def set_check_status(self, address: str, status: str) -> None:
        with self._tx():
            self._db.execute("UPDATE resources SET check_status=? WHERE address=?", (status, address))
            self._bump()

    def dump(self) -> dict[str, Any]:
        """JSON-ready view of the whole state (no secrets: only their keyed hashes' presence)."""
        return {
            "format_version": FORMAT_VERSION,
            "lineage": self.lineage,
            "serial": self.serial,
            "resources": [
                {
                    "address": r.address,
                    "kind": r.kind,
                    "remote_id": r.remote_id,
                    "managed": r.managed,
                    "prevent_destroy": r.prevent_destroy,
                    "outputs": r.outputs,
                    "attributes": r.attributes,
                    "sensitive_attributes": sorted(r.secret_hashes),
                    "dependencies": r.dependencies,
                    "check_status": r.check_status,
                }
                for r in self.records().values()
            ],
        }

    # -- lock -------------------------------------------------------------------------------------
    def lock_info(self) -> LockInfo | None:
        row = self._db.execute(
            "SELECT lock_id, holder, operation, pid, host, created_at FROM lock WHERE id=1"
        ).fetchone()
        return None if row is None else LockInfo(*row)

    def acquire_lock(self, operation: str) -> str:
        """Take the lock for ``operation``; returns the lock id. Raises LockError naming the holder."""
        lock_id = uuid.uuid4().hex[:12]
        try:
            user = getpass.getuser()
        except Exception:  # no user name in some containers
            user = "unknown"
        try:
            with self._tx():
                self._db.execute(
                    "INSERT INTO lock(id, lock_id, holder, operation, pid, host, created_at) VALUES (1,?,?,?,?,?,?)",
                    (lock_id, user, operation, os.getpid(), socket.gethostname(), time.time()),
                )
        except sqlite3.IntegrityError:
            info = self.lock_info()
            holder = info.describe() if info else "another run"
            raise LockError(
                f"the state {self.path} is locked by {holder}; wait for that run to finish, or, if it"
                f" died, run `reconciler state unlock {info.lock_id if info else ''}`"
            ) from None
        return lock_id

    def release_lock(self, lock_id: str) -> None:
        with self._tx():
            self._db.execute("DELETE FROM lock WHERE id=1 AND lock_id=?", (lock_id,))

    def force_unlock(self, lock_id: str) -> bool:
        """Remove a lock left by a dead run; True if a lock with that id was removed."""
        with self._tx():
            cur = self._db.execute("DELETE FROM lock WHERE id=1 AND lock_id=?", (lock_id,))
        return cur.rowcount > 0

    @contextmanager
    def locked(self, operation: str) -> Iterator[str]:
        lock_id = self.acquire_lock(operation)
        try:
            yield lock_id
        finally:
            self.release_lock(lock_id)

    def close(self) -> None:
        self._db.close()


"""PostgreSQL state backend (psycopg 3), for teams and CI runners sharing one state.

Tables (created on first use, guarded by a transaction-level advisory lock so that two runners
starting at once do not race): ``reconciler_states`` (one row per workspace: lineage, serial,
format version, key check), ``reconciler_resources`` (``(workspace, address)`` -> the record's
columns, JSON as text), ``reconciler_locks`` (who holds a workspace's lock) and
``reconciler_intents`` (creates about to be made, ``state.Intent``). Several independent states
live in one database, one per *workspace* name.

Locking: a session-level advisory lock (``pg_try_advisory_lock``) on a key derived from the
workspace, taken on a connection of its own and held until released or until that session ends:
when the holder crashes (``kill -9``, a lost runner), PostgreSQL ends its session and the lock is
gone, with no manual unlock. The ``reconciler_locks`` row only *names* the holder (and records its
server process id, which ``force_unlock`` terminates). Writes: one statement per action (the upsert
and the serial increment in one ``WITH`` query, autocommit), so a write costs one round trip.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from .errors import StateError
from .state import FORMAT_VERSION, Intent, LockInfo, Snapshot, StateBackend, StateRecord, holder_fields, new_lock_id

_SCHEMA_LOCK = 0x5EC0_0001  # advisory transaction lock serialising the CREATE TABLEs
_SCHEMA = """
CREATE TABLE IF NOT EXISTS reconciler_states (
  workspace TEXT PRIMARY KEY, lineage TEXT NOT NULL, serial BIGINT NOT NULL,
  format_version INTEGER NOT NULL, key_check TEXT, created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS reconciler_resources (
  workspace TEXT NOT NULL, address TEXT NOT NULL, kind TEXT NOT NULL, remote_id TEXT NOT NULL,
  managed BOOLEAN NOT NULL, prevent_destroy BOOLEAN NOT NULL DEFAULT FALSE,
  secret_hashes TEXT NOT NULL DEFAULT '{}', outputs TEXT NOT NULL DEFAULT '{}',
  attributes TEXT NOT NULL DEFAULT '{}', dependencies TEXT NOT NULL DEFAULT '[]',
  check_status TEXT, updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (workspace, address));
CREATE TABLE IF NOT EXISTS reconciler_intents (
  workspace TEXT NOT NULL, address TEXT NOT NULL, kind TEXT NOT NULL, natural_key TEXT,
  created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (workspace, address));
CREATE TABLE IF NOT EXISTS reconciler_locks (
  workspace TEXT PRIMARY KEY, lock_id TEXT NOT NULL, holder TEXT NOT NULL, operation TEXT NOT NULL,
  pid INTEGER NOT NULL, host TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, backend_pid INTEGER NOT NULL);
"""
_COLUMNS = (
    "address, kind, remote_id, managed, prevent_destroy, secret_hashes, outputs, attributes, dependencies, check_status"
)
_UPSERT = (
    "INSERT INTO reconciler_resources(workspace, address, kind, remote_id, managed, prevent_destroy, secret_hashes,"
    " outputs, attributes, dependencies, check_status, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
    " ON CONFLICT (workspace, address) DO UPDATE SET kind=EXCLUDED.kind, remote_id=EXCLUDED.remote_id,"
    " managed=EXCLUDED.managed, prevent_destroy=EXCLUDED.prevent_destroy, secret_hashes=EXCLUDED.secret_hashes,"
    " outputs=EXCLUDED.outputs, attributes=EXCLUDED.attributes, dependencies=EXCLUDED.dependencies,"
    " check_status=EXCLUDED.check_status, updated_at=EXCLUDED.updated_at"
)
_BUMP = "UPDATE reconciler_states SET serial = serial + 1 WHERE workspace = %s"


def backend_identity(url: str, workspace: str) -> str:
    """``postgresql://host:port/dbname#workspace``: the state's name without user or password.
    Raises StateError when ``url`` is not a valid connection string."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise StateError(f"invalid PostgreSQL backend URL: {exc}") from None
    host = info.get("host") or "localhost"
    port = info.get("port") or "5432"
    return f"postgresql://{host}:{port}/{info.get('dbname') or ''}#{workspace}"


class PostgresStateStore(StateBackend):
    """State in PostgreSQL. ``url``: a libpq URL or conninfo (``postgresql://user:pw@host:port/db``);
    ``workspace``: which state of the database; ``key``: the secret-hash key (None: only commands
    that hash no secret work). Raises StateError when the server cannot be reached, or the key does
    not match the state's key check."""

    def __init__(self, url: str, *, workspace: str = "default", key: bytes | None = None) -> None:
        self.workspace = workspace
        self.identity = backend_identity(url, workspace)
        self.display = self.identity
        self._url = url
        self._db = self._connect()
        self._lock_conn: psycopg.Connection[Any] | None = None
        self._lock_id: str | None = None
        self._lock_key = int.from_bytes(hashlib.sha256(workspace.encode()).digest()[:8], "big", signed=True)
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            self._db.execute(_SCHEMA)
            self._db.execute(
                "INSERT INTO reconciler_states(workspace, lineage, serial, format_version, created_at)"
                " VALUES (%s, gen_random_uuid()::text, 0, %s, %s) ON CONFLICT (workspace) DO NOTHING",
                (workspace, FORMAT_VERSION, time.time()),
            )
        if key is not None:
            self.use_key(key)

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=10, application_name="reconciler")
        except psycopg.Error as exc:
            raise StateError(f"cannot connect to the PostgreSQL state {self.identity}: {exc}".strip()) from None

    def _meta(self) -> tuple[str, int, str | None]:
        row = self._db.execute(
            "SELECT lineage, serial, key_check FROM reconciler_states WHERE workspace=%s", (self.workspace,)
        ).fetchone()
        if row is None:
            raise StateError(f"the state {self.identity} was deleted while in use")
        return str(row[0]), int(row[1]), row[2]

    @property
    def lineage(self) -> str:
        return self._meta()[0]

    @property
    def serial(self) -> int:
        return self._meta()[1]

    def stored_key_check(self) -> str | None:
        return self._meta()[2]

    def snapshot(self) -> Snapshot:
        with self._db.transaction():
            self._db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            lineage, serial, check = self._meta()
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM reconciler_resources WHERE workspace=%s ORDER BY address", (self.workspace,)
            ).fetchall()
            intents = self.intents()
        return Snapshot(lineage, serial, {r[0]: StateRecord.from_row(r) for r in rows}, check, intents)

    def get(self, address: str) -> StateRecord | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM reconciler_resources WHERE workspace=%s AND address=%s",
            (self.workspace, address),
        ).fetchone()
        return None if row is None else StateRecord.from_row(row)

    def _write_and_bump(self, sql: str, params: tuple[Any, ...]) -> None:
        """One write and the serial increment in one statement (one round trip, atomic)."""
        self._db.execute(f"WITH w AS ({sql} RETURNING 1) {_BUMP}", (*params, self.workspace))

    def put(self, record: StateRecord) -> None:
        self._write_and_bump(_UPSERT, (self.workspace, *record.row()))

    def remove(self, address: str) -> None:
        self._write_and_bump(
            "DELETE FROM reconciler_resources WHERE workspace=%s AND address=%s", (self.workspace, address)
        )

    def put_intent(self, intent: Intent) -> None:
        self._db.execute(
            "INSERT INTO reconciler_intents(workspace, address, kind, natural_key, created_at) VALUES (%s,%s,%s,%s,%s)"
            " ON CONFLICT (workspace, address) DO UPDATE SET kind=EXCLUDED.kind, natural_key=EXCLUDED.natural_key,"
            " created_at=EXCLUDED.created_at",
            (self.workspace, intent.address, intent.kind, intent.natural_key, time.time()),
        )

    def clear_intent(self, address: str) -> None:
        self._db.execute("DELETE FROM reconciler_intents WHERE workspace=%s AND address=%s", (self.workspace, address))

    def intents(self) -> dict[str, Intent]:
        rows = self._db.execute(
            "SELECT address, kind, natural_key FROM reconciler_intents WHERE workspace=%s ORDER BY address",
            (self.workspace,),
        ).fetchall()
        return {r[0]: Intent(r[0], r[1], r[2]) for r in rows}

    def move(self, source: str, destination: str) -> None:
        with self._db.transaction():
            if source != destination:
                self._db.execute(
                    "DELETE FROM reconciler_resources WHERE workspace=%s AND address=%s", (self.workspace, destination)
                )
            self._write_and_bump(
                "UPDATE reconciler_resources SET address=%s WHERE workspace=%s AND address=%s",
                (destination, self.workspace, source),
            )

    def set_check_status(self, address: str, status: str) -> None:
        self._write_and_bump(
            "UPDATE reconciler_resources SET check_status=%s WHERE workspace=%s AND address=%s",
            (status, self.workspace, address),
        )

    def replace_all(self, snap: Snapshot) -> None:
        with self._db.transaction(), self._db.cursor() as cur:
            cur.execute("DELETE FROM reconciler_resources WHERE workspace=%s", (self.workspace,))
            cur.executemany(_UPSERT, [(self.workspace, *r.row()) for r in snap.records.values()])
            cur.execute("DELETE FROM reconciler_intents WHERE workspace=%s", (self.workspace,))
            cur.executemany(
                "INSERT INTO reconciler_intents(workspace, address, kind, natural_key, created_at)"
                " VALUES (%s,%s,%s,%s,%s)",
                [(self.workspace, i.address, i.kind, i.natural_key, time.time()) for i in snap.intents.values()],
            )
            cur.execute(
                "UPDATE reconciler_states SET lineage=%s, serial=%s, key_check=%s WHERE workspace=%s",
                (snap.lineage, snap.serial, snap.key_check, self.workspace),
            )

    def set_key_check(self, value: str) -> None:
        self._db.execute(
            "UPDATE reconciler_states SET key_check=%s WHERE workspace=%s AND key_check IS NULL",
            (value, self.workspace),
        )

    # -- lock -------------------------------------------------------------------------------------
    def _holder_row(self) -> LockInfo | None:
        row = self._db.execute(
            "SELECT lock_id, holder, operation, pid, host, created_at FROM reconciler_locks WHERE workspace=%s",
            (self.workspace,),
        ).fetchone()
        return None if row is None else LockInfo(*row)

    def _held_by_other(self) -> bool:
        row = self._db.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND granted AND pid <> pg_backend_pid()"
            " AND database=(SELECT oid FROM pg_database WHERE datname=current_database())"
            " AND objsubid = 1 AND classid::bigint = %s AND objid::bigint = %s",
            ((self._lock_key >> 32) & 0xFFFF_FFFF, self._lock_key & 0xFFFF_FFFF),
        ).fetchone()
        return bool(row and row[0])

    def lock_info(self) -> LockInfo | None:
        """The holder while the advisory lock is held by a session; None otherwise (a row left by a
        crashed holder is not a lock)."""
        if self._lock_id is not None:
            return self._holder_row()
        return self._holder_row() if self._held_by_other() else None

    def acquire_lock(self, operation: str, timeout_s: float = 0.0) -> str:
        """Take the workspace's advisory lock on a session of its own (polling every 0.1 s up to
        ``timeout_s``), then record the holder. Raises LockError naming the holder."""
        if self._lock_conn is None:
            self._lock_conn = self._connect()
        deadline = time.monotonic() + timeout_s
        while True:
            row = self._lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (self._lock_key,)).fetchone()
            if row and row[0]:
                break
            if time.monotonic() >= deadline:
                raise self._locked_error(self._holder_row(), timeout_s)
            time.sleep(0.1)
        lock_id = new_lock_id()
        user, pid, host = holder_fields()
        self._lock_conn.execute(
            "INSERT INTO reconciler_locks(workspace, lock_id, holder, operation, pid, host, created_at, backend_pid)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,pg_backend_pid()) ON CONFLICT (workspace) DO UPDATE SET"
            " lock_id=EXCLUDED.lock_id, holder=EXCLUDED.holder, operation=EXCLUDED.operation, pid=EXCLUDED.pid,"
            " host=EXCLUDED.host, created_at=EXCLUDED.created_at, backend_pid=EXCLUDED.backend_pid",
            (self.workspace, lock_id, user, operation, pid, host, time.time()),
        )
        self._lock_id = lock_id
        return lock_id

    def release_lock(self, lock_id: str) -> None:
        if self._lock_conn is None or self._lock_id != lock_id:
            return
        self._lock_conn.execute(
            "DELETE FROM reconciler_locks WHERE workspace=%s AND lock_id=%s", (self.workspace, lock_id)
        )
        self._lock_conn.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key,))
        self._lock_id = None

    def force_unlock(self, lock_id: str) -> bool:
        """End the session holding the lock with that id (``pg_terminate_backend``: needs the same
        role or ``pg_signal_backend``); a lock whose holder already died is gone on its own."""
        row = self._db.execute(
            "SELECT backend_pid FROM reconciler_locks WHERE workspace=%s AND lock_id=%s", (self.workspace, lock_id)
        ).fetchone()
        if row is None:
            return False
        if self._held_by_other():
            self._db.execute("SELECT pg_terminate_backend(%s)", (row[0],))
        self._db.execute("DELETE FROM reconciler_locks WHERE workspace=%s AND lock_id=%s", (self.workspace, lock_id))
        return True

    def close(self) -> None:
        if self._lock_conn is not None:
            self._lock_conn.close()
            self._lock_conn = None
            self._lock_id = None
        self._db.close()

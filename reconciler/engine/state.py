"""State: what this tool manages, behind a small backend interface (``StateBackend``).

Per resource: address, kind, remote id, whether this tool created it (``managed``: only those are
ever deleted), ``prevent_destroy`` (kept in state so that deleting the YAML block does not lift the
protection), keyed hashes of secret attributes (HMAC-SHA256, so a changed password is detected
without storing it), non-sensitive outputs, and the last health-check status. A state also holds
its ``lineage`` (a UUID fixed when the state is created), its ``serial`` (incremented by every
write), a *key check* (an HMAC of a constant with the secret-hash key: a wrong key is refused
instead of marking every secret as changed) and a lock naming its holder. Writes happen per action
during apply, not at the end.

Two backends: ``StateStore``, SQLite under ``<config root>/.reconciler/state.db`` (the default,
here), and ``pgstate.PostgresStateStore`` (PostgreSQL, for teams and CI); ``backends.open_state``
chooses. The secret-hash key comes from ``RECONCILER_SECRET_KEY`` / ``RECONCILER_SECRET_KEY_FILE``
(``secret_key_from``); only the local SQLite default falls back to ``.reconciler/secret.key``.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import sqlite3
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .addrs import Address
from .errors import LockError, StateError

FORMAT_VERSION = 1
KEY_ENV = "RECONCILER_SECRET_KEY"
KEY_FILE_ENV = "RECONCILER_SECRET_KEY_FILE"
_KEY_CHECK_MSG = b"aem-assets-reconciler key check v1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
  address TEXT PRIMARY KEY, kind TEXT NOT NULL, remote_id TEXT NOT NULL,
  managed INTEGER NOT NULL, prevent_destroy INTEGER NOT NULL DEFAULT 0,
  secret_hashes TEXT NOT NULL DEFAULT '{}', outputs TEXT NOT NULL DEFAULT '{}',
  attributes TEXT NOT NULL DEFAULT '{}', dependencies TEXT NOT NULL DEFAULT '[]',
  check_status TEXT, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
  address TEXT PRIMARY KEY, kind TEXT NOT NULL, natural_key TEXT, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS lock (
  id INTEGER PRIMARY KEY CHECK (id = 1), lock_id TEXT NOT NULL, holder TEXT NOT NULL,
  operation TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL, created_at REAL NOT NULL);
"""


def _json(text: str) -> Any:
    """``json.loads`` of a stored column, without the decoder for the empty ``{}`` and ``[]`` most
    columns hold (a state of 10,000 records is decoded on every plan)."""
    if text == "{}":
        return {}
    if text == "[]":
        return []
    return json.loads(text)


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

    def row(self) -> tuple[Any, ...]:
        """The record as the 11 column values both backends store (JSON text for the mappings,
        ``updated_at`` in seconds since the epoch last)."""
        return (
            self.address,
            self.kind,
            self.remote_id,
            bool(self.managed),
            bool(self.prevent_destroy),
            json.dumps(self.secret_hashes, sort_keys=True),
            json.dumps(self.outputs, sort_keys=True, default=str),
            json.dumps(self.attributes, sort_keys=True, default=str),
            json.dumps(sorted(self.dependencies)),
            self.check_status,
            time.time(),
        )

    @classmethod
    def from_row(cls, r: tuple[Any, ...]) -> StateRecord:
        """The inverse of ``row`` (the first 10 columns)."""
        return cls(
            address=r[0],
            kind=r[1],
            remote_id=r[2],
            managed=bool(r[3]),
            prevent_destroy=bool(r[4]),
            secret_hashes=_json(r[5]),
            outputs=_json(r[6]),
            attributes=_json(r[7]),
            dependencies=_json(r[8]),
            check_status=r[9],
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready record, as ``state pull`` writes it (the keyed hashes, never a secret)."""
        return {
            "address": self.address,
            "kind": self.kind,
            "remote_id": self.remote_id,
            "managed": self.managed,
            "prevent_destroy": self.prevent_destroy,
            "secret_hashes": dict(self.secret_hashes),
            "outputs": self.outputs,
            "attributes": self.attributes,
            "dependencies": list(self.dependencies),
            "check_status": self.check_status,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> StateRecord:
        """The inverse of ``to_json``; raises KeyError/TypeError on a malformed entry."""
        return cls(
            address=str(d["address"]),
            kind=str(d["kind"]),
            remote_id=str(d["remote_id"]),
            managed=bool(d["managed"]),
            prevent_destroy=bool(d.get("prevent_destroy", False)),
            secret_hashes=dict(d.get("secret_hashes", {})),
            outputs=dict(d.get("outputs", {})),
            attributes=dict(d.get("attributes", {})),
            dependencies=list(d.get("dependencies", [])),
            check_status=d.get("check_status"),
        )


@dataclass(frozen=True)
class Intent:
    """A create about to be made (written before the API call, cleared once its record is written):
    ``address``, ``kind`` and ``natural_key`` (the provider's ``identity``, e.g.
    ``author:/content/dam/mc-demo``; None when the kind has none). A run that finds an object at an
    intended key with no record knows this tool made it (an interrupted apply) and records it as
    managed; an object found without an intent is adopted (never deleted by this tool)."""

    address: str
    kind: str
    natural_key: str | None

    def to_json(self) -> dict[str, Any]:
        """``{"address", "kind", "natural_key"}``, as ``state pull`` writes each pending intent."""
        return {"address": self.address, "kind": self.kind, "natural_key": self.natural_key}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Intent:
        """The inverse of ``to_json``; raises KeyError/TypeError/ValueError on a malformed entry."""
        key = d.get("natural_key")
        if not isinstance(d["address"], str) or not isinstance(d["kind"], str) or not isinstance(key, str | None):
            raise TypeError(f"intent entries hold strings (address, kind, natural_key), got {dict(d)!r}")
        return cls(d["address"], d["kind"], key)


@dataclass(frozen=True)
class LockInfo:
    """Who holds a state lock: ``holder`` (user), ``pid`` and ``host`` of the process, the
    ``operation`` (plan, apply, ...), ``created_at`` (seconds since the epoch) and the ``lock_id``
    that ``state unlock`` takes."""

    lock_id: str
    holder: str
    operation: str
    pid: int
    host: str
    created_at: float

    def describe(self) -> str:
        """One line naming the holder, for lock errors."""
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created_at))
        return f"{self.holder} (pid {self.pid} on {self.host}, {self.operation}, since {when}, lock id {self.lock_id})"


@dataclass(frozen=True)
class Snapshot:
    """A consistent read of a whole state: lineage, serial, records and the pending create intents
    (``Intent`` by address), read in one transaction; what ``state pull`` prints and ``state push``
    and ``state migrate`` write, so that an interrupted apply's intents survive them (the next run
    still records the objects it made as managed)."""

    lineage: str
    serial: int
    records: dict[str, StateRecord]
    key_check: str | None = None
    intents: dict[str, Intent] = field(default_factory=dict)


#: the keys every document ``StateBackend.pull`` writes holds
_PULL_KEYS = ("lineage", "serial", "resources")


def snapshot_from_pull(doc: Any, kinds: Collection[str] | None = None) -> Snapshot:
    """The ``Snapshot`` of a document written by ``StateBackend.pull`` (``state push``). A document
    without ``intents`` (written before they were exported) has none.

    Every entry is checked before anything is returned, so a hand-edited document that the engine
    would misread (a ``remote_id`` that is a list, an address whose prefix is not its kind) is
    refused instead of written: each ``resources`` entry needs an ``address`` of the form
    ``<kind>.<name>``, a ``kind`` equal to the address's prefix (and in ``kinds`` when given: the
    caller's known kinds, as the engine does not know them), a non-empty string ``remote_id``, a
    boolean ``managed`` (and ``prevent_destroy`` when present), mappings for ``outputs`` and
    ``attributes``, a mapping of strings to strings for ``secret_hashes``, a list of addresses for
    ``dependencies`` and ``check_status`` null, ``passed`` or ``failed``; each ``intents`` entry an
    address and kind the same way and a string or null ``natural_key``. No address may appear twice.

    Raises:
        ValueError: ``doc`` is not such a document, with a message saying what is wrong: not a
            mapping, missing keys (``missing 'lineage', 'serial' and 'resources'``), a key of the
            wrong type, or which entry of ``resources``/``intents`` is malformed, naming its index,
            its address when that is readable (``resources[0] (folders.x) is malformed: 'remote_id'
            is a list ...``), the field, and how to fix it.
    """
    if not isinstance(doc, Mapping):
        raise ValueError(f"the document is {_kind_of(doc)}, not a mapping with {_and(_PULL_KEYS)}")
    missing = [k for k in _PULL_KEYS if k not in doc]
    if missing:
        raise ValueError(f"missing {_and(missing)}")
    serial = doc["serial"]
    if not isinstance(doc["lineage"], str) or isinstance(serial, bool) or not isinstance(serial, int):
        raise ValueError("'lineage' must be a string and 'serial' an integer")
    known = None if kinds is None else tuple(kinds)
    records = _by_address("resources", _entries(doc, "resources", lambda d: _record_from_pull(d, known)))
    intents = _by_address("intents", _entries(doc, "intents", lambda d: _intent_from_pull(d, known)))
    key_check = doc.get("key_check")
    if key_check is not None and not isinstance(key_check, str):
        raise ValueError("'key_check' must be a string")
    return Snapshot(doc["lineage"], serial, records, key_check, intents)


_T = TypeVar("_T", StateRecord, Intent)
_CHECK_STATUSES = (None, "passed", "failed")
#: the "how to fix" part of a message about a field only ``state pull`` writes
_RESTORE = "restore it from the pulled document (or remove the entry)"


def _entries(doc: Mapping[str, Any], key: str, parse: Callable[[Mapping[str, Any]], _T]) -> list[_T]:
    """``parse`` of each entry of the list ``doc[key]`` (none when absent or null); ValueError
    naming the entry (``resources[2] (folders.x) has no 'kind'``) when one is malformed."""
    items = doc.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValueError(f"'{key}' must be a list, got {_kind_of(items)}")
    out: list[_T] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValueError(f"{key}[{i}] is {_kind_of(item)}, not a mapping")
        where = _entry_name(key, i, item)
        try:
            out.append(parse(item))
        except KeyError as exc:
            raise ValueError(f"{where} has no {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} is malformed: {exc}") from None
    return out


def _entry_name(key: str, index: int, item: Mapping[str, Any]) -> str:
    """``resources[2] (folders.x)``; just ``resources[2]`` when the entry has no readable address."""
    address = item.get("address")
    if isinstance(address, str) and _is_address(address):
        return f"{key}[{index}] ({address})"
    return f"{key}[{index}]"


def _by_address(key: str, entries: list[_T]) -> dict[str, _T]:
    """The entries by address; ValueError when two entries of ``key`` have the same address."""
    out: dict[str, _T] = {}
    first: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if entry.address in out:
            raise ValueError(
                f"{key}[{i}] ({entry.address}) is malformed: its address is also {key}[{first[entry.address]}];"
                " keep one entry per address"
            )
        out[entry.address] = entry
        first[entry.address] = i
    return out


def _is_address(text: str) -> bool:
    try:
        Address.parse(text)
    except ValueError:
        return False
    return True


def _address_and_kind(d: Mapping[str, Any], kinds: tuple[str, ...] | None) -> tuple[str, str]:
    """The checked ``address`` and ``kind`` of a pushed entry. Raises KeyError (a key is missing)
    or ValueError saying which field is wrong and how to fix it."""
    address, kind = d["address"], d["kind"]
    if not isinstance(address, str) or not _is_address(address):
        raise ValueError(
            f"'address' is {_shown(address)}, not a resource address; write <kind>.<name>, e.g. folders.mc-demo"
        )
    if not isinstance(kind, str):
        raise ValueError(f"'kind' is {_shown(kind)}, not a string; write the kind its address starts with")
    prefix = address.partition(".")[0]
    if kinds is not None and kind not in kinds:
        fix = f"write {prefix!r}, the kind its address starts with" if prefix in kinds else (
            f"write one of {', '.join(kinds)}")
        raise ValueError(f"'kind' is {kind!r}, not a known kind; {fix}")
    if kind != prefix:
        raise ValueError(
            f"'kind' is {kind!r} but the address is of kind {prefix!r}; make them the same"
            " (rename a resource with `reconciler state mv`, never by editing its kind)"
        )
    return address, kind


def _record_from_pull(d: Mapping[str, Any], kinds: tuple[str, ...] | None) -> StateRecord:
    """The ``StateRecord`` of one checked ``resources`` entry (see ``snapshot_from_pull``). Raises
    KeyError (a required key is missing) or ValueError naming the field and how to fix it."""
    _address_and_kind(d, kinds)
    remote_id, managed = d["remote_id"], d["managed"]
    if not isinstance(remote_id, str) or not remote_id.strip():
        raise ValueError(
            f"'remote_id' is {_shown(remote_id)}; it must be the object's id as a non-empty string; {_RESTORE}"
        )
    for name, value in (("managed", managed), ("prevent_destroy", d.get("prevent_destroy", False))):
        if not isinstance(value, bool):
            raise ValueError(f"'{name}' is {_shown(value)}; write true or false")
    mappings = {name: d.get(name, {}) for name in ("secret_hashes", "outputs", "attributes")}
    for name, value in mappings.items():
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"'{name}' is {_kind_of(value)}, not a mapping; {_RESTORE}")
    if not all(isinstance(v, str) for v in mappings["secret_hashes"].values()):
        raise ValueError(f"'secret_hashes' holds a value that is not a string (a keyed hash); {_RESTORE}")
    dependencies = d.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(a, str) and _is_address(a) for a in dependencies):
        raise ValueError(f"'dependencies' must be a list of resource addresses (<kind>.<name>); {_RESTORE}")
    check_status = d.get("check_status")
    if check_status not in _CHECK_STATUSES:
        raise ValueError(f"'check_status' is {_shown(check_status)}; write null, \"passed\" or \"failed\"")
    return StateRecord.from_json(d)  # every field checked above: the conversions change nothing


def _intent_from_pull(d: Mapping[str, Any], kinds: tuple[str, ...] | None) -> Intent:
    """The ``Intent`` of one checked ``intents`` entry: ``Intent.from_json``'s type check, then the
    address and kind checks of a record. Raises KeyError or TypeError/ValueError as they do."""
    intent = Intent.from_json(d)
    _address_and_kind(d, kinds)
    return intent


def _shown(value: Any) -> str:
    """A JSON value for a message: its type and, for a short scalar, the value (``a list``,
    ``a number (3)``, ``''``). Never used on secret-bearing fields."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else f"a string of {len(value)} characters"
    if isinstance(value, bool | int | float):
        return f"{_kind_of(value)} ({json.dumps(value)})"
    return _kind_of(value)


def _kind_of(value: Any) -> str:
    """``a list``, ``a string``, ``null``: what a JSON value is, for messages."""
    if value is None:
        return "null"
    names = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number", dict: "a mapping"}
    return names.get(type(value), type(value).__name__)


def _and(keys: Sequence[str]) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b' and 'c'``."""
    quoted = [repr(k) for k in keys]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def holder_fields() -> tuple[str, int, str]:
    """(user, pid, host) of this process, for a lock's holder info."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    return user, os.getpid(), socket.gethostname()


def new_lock_id() -> str:
    """A fresh lock id (12 hex digits)."""
    return uuid.uuid4().hex[:12]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_duration(text: str) -> float:
    """``"0"``, ``"30s"``, ``"500ms"``, ``"5m"``, ``"1h"`` -> seconds. Raises ValueError otherwise."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration: {text!r} (write e.g. 30s, 5m, 500ms)")
    scale = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]
    return float(m.group(1)) * scale


def secret_key_from(environ: Mapping[str, str]) -> bytes | None:
    """The team's secret-hash key: ``RECONCILER_SECRET_KEY`` (its UTF-8 bytes) or the contents of the
    file named by ``RECONCILER_SECRET_KEY_FILE`` (surrounding whitespace stripped); None when neither
    is set. Raises StateError when the file cannot be read or a key is empty."""
    if environ.get(KEY_ENV):
        return environ[KEY_ENV].strip().encode()
    path = environ.get(KEY_FILE_ENV)
    if not path:
        return None
    try:
        key = key_from_file_bytes(Path(path).read_bytes())
    except OSError as exc:
        raise StateError(f"cannot read the secret-hash key file {path} ({KEY_FILE_ENV}): {exc.strerror}") from None
    if not key:
        raise StateError(f"the secret-hash key file {path} ({KEY_FILE_ENV}) is empty")
    return key


def key_from_file_bytes(raw: bytes) -> bytes:
    """The key a key file's bytes hold: text (UTF-8) with surrounding whitespace stripped, so a
    trailing newline does not count; bytes that are not UTF-8 (the binary ``secret.key`` that
    versions before 2026-12 wrote) are the key as they are, since a random byte at either end may be
    a whitespace byte. The local default and ``RECONCILER_SECRET_KEY_FILE`` both read through this,
    so the same file gives the same key either way."""
    try:
        return raw.decode("utf-8").strip().encode()
    except UnicodeDecodeError:
        return raw


def _stripped_binary(key: bytes) -> bytes | None:
    """``key`` stripped of surrounding whitespace bytes when it is binary (not UTF-8) and stripping
    changes it: how ``RECONCILER_SECRET_KEY_FILE`` read such a key before 2026-12; else None."""
    try:
        key.decode("utf-8")
    except UnicodeDecodeError:
        stripped = key.strip()
        return stripped if stripped and stripped != key else None
    return None


def key_check_value(key: bytes) -> str:
    """The keyed check value kept in a state to detect a wrong key (HMAC-SHA256 of a constant, hex);
    it reveals nothing about the key."""
    return hmac.new(key, _KEY_CHECK_MSG, hashlib.sha256).hexdigest()


class StateBackend(ABC):
    """What the engine needs of a state (the planner reads, the applier writes per action).

    Implementations: ``StateStore`` (SQLite) and ``pgstate.PostgresStateStore``. Every write is one
    atomic transaction that also increments the serial. ``identity`` names the state without any
    credential (it goes into saved plans). The secret-hash key is given with ``use_key``.
    """

    identity: str = ""
    display: str = ""
    _key: bytes | None = None

    # -- primitives each backend implements ----------------------------------------------------
    @property
    @abstractmethod
    def lineage(self) -> str:
        """The state's lineage (a UUID fixed when it was created)."""

    @property
    @abstractmethod
    def serial(self) -> int:
        """The state's serial (incremented by every write)."""

    @abstractmethod
    def snapshot(self) -> Snapshot:
        """Lineage, serial, key check and every record, read in one transaction."""

    @abstractmethod
    def get(self, address: str) -> StateRecord | None:
        """One record, or None."""

    @abstractmethod
    def put(self, record: StateRecord) -> None:
        """Insert or replace one record and bump the serial, atomically."""

    @abstractmethod
    def remove(self, address: str) -> None:
        """Delete one record (if present) and bump the serial, atomically."""

    @abstractmethod
    def put_intent(self, intent: Intent) -> None:
        """Record (or replace) the create intent of ``intent.address``, durably, before the create's API
        call. Intents are not records: the serial does not change."""

    @abstractmethod
    def clear_intent(self, address: str) -> None:
        """Drop the create intent of ``address`` (if any): its record is written, or it is forgotten."""

    @abstractmethod
    def intents(self) -> dict[str, Intent]:
        """Every pending create intent by address (left by an apply that stopped mid-create)."""

    @abstractmethod
    def move(self, source: str, destination: str) -> None:
        """Rename the record at ``source`` to ``destination`` (nothing else changes) and bump the
        serial, atomically; a record already at ``destination`` is replaced. No record at ``source``:
        nothing happens (the serial is still bumped). Callers check first (``move_address``)."""

    @abstractmethod
    def set_check_status(self, address: str, status: str) -> None:
        """Record a health check's result (``passed``/``failed``) and bump the serial."""

    @abstractmethod
    def replace_all(self, snap: Snapshot) -> None:
        """Make the state exactly ``snap`` (lineage, serial, key check, records, intents), atomically:
        what ``state push`` and ``state migrate`` write."""

    @abstractmethod
    def set_key_check(self, value: str) -> None:
        """Store the key check value (``key_check_value``) when the state has none."""

    @abstractmethod
    def lock_info(self) -> LockInfo | None:
        """The current lock's holder, or None when the state is not locked."""

    @abstractmethod
    def acquire_lock(self, operation: str, timeout_s: float = 0.0) -> str:
        """Take the lock for ``operation``, waiting up to ``timeout_s`` seconds; returns the lock id.
        Raises LockError naming the holder."""

    @abstractmethod
    def release_lock(self, lock_id: str) -> None:
        """Release a lock this process took."""

    @abstractmethod
    def force_unlock(self, lock_id: str) -> bool:
        """Remove the lock with that id held by another run; True if there was one."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection(s); a held lock is released."""

    # -- shared behaviour -----------------------------------------------------------------------
    def records(self) -> dict[str, StateRecord]:
        """All records by address (one consistent read)."""
        return self.snapshot().records

    def stored_key_check(self) -> str | None:
        """The key check the state was written with (None: none yet). Backends may read it alone;
        by default it comes from a snapshot."""
        return self.snapshot().key_check

    def use_key(self, key: bytes) -> None:
        """Hash secrets with ``key`` from now on. Raises StateError when the state was written with
        another key (its key check differs); a state without a key check gets this key's.

        A binary key (not UTF-8: a ``secret.key`` of versions before 2026-12) also matches a state
        written with it stripped of surrounding whitespace bytes, as ``RECONCILER_SECRET_KEY_FILE``
        read it then (``key_from_file_bytes``); that state keeps being hashed with the stripped key."""
        check = key_check_value(key)
        stored = self.stored_key_check()
        legacy = _stripped_binary(key)
        if stored is not None and legacy is not None and hmac.compare_digest(stored, key_check_value(legacy)):
            key, check = legacy, stored
        if stored is None:
            self.set_key_check(check)
        elif not hmac.compare_digest(stored, check):
            raise StateError(
                f"the secret-hash key does not match the key the state {self.display or self.identity} was written"
                " with;"
                f" use the team's key ({KEY_ENV} or {KEY_FILE_ENV}): with another key every secret would"
                " look changed"
            )
        self._key = key

    def secret_hash(self, address: str, field_name: str, value: str) -> str:
        """Keyed hash (HMAC-SHA256, hex) of a secret value, bound to its address and field.
        Raises StateError when no key was given (``use_key``)."""
        if self._key is None:
            raise StateError(
                f"no secret-hash key for the state {self.identity}: set {KEY_ENV} (or {KEY_FILE_ENV}, a file)"
                " to the key the team shares"
            )
        msg = f"{address}\0{field_name}\0{value}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def dump(self) -> dict[str, Any]:
        """JSON-ready view of the whole state (no secrets: only their keyed hashes' presence)."""
        snap = self.snapshot()
        resources = []
        for r in snap.records.values():
            entry = r.to_json()
            del entry["secret_hashes"]
            entry["sensitive_attributes"] = sorted(r.secret_hashes)
            resources.append(entry)
        return {
            "format_version": FORMAT_VERSION,
            "lineage": snap.lineage,
            "serial": snap.serial,
            "resources": resources,
        }

    def pull(self) -> dict[str, Any]:
        """The state as a portable JSON document (``state pull``): lineage, serial, backend identity
        and every record with the keyed hashes of its secrets (useless without the team's key);
        never a secret value."""
        snap = self.snapshot()
        return {
            "format_version": FORMAT_VERSION,
            "lineage": snap.lineage,
            "serial": snap.serial,
            "backend": self.identity,
            "key_check": snap.key_check,
            "resources": [r.to_json() for r in snap.records.values()],
            "intents": [i.to_json() for i in snap.intents.values()],
        }

    @contextmanager
    def locked(self, operation: str, timeout_s: float = 0.0) -> Iterator[str]:
        """Hold the lock for the ``with`` block; yields the lock id."""
        lock_id = self.acquire_lock(operation, timeout_s)
        try:
            yield lock_id
        finally:
            self.release_lock(lock_id)

    def _locked_error(self, info: LockInfo | None, timeout_s: float) -> LockError:
        holder = info.describe() if info else "another run"
        waited = f" (waited {timeout_s:g}s)" if timeout_s else ""
        return LockError(
            f"the state {self.display or self.identity} is locked by {holder}{waited}; wait for that run to finish"
            " (or pass -lock-timeout=DURATION to wait), or, if it died, run"
            f" `reconciler state unlock {info.lock_id if info else 'LOCK_ID'}`"
        )


def move_address(state: StateBackend, source: str, destination: str) -> StateRecord:
    """``reconciler state mv SOURCE DESTINATION``: rename a state record, with no API call (the
    object is the same; only the configuration's name for it changed). Returns the record as now
    stored. Raises StateError when ``source`` has no record, ``destination`` already has one, the
    addresses name different kinds (``folders.a`` -> ``users.a``), or an address is malformed.
    The caller holds the state lock."""
    for addr in (source, destination):
        if not _ADDRESS.match(addr):
            raise StateError(f"{addr!r} is not a resource address (write kind.name, e.g. folders.demo)")
    rec = state.get(source)
    if rec is None:
        raise StateError(f"no resource {source} in the state {state.display or state.identity}")
    if source == destination:
        return rec
    if state.get(destination) is not None:
        raise StateError(
            f"{destination} is already in the state; remove it first with `reconciler state rm {destination}`"
        )
    if destination.split(".", 1)[0] != rec.kind:
        raise StateError(f"cannot move {source} (kind {rec.kind}) to {destination}: a move keeps the kind")
    state.move(source, destination)
    moved = state.get(destination)
    assert moved is not None
    return moved


def forget_address(state: StateBackend, address: str) -> StateRecord:
    """``reconciler state rm ADDRESS``: forget a resource, leaving the remote object in place (no API
    call; the next plan adopts it if the configuration still declares it). Returns the removed
    record. Raises StateError when there is no record at ``address``. The caller holds the lock."""
    rec = state.get(address)
    if rec is None:
        raise StateError(f"no resource {address} in the state {state.display or state.identity}")
    state.remove(address)
    state.clear_intent(address)
    return rec


#: the rows and records of the last ``read_records_offline``, for the next ``StateStore.records``
#: that reads exactly the same rows (a plan's offline rule, then the plan itself, under the lock):
#: handed over once, so decoding 10,000 records' JSON happens once per plan, not twice
_HANDOVER: list[tuple[list[Any], dict[str, StateRecord]]] = []


def _decoded(rows: list[Any]) -> dict[str, StateRecord]:
    """The records of ``rows`` (``StateStore._COLUMNS``): those handed over by the last offline read
    when its rows are equal (the records are then the same objects, whose reader is done with them),
    else decoded now."""
    if _HANDOVER and _HANDOVER[0][0] == rows:
        return _HANDOVER.pop()[1]
    return {r[0]: StateRecord.from_row(r) for r in rows}


def read_records_offline(path: Path) -> dict[str, StateRecord] | None:
    """The records of the SQLite state at ``path``, read-only (no key, no lock, nothing written,
    no network), for offline checks such as ``validate``; None when there is no such file or it is
    not a state database (the commands that open the state report that)."""
    if not Path(path).is_file():
        return None
    try:
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        rows = db.execute(f"SELECT {StateStore._COLUMNS} FROM resources ORDER BY address").fetchall()
        records = {r[0]: StateRecord.from_row(r) for r in rows}
        _HANDOVER[:] = [(rows, records)]
        return records
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        db.close()


_ADDRESS = re.compile(r"^[a-z][a-z0-9_]*\.[A-Za-z0-9][A-Za-z0-9_-]*$")


class StateStore(StateBackend):
    """SQLite-backed state (the default). ``path`` is the database file; its directory is created
    if needed. ``key``: the secret-hash key; None reads (or creates) ``secret.key`` beside the
    database, for local use. The lock is a row: it excludes runs on this machine only.

    Raises StateError when the file is not a state database, or the key does not match.
    """

    def __init__(self, path: Path, *, key: bytes | None = None, local_key: bool = True) -> None:
        self.path = Path(path)
        self.identity = "local"
        self.display = str(self.path)
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
        if key is None and local_key:
            key = self._load_local_key()
        if key is not None:
            self.use_key(key)

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

    def _load_local_key(self) -> bytes:
        key_path = self.path.parent / "secret.key"
        if not key_path.exists():
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")  # text: it also fits RECONCILER_SECRET_KEY
        key = key_from_file_bytes(key_path.read_bytes())
        if not key:
            raise StateError(f"the secret-hash key file {key_path} is empty; remove it to make a new one")
        return key

    def stored_key_check(self) -> str | None:
        return self._meta("key_check")

    def set_key_check(self, value: str) -> None:
        with self._tx():
            if self._meta("key_check") is None:
                self._set_meta("key_check", value)

    # -- records ----------------------------------------------------------------------------------
    _COLUMNS = (
        "address, kind, remote_id, managed, prevent_destroy, secret_hashes, outputs, attributes,"
        " dependencies, check_status"
    )

    def snapshot(self) -> Snapshot:
        self._db.execute("BEGIN")
        try:
            rows = self._db.execute(f"SELECT {self._COLUMNS} FROM resources ORDER BY address").fetchall()
            snap = Snapshot(self.lineage, self.serial, {r[0]: StateRecord.from_row(r) for r in rows},
                            self._meta("key_check"), self.intents())
        finally:
            self._db.execute("COMMIT")
        return snap

    def records(self) -> dict[str, StateRecord]:
        """All records by address (one query)."""
        rows = self._db.execute(f"SELECT {self._COLUMNS} FROM resources ORDER BY address").fetchall()
        return _decoded(rows)

    def get(self, address: str) -> StateRecord | None:
        """One record (one indexed query), or None."""
        row = self._db.execute(f"SELECT {self._COLUMNS} FROM resources WHERE address=?", (address,)).fetchone()
        return None if row is None else StateRecord.from_row(row)

    _INSERT = (
        "INSERT OR REPLACE INTO resources(address, kind, remote_id, managed, prevent_destroy,"
        " secret_hashes, outputs, attributes, dependencies, check_status, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    )

    def put(self, record: StateRecord) -> None:
        """Insert or replace one record and bump the serial, atomically."""
        with self._tx():
            self._db.execute(self._INSERT, record.row())
            self._bump()

    def remove(self, address: str) -> None:
        with self._tx():
            self._db.execute("DELETE FROM resources WHERE address=?", (address,))
            self._bump()

    def put_intent(self, intent: Intent) -> None:
        with self._tx():
            self._db.execute(
                "INSERT OR REPLACE INTO intents(address, kind, natural_key, created_at) VALUES (?,?,?,?)",
                (intent.address, intent.kind, intent.natural_key, time.time()),
            )

    def clear_intent(self, address: str) -> None:
        with self._tx():
            self._db.execute("DELETE FROM intents WHERE address=?", (address,))

    def intents(self) -> dict[str, Intent]:
        rows = self._db.execute("SELECT address, kind, natural_key FROM intents ORDER BY address").fetchall()
        return {r[0]: Intent(r[0], r[1], r[2]) for r in rows}

    def move(self, source: str, destination: str) -> None:
        with self._tx():
            self._db.execute("DELETE FROM resources WHERE address=? AND ? <> ?", (destination, source, destination))
            self._db.execute("UPDATE resources SET address=? WHERE address=?", (destination, source))
            self._bump()

    def set_check_status(self, address: str, status: str) -> None:
        with self._tx():
            self._db.execute("UPDATE resources SET check_status=? WHERE address=?", (status, address))
            self._bump()

    def replace_all(self, snap: Snapshot) -> None:
        with self._tx():
            self._db.execute("DELETE FROM resources")
            self._db.executemany(self._INSERT, [r.row() for r in snap.records.values()])
            self._db.execute("DELETE FROM intents")
            self._db.executemany(
                "INSERT INTO intents(address, kind, natural_key, created_at) VALUES (?,?,?,?)",
                [(i.address, i.kind, i.natural_key, time.time()) for i in snap.intents.values()],
            )
            self._set_meta("lineage", snap.lineage)
            self._set_meta("serial", str(snap.serial))
            if snap.key_check is not None:
                self._set_meta("key_check", snap.key_check)
            else:
                self._db.execute("DELETE FROM meta WHERE key='key_check'")

    # -- lock -------------------------------------------------------------------------------------
    def lock_info(self) -> LockInfo | None:
        row = self._db.execute(
            "SELECT lock_id, holder, operation, pid, host, created_at FROM lock WHERE id=1"
        ).fetchone()
        return None if row is None else LockInfo(*row)

    def acquire_lock(self, operation: str, timeout_s: float = 0.0) -> str:
        """Take the lock for ``operation`` (polling every 0.1 s up to ``timeout_s``); returns the lock
        id. Raises LockError naming the holder."""
        lock_id = new_lock_id()
        user, pid, host = holder_fields()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with self._tx():
                    self._db.execute(
                        "INSERT INTO lock(id, lock_id, holder, operation, pid, host, created_at)"
                        " VALUES (1,?,?,?,?,?,?)",
                        (lock_id, user, operation, pid, host, time.time()),
                    )
                return lock_id
            except sqlite3.IntegrityError:
                if time.monotonic() >= deadline:
                    raise self._locked_error(self.lock_info(), timeout_s) from None
                time.sleep(0.1)

    def release_lock(self, lock_id: str) -> None:
        with self._tx():
            self._db.execute("DELETE FROM lock WHERE id=1 AND lock_id=?", (lock_id,))

    def force_unlock(self, lock_id: str) -> bool:
        """Remove a lock left by a dead run; True if a lock with that id was removed."""
        with self._tx():
            cur = self._db.execute("DELETE FROM lock WHERE id=1 AND lock_id=?", (lock_id,))
        return cur.rowcount > 0

    def close(self) -> None:
        self._db.close()

"""The sandbox world: one SQLite file shared by every emulator (AEM, IMS, Console, UMAPI, Workfront).

Every request opens its own connection and runs its database work in one transaction
(``World.tx``), so several processes (plan, apply, plan) and several concurrent requests in one
event loop see one consistent world. The file is created and seeded on first use.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import pki
from .workfront.seed import seed_workfront

# --------------------------------------------------------------------------------------------------
# Seeded facts (docs/api-fidelity.md "Seeded world")
# --------------------------------------------------------------------------------------------------

RECONCILER_CLIENT_ID = "5f0c2ab1d3e94c7a8b6d1e2f3a4b5c6d"
RECONCILER_TECH_ACCOUNT = "7C1D2E3F4A5B6C7D8E9F0A1B@techacct.adobe.com"

SEED: dict[str, Any] = {
    "orgs": [
        {
            "id": "23294",
            "code": "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg",
            "name": "Acme Corp",
            "description": "Acme Corp (sandbox)",
            "type": "entp",
            "role": "ADMIN",
            "creative_cloud_entitled": True,
        },
        {
            "id": "50512",
            "code": "0F1E2D3C4B5A69788796A5B4@AdobeOrg",
            "name": "Acme Creative",
            "description": "Acme Creative, the Creative Cloud org (sandbox)",
            "type": "entp",
            "role": "ADMIN",
            "creative_cloud_entitled": True,
        },
    ],
    "reconciler_credential": {
        "client_id": RECONCILER_CLIENT_ID,
        "client_secret": "p8e-SandboxReconcilerSecret0123456789ab",
        "technical_account_id": RECONCILER_TECH_ACCOUNT,
        "technical_account_email": "5c0b6e1e-6d0c-4c9e-9a51-0d6f4b1a2c3d@techacct.adobe.com",
        "scopes": [
            "openid",
            "AdobeID",
            "read_organizations",
            "additional_info.projectedProductContext",
            "additional_info.roles",
            "adobeio_api",
            "read_client_secret",
            "manage_client_secrets",
            "user_management_sdk",
        ],
    },
    # Base scopes a credential created in the Console may request at /ims/token/v3, on top of the
    # legacy scopes of the services it is subscribed to.
    "credential_base_scopes": [
        "openid",
        "AdobeID",
        "read_organizations",
        "additional_info.projectedProductContext",
        "additional_info.roles",
    ],
    "services": [
        {"code": "AEMAssetsDAMSDK", "name": "AEM Assets DAM", "scopes": ["dam-read", "dam-write"]},
        {"code": "AEMAssetsSyncSDK", "name": "AEM Assets Sync", "scopes": ["dam-sync"]},
        {"code": "CCShareSDK", "name": "Creative Cloud Share", "scopes": ["cc-share"]},
        {"code": "UserMgmtSDK", "name": "User Management API", "scopes": []},
    ],
    # User Management API (docs/api-fidelity.md "User Management API"): groups per IMS org. A
    # product profile of a Creative Cloud product is what "active Creative Cloud entitlement" means.
    "umapi_groups": {
        "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg": [
            {"name": "Marketing Cloud", "type": "PRODUCT_PROFILE", "productName": "Adobe Experience Cloud"},
            {"name": "Creative Cloud All Apps", "type": "PRODUCT_PROFILE",
             "productName": "Creative Cloud All Apps", "creative_cloud": True},
            {"name": "Assets Editors", "type": "USER_GROUP"},
            {"name": "_org_admin", "type": "SYSADMIN_GROUP"},
        ],
        "0F1E2D3C4B5A69788796A5B4@AdobeOrg": [
            {"name": "Creative Cloud All Apps", "type": "PRODUCT_PROFILE",
             "productName": "Creative Cloud All Apps", "creative_cloud": True},
            {"name": "Designers", "type": "USER_GROUP"},
            {"name": "_org_admin", "type": "SYSADMIN_GROUP"},
        ],
    },
    "umapi_users": [
        {"org": "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg", "email": "admin@acme.example", "type": "federatedID",
         "firstname": "Ada", "lastname": "Admin", "country": "US", "groups": ["_org_admin"]},
        {"org": "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg", "email": "dana@acme.example", "type": "federatedID",
         "firstname": "Dana", "lastname": "Designer", "country": "US", "groups": ["Assets Editors"]},
        {"org": "0F1E2D3C4B5A69788796A5B4@AdobeOrg", "email": "cleo@acme-creative.example", "type": "adobeID",
         "firstname": "Cleo", "lastname": "Creative", "country": "GB", "groups": ["Creative Cloud All Apps"]},
    ],
    # The Creative Cloud org AEM Assets is connected to (seed 001), by IMS org id.
    "cc_connection": "A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg",
    "aem": {
        "users": {"admin": "admin"},
        "bearer_tokens": {"sandbox-aem-dev-token": "admin"},
        "mac_service_path": "/etc/cloudservices/marketingcloud",
        "agents_path": "/etc/replication/agents.author",
        "existing_folder": "/content/dam/we-retail",
    },
}

DEFAULT_FAULTS: dict[str, int] = {
    "latency_ms": 0,
    "fail_next": 0,
    "fail_status": 503,
    "retry_after": 1,
    "crash_after_writes": 0,
    "rate_limit_rps": 0,
}
_FAULT_STATE = {"writes": 0, "crashed": False, "rate_limited": 0}
_RATE_BUCKET = "rate_bucket:"  # meta key prefix of the rate_limit_rps fault's token buckets

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    path TEXT PRIMARY KEY, parent TEXT, name TEXT NOT NULL, type TEXT NOT NULL,
    props TEXT NOT NULL, ord INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS nodes_parent ON nodes(parent, ord);
CREATE INDEX IF NOT EXISTS nodes_ord ON nodes(ord);
CREATE TABLE IF NOT EXISTS mac_keys (
    config_path TEXT PRIMARY KEY, tenant TEXT NOT NULL, user_id TEXT NOT NULL,
    key_pem TEXT NOT NULL, cert_pem TEXT NOT NULL, fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs (
    id TEXT PRIMARY KEY, code TEXT UNIQUE NOT NULL, name TEXT NOT NULL, description TEXT,
    type TEXT NOT NULL, cc_entitled INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS org_members (
    org_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (org_id, user_id));
CREATE TABLE IF NOT EXISTS services (
    org_id TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    scopes TEXT NOT NULL, pos INTEGER NOT NULL, PRIMARY KEY (org_id, code));
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,
    description TEXT NOT NULL, type TEXT NOT NULL, date_created TEXT NOT NULL,
    date_last_modified TEXT NOT NULL, who_created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,
    description TEXT NOT NULL, date_created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY, client_secret TEXT, base_scopes TEXT NOT NULL,
    technical_account_id TEXT NOT NULL, technical_account_email TEXT NOT NULL,
    org_id TEXT, credential_id TEXT);
CREATE TABLE IF NOT EXISTS credentials (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, project_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
    name TEXT NOT NULL, description TEXT NOT NULL, flow_type TEXT NOT NULL,
    integration_type TEXT NOT NULL, client_id TEXT NOT NULL, date_created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    credential_id TEXT NOT NULL, sdk_code TEXT NOT NULL, pos INTEGER NOT NULL,
    PRIMARY KEY (credential_id, sdk_code));
CREATE TABLE IF NOT EXISTS umapi_users (
    org TEXT NOT NULL, email TEXT NOT NULL, id TEXT NOT NULL, username TEXT NOT NULL, domain TEXT NOT NULL,
    type TEXT NOT NULL, firstname TEXT, lastname TEXT, country TEXT, status TEXT NOT NULL,
    pos INTEGER NOT NULL, PRIMARY KEY (org, email));
CREATE TABLE IF NOT EXISTS umapi_groups (
    org TEXT NOT NULL, name TEXT NOT NULL, group_id INTEGER NOT NULL, type TEXT NOT NULL,
    product_name TEXT, description TEXT NOT NULL DEFAULT '', creative_cloud INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org, name));
CREATE TABLE IF NOT EXISTS umapi_members (
    org TEXT NOT NULL, email TEXT NOT NULL, group_name TEXT NOT NULL, PRIMARY KEY (org, email, group_name));
CREATE TABLE IF NOT EXISTS cc_connection (
    id INTEGER PRIMARY KEY CHECK (id = 1), org TEXT, switched_at TEXT);
CREATE TABLE IF NOT EXISTS folder_shares (
    path TEXT NOT NULL, target TEXT NOT NULL, members TEXT NOT NULL, config TEXT, shared_at TEXT NOT NULL,
    PRIMARY KEY (path, target));
CREATE TABLE IF NOT EXISTS bindings (
    id TEXT PRIMARY KEY, credential_id TEXT NOT NULL, cert_pem TEXT NOT NULL,
    fingerprint TEXT NOT NULL, not_after INTEGER NOT NULL, created INTEGER NOT NULL);
"""


# --------------------------------------------------------------------------------------------------
# Small helpers shared by the emulators
# --------------------------------------------------------------------------------------------------


def ecma_date(when: dt.datetime | None = None) -> str:
    """A JCR date as Sling renders it with ECMA support: ``EEE MMM dd yyyy HH:mm:ss 'GMT'Z``."""
    when = when or dt.datetime.now(dt.UTC)
    return when.strftime("%a %b %d %Y %H:%M:%S GMT%z")


def iso_now() -> str:
    """UTC now as ``2024-01-31T12:00:00.000Z`` (Console dates)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def random_digits(n: int) -> str:
    """A random decimal string of ``n`` digits without a leading zero (Console ids)."""
    return str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(n - 1))


def new_technical_account() -> tuple[str, str]:
    """(technical account id ``<24 upper hex>@techacct.adobe.com``, email ``<uuid>@techacct...``)."""
    return (
        secrets.token_hex(12).upper() + "@techacct.adobe.com",
        f"{uuid.uuid4()}@techacct.adobe.com",
    )


def insert_node(conn: sqlite3.Connection, path: str, ntype: str, props: dict[str, Any]) -> None:
    """Insert one JCR node row (parent must exist, except for ``/``)."""
    if path == "/":
        parent, name = None, ""
    else:
        parent, _, name = path.rpartition("/")
        parent = parent or "/"
    (ordv,) = conn.execute("SELECT COALESCE(MAX(ord), 0) + 1 FROM nodes").fetchone()
    conn.execute(
        "INSERT INTO nodes(path, parent, name, type, props, ord) VALUES (?,?,?,?,?,?)",
        (path, parent, name, ntype, json.dumps(props), ordv),
    )


def umapi_insert_user(
    conn: sqlite3.Connection, org: str, email: str, id_type: str, firstname: str | None, lastname: str | None,
    country: str | None, username: str | None = None,
) -> None:
    """Insert one UMAPI user (email stored lower-case; ``id_type`` adobeID/enterpriseID/federatedID)."""
    (pos,) = conn.execute("SELECT COALESCE(MAX(pos), 0) + 1 FROM umapi_users").fetchone()
    domain = email.rsplit("@", 1)[-1].lower() if id_type != "adobeID" else "AdobeID"
    conn.execute(
        "INSERT INTO umapi_users VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (org, email.lower(), uuid.uuid4().hex.upper()[:24] + "@AdobeID", username or email, domain, id_type,
         firstname, lastname, country, "active", pos),
    )


# --------------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------------

_init_lock = threading.Lock()
_initialised: set[str] = set()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")
    # WAL with synchronous=NORMAL: a commit survives the process being killed (the crash tests kill
    # processes, not the machine); only a power loss could drop the last commits. FULL synced every
    # single write to disk, which dominated apply benchmarks (about 40 s of a 1,000-create apply).
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def ensure_world(db_path: Path) -> None:
    """Create the database file and seed it if that was not done yet (safe across processes)."""
    path = Path(db_path)
    key = str(path.resolve())
    if key in _initialised and path.exists():
        return
    with _init_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(path)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT value FROM meta WHERE key='seeded'").fetchone()
                if row is None:
                    _seed(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()
        _initialised.add(key)


class World:
    """Handle on one world file. Cheap to create; holds no open connection."""

    def __init__(self, db_path: Path | str) -> None:
        self.path = Path(db_path)

    @contextmanager
    def tx(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: ``BEGIN IMMEDIATE`` (or deferred for reads) ... ``COMMIT``."""
        ensure_world(self.path)
        conn = _connect(self.path)
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def meta_get(self, conn: sqlite3.Connection, key: str) -> str | None:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def meta_set(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def _seed(conn: sqlite3.Connection) -> None:
    meta = World.meta_set
    meta(conn, "seeded", dt.datetime.now(dt.UTC).isoformat())
    meta(conn, "ims_key_pem", pki.generate_key_pem())
    meta(conn, "secret", secrets.token_hex(32))
    meta(conn, "faults", json.dumps({**DEFAULT_FAULTS, **_FAULT_STATE}))
    seed_workfront(conn)  # Workfront objects (workfront/seed.py)
    _seed_ims_console(conn)
    _seed_umapi(conn)
    _seed_aem(conn)


def _seed_ims_console(conn: sqlite3.Connection) -> None:
    """The reconciler's own client, the orgs with their members and services."""
    rc = SEED["reconciler_credential"]
    conn.execute(
        "INSERT INTO clients VALUES (?,?,?,?,?,?,?)",
        (
            rc["client_id"],
            rc["client_secret"],
            json.dumps(rc["scopes"]),
            rc["technical_account_id"],
            rc["technical_account_email"],
            None,
            None,
        ),
    )
    for org in SEED["orgs"]:
        conn.execute(
            "INSERT INTO orgs VALUES (?,?,?,?,?,?)",
            (
                org["id"],
                org["code"],
                org["name"],
                org["description"],
                org["type"],
                int(org["creative_cloud_entitled"]),
            ),
        )
        conn.execute("INSERT INTO org_members VALUES (?,?,?)", (org["id"], rc["technical_account_id"], org["role"]))
        for pos, svc in enumerate(SEED["services"]):
            conn.execute(
                "INSERT INTO services VALUES (?,?,?,?,?,?)",
                (org["id"], svc["code"], svc["name"], "entp", json.dumps(svc["scopes"]), pos),
            )


def _seed_umapi(conn: sqlite3.Connection) -> None:
    """User Management API groups, users and memberships; the Creative Cloud connection."""
    gid = 4_000_000
    for org_code, groups in SEED["umapi_groups"].items():
        for g in groups:
            gid += 1
            conn.execute(
                "INSERT INTO umapi_groups(org, name, group_id, type, product_name, creative_cloud)"
                " VALUES (?,?,?,?,?,?)",
                (org_code, g["name"], gid, g["type"], g.get("productName"), int(bool(g.get("creative_cloud")))),
            )
    for u in SEED["umapi_users"]:
        umapi_insert_user(conn, u["org"], u["email"], u["type"], u["firstname"], u["lastname"], u["country"])
        for g in u["groups"]:
            conn.execute("INSERT INTO umapi_members VALUES (?,?,?)", (u["org"], u["email"].lower(), g))
    conn.execute("INSERT INTO cc_connection VALUES (1, ?, ?)", (SEED["cc_connection"], iso_now()))


def _seed_aem(conn: sqlite3.Connection) -> None:
    """AEM content: the root, DAM, the Experience Cloud cloud service page, replication agents
    and the user homes."""
    created = {"jcr:created": ecma_date(), "jcr:createdBy": "admin"}  # one timestamp for the whole seed
    n = insert_node  # in document order: ``ord`` is the insertion order
    n(conn, "/", "rep:root", {"sling:resourceType": "sling:redirect", "sling:target": "/index.html"})
    n(conn, "/content", "sling:Folder", dict(created))
    n(conn, "/content/dam", "sling:OrderedFolder", {**created, "jcr:title": "Assets"})
    n(conn, "/content/dam/we-retail", "sling:OrderedFolder", dict(created))
    n(conn, "/content/dam/we-retail/jcr:content", "nt:unstructured", {"jcr:title": "We.Retail"})
    n(conn, "/etc", "sling:Folder", dict(created))
    n(conn, "/etc/cloudservices", "sling:Folder", dict(created))
    n(conn, "/etc/cloudservices/marketingcloud", "cq:Page", dict(created))
    n(
        conn,
        "/etc/cloudservices/marketingcloud/jcr:content",
        "cq:PageContent",
        {
            "jcr:title": "Adobe Experience Cloud",
            "sling:resourceType": "cq/cloudserviceconfigs/components/servicepage",
            "cq:template": "/libs/cq/cloudserviceconfigs/templates/servicepage",
            "componentReference": "mac/sync/components/config",
            "description": "Synchronise assets with Adobe Experience Cloud and Creative Cloud",
            "ranking": 20,
            "visible": True,
        },
    )
    _seed_agents(conn, created)
    _seed_homes(conn, created)


def _seed_agents(conn: sqlite3.Connection, created: dict[str, str]) -> None:
    """``/etc/replication`` with the author's default and reverse agents."""
    n = insert_node
    n(conn, "/etc/replication", "sling:Folder", dict(created))
    for runmode, title in (("author", "Agents on author"), ("publish", "Agents on publish")):
        n(conn, f"/etc/replication/agents.{runmode}", "cq:Page", dict(created))
        n(
            conn,
            f"/etc/replication/agents.{runmode}/jcr:content",
            "nt:unstructured",
            {
                "jcr:title": title,
                "sling:resourceType": "cq/replication/components/agents",
                "cq:template": "/libs/cq/replication/templates/agents",
            },
        )
    agent_common = {
        "sling:resourceType": "cq/replication/components/agent",
        "cq:template": "/libs/cq/replication/templates/agent",
        "enabled": "true",
        "transportUri": "http://localhost:4503/bin/receive?sling:authRequestLogin=1",
        "transportUser": "admin",
        "transportPassword": "{" + secrets.token_hex(40) + "}",
        "serializationType": "durbo",
        "retryDelay": "60000",
        "logLevel": "info",
    }
    n(conn, "/etc/replication/agents.author/publish", "cq:Page", dict(created))
    n(
        conn,
        "/etc/replication/agents.author/publish/jcr:content",
        "nt:unstructured",
        {
            "jcr:title": "Default Agent",
            "jcr:description": "Agent that replicates to the default publish instance.",
            **agent_common,
        },
    )
    n(conn, "/etc/replication/agents.author/publish_reverse", "cq:Page", dict(created))
    n(
        conn,
        "/etc/replication/agents.author/publish_reverse/jcr:content",
        "nt:unstructured",
        {
            "jcr:title": "Reverse Replication Agent",
            "jcr:description": "Agent that reverse-replicates from the default publish instance.",
            **agent_common,
            "reverseReplication": "true",
            "protocolHTTPMethod": "GET",
        },
    )


def _seed_homes(conn: sqlite3.Connection, created: dict[str, str]) -> None:
    """``/home`` with the admin user."""
    n = insert_node
    n(conn, "/home", "rep:AuthorizableFolder", {})
    n(conn, "/home/users", "rep:AuthorizableFolder", {})
    n(conn, "/home/users/a", "rep:AuthorizableFolder", {})
    n(
        conn,
        "/home/users/a/admin",
        "rep:User",
        {
            "jcr:uuid": "d033e22a-e2b4-3b30-8d50-4a2b9f2c0e11",
            "rep:authorizableId": "admin",
            "rep:principalName": "admin",
            **created,
        },
    )
    n(conn, "/home/users/system", "rep:AuthorizableFolder", {})
    n(conn, "/home/groups", "rep:AuthorizableFolder", {})
    n(conn, "/home/groups/a", "rep:AuthorizableFolder", {})
    n(  # AEM's built-in administrators group; admin is the superuser, not a declared member
        conn,
        "/home/groups/a/administrators",
        "rep:Group",
        {
            "jcr:uuid": "41c59fd9-a96f-3b4c-9d30-1e4a3dd0a7b2",
            "rep:authorizableId": "administrators",
            "rep:principalName": "administrators",
            **created,
        },
    )


# --------------------------------------------------------------------------------------------------
# Public helpers: reset, faults, counts
# --------------------------------------------------------------------------------------------------


def reset_world(db_path: Path | str) -> None:
    """Delete the world file (and its WAL/SHM side files) and seed a fresh one."""
    path = Path(db_path)
    with _init_lock:
        for suffix in ("", "-wal", "-shm", "-journal"):
            side = Path(str(path) + suffix)
            if side.exists():
                side.unlink()
        _initialised.discard(str(path.resolve()))
    ensure_world(path)


def read_faults(conn: sqlite3.Connection) -> dict[str, Any]:
    """The fault settings and state stored in the world (see ``get_faults``)."""
    raw = conn.execute("SELECT value FROM meta WHERE key='faults'").fetchone()
    data: dict[str, Any] = {**DEFAULT_FAULTS, **_FAULT_STATE}
    if raw is not None:
        data.update(json.loads(raw[0]))
    return data


def write_faults(conn: sqlite3.Connection, faults: dict[str, Any]) -> None:
    World.meta_set(conn, "faults", json.dumps(faults))


def validate_fault_settings(settings: dict[str, Any]) -> dict[str, int]:
    """Check fault settings; raises ``ValueError`` naming the bad key. Returns them as ints."""
    out: dict[str, int] = {}
    for key, value in settings.items():
        if key not in DEFAULT_FAULTS:
            raise ValueError(f"unknown fault setting {key!r}; expected one of {sorted(DEFAULT_FAULTS)}")
        if value is None:
            value = DEFAULT_FAULTS[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"fault setting {key!r} must be a non-negative integer, got {value!r}")
        if key == "fail_status" and not 100 <= value <= 599:
            raise ValueError(f"fail_status must be an HTTP status, got {value}")
        out[key] = value
    return out


def merge_faults(conn: sqlite3.Connection, clean: dict[str, int]) -> dict[str, Any]:
    """Merge checked settings (``validate_fault_settings``) into the stored ones in transaction
    ``conn``; returns the new settings plus state. Setting ``crash_after_writes`` restarts the
    write count; setting ``rate_limit_rps`` refills every service's bucket and restarts the 429
    count ``rate_limited``."""
    faults = read_faults(conn)
    faults.update(clean)
    if "crash_after_writes" in clean:
        faults["writes"] = 0
    if "rate_limit_rps" in clean:
        faults["rate_limited"] = 0
        conn.execute("DELETE FROM meta WHERE key LIKE ?", (_RATE_BUCKET + "%",))
    write_faults(conn, faults)
    return faults


def set_faults(db_path: Path | str, **settings: Any) -> None:
    """Merge fault settings into the world (shared by every service on ``db_path``).

    Keys: ``latency_ms`` (sleep before each request, ms), ``fail_next`` (answer the next K
    requests with ``fail_status``), ``fail_status`` (default 503), ``retry_after`` (seconds, sent as
    ``Retry-After`` with 429, default 1), ``crash_after_writes`` (N > 0: the N-th successful write
    from now is committed, then the service "dies"; 0 = off), ``rate_limit_rps`` (N > 0: each
    service answers 429 + ``Retry-After`` past N requests per second, see ``take_rate_token``;
    0 = off). Setting ``crash_after_writes`` restarts the write count, setting ``rate_limit_rps``
    the 429 count. Raises ``ValueError`` for unknown keys or bad values.
    """
    clean = validate_fault_settings(settings)
    with World(db_path).tx() as conn:
        merge_faults(conn, clean)


def clear_faults(db_path: Path | str) -> None:
    """Reset every fault setting to its default and bring a crashed world back up."""
    with World(db_path).tx() as conn:
        write_faults(conn, {**DEFAULT_FAULTS, **_FAULT_STATE})
        conn.execute("DELETE FROM meta WHERE key LIKE ?", (_RATE_BUCKET + "%",))


def take_rate_token(conn: sqlite3.Connection, service: str, rps: int, now: float) -> int:
    """The ``rate_limit_rps`` fault for one request to ``service`` arriving at ``now`` (epoch
    seconds), in write transaction ``conn``.

    A token bucket per service: ``rps`` tokens, refilled at ``rps`` per second (so a burst of
    ``rps`` after a quiet second, then ``rps`` per second). The bucket is kept in the world (meta
    key ``rate_bucket:<service>``), so every process serving the same world file shares it, and
    ``now`` is wall-clock time for the same reason. Returns 0 when a token was taken (the request
    proceeds), else the ``Retry-After`` to answer: the seconds until the bucket holds a token
    again, rounded up, at least 1. A refused request takes no token; it adds one to the
    faults' ``rate_limited`` count.
    """
    key = _RATE_BUCKET + service
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    tokens, last = (float(rps), now) if row is None else tuple(json.loads(row[0]))
    tokens = min(float(rps), tokens + max(0.0, now - last) * rps)
    wait = 0
    if tokens >= 1.0:
        tokens -= 1.0
    else:
        wait = max(1, math.ceil((1.0 - tokens) / rps))
        faults = read_faults(conn)
        faults["rate_limited"] = int(faults.get("rate_limited", 0)) + 1
        write_faults(conn, faults)
    World.meta_set(conn, key, json.dumps([tokens, now]))
    return wait


def get_faults(db_path: Path | str) -> dict[str, Any]:
    """The current fault settings plus state: ``writes`` (successful writes counted since
    ``crash_after_writes`` was set), ``crashed`` (bool) and ``rate_limited`` (429s answered by the
    ``rate_limit_rps`` fault since it was set, all services together)."""
    with World(db_path).tx(write=False) as conn:
        return read_faults(conn)


def add_umapi_users(db_path: Path | str, org: str, users: list[dict[str, Any]]) -> None:
    """Test helper: add users directly to the world (``{"email", "type", "firstname", "lastname",
    "country", "groups": [...]}``), as if an administrator had added them in the Admin Console."""
    with World(db_path).tx() as conn:
        for u in users:
            umapi_insert_user(conn, org, u["email"], u.get("type", "federatedID"), u.get("firstname"),
                              u.get("lastname"), u.get("country", "US"))
            for g in u.get("groups", []):
                conn.execute("INSERT OR IGNORE INTO umapi_members VALUES (?,?,?)", (org, u["email"].lower(), g))


def set_umapi_membership(db_path: Path | str, org: str, email: str, group: str, member: bool) -> None:
    """Test helper: add or remove one group membership directly (drift made outside the tool)."""
    with World(db_path).tx() as conn:
        if member:
            conn.execute("INSERT OR IGNORE INTO umapi_members VALUES (?,?,?)", (org, email.lower(), group))
        else:
            conn.execute("DELETE FROM umapi_members WHERE org=? AND email=? AND group_name=?",
                         (org, email.lower(), group))


def set_creative_cloud_entitlement(db_path: Path | str, org: str, entitled: bool) -> None:
    """Test helper: give or take an org's Creative Cloud entitlement (its Creative Cloud product
    profiles appear or disappear in UMAPI, and AEM lists the org as entitled or not)."""
    with World(db_path).tx() as conn:
        conn.execute("UPDATE orgs SET cc_entitled=? WHERE code=?", (int(entitled), org))
        if not entitled:
            conn.execute("DELETE FROM umapi_members WHERE org=? AND group_name IN "
                         "(SELECT name FROM umapi_groups WHERE org=? AND creative_cloud=1)", (org, org))
            conn.execute("DELETE FROM umapi_groups WHERE org=? AND creative_cloud=1", (org,))
        elif not conn.execute("SELECT 1 FROM umapi_groups WHERE org=? AND creative_cloud=1", (org,)).fetchone():
            (gid,) = conn.execute("SELECT COALESCE(MAX(group_id), 4000000) + 1 FROM umapi_groups").fetchone()
            conn.execute(
                "INSERT INTO umapi_groups(org, name, group_id, type, product_name, creative_cloud) "
                "VALUES (?,?,?,?,?,1)",
                (org, "Creative Cloud All Apps", gid, "PRODUCT_PROFILE", "Creative Cloud All Apps"),
            )


def set_umapi_rate_limits(db_path: Path | str, enabled: bool) -> None:
    """Switch the User Management API's published per-client rate limits on or off (default off)."""
    with World(db_path).tx() as conn:
        World.meta_set(conn, "umapi_rate_limits", "on" if enabled else "off")


def set_aem_hardened(db_path: Path | str, enabled: bool) -> None:
    """Make the AEM author "hardened" (as with the WebDAV bundle stopped: HTTP ``DELETE`` and
    ``PUT`` answer 405; the Sling POST servlet, ``:operation=delete`` included, still works) or
    not (default off). Kept in the world, so every process serving it sees the switch."""
    with World(db_path).tx() as conn:
        World.meta_set(conn, "aem_hardened", "on" if enabled else "off")


def aem_hardened(db_path: Path | str) -> bool:
    """True when the world's AEM author is hardened (``set_aem_hardened``); False when the world
    file does not exist yet (it is not created)."""
    if not Path(db_path).exists():
        return False
    with World(db_path).tx(write=False) as conn:
        return World(db_path).meta_get(conn, "aem_hardened") == "on"


def umapi_snapshot(db_path: Path | str) -> dict[str, Any]:
    """Test helper: ``{"users": {"<org>/<email>": type}, "members": {"<org>/<email>": [groups]},
    "cc_connection": org or None, "shares": {"<path>/<target>": [members]}}``."""
    with World(db_path).tx(write=False) as conn:
        members: dict[str, list[str]] = {}
        for r in conn.execute("SELECT org, email, group_name FROM umapi_members ORDER BY org, email, group_name"):
            members.setdefault(f"{r[0]}/{r[1]}", []).append(r[2])
        row = conn.execute("SELECT org FROM cc_connection WHERE id=1").fetchone()
        return {
            "users": {f"{r[0]}/{r[1]}": r[2] for r in conn.execute("SELECT org, email, type FROM umapi_users")},
            "members": members,
            "cc_connection": row[0] if row else None,
            "shares": {
                f"{r[0]}/{r[1]}": json.loads(r[2])
                for r in conn.execute("SELECT path, target, members FROM folder_shares")
            },
        }


def seed_summary() -> dict[str, Any]:
    """Read-only: what every new sandbox world starts with, for ``reconciler sandbox info`` (from
    ``SEED`` and ``workfront.seed.WORKFRONT_SEED``; no world file is read).

    Returns ``{"client": {"client_id", "client_secret", "technical_account_id"}, "orgs": [{"name",
    "ims_org_id", "console_org_id", "role", "creative_cloud_entitled"}], "groups": {ims_org_id:
    [{"name", "type"}]}, "users": [{"org", "email", "type", "groups"}], "cc_connection": ims_org_id,
    "aem": {"users": {user: password}, "bearer_tokens": [token], "existing_folder"}, "workfront":
    {"api_keys": [key], "customer", "projects": [{"portfolio", "program", "name"}], "custom_fields":
    [name], "custom_forms": [name]}}`` (all strings, booleans and lists of them).
    """
    from .workfront.seed import WORKFRONT_SEED

    rc, wf = SEED["reconciler_credential"], WORKFRONT_SEED
    return {
        "client": {k: rc[k] for k in ("client_id", "client_secret", "technical_account_id")},
        "orgs": [
            {"name": o["name"], "ims_org_id": o["code"], "console_org_id": o["id"], "role": o["role"],
             "creative_cloud_entitled": o["creative_cloud_entitled"]}
            for o in SEED["orgs"]
        ],
        "groups": {org: [{"name": g["name"], "type": g["type"]} for g in groups]
                   for org, groups in SEED["umapi_groups"].items()},
        "users": [{k: u[k] for k in ("org", "email", "type", "groups")} for u in SEED["umapi_users"]],
        "cc_connection": SEED["cc_connection"],
        "aem": {"users": dict(SEED["aem"]["users"]), "bearer_tokens": sorted(SEED["aem"]["bearer_tokens"]),
                "existing_folder": SEED["aem"]["existing_folder"]},
        "workfront": {
            "api_keys": sorted(wf["api_keys"]),
            "customer": wf["customer"]["name"],
            "projects": [
                {"portfolio": portfolio, "program": program, "name": name}
                for portfolio, pf in wf["portfolios"].items()
                for program, names in pf["programs"].items()
                for name in names
            ],
            "custom_fields": [f["name"] for f in wf["custom_fields"]],
            "custom_forms": [f["name"] for f in wf["custom_forms"]],
        },
    }


def world_counts(db_path: Path | str) -> dict[str, Any]:
    """Counts to assert "no duplicates" in tests.

    Returns ``{"projects": {"<orgId>/<name>": n}, "workspaces": {"<projectId>/<name>": n},
    "credentials": {"<projectId>/<workspaceId>/<name>": n}, "bindings": {"<credentialId>": n},
    "binding_fingerprints": {"<credentialId>/<sha1>": n}, "subscriptions": {"<credentialId>":
    [sdkCode, ...]}, "nodes": {"<path>": "<primaryType>"}, "node_count": n, "mac_keys":
    {"<config path>": "<fingerprint>"}, "agents": [names under /etc/replication/agents.author]}``.
    """

    def grouped(conn: sqlite3.Connection, sql: str) -> dict[str, int]:
        return {str(k): int(c) for k, c in conn.execute(sql).fetchall()}

    with World(db_path).tx(write=False) as conn:
        nodes = {r["path"]: r["type"] for r in conn.execute("SELECT path, type FROM nodes ORDER BY ord")}
        subs: dict[str, list[str]] = {}
        for r in conn.execute("SELECT credential_id, sdk_code FROM subscriptions ORDER BY pos"):
            subs.setdefault(r[0], []).append(r[1])
        agents_root = SEED["aem"]["agents_path"]
        return {
            "projects": grouped(conn, "SELECT org_id || '/' || name, COUNT(*) FROM projects GROUP BY 1"),
            "workspaces": grouped(conn, "SELECT project_id || '/' || name, COUNT(*) FROM workspaces GROUP BY 1"),
            "credentials": grouped(
                conn,
                "SELECT project_id || '/' || workspace_id || '/' || name, COUNT(*) FROM credentials GROUP BY 1",
            ),
            "bindings": grouped(conn, "SELECT credential_id, COUNT(*) FROM bindings GROUP BY 1"),
            "binding_fingerprints": grouped(
                conn, "SELECT credential_id || '/' || fingerprint, COUNT(*) FROM bindings GROUP BY 1"
            ),
            "subscriptions": subs,
            "nodes": nodes,
            "node_count": len(nodes),
            "mac_keys": {r[0]: r[1] for r in conn.execute("SELECT config_path, fingerprint FROM mac_keys")},
            "agents": [
                p.rsplit("/", 1)[1]
                for p in nodes
                if p.startswith(agents_root + "/") and p.count("/") == agents_root.count("/") + 1
            ],
        }

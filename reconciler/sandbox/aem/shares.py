"""AEM author's folder shares and Creative Cloud org connection: state and rules (the routes are
in ``routes.py``).

No public HTTP API exists for either (the seeds only describe the Touch UI), so these endpoints are
**assumed**: docs/api-fidelity.md lists them under "AEM author: shares and Creative Cloud
connection". They check what the UI enforces: ordered folders cannot be shared, a share to
Experience Cloud needs an "Adobe Experience Cloud" configuration with synchronization enabled,
Creative Cloud members must be users of the connected Creative Cloud org, and only an org with an
active Creative Cloud entitlement can be connected.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.responses import JSONResponse, Response

from ..common import ServiceError
from ..world import iso_now
from . import jcr

SHARES_PATH = "/libs/dam/mac/shares"
CC_CONNECTION_PATH = "/libs/dam/cc/connection"
TARGETS = ("experience_cloud", "creative_cloud")
ROLES = ("viewer", "editor", "owner")
MAC_RESOURCE_TYPE = "mac/sync/components/config"


class ShareError(ServiceError):
    """A refusal of the share and connection endpoints: ``{"status", "error": message, **extra}``."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def response(self) -> Response:
        return JSONResponse({"status": self.status, "error": self.message, **self.extra}, status_code=self.status)


def share_json(row: sqlite3.Row) -> dict[str, Any]:
    """One share as the endpoints answer it."""
    return {
        "path": row["path"],
        "target": row["target"],
        "members": json.loads(row["members"]),
        "cloudConfig": row["config"],
        "sharedAt": row["shared_at"],
    }


def connection_json(conn: sqlite3.Connection) -> dict[str, Any]:
    """The Creative Cloud connection: ``orgId``, ``orgName``, ``switchedAt`` and ``availableOrgs``."""
    row = conn.execute("SELECT org, switched_at FROM cc_connection WHERE id=1").fetchone()
    orgs = conn.execute("SELECT code, name, cc_entitled FROM orgs ORDER BY id").fetchall()
    names = {o["code"]: o["name"] for o in orgs}
    org = row["org"] if row else None
    return {
        "orgId": org,
        "orgName": names.get(org) if org else None,
        "switchedAt": row["switched_at"] if row else None,
        "availableOrgs": [
            {"orgId": o["code"], "name": o["name"], "creativeCloudEntitled": bool(o["cc_entitled"])} for o in orgs
        ],
    }


class ShareModel:
    """Folder shares and the Creative Cloud connection on one transaction of the world. Methods
    raise ``ShareError``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def shares(self) -> dict[str, Any]:
        """Every share of the author, by path and target."""
        rows = self.conn.execute("SELECT * FROM folder_shares ORDER BY path, target").fetchall()
        return {"shares": [share_json(r) for r in rows]}

    def unshare(self, path: str, target: str) -> None:
        """Remove the share of ``path`` to ``target`` (404 when there is none)."""
        cur = self.conn.execute("DELETE FROM folder_shares WHERE path=? AND target=?", (path, target))
        if cur.rowcount == 0:
            raise ShareError(404, f"{path} is not shared to {target}")

    def share(self, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or replace the share ``{path, target, cloudConfig?, members?}`` after the UI's
        checks (module docstring); returns (the share, whether it is new)."""
        path, target = str(body.get("path") or ""), str(body.get("target") or "")
        members = body.get("members") or []
        config = body.get("cloudConfig")
        if target not in TARGETS:
            raise ShareError(400, f"target must be one of {', '.join(TARGETS)}")
        self._check_folder(path)
        if target == "experience_cloud":
            self._check_experience_cloud(members, config)
        else:
            self._check_creative_cloud(members)
        clean = sorted(
            ({"email": str(m["email"]).lower(), "role": m["role"]} for m in members), key=lambda m: m["email"]
        )
        conn = self.conn
        existed = conn.execute("SELECT 1 FROM folder_shares WHERE path=? AND target=?", (path, target)).fetchone()
        conn.execute(
            "INSERT OR REPLACE INTO folder_shares VALUES (?,?,?,?,?)",
            (path, target, json.dumps(clean), config, iso_now()),
        )
        row = conn.execute("SELECT * FROM folder_shares WHERE path=? AND target=?", (path, target)).fetchone()
        return share_json(row), existed is None

    def _check_folder(self, path: str) -> None:
        node = jcr.get_node(self.conn, path)
        if node is None or not path.startswith("/content/dam/"):
            raise ShareError(404, f"no Assets folder at {path}")
        if node.type == "sling:OrderedFolder":
            raise ShareError(409, f"{path} is a sling:OrderedFolder: sharing an ordered folder is not supported")
        if node.type not in ("sling:Folder", "nt:folder"):
            raise ShareError(409, f"{path} is not a folder ({node.type})")

    def _check_experience_cloud(self, members: Any, config: Any) -> None:
        if members:
            raise ShareError(400, "a share to experience_cloud has no members")
        cfg = jcr.get_node(self.conn, f"{config}/jcr:content") if config else None
        if cfg is None or cfg.props.get("sling:resourceType") != MAC_RESOURCE_TYPE:
            raise ShareError(409, f"no Adobe Experience Cloud configuration at {config}")
        if cfg.props.get("syncEnabled") not in (True, "true"):
            raise ShareError(409, f"synchronization is disabled in {config}: enable it to share to Experience Cloud")

    def _check_creative_cloud(self, members: Any) -> None:
        if not isinstance(members, list) or not members:
            raise ShareError(400, "a share to creative_cloud needs at least one member")
        row = self.conn.execute("SELECT org FROM cc_connection WHERE id=1").fetchone()
        cc_org = row["org"] if row else None
        for m in members:
            if not isinstance(m, dict) or m.get("role") not in ROLES:
                raise ShareError(400, f"each member needs an email and a role ({', '.join(ROLES)})")
            email = str(m.get("email", "")).lower()
            user = self.conn.execute(
                "SELECT 1 FROM umapi_users WHERE org=? AND email=? AND status='active'", (cc_org, email)
            ).fetchone()
            if user is None:
                raise ShareError(400, f"{email} is not a user of the Creative Cloud org {cc_org}", member=email)

    def connection(self) -> dict[str, Any]:
        """The Creative Cloud connection."""
        return connection_json(self.conn)

    def switch(self, org: Any) -> dict[str, Any]:
        """Connect the Creative Cloud org ``org`` (an org with an active entitlement; 404 unknown,
        409 not entitled) or disconnect (None); returns the connection."""
        if org is None:
            self.conn.execute("UPDATE cc_connection SET org=NULL, switched_at=? WHERE id=1", (iso_now(),))
            return connection_json(self.conn)
        row = self.conn.execute("SELECT cc_entitled FROM orgs WHERE code=?", (org,)).fetchone()
        if row is None:
            raise ShareError(404, f"unknown organization {org}")
        if not row["cc_entitled"]:
            raise ShareError(409, f"{org} has no active Creative Cloud entitlement")
        self.conn.execute("INSERT OR REPLACE INTO cc_connection VALUES (1, ?, ?)", (org, iso_now()))
        return connection_json(self.conn)

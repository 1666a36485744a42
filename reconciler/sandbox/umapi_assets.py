"""AEM author endpoints for folder shares and the Creative Cloud org connection.

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
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import jcr
from .world import SEED, World, iso_now

SHARES_PATH = "/libs/dam/mac/shares"
CC_CONNECTION_PATH = "/libs/dam/cc/connection"
TARGETS = ("experience_cloud", "creative_cloud")
ROLES = ("viewer", "editor", "owner")
MAC_RESOURCE_TYPE = "mac/sync/components/config"


def _err(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"status": status, "error": message, **extra}, status_code=status)


def _share_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "path": row["path"],
        "target": row["target"],
        "members": json.loads(row["members"]),
        "cloudConfig": row["config"],
        "sharedAt": row["shared_at"],
    }


def _connection_json(conn: sqlite3.Connection) -> dict[str, Any]:
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


def share_routes(
    world: World, authenticate: Callable[[Request], str | None], unauthorized: Callable[[], Response]
) -> list[Route]:
    """Routes to mount on the AEM app before its catch-all Sling route."""

    async def shares_json(request: Request) -> Response:
        if authenticate(request) is None:
            return unauthorized()
        with world.tx(write=False) as conn:
            rows = conn.execute("SELECT * FROM folder_shares ORDER BY path, target").fetchall()
            return JSONResponse({"shares": [_share_json(r) for r in rows]})

    async def shares(request: Request) -> Response:
        if authenticate(request) is None:
            return unauthorized()
        if request.method == "DELETE":
            path, target = request.query_params.get("path", ""), request.query_params.get("target", "")
            with world.tx() as conn:
                cur = conn.execute("DELETE FROM folder_shares WHERE path=? AND target=?", (path, target))
                if cur.rowcount == 0:
                    return _err(404, f"{path} is not shared to {target}")
            return Response(status_code=204)
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return _err(400, "the body must be JSON")
        if not isinstance(body, dict):
            return _err(400, "the body must be a JSON object")
        path, target = str(body.get("path") or ""), str(body.get("target") or "")
        members = body.get("members") or []
        config = body.get("cloudConfig")
        if target not in TARGETS:
            return _err(400, f"target must be one of {', '.join(TARGETS)}")
        with world.tx() as conn:
            node = jcr.get_node(conn, path)
            if node is None or not path.startswith("/content/dam/"):
                return _err(404, f"no Assets folder at {path}")
            if node.type == "sling:OrderedFolder":
                return _err(409, f"{path} is a sling:OrderedFolder: sharing an ordered folder is not supported")
            if node.type not in ("sling:Folder", "nt:folder"):
                return _err(409, f"{path} is not a folder ({node.type})")
            if target == "experience_cloud":
                if members:
                    return _err(400, "a share to experience_cloud has no members")
                cfg = jcr.get_node(conn, f"{config}/jcr:content") if config else None
                if cfg is None or cfg.props.get("sling:resourceType") != MAC_RESOURCE_TYPE:
                    return _err(409, f"no Adobe Experience Cloud configuration at {config}")
                if cfg.props.get("syncEnabled") not in (True, "true"):
                    return _err(409, f"synchronization is disabled in {config}: enable it to share to Experience Cloud")
            else:
                if not isinstance(members, list) or not members:
                    return _err(400, "a share to creative_cloud needs at least one member")
                row = conn.execute("SELECT org FROM cc_connection WHERE id=1").fetchone()
                cc_org = row["org"] if row else None
                for m in members:
                    if not isinstance(m, dict) or m.get("role") not in ROLES:
                        return _err(400, f"each member needs an email and a role ({', '.join(ROLES)})")
                    email = str(m.get("email", "")).lower()
                    user = conn.execute(
                        "SELECT 1 FROM umapi_users WHERE org=? AND email=? AND status='active'", (cc_org, email)
                    ).fetchone()
                    if user is None:
                        return _err(400, f"{email} is not a user of the Creative Cloud org {cc_org}", member=email)
            clean = sorted(
                ({"email": str(m["email"]).lower(), "role": m["role"]} for m in members), key=lambda m: m["email"]
            )
            existed = conn.execute("SELECT 1 FROM folder_shares WHERE path=? AND target=?", (path, target)).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO folder_shares VALUES (?,?,?,?,?)",
                (path, target, json.dumps(clean), config, iso_now()),
            )
            row = conn.execute("SELECT * FROM folder_shares WHERE path=? AND target=?", (path, target)).fetchone()
            return JSONResponse(_share_json(row), status_code=200 if existed else 201)

    async def cc_json(request: Request) -> Response:
        if authenticate(request) is None:
            return unauthorized()
        with world.tx(write=False) as conn:
            return JSONResponse(_connection_json(conn))

    async def cc_switch(request: Request) -> Response:
        if authenticate(request) is None:
            return unauthorized()
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return _err(400, "the body must be JSON")
        org = body.get("orgId") if isinstance(body, dict) else None
        with world.tx() as conn:
            if org is None:
                conn.execute("UPDATE cc_connection SET org=NULL, switched_at=? WHERE id=1", (iso_now(),))
                return JSONResponse(_connection_json(conn))
            row = conn.execute("SELECT cc_entitled FROM orgs WHERE code=?", (org,)).fetchone()
            if row is None:
                return _err(404, f"unknown organization {org}")
            if not row["cc_entitled"]:
                return _err(409, f"{org} has no active Creative Cloud entitlement")
            conn.execute("INSERT OR REPLACE INTO cc_connection VALUES (1, ?, ?)", (org, iso_now()))
            return JSONResponse(_connection_json(conn))

    return [
        Route(SHARES_PATH + ".json", shares_json, methods=["GET"]),
        Route(SHARES_PATH, shares, methods=["POST", "DELETE"]),
        Route(CC_CONNECTION_PATH + ".json", cc_json, methods=["GET"]),
        Route(CC_CONNECTION_PATH, cc_switch, methods=["POST"]),
    ]


__all__ = ["CC_CONNECTION_PATH", "SEED", "SHARES_PATH", "share_routes"]

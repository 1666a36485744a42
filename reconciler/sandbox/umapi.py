"""User Management API emulator (docs/api-fidelity.md, section "User Management API").

Paths under ``/v2/usermanagement``: paged users (``/users/{orgId}/{page}[/{group}]``), one user
(``/organizations/{orgId}/users/{user}``), paged groups (``/groups/{orgId}/{page}``), and
``POST /action/{orgId}`` with the command format, per-command errors, partial success and
``testOnly``. ``GET /status`` at the root. The published per-client rate limits are enforced only
when switched on (``set_umapi_rate_limits``), so that tests are not slowed down by them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .common import FaultMiddleware, sandbox_routes
from .ims import verify_access_token
from .world import World, umapi_insert_user

BASE = "/v2/usermanagement"
PAGE_SIZE = 2000
MAX_COMMANDS = 10
MAX_STEPS = 10
MAX_GROUPS = 10
LIMITS_PER_MIN = {"users": 25, "groups": 5, "action": 10}
CREATE_STEPS = {"addAdobeID": "adobeID", "createEnterpriseID": "enterpriseID", "createFederatedID": "federatedID"}
OPTIONS = ("ignoreIfAlreadyExists", "updateIfAlreadyExists")


class RequestIdMiddleware:
    """Echoes ``X-Request-Id`` back on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = next((v for k, v in scope.get("headers", []) if k.lower() == b"x-request-id"), None)

        async def with_id(message: Message) -> None:
            if rid is not None and message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]
            await send(message)

        await self.app(scope, receive, with_id)


class _Denied(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _error(status: int, result: str, message: str) -> JSONResponse:
    return JSONResponse({"result": result, "message": message}, status_code=status)


def _user_json(row: sqlite3.Row, groups: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row["id"],
        "email": row["email"],
        "status": row["status"],
        "username": row["username"],
        "domain": row["domain"],
        "type": row["type"],
    }
    for key in ("firstname", "lastname", "country"):
        if row[key]:
            out[key] = row[key]
    if groups:
        out["groups"] = groups
    return out


def _group_json(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM umapi_members WHERE org=? AND group_name=?", (row["org"], row["name"])
    ).fetchone()
    out: dict[str, Any] = {
        "groupId": row["group_id"],
        "groupName": row["name"],
        "type": row["type"],
        "memberCount": count,
    }
    if row["type"] == "PRODUCT_PROFILE":
        out["productName"] = row["product_name"] or ""
        out["licenseQuota"] = "UNLIMITED"
        out["adminGroupName"] = f"_admin_{row['name']}"
    elif row["type"] == "USER_GROUP":
        out["adminGroupName"] = f"_admin_{row['name']}"
    return out


def _paged(items: list[dict[str, Any]], page: int, key: str, extra: dict[str, Any] | None = None) -> Response:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(page, pages - 1)  # a page past the end returns the last page
    chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    body = {"lastPage": page >= pages - 1, "result": "success", **(extra or {}), key: chunk}
    headers = {
        "X-Total-Count": str(len(items)),
        "X-Page-Count": str(pages),
        "X-Current-Page": str(page),
        "X-Page-Size": str(len(chunk)),
    }
    return JSONResponse(body, headers=headers)


class _Limiter:
    """Per (client, family) sliding one-minute windows, used when rate limits are switched on."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str], list[float]] = {}
        self.lock = threading.Lock()

    def retry_after(self, client: str, family: str) -> int:
        now = time.monotonic()
        with self.lock:
            window = [t for t in self.hits.get((client, family), []) if now - t < 60.0]
            if len(window) >= LIMITS_PER_MIN[family]:
                self.hits[(client, family)] = window
                return max(1, int(60.0 - (now - window[0])) + 1)
            window.append(now)
            self.hits[(client, family)] = window
            return 0


def _members(conn: sqlite3.Connection, org: str, email: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT group_name FROM umapi_members WHERE org=? AND email=? ORDER BY group_name", (org, email)
        )
    ]


class _StepError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


def _run_user_command(conn: sqlite3.Connection, org: str, cmd: dict[str, Any], test_only: bool) -> None:
    """Carry out one user command; raises _StepError (with ``step`` attribute) at the failing step."""
    raw_user = cmd.get("user")
    if not isinstance(raw_user, str) or not raw_user:
        raise _StepError("error.command.malformed", "user is missing")
    steps = cmd.get("do")
    if not isinstance(steps, list) or not steps:
        raise _StepError("error.command.malformed", "do must be a non-empty list of steps")
    if len(steps) > MAX_STEPS:
        raise _StepError("error.command.add_remove.list_too_long", "too many steps in a command")
    if "@" not in raw_user and not cmd.get("domain"):
        raise _StepError("error.command.domain.missing", f"domain is required for user {raw_user}")
    email = raw_user.lower() if "@" in raw_user else f"{raw_user}@{cmd['domain']}".lower()
    for i, step in enumerate(steps):
        try:
            if not isinstance(step, dict) or len(step) != 1:
                raise _StepError("error.command.malformed", "a step is an object with one key")
            ((name, body),) = step.items()
            if name in CREATE_STEPS and i != 0:
                raise _StepError("error.command.create.not_first", "the create step must be the first step")
            if name == "removeFromOrg" and i != len(steps) - 1:
                raise _StepError("error.command.removefromorg.not_last", "removeFromOrg must be the last step")
            user = conn.execute("SELECT * FROM umapi_users WHERE org=? AND email=?", (org, email)).fetchone()
            if name in CREATE_STEPS:
                body = body if isinstance(body, dict) else {}
                option = body.get("option")
                if option is not None and option not in OPTIONS:
                    raise _StepError("error.option.illegal", f"illegal option {option}")
                id_type = CREATE_STEPS[name]
                if id_type == "federatedID" and not body.get("country"):
                    raise _StepError("error.country.invalid", "country is required for a Federated ID")
                if user is not None:
                    if user["type"] != id_type:
                        raise _StepError("error.user.type_mismatch", f"User {email} exists with type {user['type']}")
                    if option is None:
                        raise _StepError("error.user.already_in_org", f"User {email} is already in the org")
                    if option == "updateIfAlreadyExists":
                        for key in ("firstname", "lastname"):
                            if key in body:
                                conn.execute(
                                    f"UPDATE umapi_users SET {key}=? WHERE org=? AND email=?", (body[key], org, email)
                                )
                    continue
                umapi_insert_user(
                    conn,
                    org,
                    body.get("email") or email,
                    id_type,
                    body.get("firstname"),
                    body.get("lastname"),
                    body.get("country"),
                )
                continue
            if user is None:
                if test_only or name == "removeFromOrg":
                    continue  # reported as successful (documented)
                raise _StepError("error.user.nonexistent", f"User {email} does not exist in the org")
            if name == "update":
                body = body if isinstance(body, dict) else {}
                if user["type"] == "adobeID":
                    raise _StepError("error.update.adobeid.no", "Adobe IDs cannot be updated")
                if "country" in body:
                    raise _StepError("error.update.country.no_update", "country cannot be updated")
                for key in ("firstname", "lastname", "username"):
                    if key in body:
                        conn.execute(f"UPDATE umapi_users SET {key}=? WHERE org=? AND email=?", (body[key], org, email))
            elif name in ("add", "remove"):
                if name == "remove" and body == "all":
                    conn.execute(
                        "DELETE FROM umapi_members WHERE org=? AND email=? AND group_name != '_org_admin'", (org, email)
                    )
                    continue
                groups = body.get("group") if isinstance(body, dict) else None
                if not isinstance(groups, list) or not groups:
                    raise _StepError("error.group.invalid_list", "group must be a non-empty list")
                if len(groups) > MAX_GROUPS:
                    raise _StepError(
                        "error.command.add_remove.list_too_long",
                        "too many entries in the list or too many steps in a command",
                    )
                for g in groups:
                    if g == "_org_admin":
                        raise _StepError("error.group.invalid_list", "_org_admin cannot be added or removed")
                    if conn.execute("SELECT 1 FROM umapi_groups WHERE org=? AND name=?", (org, g)).fetchone() is None:
                        raise _StepError("error.group.not_found", f"Group {g} was not found")
                for g in groups:
                    if name == "add":
                        conn.execute("INSERT OR IGNORE INTO umapi_members VALUES (?,?,?)", (org, email, g))
                    else:
                        conn.execute(
                            "DELETE FROM umapi_members WHERE org=? AND email=? AND group_name=?", (org, email, g)
                        )
            elif name == "removeFromOrg":
                conn.execute("DELETE FROM umapi_members WHERE org=? AND email=?", (org, email))
                conn.execute("DELETE FROM umapi_users WHERE org=? AND email=?", (org, email))
            else:
                raise _StepError("error.command.step.unknown", f"unknown step {name}")
        except _StepError as err:
            err.step = i  # type: ignore[attr-defined]
            raise


def _run_group_command(conn: sqlite3.Connection, org: str, cmd: dict[str, Any], test_only: bool) -> None:
    name = cmd.get("usergroup")
    steps = cmd.get("do")
    if not isinstance(name, str) or not isinstance(steps, list) or not steps:
        raise _StepError("error.command.malformed", "usergroup and do are required")
    for i, step in enumerate(steps):
        try:
            ((op, body),) = step.items() if isinstance(step, dict) and len(step) == 1 else [("?", None)]
            row = conn.execute("SELECT * FROM umapi_groups WHERE org=? AND name=?", (org, name)).fetchone()
            if op == "createUserGroup":
                if i != 0:
                    raise _StepError("error.command.create.not_first", "createUserGroup must be the first step")
                body = body if isinstance(body, dict) else {}
                if row is not None:
                    if body.get("option") in OPTIONS:
                        continue
                    raise _StepError("error.usergroup.already_exists", f"User group {name} already exists")
                (gid,) = conn.execute("SELECT COALESCE(MAX(group_id), 4000000) + 1 FROM umapi_groups").fetchone()
                conn.execute(
                    "INSERT INTO umapi_groups(org, name, group_id, type, description) VALUES (?,?,?,?,?)",
                    (org, body.get("name") or name, gid, "USER_GROUP", body.get("description") or ""),
                )
                continue
            if row is None or row["type"] != "USER_GROUP":
                raise _StepError("error.usergroup.not_found", f"User group {name} was not found")
            if op == "deleteUserGroup":
                conn.execute("DELETE FROM umapi_members WHERE org=? AND group_name=?", (org, name))
                conn.execute("DELETE FROM umapi_groups WHERE org=? AND name=?", (org, name))
            elif op == "updateUserGroup":
                body = body if isinstance(body, dict) else {}
                if body.get("description") is not None:
                    conn.execute(
                        "UPDATE umapi_groups SET description=? WHERE org=? AND name=?", (body["description"], org, name)
                    )
            elif op in ("add", "remove"):
                users = body.get("user", []) if isinstance(body, dict) else []
                if body.get("productConfiguration"):  # type: ignore[union-attr]
                    raise _StepError(
                        "error.command.step.unknown", "productConfiguration is not emulated by the sandbox"
                    )
                if len(users) > MAX_GROUPS:
                    raise _StepError("error.command.add_remove.list_too_long", "too many entries in the list")
                for u in users:
                    email = str(u).lower()
                    if op == "add":
                        if (
                            conn.execute("SELECT 1 FROM umapi_users WHERE org=? AND email=?", (org, email)).fetchone()
                            is None
                        ):
                            raise _StepError("error.user.nonexistent", f"User {u} does not exist in the org")
                        conn.execute("INSERT OR IGNORE INTO umapi_members VALUES (?,?,?)", (org, email, name))
                    else:
                        conn.execute(
                            "DELETE FROM umapi_members WHERE org=? AND email=? AND group_name=?", (org, email, name)
                        )
            else:
                raise _StepError("error.command.step.unknown", f"unknown step {op}")
        except _StepError as err:
            err.step = i  # type: ignore[attr-defined]
            raise


def create_umapi_app(world: World, options: dict[str, Any]) -> Starlette:
    """The UMAPI ASGI app (api-fidelity.md "User Management API")."""
    limiter = _Limiter()

    def gate(request: Request, conn: sqlite3.Connection, org: str, family: str) -> None:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            raise _Denied(
                Response(
                    status_code=401,
                    headers={
                        "WWW-Authenticate": 'Bearer realm="JIL", error="invalid_token",'
                        ' error_description="missing token"'
                    },
                )
            )
        claims = verify_access_token(conn, auth[7:].strip())
        if claims is None:
            raise _Denied(
                Response(
                    status_code=401,
                    headers={
                        "WWW-Authenticate": 'Bearer realm="JIL", error="invalid_token",'
                        ' error_description="token invalid"'
                    },
                )
            )
        if request.headers.get("x-api-key") != claims.get("client_id"):
            raise _Denied(Response(status_code=403))
        if "user_management_sdk" not in str(claims.get("scope", "")).split(","):
            raise _Denied(Response(status_code=403))
        if world.meta_get(conn, "umapi_rate_limits") == "on":
            wait = limiter.retry_after(str(claims.get("client_id")), family)
            if wait:
                raise _Denied(
                    JSONResponse(
                        {"error_code": "429050", "message": "Too many requests"},
                        status_code=429,
                        headers={"Retry-After": str(wait)},
                    )
                )
        org_row = conn.execute("SELECT id FROM orgs WHERE code=?", (org,)).fetchone()
        if org_row is None:
            raise _Denied(_error(400, "error.organization.invalid_id", "Bad organization Id"))
        member = conn.execute(
            "SELECT role FROM org_members WHERE org_id=? AND user_id=?", (org_row[0], claims.get("user_id"))
        ).fetchone()
        if member is None:
            raise _Denied(Response(status_code=403))

    def page_of(request: Request) -> int | None:
        try:
            page = int(request.path_params["page"])
        except ValueError:
            return None
        return page if page >= 0 else None

    async def users(request: Request) -> Response:
        org = request.path_params["org"]
        group = request.path_params.get("group")
        page = page_of(request)
        with world.tx(write=False) as conn:
            try:
                gate(request, conn, org, "users")
            except _Denied as d:
                return d.response
            if page is None:
                return _error(400, "error.command.malformed", "page must be a non-negative integer")
            if group is not None:
                if conn.execute("SELECT 1 FROM umapi_groups WHERE org=? AND name=?", (org, group)).fetchone() is None:
                    return JSONResponse(
                        {"lastPage": False, "result": "error.group.not_found", "message": f"Not found: Group {group}"},
                        status_code=404,
                    )
                rows = conn.execute(
                    "SELECT u.* FROM umapi_users u JOIN umapi_members m ON m.org=u.org AND m.email=u.email "
                    "WHERE u.org=? AND m.group_name=? AND u.status='active' ORDER BY u.pos",
                    (org, group),
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM umapi_users WHERE org=? AND status='active' ORDER BY pos", (org,)
                ).fetchall()
            domain = request.query_params.get("domain")
            if domain:
                rows = [r for r in rows if r["domain"].lower() == domain.lower()]
            groups: dict[str, list[str]] = {}
            for m in conn.execute(
                "SELECT email, group_name FROM umapi_members WHERE org=? ORDER BY group_name", (org,)
            ):
                groups.setdefault(m[0], []).append(m[1])
            items = [_user_json(r, groups.get(r["email"], [])) for r in rows]
        if group is not None:
            return _paged(items, page, "users", {"groupName": group})
        return _paged(items, page, "users")

    async def one_user(request: Request) -> Response:
        org = request.path_params["org"]
        who = request.path_params["user"].lower()
        with world.tx(write=False) as conn:
            try:
                gate(request, conn, org, "users")
            except _Denied as d:
                return d.response
            row = conn.execute(
                "SELECT * FROM umapi_users WHERE org=? AND (email=? OR lower(username)=?)", (org, who, who)
            ).fetchone()
            if row is None:
                return _error(404, "error.user.not_found", f"User not found {request.path_params['user']}")
            return JSONResponse({"result": "success", "user": _user_json(row, _members(conn, org, row["email"]))})

    async def groups(request: Request) -> Response:
        org = request.path_params["org"]
        page = page_of(request)
        with world.tx(write=False) as conn:
            try:
                gate(request, conn, org, "groups")
            except _Denied as d:
                return d.response
            if page is None:
                return _error(400, "error.command.malformed", "page must be a non-negative integer")
            rows = conn.execute("SELECT * FROM umapi_groups WHERE org=? ORDER BY group_id", (org,)).fetchall()
            items = [_group_json(conn, r) for r in rows]
        pages = max(1, -(-len(items) // PAGE_SIZE))
        if page >= pages:
            return JSONResponse({"lastPage": True, "result": "Not found"})
        return _paged(items, page, "groups")

    async def action(request: Request) -> Response:
        org = request.path_params["org"]
        test_only = request.query_params.get("testOnly", "false").lower() == "true"
        try:
            commands = json.loads(await request.body() or b"null")
        except ValueError:
            return _error(400, "error.command.malformed", "the body is not JSON")
        with world.tx() as conn:
            try:
                gate(request, conn, org, "action")
            except _Denied as d:
                return d.response
            if not isinstance(commands, list) or not commands or not all(isinstance(c, dict) for c in commands):
                return _error(400, "error.command.malformed", "the body must be a non-empty JSON array of commands")
            if len(commands) > MAX_COMMANDS:
                return _error(
                    400,
                    "error.command.malformed",
                    f"too many commands: at most {MAX_COMMANDS} users or user groups per request",
                )
            completed = 0
            errors: list[dict[str, Any]] = []
            for index, cmd in enumerate(commands):
                conn.execute("SAVEPOINT cmd")
                try:
                    if "usergroup" in cmd:
                        _run_group_command(conn, org, cmd, test_only)
                    else:
                        _run_user_command(conn, org, cmd, test_only)
                except _StepError as err:
                    conn.execute("RELEASE cmd")  # steps before the failing one stay done
                    errors.append(
                        {
                            "index": index,
                            "step": getattr(err, "step", 0),
                            "requestID": cmd.get("requestID", ""),
                            "message": err.message,
                            "user": cmd.get("user") or cmd.get("usergroup") or "",
                            "errorCode": err.code,
                        }
                    )
                    continue
                conn.execute("RELEASE cmd")
                completed += 1
            if test_only:
                conn.execute("ROLLBACK")
                conn.execute("BEGIN")
        body: dict[str, Any] = {
            "completed": 0 if test_only else completed,
            "notCompleted": len(errors),
            "completedInTestMode": completed if test_only else 0,
            "result": "success" if not errors else ("partial" if completed else "error"),
        }
        if errors:
            body["errors"] = errors
        return JSONResponse(body)

    async def status(request: Request) -> Response:
        return JSONResponse({"build": "sandbox", "version": "2.0", "state": "LIVE"})

    routes = [
        *sandbox_routes(world, "umapi"),
        Route("/status", status, methods=["GET"]),
        Route(BASE + "/users/{org}/{page}", users, methods=["GET"]),
        Route(BASE + "/users/{org}/{page}/{group:path}", users, methods=["GET"]),
        Route(BASE + "/organizations/{org}/users/{user}", one_user, methods=["GET"]),
        Route(BASE + "/groups/{org}/{page}", groups, methods=["GET"]),
        Route(BASE + "/action/{org}", action, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(FaultMiddleware, world=world, service="umapi", options=options),
        ],
    )
    app.state.sandbox_options = options
    return app

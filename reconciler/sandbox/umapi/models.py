"""The User Management API's state and rules (docs/api-fidelity.md, section "User Management API"):
users and groups per IMS org, paging, and the ``/action`` command format with per-command errors,
partial success and ``testOnly``.

``UmapiModel`` works on one transaction of the world; ``UmapiError`` is a refusal of a whole
request, ``StepError`` the failure of one step of one command (reported in the ``errors`` list).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from starlette.responses import JSONResponse, Response

from ..common import ServiceError
from ..world import umapi_insert_user

PAGE_SIZE = 2000
MAX_COMMANDS = 10
MAX_STEPS = 10
MAX_GROUPS = 10
LIMITS_PER_MIN = {"users": 25, "groups": 5, "action": 10}
CREATE_STEPS = {"addAdobeID": "adobeID", "createEnterpriseID": "enterpriseID", "createFederatedID": "federatedID"}
OPTIONS = ("ignoreIfAlreadyExists", "updateIfAlreadyExists")


class UmapiError(ServiceError):
    """A UMAPI error body ``{"result": result, "message": message}`` with ``status``."""

    def __init__(self, status: int, result: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.result = result
        self.message = message

    def response(self) -> Response:
        return JSONResponse({"result": self.result, "message": self.message}, status_code=self.status)


class StepError(Exception):
    """One step of an ``/action`` command failed: ``code`` (``errorCode``), ``message`` and the
    0-based ``step`` index (set by the command runner)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.step = 0


class Limiter:
    """Per (client, family) sliding one-minute windows, used when rate limits are switched on."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str], list[float]] = {}
        self.lock = threading.Lock()

    def retry_after(self, client: str, family: str) -> int:
        """0 and count the call when ``client`` is under its ``LIMITS_PER_MIN[family]``, else the
        seconds to wait (at least 1)."""
        now = time.monotonic()
        with self.lock:
            window = [t for t in self.hits.get((client, family), []) if now - t < 60.0]
            if len(window) >= LIMITS_PER_MIN[family]:
                self.hits[(client, family)] = window
                return max(1, int(60.0 - (now - window[0])) + 1)
            window.append(now)
            self.hits[(client, family)] = window
            return 0


def user_json(row: sqlite3.Row, groups: list[str]) -> dict[str, Any]:
    """A user as UMAPI lists it (empty name/country fields and an empty group list left out)."""
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


def group_json(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """A group with its member count (and product fields for product profiles)."""
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


def page_count(items: list[Any]) -> int:
    """Pages of ``PAGE_SIZE`` needed for ``items`` (at least 1)."""
    return max(1, -(-len(items) // PAGE_SIZE))


class UmapiModel:
    """UMAPI on one transaction of the world (``conn``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # ---- gate helpers ----
    def org_member(self, org: str, user_id: Any) -> bool:
        """Whether ``user_id`` is a member of the IMS org ``org``; 400
        ``error.organization.invalid_id`` for an unknown org."""
        org_row = self.conn.execute("SELECT id FROM orgs WHERE code=?", (org,)).fetchone()
        if org_row is None:
            raise UmapiError(400, "error.organization.invalid_id", "Bad organization Id")
        member = self.conn.execute(
            "SELECT role FROM org_members WHERE org_id=? AND user_id=?", (org_row[0], user_id)
        ).fetchone()
        return member is not None

    # ---- reads ----
    def has_group(self, org: str, name: str) -> bool:
        """Whether the org has a group ``name``."""
        return (
            self.conn.execute("SELECT 1 FROM umapi_groups WHERE org=? AND name=?", (org, name)).fetchone() is not None
        )

    def users(self, org: str, group: str | None, domain: str | None) -> list[dict[str, Any]]:
        """Active users of the org (of one ``group`` when given; an existing group is the caller's
        check), in creation order, only of ``domain`` (case-insensitive) when given."""
        if group is not None:
            rows = self.conn.execute(
                "SELECT u.* FROM umapi_users u JOIN umapi_members m ON m.org=u.org AND m.email=u.email "
                "WHERE u.org=? AND m.group_name=? AND u.status='active' ORDER BY u.pos",
                (org, group),
            ).fetchall()
        else:
            rows = self.conn.execute(
                "SELECT * FROM umapi_users WHERE org=? AND status='active' ORDER BY pos", (org,)
            ).fetchall()
        if domain:
            rows = [r for r in rows if r["domain"].lower() == domain.lower()]
        groups: dict[str, list[str]] = {}
        for m in self.conn.execute(
            "SELECT email, group_name FROM umapi_members WHERE org=? ORDER BY group_name", (org,)
        ):
            groups.setdefault(m[0], []).append(m[1])
        return [user_json(r, groups.get(r["email"], [])) for r in rows]

    def user(self, org: str, who: str) -> dict[str, Any] | None:
        """One user by email or username (case-insensitive), or None."""
        who = who.lower()
        row = self.conn.execute(
            "SELECT * FROM umapi_users WHERE org=? AND (email=? OR lower(username)=?)", (org, who, who)
        ).fetchone()
        return None if row is None else user_json(row, self.memberships(org, row["email"]))

    def memberships(self, org: str, email: str) -> list[str]:
        """The groups of one user, by name."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT group_name FROM umapi_members WHERE org=? AND email=? ORDER BY group_name", (org, email)
            )
        ]

    def groups(self, org: str) -> list[dict[str, Any]]:
        """Every group of the org by group id."""
        rows = self.conn.execute("SELECT * FROM umapi_groups WHERE org=? ORDER BY group_id", (org,)).fetchall()
        return [group_json(self.conn, r) for r in rows]

    # ---- /action ----
    def action(self, org: str, commands: Any, test_only: bool) -> dict[str, Any]:
        """Run at most ``MAX_COMMANDS`` commands in order (each in a savepoint: the steps before a
        failing one stay done); in test mode roll everything back. Returns the answer body."""
        if not isinstance(commands, list) or not commands or not all(isinstance(c, dict) for c in commands):
            raise UmapiError(400, "error.command.malformed", "the body must be a non-empty JSON array of commands")
        if len(commands) > MAX_COMMANDS:
            raise UmapiError(
                400,
                "error.command.malformed",
                f"too many commands: at most {MAX_COMMANDS} users or user groups per request",
            )
        completed = 0
        errors: list[dict[str, Any]] = []
        for index, cmd in enumerate(commands):
            self.conn.execute("SAVEPOINT cmd")
            try:
                if "usergroup" in cmd:
                    self.run_group_command(org, cmd)
                else:
                    self.run_user_command(org, cmd, test_only)
            except StepError as err:
                self.conn.execute("RELEASE cmd")  # steps before the failing one stay done
                errors.append(
                    {
                        "index": index,
                        "step": err.step,
                        "requestID": cmd.get("requestID", ""),
                        "message": err.message,
                        "user": cmd.get("user") or cmd.get("usergroup") or "",
                        "errorCode": err.code,
                    }
                )
                continue
            self.conn.execute("RELEASE cmd")
            completed += 1
        if test_only:
            self.conn.execute("ROLLBACK")
            self.conn.execute("BEGIN")
        body: dict[str, Any] = {
            "completed": 0 if test_only else completed,
            "notCompleted": len(errors),
            "completedInTestMode": completed if test_only else 0,
            "result": "success" if not errors else ("partial" if completed else "error"),
        }
        if errors:
            body["errors"] = errors
        return body

    def run_user_command(self, org: str, cmd: dict[str, Any], test_only: bool) -> None:
        """Carry out one user command; raises ``StepError`` (with ``step``) at the failing step."""
        raw_user = cmd.get("user")
        if not isinstance(raw_user, str) or not raw_user:
            raise StepError("error.command.malformed", "user is missing")
        steps = cmd.get("do")
        if not isinstance(steps, list) or not steps:
            raise StepError("error.command.malformed", "do must be a non-empty list of steps")
        if len(steps) > MAX_STEPS:
            raise StepError("error.command.add_remove.list_too_long", "too many steps in a command")
        if "@" not in raw_user and not cmd.get("domain"):
            raise StepError("error.command.domain.missing", f"domain is required for user {raw_user}")
        email = raw_user.lower() if "@" in raw_user else f"{raw_user}@{cmd['domain']}".lower()
        for i, step in enumerate(steps):
            try:
                self._user_step(org, email, step, i, len(steps), test_only)
            except StepError as err:
                err.step = i
                raise

    def _user_step(self, org: str, email: str, step: Any, i: int, count: int, test_only: bool) -> None:
        if not isinstance(step, dict) or len(step) != 1:
            raise StepError("error.command.malformed", "a step is an object with one key")
        ((name, body),) = step.items()
        if name in CREATE_STEPS and i != 0:
            raise StepError("error.command.create.not_first", "the create step must be the first step")
        if name == "removeFromOrg" and i != count - 1:
            raise StepError("error.command.removefromorg.not_last", "removeFromOrg must be the last step")
        user = self.conn.execute("SELECT * FROM umapi_users WHERE org=? AND email=?", (org, email)).fetchone()
        if name in CREATE_STEPS:
            self._create_user(org, email, CREATE_STEPS[name], body if isinstance(body, dict) else {}, user)
            return
        if user is None:
            if test_only or name == "removeFromOrg":
                return  # reported as successful (documented)
            raise StepError("error.user.nonexistent", f"User {email} does not exist in the org")
        if name == "update":
            self._update_user(org, email, user, body if isinstance(body, dict) else {})
        elif name in ("add", "remove"):
            self._change_user_groups(org, email, name, body)
        elif name == "removeFromOrg":
            self.conn.execute("DELETE FROM umapi_members WHERE org=? AND email=?", (org, email))
            self.conn.execute("DELETE FROM umapi_users WHERE org=? AND email=?", (org, email))
        else:
            raise StepError("error.command.step.unknown", f"unknown step {name}")

    def _create_user(self, org: str, email: str, id_type: str, body: dict[str, Any], user: sqlite3.Row | None) -> None:
        option = body.get("option")
        if option is not None and option not in OPTIONS:
            raise StepError("error.option.illegal", f"illegal option {option}")
        if id_type == "federatedID" and not body.get("country"):
            raise StepError("error.country.invalid", "country is required for a Federated ID")
        if user is None:
            umapi_insert_user(
                self.conn,
                org,
                body.get("email") or email,
                id_type,
                body.get("firstname"),
                body.get("lastname"),
                body.get("country"),
            )
            return
        if user["type"] != id_type:
            raise StepError("error.user.type_mismatch", f"User {email} exists with type {user['type']}")
        if option is None:
            raise StepError("error.user.already_in_org", f"User {email} is already in the org")
        if option == "updateIfAlreadyExists":
            for key in ("firstname", "lastname"):
                if key in body:
                    self.conn.execute(
                        f"UPDATE umapi_users SET {key}=? WHERE org=? AND email=?", (body[key], org, email)
                    )

    def _update_user(self, org: str, email: str, user: sqlite3.Row, body: dict[str, Any]) -> None:
        if user["type"] == "adobeID":
            raise StepError("error.update.adobeid.no", "Adobe IDs cannot be updated")
        if "country" in body:
            raise StepError("error.update.country.no_update", "country cannot be updated")
        for key in ("firstname", "lastname", "username"):
            if key in body:
                self.conn.execute(f"UPDATE umapi_users SET {key}=? WHERE org=? AND email=?", (body[key], org, email))

    def _change_user_groups(self, org: str, email: str, name: str, body: Any) -> None:
        if name == "remove" and body == "all":
            self.conn.execute(
                "DELETE FROM umapi_members WHERE org=? AND email=? AND group_name != '_org_admin'", (org, email)
            )
            return
        groups = body.get("group") if isinstance(body, dict) else None
        if not isinstance(groups, list) or not groups:
            raise StepError("error.group.invalid_list", "group must be a non-empty list")
        if len(groups) > MAX_GROUPS:
            raise StepError(
                "error.command.add_remove.list_too_long",
                "too many entries in the list or too many steps in a command",
            )
        for g in groups:
            if g == "_org_admin":
                raise StepError("error.group.invalid_list", "_org_admin cannot be added or removed")
            if not self.has_group(org, g):
                raise StepError("error.group.not_found", f"Group {g} was not found")
        for g in groups:
            if name == "add":
                self.conn.execute("INSERT OR IGNORE INTO umapi_members VALUES (?,?,?)", (org, email, g))
            else:
                self.conn.execute("DELETE FROM umapi_members WHERE org=? AND email=? AND group_name=?", (org, email, g))

    def run_group_command(self, org: str, cmd: dict[str, Any]) -> None:
        """Carry out one user-group command; raises ``StepError`` (with ``step``) at the failing step.
        (Test mode needs nothing here: ``action`` rolls the whole request back.)"""
        name = cmd.get("usergroup")
        steps = cmd.get("do")
        if not isinstance(name, str) or not isinstance(steps, list) or not steps:
            raise StepError("error.command.malformed", "usergroup and do are required")
        for i, step in enumerate(steps):
            try:
                self._group_step(org, name, step, i)
            except StepError as err:
                err.step = i
                raise

    def _group_step(self, org: str, name: str, step: Any, i: int) -> None:
        ((op, body),) = step.items() if isinstance(step, dict) and len(step) == 1 else [("?", None)]
        row = self.conn.execute("SELECT * FROM umapi_groups WHERE org=? AND name=?", (org, name)).fetchone()
        if op == "createUserGroup":
            self._create_group(org, name, body if isinstance(body, dict) else {}, row, i)
            return
        if row is None or row["type"] != "USER_GROUP":
            raise StepError("error.usergroup.not_found", f"User group {name} was not found")
        if op == "deleteUserGroup":
            self.conn.execute("DELETE FROM umapi_members WHERE org=? AND group_name=?", (org, name))
            self.conn.execute("DELETE FROM umapi_groups WHERE org=? AND name=?", (org, name))
        elif op == "updateUserGroup":
            body = body if isinstance(body, dict) else {}
            if body.get("description") is not None:
                self.conn.execute(
                    "UPDATE umapi_groups SET description=? WHERE org=? AND name=?", (body["description"], org, name)
                )
        elif op in ("add", "remove"):
            self._change_group_members(org, name, op, body)
        else:
            raise StepError("error.command.step.unknown", f"unknown step {op}")

    def _create_group(self, org: str, name: str, body: dict[str, Any], row: sqlite3.Row | None, i: int) -> None:
        if i != 0:
            raise StepError("error.command.create.not_first", "createUserGroup must be the first step")
        if row is not None:
            if body.get("option") in OPTIONS:
                return
            raise StepError("error.usergroup.already_exists", f"User group {name} already exists")
        (gid,) = self.conn.execute("SELECT COALESCE(MAX(group_id), 4000000) + 1 FROM umapi_groups").fetchone()
        self.conn.execute(
            "INSERT INTO umapi_groups(org, name, group_id, type, description) VALUES (?,?,?,?,?)",
            (org, body.get("name") or name, gid, "USER_GROUP", body.get("description") or ""),
        )

    def _change_group_members(self, org: str, name: str, op: str, body: Any) -> None:
        users = body.get("user", []) if isinstance(body, dict) else []
        if isinstance(body, dict) and body.get("productConfiguration"):
            raise StepError("error.command.step.unknown", "productConfiguration is not emulated by the sandbox")
        if len(users) > MAX_GROUPS:
            raise StepError("error.command.add_remove.list_too_long", "too many entries in the list")
        for u in users:
            email = str(u).lower()
            if op == "add":
                if (
                    self.conn.execute("SELECT 1 FROM umapi_users WHERE org=? AND email=?", (org, email)).fetchone()
                    is None
                ):
                    raise StepError("error.user.nonexistent", f"User {u} does not exist in the org")
                self.conn.execute("INSERT OR IGNORE INTO umapi_members VALUES (?,?,?)", (org, email, name))
            else:
                self.conn.execute(
                    "DELETE FROM umapi_members WHERE org=? AND email=? AND group_name=?", (org, email, name)
                )

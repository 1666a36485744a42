"""Granite / Jackrabbit Oak users and groups of the AEM author emulator (docs/api-fidelity.md,
"AEM author: users and groups").

Users are ``rep:User`` nodes under ``/home/users``, groups ``rep:Group`` nodes under ``/home/groups``,
each with ``rep:authorizableId``, ``rep:principalName`` and a ``jcr:uuid``; a group's members are the
``jcr:uuid`` values in its ``rep:members`` (as Oak stores them). Passwords are kept as salted
PBKDF2-SHA256 hashes in ``rep:password`` (``{PBKDF2-SHA256}<salt>-<iterations>-<hex>``, Oak's hash
format shape). The seeded ``admin`` has no stored hash: its password is ``SEED["aem"]["users"]``
until it is changed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..world import SEED, ecma_date
from . import jcr

USERS_ROOT = "/home/users"
GROUPS_ROOT = "/home/groups"
AUTHORIZABLES_PATH = "/libs/granite/security/post/authorizables"
CURRENT_USER_PATH = "/libs/granite/security/currentuser.json"
USER_TYPES = ("rep:User", "rep:SystemUser")
EXISTS_CLASS = "org.apache.jackrabbit.api.security.user.AuthorizableExistsException"
_ITERATIONS = 1000


class AuthorizableError(Exception):
    """A refusal of the Granite authorizable servlets: HTTP status, Java exception class, message
    (shown as ``<class>: <message>`` in the ``<div id="Message">`` of the HTML answer)."""

    def __init__(self, status: int, error_class: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_class = error_class
        self.message = message

    def text(self) -> str:
        """The servlet's message line: ``<exception class>: <message>``."""
        return f"{self.error_class}: {self.message}"


@dataclass
class Authorizable:
    """A user or group node: ``id`` (``rep:authorizableId``), ``path``, ``is_group``, the node."""

    id: str
    path: str
    is_group: bool
    node: jcr.Node


def hash_password(password: str) -> str:
    """A salted hash for ``rep:password``: ``{PBKDF2-SHA256}<salt hex>-<iterations>-<hash hex>``."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), _ITERATIONS).hex()
    return f"{{PBKDF2-SHA256}}{salt}-{_ITERATIONS}-{digest}"


def check_password(stored: str, password: str) -> bool:
    """True when ``password`` matches a ``hash_password`` value."""
    try:
        salt, iterations, digest = stored.split("}", 1)[1].split("-")
        got = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations)).hex()
    except (IndexError, ValueError):
        return False
    return hmac.compare_digest(got, digest)


def _as_authorizable(node: jcr.Node | None) -> Authorizable | None:
    if node is None or not (node.is_type("rep:User") or node.is_type("rep:Group")):
        return None
    authorizable_id = str(node.props.get("rep:authorizableId", node.name))
    return Authorizable(authorizable_id, node.path, node.is_type("rep:Group"), node)


def find(conn: sqlite3.Connection, authorizable_id: str) -> Authorizable | None:
    """The user or group with ``rep:authorizableId`` = ``authorizable_id`` (case-sensitive), or None."""
    if authorizable_id:  # the usual home first (<root>/<first letter>/<id>), then a scan
        for root in (USERS_ROOT, GROUPS_ROOT):
            hit = _as_authorizable(jcr.get_node(conn, f"{root}/{authorizable_id[:1].lower()}/{authorizable_id}"))
            if hit is not None and hit.id == authorizable_id:
                return hit
    row = conn.execute(
        "SELECT path FROM nodes WHERE type IN ('rep:User','rep:SystemUser','rep:Group')"
        " AND json_extract(props, '$.\"rep:authorizableId\"') = ?",
        (authorizable_id,),
    ).fetchone()
    return None if row is None else _as_authorizable(jcr.get_node(conn, row[0]))


def at_path(conn: sqlite3.Connection, path: str) -> Authorizable | None:
    """The user or group whose node is ``path``, or None."""
    return _as_authorizable(jcr.get_node(conn, path))


def verify_login(conn: sqlite3.Connection, user: str, password: str) -> bool:
    """HTTP Basic check: the user's stored ``rep:password`` hash, else the seed's password (admin).
    A group never logs in; a user that no longer exists neither."""
    found = find(conn, user)
    if found is None or found.is_group:
        return False
    stored = found.node.props.get("rep:password")
    if isinstance(stored, str) and stored:
        return check_password(stored, password)
    return SEED["aem"]["users"].get(user) == password


def _home_path(params: dict[str, str], authorizable_id: str, group: bool) -> str:
    """Where a new authorizable goes: ``intermediatePath`` (absolute under the users/groups root,
    or relative to it), else ``<root>/<first letter of the id>``; the node name is the id."""
    root = GROUPS_ROOT if group else USERS_ROOT
    inter = (params.get("intermediatePath") or "").strip()
    if not inter:
        inter = f"{root}/{authorizable_id[:1].lower()}"
    elif not inter.startswith("/"):
        inter = f"{root}/{inter.strip('/')}"
    inter = inter.rstrip("/")
    if inter != root and not inter.startswith(root + "/"):
        raise AuthorizableError(
            500,
            "javax.jcr.nodetype.ConstraintViolationException",
            f"Attempt to create {'group' if group else 'user'} outside of configured scope {root}",
        )
    return f"{inter}/{authorizable_id}"


def create(conn: sqlite3.Connection, params: list[tuple[str, str]], creator: str) -> Authorizable:
    """``POST /libs/granite/security/post/authorizables`` with ``createUser`` or ``createGroup``.

    Parameters: ``authorizableId`` (required), ``rep:password`` (users), ``intermediatePath``,
    ``profile/<prop>`` (stored on the ``profile`` child node), ``membership`` (group ids to join).
    Raises ``AuthorizableError``: 500 ``AuthorizableExistsException`` when the id is taken by a user
    or a group, 500 for a missing id or password, a path outside the root.
    """
    lookup = dict(params)
    group = "createGroup" in lookup
    if not group and "createUser" not in lookup:
        raise AuthorizableError(500, "javax.jcr.RepositoryException", "createUser or createGroup is required")
    authorizable_id = (lookup.get("authorizableId") or "").strip()
    if not authorizable_id:
        raise AuthorizableError(500, "javax.jcr.RepositoryException", "authorizableId must not be empty")
    if "/" in authorizable_id or jcr.INVALID_NAME.search(authorizable_id):
        raise AuthorizableError(500, "javax.jcr.RepositoryException", f"invalid authorizableId {authorizable_id!r}")
    if find(conn, authorizable_id) is not None:
        raise AuthorizableError(500, EXISTS_CLASS, f"User or Group for '{authorizable_id}' already exists")
    password = lookup.get("rep:password")
    if not group and not password:
        raise AuthorizableError(500, "javax.jcr.RepositoryException", "rep:password must not be empty")
    path = _home_path(lookup, authorizable_id, group)
    if jcr.get_node(conn, path) is not None:
        raise AuthorizableError(500, "javax.jcr.ItemExistsException", f"node {path} already exists")
    _ensure_folders(conn, jcr.parent_of(path))
    props: dict[str, Any] = {
        "jcr:uuid": str(uuid.uuid4()),
        "rep:authorizableId": authorizable_id,
        "rep:principalName": authorizable_id,
        "jcr:created": ecma_date(),
        "jcr:createdBy": creator,
    }
    if not group:
        props["rep:password"] = hash_password(password or "")
    jcr.create_node(conn, path, "rep:Group" if group else "rep:User", props, user=creator)
    _set_profile(conn, path, params)
    created = find(conn, authorizable_id)
    assert created is not None
    for gid in (v for k, v in params if k == "membership"):
        if (g := find(conn, gid)) is not None and g.is_group:
            change_members(conn, g, add=[authorizable_id], remove=[])
    return created


def _ensure_folders(conn: sqlite3.Connection, path: str) -> None:
    if jcr.get_node(conn, path) is not None:
        return
    _ensure_folders(conn, jcr.parent_of(path))
    jcr.create_node(conn, path, "rep:AuthorizableFolder", {})


def _set_profile(conn: sqlite3.Connection, path: str, params: Iterable[tuple[str, str]]) -> None:
    """``profile/<prop>`` parameters: properties of the authorizable's ``profile`` node."""
    values = {k.split("/", 1)[1]: v for k, v in params if k.startswith("profile/") and "/" not in k[8:] and k[8:]}
    if not values:
        return
    profile = jcr.get_node(conn, f"{path}/profile") or jcr.create_node(conn, f"{path}/profile", "nt:unstructured")
    profile.props.update(values)
    jcr.save_props(conn, profile)


def change_members(conn: sqlite3.Connection, group: Authorizable, add: list[str], remove: list[str]) -> list[str]:
    """Add and remove members (authorizable ids) of ``group``; unknown ids are skipped. Returns the
    ids skipped. A group cannot become a member of itself (skipped too)."""
    members = list(group.node.props.get("rep:members") or [])
    skipped = []
    for mid in add:
        member = find(conn, mid)
        if member is None or member.path == group.path:
            skipped.append(mid)
            continue
        ref = member.node.props.get("jcr:uuid")
        if ref and ref not in members:
            members.append(ref)
    for mid in remove:
        member = find(conn, mid)
        if member is None:
            skipped.append(mid)
        else:
            members = [m for m in members if m != member.node.props.get("jcr:uuid")]
    if members:
        group.node.props["rep:members"] = members
    else:
        group.node.props.pop("rep:members", None)
    jcr.save_props(conn, group.node)
    return skipped


def update(conn: sqlite3.Connection, target: Authorizable, params: list[tuple[str, str]], user: str) -> str:
    """``POST <authorizable path>.rw.html``: ``addMembers``/``removeMembers`` (groups), ``rep:password``
    with ``:currentPassword`` (users), ``profile/<prop>``, ``deleteAuthorizable``. Returns what was
    done ("modified" or "deleted"). Raises ``AuthorizableError``: 500 for members of a user, a wrong
    current password (only checked when the user changes their own password)."""
    lookup = dict(params)
    if "deleteAuthorizable" in lookup:
        delete(conn, target)
        return "deleted"
    add = [v for k, v in params if k == "addMembers" and v]
    remove = [v for k, v in params if k == "removeMembers" and v]
    if (add or remove) and not target.is_group:
        raise AuthorizableError(500, "javax.jcr.RepositoryException", f"{target.id} is not a group")
    if add or remove:
        change_members(conn, target, add, remove)
    new_password = lookup.get("rep:password")
    if new_password and not target.is_group:
        current = lookup.get(":currentPassword")
        if target.id == user and current is not None and not verify_login(conn, user, current):
            raise AuthorizableError(500, "javax.jcr.RepositoryException", "Old password does not match")
        node = jcr.get_node(conn, target.path)
        assert node is not None
        node.props["rep:password"] = hash_password(new_password)
        jcr.save_props(conn, node)
    _set_profile(conn, target.path, params)
    return "modified"


def delete(conn: sqlite3.Connection, target: Authorizable) -> None:
    """Remove a user or group and its membership entries in every group."""
    ref = target.node.props.get("jcr:uuid")
    jcr.delete_tree(conn, target.path)
    if not ref:
        return
    for (path,) in conn.execute("SELECT path FROM nodes WHERE type='rep:Group'").fetchall():
        g = jcr.get_node(conn, path)
        if g is not None and ref in (g.props.get("rep:members") or []):
            g.props["rep:members"] = [m for m in g.props["rep:members"] if m != ref]
            if not g.props["rep:members"]:
                del g.props["rep:members"]
            jcr.save_props(conn, g)


def member_of(conn: sqlite3.Connection, target: Authorizable, *, declared: bool) -> list[Authorizable]:
    """The groups ``target`` is a declared member of, or (``declared=False``) a member of through
    nested groups as well, in path order."""
    groups = [a for (p,) in conn.execute("SELECT path FROM nodes WHERE type='rep:Group' ORDER BY path")
              if (a := at_path(conn, p)) is not None]
    result: list[Authorizable] = []
    todo = [target]
    seen: set[str] = set()
    while todo:
        current = todo.pop(0)
        ref = current.node.props.get("jcr:uuid")
        for g in groups:
            if g.path not in seen and ref and ref in (g.node.props.get("rep:members") or []):
                seen.add(g.path)
                result.append(g)
                if not declared:
                    todo.append(g)
    return sorted(result, key=lambda a: a.path)


def to_json(conn: sqlite3.Connection, target: Authorizable, props: set[str]) -> dict[str, Any]:
    """Granite's ``AuthorizableJSONWriter`` shape: ``authorizableId``, ``home``, ``type`` (``user``/
    ``group``), ``principal``, ``name`` (profile given/family name or the id); with ``memberOf`` /
    ``declaredMemberOf`` in ``props`` the groups (``[{"authorizableId", "home", ...}]``) and their
    totals; ``members`` / ``declaredMembers`` for a group likewise."""
    profile = jcr.get_node(conn, f"{target.path}/profile")
    names = [str(profile.props[k]) for k in ("givenName", "familyName") if profile and profile.props.get(k)]
    out: dict[str, Any] = {
        "authorizableId": target.id,
        "home": target.path,
        "type": "group" if target.is_group else "user",
        "principal": str(target.node.props.get("rep:principalName", target.id)),
        "name": " ".join(names) or target.id,
    }
    if not target.is_group:
        out["isImpersonated"] = False
        out["isSystemUser"] = target.node.type == "rep:SystemUser"
    for key, declared in (("memberOf", False), ("declaredMemberOf", True)):
        if key in props or "*" in props:
            groups = member_of(conn, target, declared=declared)
            out[key] = [{"authorizableId": g.id, "home": g.path, "type": "group"} for g in groups]
            out[f"{key}Total"] = len(groups)
    if target.is_group and ({"members", "declaredMembers", "*"} & props):
        refs = set(target.node.props.get("rep:members") or [])
        rows = conn.execute(
            "SELECT path FROM nodes WHERE type IN ('rep:User','rep:SystemUser','rep:Group') ORDER BY path"
        ).fetchall()
        members = [a for (p,) in rows if (a := at_path(conn, p)) is not None and a.node.props.get("jcr:uuid") in refs]
        listed = [{"authorizableId": m.id, "home": m.path, "type": "group" if m.is_group else "user"} for m in members]
        out["declaredMembers"] = listed
        out["declaredMembersTotal"] = len(listed)
    return out

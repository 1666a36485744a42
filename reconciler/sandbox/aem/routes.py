"""AEM author emulator, HTTP side: auth, CSRF, Sling GET/POST/DELETE, Query Builder, replication
agents' Test Connection, the assumed share and Creative Cloud connection endpoints
(docs/api-fidelity.md, sections "AEM author" and "AEM author: shares and Creative Cloud
connection"). The rules are in ``models.py``, ``jcr.py`` and ``shares.py``; this module reads
requests and writes Sling's HTML and JSON answers.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlparse

import httpx
import jwt
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..common import Refused, all_params, handler, service_app, text_params
from ..ims.routes import create_ims_app
from ..world import SEED, World
from . import authorizables, jcr
from .models import (
    TestLog,
    agent_of,
    forget_keys,
    json_levels,
    post,
    post_target,
    resolve,
    test_connection,
    too_big_levels,
)
from .shares import CC_CONNECTION_PATH, SHARES_PATH, ShareError, ShareModel

REALM = 'Basic realm="Sling (Development)"'
LOGIN_PAGE_PATH = "/libs/granite/core/content/login.html"
HARDENED_META = "aem_hardened"

#: Known AEM endpoints the sandbox does not emulate, as path prefixes (``/`` ends a folder prefix)
#: or path suffixes (``*`` first). They answer 501 instead of falling through to the generic
#: Sling GET/POST, which would fake a success with a junk node (docs/api-fidelity.md).
NOT_EMULATED: tuple[str, ...] = (
    "/crx/packmgr",  # CRX package manager (service.jsp, service.json, update.jsp, index)
    "/crx/de",  # CRXDE Lite
    "/crx/explorer",
    "/crx/server",  # JCR remoting (DavEx)
    "/etc/packages",  # package storage and downloads
    "/system/console",  # Felix web console (bundles, configMgr, jmx, productinfo)
    "/etc/replication/treeactivation.html",
    "/libs/replication/treeactivation.html",
    "/bin/replicate",  # /bin/replicate.json (activate, deactivate)
    "/etc/truststore",
    "/libs/granite/security/post/truststore",
    "/libs/granite/security/truststore.json",
    "/libs/granite/security/post/sslSetup.html",
    "/libs/cq/workflow/launcher",
    "/libs/granite/cluster",
    "/system/health",
    "*.cqactions.html",  # ACL changes (/.cqactions.html)
    "*.ks.json",  # an authorizable's keystore
    "*.ks.html",
    "*/keystore/store.p12",
)


def not_emulated_path(path: str) -> bool:
    """True when ``path`` is a known AEM endpoint the sandbox does not emulate (``NOT_EMULATED``)."""
    for item in NOT_EMULATED:
        if item.startswith("*"):
            if path.endswith(item[1:]):
                return True
        elif path == item or path.startswith((item + "/", item + ".")):
            return True
    return False


def not_emulated(path: str) -> Response:
    """501 for a known AEM endpoint the sandbox does not emulate: a clear error, never a success."""
    reason = f"not emulated by the sandbox: {path}"
    body = (
        f"<html><head><title>501 {html.escape(reason)}</title></head><body><h1>Not Implemented</h1>"
        f'<div id="Message">{html.escape(reason)}</div></body></html>'
    )
    return Response(body, status_code=501, media_type="text/html")


def method_not_allowed(method: str, path: str, allow: str = "GET, HEAD, POST, OPTIONS") -> Response:
    """405 of a hardened author (the WebDAV bundle stopped) for ``DELETE``/``PUT``: Sling's error
    page, whose ``<title>`` names the method (the Sling POST servlet still accepts POST); also for
    PUT/PATCH on any author (``allow`` then names DELETE too)."""
    title = f"405 Method {method} not supported"
    body = (
        f"<html><head><title>{html.escape(title)}</title></head><body><h1>Method Not Allowed</h1>"
        f"<p>The requested method {html.escape(method)} is not allowed for {html.escape(path)}.</p>"
        "</body></html>"
    )
    return Response(body, status_code=405, media_type="text/html", headers={"Allow": allow})


# --------------------------------------------------------------------------------------------------
# Auth and CSRF
# --------------------------------------------------------------------------------------------------


def authenticate(request: Request, world: World) -> str | None:
    """The AEM user of the request or None: HTTP Basic checked against the world's users
    (``authorizables.verify_login``: a stored password hash, else the seed's ``admin``/``admin``),
    or the sandbox bearer token."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        with world.tx(write=False) as conn:
            return user if authorizables.verify_login(conn, user, password) else None
    if scheme.lower() == "bearer":
        return SEED["aem"]["bearer_tokens"].get(value.strip())
    return None


def unauthorized() -> Response:
    body = "<html><head><title>401 Unauthorized</title></head><body><h1>Unauthorized</h1></body></html>"
    return Response(body, status_code=401, media_type="text/html", headers={"WWW-Authenticate": REALM})


def forbidden(reason: str) -> Response:
    body = (
        f"<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1>"
        f"<p>{html.escape(reason)}</p></body></html>"
    )
    return Response(body, status_code=403, media_type="text/html")


def csrf_token(secret: str, user: str) -> str:
    """A Granite-like CSRF token: an HS256 JWT valid for 10 minutes."""
    now = int(time.time())
    return jwt.encode({"sub": user, "iat": now, "exp": now + 600}, secret, algorithm="HS256")


def csrf_failure(request: Request, params: list[tuple[str, str]], secret: str) -> str | None:
    """Why a write request fails the Sling ReferrerFilter / Granite CSRF filter, or None.

    Only browser user agents (``Mozilla`` or ``Opera``) are checked (aem-api.md §7).
    """
    agent = request.headers.get("user-agent", "")
    if "Mozilla" not in agent and "Opera" not in agent:
        return None
    referer = request.headers.get("referer", "")
    if not referer:
        return "empty Referer header (Sling ReferrerFilter)"
    ref = urlparse(referer)
    if ref.netloc and ref.netloc != request.headers.get("host", ""):
        return f"Referer host {ref.netloc} is not allowed (Sling ReferrerFilter)"
    token = request.headers.get("csrf-token") or dict(params).get(":cq_csrf_token")
    if not token:
        return "missing CSRF token (Granite CSRF filter)"
    try:
        jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.PyJWTError:
        return "invalid or expired CSRF token (Granite CSRF filter)"
    return None


# --------------------------------------------------------------------------------------------------
# Responses of the POST servlet
# --------------------------------------------------------------------------------------------------


def post_response(
    request: Request,
    result: jcr.PostResult | None,
    path: str,
    params: list[tuple[str, str]],
    error: jcr.PostError | None = None,
) -> Response:
    """JSON (``Accept: application/json``) or HTML response of the Sling POST servlet."""
    status = error.status if error else (result.status if result else 200)
    changes = result.changes if result else []
    referer = request.headers.get("referer", "")
    parent = jcr.parent_of(path)
    title = (
        f"Error while processing {path}" if error else f"Content {result.title_verb if result else 'modified'} {path}"
    )
    message = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Status"
    lookup = dict(params)
    if lookup.get(":redirect") and not error:
        return RedirectResponse(lookup[":redirect"], status_code=302)
    http_status = 200 if lookup.get(":status") == "browser" else status
    headers = {"Location": path} if result and result.is_create and not error else {}
    wants_json = "application/json" in request.headers.get("accept", "") or lookup.get(
        ":http-equiv-accept", ""
    ).startswith("application/json")
    if wants_json:
        body: dict[str, Any] = {
            "changes": [{"type": t, "argument": a} for t, a in changes],
            "referer": referer,
            "path": path,
            "location": path,
            "parentLocation": parent,
            "status.code": status,
            "status.message": message,
            "title": title,
            "isCreate": bool(result and result.is_create),
        }
        if error:
            body["error"] = {"class": error.error_class, "message": error.message}
        return JSONResponse(body, status_code=http_status, headers=headers)
    e = html.escape
    changelog = "".join(f"{t}(&quot;{e(a)}&quot;);&lt;br/&gt;" for t, a in changes)
    msg = e(error.message) if error else message
    page = f"""<html>
<head>
    <title>{e(title)}</title>
</head>
    <body>
    <h1>{e(title)}</h1>
    <table>
        <tbody>
            <tr><td>Status</td><td><div id="Status">{status}</div></td></tr>
            <tr><td>Message</td><td><div id="Message">{msg}</div></td></tr>
            <tr><td>Location</td><td><a href="{e(path)}" id="Location">{e(path)}</a></td></tr>
            <tr><td>Parent Location</td>
                <td><a href="{e(parent)}" id="ParentLocation">{e(parent)}</a></td></tr>
            <tr><td>Path</td><td><div id="Path">{e(path)}</div></td></tr>
            <tr><td>Referer</td><td><a href="{e(referer)}" id="Referer">{e(referer)}</a></td></tr>
            <tr><td>ChangeLog</td><td><div id="ChangeLog">&lt;pre&gt;{changelog}&lt;/pre&gt;</div></td></tr>
        </tbody>
    </table>
    <p><a href="{e(referer)}">Go Back</a></p>
    <p><a href="{e(path)}">Modified Resource</a></p>
    <p><a href="{e(parent)}">Parent of Modified Resource</a></p>
    </body>
</html>
"""
    return Response(page, status_code=http_status, media_type="text/html", headers=headers)


def aem_fault(status: int, phrase: str, headers: dict[str, str]) -> Response:
    """AEM's answer to an injected fault: the servlet engine's HTML error page."""
    body = f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>"
    return Response(body, status_code=status, media_type="text/html", headers=headers)


def not_found(path: str) -> Response:
    body = (
        f"<html><head><title>404 Resource at '{html.escape(path)}' not found: No resource found</title>"
        f"</head><body><h1>Resource at '{html.escape(path)}' not found: No resource found</h1></body></html>"
    )
    return Response(body, status_code=404, media_type="text/html")


# --------------------------------------------------------------------------------------------------
# Test Connection page
# --------------------------------------------------------------------------------------------------


def _log_time() -> str:
    return dt.datetime.now().strftime("%d.%m.%Y %H:%M:%S")


def _test_page(agent_path: str, title: str, lines: list[str], result: str) -> Response:
    body = "\n".join(f"{_log_time()} - {html.escape(line, quote=False)}" for line in lines)
    page = (
        "<html><head><title>Test replication</title></head>\n<body>\n<h2>Replication Test</h2>\n"
        f'<p>Agent: <a href="{html.escape(agent_path)}.html">{html.escape(title)}</a></p>\n'
        f'<pre id="log">\n{body}\n{html.escape(result, quote=False)}\n</pre>\n</body></html>\n'
    )
    return Response(page, media_type="text/html")


def test_page(page: jcr.Node, log: TestLog) -> Response:
    """The HTML of ``<agent>.test.html`` for a test replication's log."""
    return _test_page(page.path, log.title, log.lines, log.result)


def render_json(conn: sqlite3.Connection, node: jcr.Node, selectors: list[str]) -> Response:
    """Sling's ``.json`` rendering: recursion selector (``N``, ``infinity``, ``-1``), ``tidy``,
    ``harray``; 300 with the URLs to try when the tree is too big; 400 for a bad selector."""
    try:
        levels, tidy, harray = json_levels(selectors)
    except ValueError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    below = jcr.descendants(conn, node.path, levels) if levels != 0 else []
    fits = too_big_levels(node, below, levels)
    if fits is not None:
        prefix = "tidy." if tidy else ""
        return JSONResponse([f"{node.path}.{prefix}{i}.json" for i in range(fits, -1, -1)], status_code=300)
    body = jcr.render_tree(node, below, levels, harray=harray)
    text = json.dumps(body, indent=2 if tidy else None, separators=None if tidy else (",", ":"), ensure_ascii=False)
    return Response(text, media_type="application/json")


def _share_gate(world: World) -> Callable[[Request, sqlite3.Connection], str]:
    def gate(request: Request, conn: sqlite3.Connection) -> str:
        """Gate of the share routes: the authenticated AEM user, or the 401 page."""
        user = authenticate(request, world)
        if user is None:
            raise Refused(unauthorized())
        return user

    return gate


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise ShareError(400, "the body must be JSON") from None


def shares_json(request: Request, conn: sqlite3.Connection, user: str, body: None) -> Response:
    return JSONResponse(ShareModel(conn).shares())


def shares(request: Request, conn: sqlite3.Connection, user: str, body: Any) -> Response:
    if request.method == "DELETE":
        q = request.query_params
        ShareModel(conn).unshare(q.get("path", ""), q.get("target", ""))
        return Response(status_code=204)
    if not isinstance(body, dict):
        raise ShareError(400, "the body must be a JSON object")
    share, new = ShareModel(conn).share(body)
    return JSONResponse(share, status_code=201 if new else 200)


def cc_json(request: Request, conn: sqlite3.Connection, user: str, body: None) -> Response:
    return JSONResponse(ShareModel(conn).connection())


def cc_switch(request: Request, conn: sqlite3.Connection, user: str, body: Any) -> Response:
    return JSONResponse(ShareModel(conn).switch(body.get("orgId") if isinstance(body, dict) else None))


def _share_body(world: World) -> Callable[[Request], Awaitable[Any]]:
    async def read(request: Request) -> Any:
        """The auth check comes before reading the body (then the body must be JSON)."""
        if authenticate(request, world) is None:
            raise Refused(unauthorized())
        if request.method == "DELETE":
            return None
        return await _json_body(request)

    return read


def share_routes(world: World) -> list[Route]:
    """Routes to mount on the AEM app before its catch-all Sling route."""
    _require_user = _share_gate(world)
    body = _share_body(world)
    return [
        Route(SHARES_PATH + ".json", handler(world, shares_json, gate=_require_user), methods=["GET"]),
        Route(
            SHARES_PATH,
            handler(world, shares, gate=_require_user, write=True, body=body),
            methods=["POST", "DELETE"],
        ),
        Route(CC_CONNECTION_PATH + ".json", handler(world, cc_json, gate=_require_user), methods=["GET"]),
        Route(
            CC_CONNECTION_PATH,
            handler(world, cc_switch, gate=_require_user, write=True, body=body),
            methods=["POST"],
        ),
    ]


# --------------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------------


class AemRoutes:
    """The endpoints of one AEM app: ``world``, where Test Connection reaches IMS (``ims_url``),
    and the app's ``options`` (which also cache the in-process IMS app under ``"ims_app"``)."""

    def __init__(self, world: World, options: dict[str, Any], ims_url: str) -> None:
        self.world = world
        self.options = options
        self.ims_url = ims_url

    def secret(self) -> str:
        """The world's secret (CSRF token key and ``@Encrypted`` key)."""
        with self.world.tx(write=False) as conn:
            return self.world.meta_get(conn, "secret") or ""

    def ims_client(self) -> httpx.AsyncClient:
        """A client for IMS: in-process (``sandbox://``, an IMS app of the same world) or real HTTP."""
        if self.ims_url.startswith("sandbox://"):
            if "ims_app" not in self.options:
                self.options["ims_app"] = create_ims_app(self.world, {"crash_mode": "raise"})
            return httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.options["ims_app"]),
                base_url="http://ims.sandbox",
                timeout=30,
            )
        return httpx.AsyncClient(base_url=self.ims_url.rstrip("/"), timeout=30)

    async def test_connection(self, agent: tuple[jcr.Node, jcr.Node]) -> Response:
        log = await test_connection(self.world, agent[0], agent[1], self.ims_client, self.ims_url.rstrip("/"))
        return test_page(agent[0], log)

    def hardened(self) -> bool:
        """True when the world's author is hardened (``set_aem_hardened``): DELETE/PUT answer 405."""
        with self.world.tx(write=False) as conn:
            return self.world.meta_get(conn, HARDENED_META) == "on"

    async def login_page(self, request: Request) -> Response:
        """The Granite sign-in page: served to anonymous users too (wrong credentials: 401)."""
        if request.headers.get("authorization") and authenticate(request, self.world) is None:
            return unauthorized()
        page = (
            '<!DOCTYPE html><html lang="en"><head><title>AEM Sign In</title></head><body>'
            '<form name="login" method="POST" id="login"'
            ' action="/libs/granite/core/content/login.html/j_security_check">'
            '<input type="text" name="j_username" id="username"/><input type="password" name="j_password"'
            ' id="password"/><input type="hidden" name="_charset_" value="UTF-8"/>'
            '<button type="submit" id="submit-button">Sign In</button></form></body></html>'
        )
        return Response(page, media_type="text/html")

    async def authorizables_post(self, request: Request) -> Response:
        """``POST /libs/granite/security/post/authorizables``: create a user or a group (201 +
        ``Location``; a taken id: 500 ``AuthorizableExistsException``)."""
        user = authenticate(request, self.world)
        if user is None:
            return unauthorized()
        params = text_params(await all_params(request))
        if why := csrf_failure(request, params, self.secret()):
            return forbidden(why)
        try:
            with self.world.tx() as conn:
                made = authorizables.create(conn, params, user)
        except authorizables.AuthorizableError as err:
            error = jcr.PostError(err.status, err.text(), err.error_class)
            return post_response(request, None, authorizables.AUTHORIZABLES_PATH, params, error)
        result = jcr.PostResult(201, made.path, True, [("created", made.path)], "created")
        return post_response(request, result, made.path, params)

    async def current_user(self, request: Request) -> Response:
        """``GET /libs/granite/security/currentuser.json[?props=memberOf,...]``: the caller as
        Granite's AuthorizableJSONWriter writes it."""
        user = authenticate(request, self.world)
        if user is None:
            return unauthorized()
        props = {p.strip() for p in request.query_params.get("props", "").split(",") if p.strip()}
        with self.world.tx(write=False) as conn:
            me = authorizables.find(conn, user)
            if me is None:
                return not_found(request.scope["path"])
            return JSONResponse(authorizables.to_json(conn, me, props))

    async def authorizable_post(
        self, request: Request, target: authorizables.Authorizable, params: list[tuple[str, str]], user: str
    ) -> Response:
        """``POST <authorizable>.rw.html`` (or ``deleteAuthorizable`` on the node): membership,
        password, profile, delete; 200 with the POST servlet's page."""
        try:
            with self.world.tx() as conn:
                done = authorizables.update(conn, target, params, user)
        except authorizables.AuthorizableError as err:
            error = jcr.PostError(err.status, err.text(), err.error_class)
            return post_response(request, None, target.path, params, error)
        result = jcr.PostResult(200, target.path, False, [(done, target.path)])
        return post_response(request, result, target.path, params)

    async def token(self, request: Request) -> Response:
        user = authenticate(request, self.world)
        if user is None:
            return unauthorized()
        return JSONResponse({"token": csrf_token(self.secret(), user)})

    async def login(self, request: Request) -> Response:
        if authenticate(request, self.world) is None:
            return unauthorized()
        return Response("<html><head><title>AEM Sign In</title></head><body></body></html>", media_type="text/html")

    async def querybuilder(self, request: Request) -> Response:
        if authenticate(request, self.world) is None:
            return unauthorized()
        params = text_params(await all_params(request))
        if request.method == "POST" and (why := csrf_failure(request, params, self.secret())):
            return forbidden(why)
        q: dict[str, list[str]] = {}
        for k, v in params:
            q.setdefault(k, []).append(v)
        try:
            with self.world.tx(write=False) as conn:
                result = jcr.query_builder(conn, q)
        except ValueError as exc:
            return JSONResponse({"success": False, "errorMessage": str(exc)}, status_code=400)
        return JSONResponse(result)

    async def resource(self, request: Request) -> Response:
        user = authenticate(request, self.world)
        if user is None:
            return unauthorized()
        path = request.scope["path"]
        if not_emulated_path(path):
            return not_emulated(path)
        if request.method in ("DELETE", "PUT", "PATCH") and self.hardened():
            return method_not_allowed(request.method, path)
        if request.method in ("GET", "HEAD"):
            return await self.get(path, request.query_params.get("props", ""))
        if request.method == "DELETE":
            if why := csrf_failure(request, [], self.secret()):
                return forbidden(why)
            with self.world.tx() as conn:
                node, _selectors, ext = resolve(conn, path)
                if node is None or ext is not None:
                    return not_found(path)
                jcr.delete_tree(conn, node.path)
                forget_keys(conn, node.path)
            return Response(status_code=204)
        if request.method == "POST":
            return await self.post(request, path, user)
        return method_not_allowed(request.method, path, "GET, HEAD, POST, DELETE")

    async def get(self, path: str, props: str = "") -> Response:
        """Sling GET: folder listing for ``path/``, ``.json`` (``.rw.json`` of a user or group: its
        Granite JSON with the comma-separated ``props``), ``.publickey.pem`` of a configuration,
        ``.html``, and ``.test.html`` of a replication agent."""
        with self.world.tx(write=False) as conn:
            node, selectors, ext = resolve(conn, path)
            if node is None:
                return not_found(path)
            if ext is None:
                if path.endswith("/") and path != "/":
                    names = [c.name for c in jcr.children(conn, node.path)]
                    items = "".join(f"<li>{html.escape(n)}</li>" for n in names)
                    return Response(f"<html><body><ul>{items}</ul></body></html>", media_type="text/html")
                return RedirectResponse(path + "/", status_code=302)
            if ext == "json" and selectors == ["rw"] and (who := authorizables.at_path(conn, node.path)):
                wanted = {p.strip() for p in props.split(",") if p.strip()}
                return JSONResponse(authorizables.to_json(conn, who, wanted))
            if ext == "json":
                return render_json(conn, node, selectors)
            if ext == "pem" and selectors == ["publickey"]:
                cfg = jcr.parent_of(node.path) if node.name == "jcr:content" else node.path
                row = conn.execute("SELECT cert_pem FROM mac_keys WHERE config_path=?", (cfg,)).fetchone()
                if row is None:
                    return not_found(path)
                return PlainTextResponse(row[0])
            agent = agent_of(conn, node) if ext == "html" and selectors == ["test"] else None
            if ext == "html" and not selectors:
                title = html.escape(str(node.props.get("jcr:title") or node.name))
                return Response(
                    f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>",
                    media_type="text/html",
                )
        if agent is not None:
            return await self.test_connection(agent)
        return not_found(path)

    async def post(self, request: Request, path: str, user: str) -> Response:
        """Sling POST (CSRF-checked): Test Connection on ``<agent>.test.html``, else the POST
        servlet's operation in one write transaction."""
        params = text_params(await all_params(request))
        sec = self.secret()
        if why := csrf_failure(request, params, sec):
            return forbidden(why)
        with self.world.tx(write=False) as conn:
            node, selectors, ext = resolve(conn, path)
            agent = agent_of(conn, node) if node is not None and ext == "html" and selectors == ["test"] else None
            who = authorizables.at_path(conn, node.path) if node is not None else None
        if agent is not None:
            return await self.test_connection(agent)
        if who is not None and ((ext == "html" and selectors == ["rw"]) or "deleteAuthorizable" in dict(params)):
            return await self.authorizable_post(request, who, params, user)
        if node is None and path.startswith("/home/") and dict(params).get(":operation", "") in ("", "modify"):
            error = jcr.PostError(  # Oak: only authorizables and their folders live below /home
                500,
                f"javax.jcr.nodetype.ConstraintViolationException: no authorizable at {path}; users and groups"
                f" are created with {authorizables.AUTHORIZABLES_PATH}",
                "javax.jcr.nodetype.ConstraintViolationException",
            )
            return post_response(request, None, path, params, error)
        target = node.path if node is not None else path
        try:
            with self.world.tx() as conn:
                target = post_target(conn, path, target, params)
                result = post(conn, target, params, user=user, secret=sec)
        except jcr.PostError as err:
            return post_response(request, None, target, params, err)
        return post_response(request, result, target, params)


def create_aem_app(world: World, options: dict[str, Any], ims_url: str) -> Starlette:
    """The AEM author ASGI app (api-fidelity.md "AEM author"). ``ims_url`` is where Test
    Connection exchanges its JWT: ``sandbox://ims`` = in-process, else a real base URL."""
    aem = AemRoutes(world, options, ims_url)
    routes = [
        Route("/libs/granite/csrf/token.json", aem.token, methods=["GET"]),
        Route("/system/sling/login", aem.login, methods=["GET"]),
        Route(LOGIN_PAGE_PATH, aem.login_page, methods=["GET", "HEAD"]),
        Route(authorizables.AUTHORIZABLES_PATH, aem.authorizables_post, methods=["POST"]),
        Route(authorizables.CURRENT_USER_PATH, aem.current_user, methods=["GET"]),
        Route("/bin/querybuilder.json", aem.querybuilder, methods=["GET", "POST"]),
        *share_routes(world),
        Route("/{path:path}", aem.resource, methods=["GET", "HEAD", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    return service_app(world, "aem", routes, options, [Middleware(MethodCaseMiddleware)], fault=aem_fault)


class MethodCaseMiddleware:
    """Pure ASGI middleware: HTTP methods are matched case-insensitively (``delete`` is ``DELETE``),
    as AEM's Jetty does for the known methods; pyaem2 sends ``delete`` in lower case (pycurl
    ``CUSTOMREQUEST``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] != scope["method"].upper():
            scope = {**scope, "method": scope["method"].upper()}
        await self.app(scope, receive, send)

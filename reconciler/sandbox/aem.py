"""AEM author emulator: auth, CSRF, Sling GET/POST/DELETE, Query Builder, replication agents with
Test Connection, and the assumed "Adobe Experience Cloud" legacy cloud configuration
(docs/api-fidelity.md, section "AEM author").
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import json
import sqlite3
import time
from collections.abc import Callable
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

from . import jcr, pki
from .common import INTERNAL_HEADER, FaultMiddleware, all_params, sandbox_routes, text_params
from .umapi_assets import share_routes
from .world import SEED, World, ecma_date

MAC_SERVICE_PATH = SEED["aem"]["mac_service_path"]
MAC_TEMPLATE = "/libs/mac/sync/templates/config"
MAC_RESOURCE_TYPE = "mac/sync/components/config"
AGENTS_PATH = SEED["aem"]["agents_path"]
MAC_SCOPES = ("dam-read", "dam-sync", "dam-write", "cc-share")
REALM = 'Basic realm="Sling (Development)"'


# --------------------------------------------------------------------------------------------------
# Auth and CSRF
# --------------------------------------------------------------------------------------------------


def authenticate(request: Request) -> str | None:
    """The AEM user of the request (HTTP Basic or the sandbox bearer token) or None."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if SEED["aem"]["users"].get(user) == password else None
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
# Resolution
# --------------------------------------------------------------------------------------------------


def resolve(conn: sqlite3.Connection, path: str) -> tuple[jcr.Node | None, list[str], str | None]:
    """Sling-style resolution: the longest existing node path, then ``.selectors.extension``.

    Returns (node or None, selectors, extension or None).
    """
    if path != "/":
        path = path.rstrip("/") or "/"
    node = jcr.get_node(conn, path)
    if node is not None:
        return node, [], None
    head, _, last = path.rpartition("/")
    dots = [i for i, c in enumerate(last) if c == "."]
    for i in reversed(dots):
        candidate = f"{head}/{last[:i]}" if last[:i] else (head or "/")
        node = jcr.get_node(conn, candidate)
        if node is not None:
            parts = last[i + 1 :].split(".")
            return node, parts[:-1], parts[-1] or None
    return None, [], None


def _agent_of(conn: sqlite3.Connection, node: jcr.Node) -> tuple[jcr.Node, jcr.Node] | None:
    """(agent page, its jcr:content) when ``node`` is a replication agent or its content."""
    page = node
    if node.name == "jcr:content":
        parent = jcr.get_node(conn, jcr.parent_of(node.path))
        if parent is None:
            return None
        page = parent
    if not jcr.parent_of(page.path).startswith("/etc/replication/agents.") or page.type != "cq:Page":
        return None
    content = jcr.get_node(conn, page.path + "/jcr:content")
    return None if content is None else (page, content)


# --------------------------------------------------------------------------------------------------
# The "Adobe Experience Cloud" configuration side effects (assumed, api-fidelity.md)
# --------------------------------------------------------------------------------------------------


def tenant_of(tenant_url: str) -> str:
    """``https://acme.experiencecloud.adobe.com`` -> ``acme``."""
    host = urlparse(tenant_url if "://" in tenant_url else "https://" + tenant_url).hostname or tenant_url
    return host.split(".")[0].lower()


def _config_pages(paths: list[str]) -> set[str]:
    out = set()
    for p in paths:
        parts = p.split("/")
        if p.startswith("/etc/cloudservices/") and len(parts) >= 5:
            out.add("/".join(parts[:5]))
    return out


def apply_mac_side_effects(conn: sqlite3.Connection, touched: list[str]) -> list[tuple[str, str]]:
    """When a configuration's ``jcr:content`` has ``tenantURL`` and ``clientId`` for the first time:
    generate the key pair + certificate, the service user and the two mac-sync agents."""
    changes: list[tuple[str, str]] = []
    for cfg in sorted(_config_pages(touched)):
        page = jcr.get_node(conn, cfg)
        content = jcr.get_node(conn, cfg + "/jcr:content")
        if page is None or content is None or page.type != "cq:Page":
            continue
        props = content.props
        is_mac = (
            cfg.startswith(MAC_SERVICE_PATH + "/")
            or props.get("cq:template") == MAC_TEMPLATE
            or props.get("sling:resourceType") == MAC_RESOURCE_TYPE
        )
        tenant_url, client_id = props.get("tenantURL"), props.get("clientId")
        if not (is_mac and isinstance(tenant_url, str) and tenant_url and client_id):
            continue
        if conn.execute("SELECT 1 FROM mac_keys WHERE config_path=?", (cfg,)).fetchone():
            continue
        tenant = tenant_of(tenant_url)
        user_id = f"mac-{tenant}-replication"
        key_pem = pki.generate_key_pem()
        cert_pem = pki.self_signed_cert(key_pem, user_id)
        fp = pki.fingerprint(pki.load_cert(cert_pem))
        conn.execute("INSERT INTO mac_keys VALUES (?,?,?,?,?,?)", (cfg, tenant, user_id, key_pem, cert_pem, fp))

        mac_folder = "/home/users/system/mac"
        if jcr.get_node(conn, mac_folder) is None:
            jcr.create_node(conn, mac_folder, "rep:AuthorizableFolder")
        user_path = f"{mac_folder}/{user_id}"
        if jcr.get_node(conn, user_path) is None:
            jcr.create_node(
                conn,
                user_path,
                "rep:SystemUser",
                {"rep:authorizableId": user_id, "rep:principalName": user_id, "jcr:created": ecma_date()},
            )
            changes.append(("created", user_path))

        name = cfg.rsplit("/", 1)[1]
        for agent in (f"mac-sync-{name}", f"mac-sync-{name}-1"):
            agent_path = f"{AGENTS_PATH}/{agent}"
            if jcr.get_node(conn, agent_path) is not None:
                continue
            jcr.create_node(conn, agent_path, "cq:Page")
            jcr.create_node(
                conn,
                agent_path + "/jcr:content",
                "cq:PageContent",
                {
                    "jcr:title": f"MAC Sync Agent ({agent})",
                    "jcr:description": f"Synchronises assets with Adobe Experience Cloud ({cfg})",
                    "sling:resourceType": "/libs/cq/replication/components/agent",
                    "cq:template": "/libs/cq/replication/templates/agent",
                    "enabled": "true",
                    "serializationType": "mac-sync",
                    "transportUri": f"https://{tenant}.experiencecloud.adobe.com/api/sync",
                    "userId": user_id,
                    "retryDelay": "60000",
                    "logLevel": "info",
                    "macConfig": cfg,
                },
            )
            changes.append(("created", agent_path))
    return changes


# --------------------------------------------------------------------------------------------------
# Test Connection
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


async def test_connection(
    world: World, page: jcr.Node, content: jcr.Node, ims: Callable[[], httpx.AsyncClient], ims_base: str
) -> Response:
    """``<agent>.test.html``: the HTML log of a test replication (api-fidelity.md)."""
    props = content.props
    title = str(props.get("jcr:title") or page.name)
    handler = "MacSyncTransportHandler" if props.get("serializationType") == "mac-sync" else "HttpClient"
    lines = [f"Create new {handler} for {title}"]
    if props.get("enabled") not in (True, "true"):
        lines.append("* Agent is disabled")
        return _test_page(page.path, title, lines, "Replication test failed: agent is disabled")
    uri = str(props.get("transportUri") or "")
    lines.append(f"* URI: {uri}")
    if props.get("serializationType") != "mac-sync":
        lines += [
            "* Action: Test",
            "* Path: /content",
            f"Sending POST request to {uri}",
            "Error while sending request: java.net.ConnectException: Connection refused",
        ]
        return _test_page(page.path, title, lines, "Replication test failed: Connection refused")

    cfg = str(props.get("macConfig") or "")
    with world.tx(write=False) as conn:
        cfg_content = jcr.get_node(conn, cfg + "/jcr:content") if cfg else None
        key = conn.execute("SELECT * FROM mac_keys WHERE config_path=?", (cfg,)).fetchone() if cfg else None
    if cfg_content is None:
        return _test_page(
            page.path,
            title,
            lines,
            f"Replication test failed: configuration {cfg or '(macConfig not set)'} not found",
        )
    if key is None:
        return _test_page(page.path, title, lines, f"Replication test failed: no key pair was generated for {cfg}")
    client_id = str(cfg_content.props.get("clientId") or "")
    lines += [
        f"* Configuration: {cfg}",
        f"* Client ID: {client_id}",
        f"* Service user: {key['user_id']}",
        f"* Signing JWT assertion (RS256) with the key of certificate {key['fingerprint']}",
    ]
    now = int(time.time())
    claims: dict[str, Any] = {
        "exp": now + 300,
        "iss": client_id,
        "sub": key["user_id"],
        "aud": f"{ims_base}/c/{client_id}",
    }
    for scope in MAC_SCOPES:
        claims[f"{ims_base}/s/{scope}"] = True
    assertion = jwt.encode(claims, key["key_pem"], algorithm="RS256")
    lines.append(f"* Exchanging the JWT at {ims_base}/ims/exchange/jwt")
    try:
        async with ims() as client:
            resp = await client.post(
                "/ims/exchange/jwt",
                data={"client_id": client_id, "jwt_token": assertion},
                headers={INTERNAL_HEADER: "aem"},
            )
    except httpx.HTTPError as exc:
        lines.append(f"Error while sending request: {exc!r}")
        return _test_page(page.path, title, lines, f"Replication test failed: {exc}")
    lines.append(f"* IMS responded {resp.status_code}")
    if resp.status_code == 200:
        lines.append("* Received an access token")
        return _test_page(page.path, title, lines, "Replication test succeeded")
    return _test_page(page.path, title, lines, f"Replication test failed: {resp.status_code} {resp.text.strip()}")


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
    message = HTTPStatus(status).phrase
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


def not_found(path: str) -> Response:
    body = (
        f"<html><head><title>404 Resource at '{html.escape(path)}' not found: No resource found</title>"
        f"</head><body><h1>Resource at '{html.escape(path)}' not found: No resource found</h1></body></html>"
    )
    return Response(body, status_code=404, media_type="text/html")


# --------------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------------


def create_aem_app(
    world: World, ims_url: str, options: dict[str, Any], ims_app_factory: Callable[[], Any]
) -> Starlette:
    """The AEM author ASGI app (api-fidelity.md "AEM author"). ``ims_url`` is where Test
    Connection exchanges its JWT: ``sandbox://ims`` = in-process, else a real base URL."""

    def secret() -> str:
        with world.tx(write=False) as conn:
            return world.meta_get(conn, "secret") or ""

    def ims_client() -> httpx.AsyncClient:
        if ims_url.startswith("sandbox://"):
            if "ims_app" not in options:
                options["ims_app"] = ims_app_factory()
            return httpx.AsyncClient(
                transport=httpx.ASGITransport(app=options["ims_app"]),
                base_url="http://ims.sandbox",
                timeout=30,
            )
        return httpx.AsyncClient(base_url=ims_url.rstrip("/"), timeout=30)

    async def token(request: Request) -> Response:
        user = authenticate(request)
        if user is None:
            return unauthorized()
        return JSONResponse({"token": csrf_token(secret(), user)})

    async def login(request: Request) -> Response:
        if authenticate(request) is None:
            return unauthorized()
        return Response("<html><head><title>AEM Sign In</title></head><body></body></html>", media_type="text/html")

    async def querybuilder(request: Request) -> Response:
        if authenticate(request) is None:
            return unauthorized()
        params = text_params(await all_params(request))
        if request.method == "POST" and (why := csrf_failure(request, params, secret())):
            return forbidden(why)
        q: dict[str, list[str]] = {}
        for k, v in params:
            q.setdefault(k, []).append(v)
        try:
            with world.tx(write=False) as conn:
                result = jcr.query_builder(conn, q)
        except ValueError as exc:
            return JSONResponse({"success": False, "errorMessage": str(exc)}, status_code=400)
        return JSONResponse(result)

    async def resource(request: Request) -> Response:
        user = authenticate(request)
        if user is None:
            return unauthorized()
        path = request.scope["path"]
        if request.method in ("GET", "HEAD"):
            return await _get(request, path)
        if request.method == "DELETE":
            if why := csrf_failure(request, [], secret()):
                return forbidden(why)
            with world.tx() as conn:
                node, _selectors, ext = resolve(conn, path)
                if node is None or ext is not None:
                    return not_found(path)
                jcr.delete_tree(conn, node.path)
                _forget_keys(conn, node.path)
            return Response(status_code=204)
        if request.method == "POST":
            return await _post(request, path, user)
        return Response(status_code=405, headers={"Allow": "GET, HEAD, POST, DELETE"})

    async def _get(request: Request, path: str) -> Response:
        with world.tx(write=False) as conn:
            node, selectors, ext = resolve(conn, path)
            if node is None:
                return not_found(path)
            if ext is None:
                if path.endswith("/") and path != "/":
                    names = [c.name for c in jcr.children(conn, node.path)]
                    items = "".join(f"<li>{html.escape(n)}</li>" for n in names)
                    return Response(f"<html><body><ul>{items}</ul></body></html>", media_type="text/html")
                return RedirectResponse(path + "/", status_code=302)
            if ext == "json":
                return _render_json(conn, node, selectors)
            if ext == "pem" and selectors == ["publickey"]:
                cfg = jcr.parent_of(node.path) if node.name == "jcr:content" else node.path
                row = conn.execute("SELECT cert_pem FROM mac_keys WHERE config_path=?", (cfg,)).fetchone()
                if row is None:
                    return not_found(path)
                return PlainTextResponse(row[0])
            agent = _agent_of(conn, node) if ext == "html" and selectors == ["test"] else None
            if ext == "html" and not selectors:
                title = html.escape(str(node.props.get("jcr:title") or node.name))
                return Response(
                    f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>",
                    media_type="text/html",
                )
        if agent is not None:
            return await test_connection(world, agent[0], agent[1], ims_client, ims_url.rstrip("/"))
        return not_found(path)

    def _render_json(conn: sqlite3.Connection, node: jcr.Node, selectors: list[str]) -> Response:
        tidy = "tidy" in selectors
        harray = "harray" in selectors
        rest = [s for s in selectors if s not in ("tidy", "harray")]
        levels: int | None = 0
        if len(rest) > 1:
            return PlainTextResponse("Invalid recursion selector value", status_code=400)
        if rest:
            sel = rest[0]
            if sel == "infinity":
                levels = None
            else:
                try:
                    levels = int(sel)
                except ValueError:
                    return PlainTextResponse(f"Invalid recursion selector value '{sel}'", status_code=400)
                if levels < 0:
                    levels = None
        below = jcr.descendants(conn, node.path, levels) if levels != 0 else []
        if (levels is None or levels > 1) and len(below) + 1 > jcr.JSON_MAX_RESULTS:
            per_level: dict[int, int] = {}
            base = node.path.count("/") if node.path != "/" else 0
            for n in below:
                d = n.path.count("/") - base
                per_level[d] = per_level.get(d, 0) + 1
            fits, total, d = 1, 1 + per_level.get(1, 0), 2
            while d in per_level and total + per_level[d] <= jcr.JSON_MAX_RESULTS:
                total += per_level[d]
                fits = d
                d += 1
            prefix = "tidy." if tidy else ""
            urls = [f"{node.path}.{prefix}{i}.json" for i in range(fits, -1, -1)]
            return JSONResponse(urls, status_code=300)
        body = jcr.render_tree(node, below, levels, harray=harray)
        text = json.dumps(body, indent=2 if tidy else None, separators=None if tidy else (",", ":"), ensure_ascii=False)
        return Response(text, media_type="application/json")

    async def _post(request: Request, path: str, user: str) -> Response:
        params = text_params(await all_params(request))
        sec = secret()
        if why := csrf_failure(request, params, sec):
            return forbidden(why)
        lookup = dict(params)
        operation = lookup.get(":operation", "")
        with world.tx(write=False) as conn:
            node, selectors, ext = resolve(conn, path)
            agent = _agent_of(conn, node) if node is not None and ext == "html" and selectors == ["test"] else None
        if agent is not None:
            return await test_connection(world, agent[0], agent[1], ims_client, ims_url.rstrip("/"))
        target = node.path if node is not None else path
        try:
            with world.tx() as conn:
                if path.endswith(("/", "/*")) and operation in ("", "modify"):
                    parent = path[:-2] if path.endswith("/*") else path.rstrip("/")
                    target = jcr.generate_name(conn, parent or "/", params)
                if operation == "delete":
                    targets = [v for k, v in params if k == ":applyTo"] or [target]
                    changes = []
                    for t in targets:
                        t_abs = t if t.startswith("/") else f"{target.rstrip('/')}/{t}"
                        if jcr.get_node(conn, t_abs) is not None:
                            jcr.delete_tree(conn, t_abs)
                            _forget_keys(conn, t_abs)
                            changes.append(("deleted", t_abs))
                    if not changes:
                        raise jcr.PostError(
                            404,
                            f"Missing source {target} for delete",
                            "org.apache.sling.api.resource.ResourceNotFoundException",
                        )
                    result = jcr.PostResult(200, target, False, changes, "modified")
                elif operation == "nop":
                    result = jcr.PostResult(int(lookup.get(":nopstatus", "200")), target, False, [], "modified")
                elif operation in ("", "modify"):
                    result = jcr.sling_modify(conn, target, params, user=user, secret=sec)
                    touched = [target] + [a for _, a in result.changes]
                    result.changes += apply_mac_side_effects(conn, touched)
                else:
                    raise jcr.PostError(
                        500,
                        f"Operation {operation!r} is not supported by the sandbox",
                        "java.lang.UnsupportedOperationException",
                    )
        except jcr.PostError as err:
            return post_response(request, None, target, params, err)
        return post_response(request, result, target, params)

    def _forget_keys(conn: sqlite3.Connection, deleted: str) -> None:
        prefix = deleted.rstrip("/") + "/"
        conn.execute(
            "DELETE FROM mac_keys WHERE config_path=? OR substr(config_path, 1, ?) = ?",
            (deleted, len(prefix), prefix),
        )
        conn.execute(  # a deleted folder is no longer shared
            "DELETE FROM folder_shares WHERE path=? OR substr(path, 1, ?) = ?", (deleted, len(prefix), prefix)
        )

    routes = [
        *sandbox_routes(world, "aem"),
        Route("/libs/granite/csrf/token.json", token, methods=["GET"]),
        Route("/system/sling/login", login, methods=["GET"]),
        Route("/bin/querybuilder.json", querybuilder, methods=["GET", "POST"]),
        *share_routes(world, authenticate, unauthorized),
        Route("/{path:path}", resource, methods=["GET", "HEAD", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    app = Starlette(
        routes=routes, middleware=[Middleware(FaultMiddleware, world=world, service="aem", options=options)]
    )
    app.state.sandbox_options = options
    return app

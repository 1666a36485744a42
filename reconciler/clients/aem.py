"""AEM author client: Sling GET/POST (deletes with ``:operation=delete``), Query Builder, replication agents, CSRF.

Protocol source: ``docs/api-fidelity.md`` section "AEM author" (rows cited per method) and
``../shared/reference/aem-api.md`` sections 2, 3 and 7.

Paths are raw JCR paths (``/content/dam/My Folder``); the client percent-encodes them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from reconciler.clients.errors import ApiError, AuthError, html_to_text
from reconciler.clients.tokens import basic_auth_header
from reconciler.clients.transport import HttpPolicy, ServiceClient, SleepFn

__all__ = ["AemClient", "AgentTestResult", "SlingPostResult"]

CSRF_TOKEN_PATH = "/libs/granite/csrf/token.json"
QUERY_BUILDER_PATH = "/bin/querybuilder.json"
#: folder shares to Experience Cloud / Creative Cloud (assumed endpoint, api-fidelity.md)
SHARES_PATH = "/libs/dam/mac/shares"
#: the Creative Cloud org AEM Assets is connected to (assumed endpoint, api-fidelity.md)
CC_CONNECTION_PATH = "/libs/dam/cc/connection"
CURRENT_USER_PATH = "/libs/granite/security/currentuser.json"
#: the AEM superuser and the built-in group whose members are administrators
ADMIN_USER = "admin"
ADMINISTRATORS_GROUP = "administrators"
TEST_SUCCEEDED = "Replication test succeeded"
_SAFE_PATH_CHARS = "/:@!$&'()*+,;=-._~"
_DEPTH_RE = re.compile(r"^(?:-1|infinity|\d+)$")


@dataclass
class SlingPostResult:
    """Outcome of a Sling POST servlet request.

    ``status``: the HTTP status (201 created, 200 modified); ``created``: the node was created
    (``isCreate`` in the JSON response, else status 201); ``path``: the node path the servlet
    reports (``path`` field, else the ``Location`` header, else the request path); ``changes``:
    the ``changes`` list ``[{"type": "created"|"modified"|"deleted"|..., "argument": ...}]``;
    ``location``: the ``Location`` header, if any.
    """

    status: int
    created: bool
    path: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    location: str | None = None


@dataclass
class AgentTestResult:
    """Outcome of a replication agent's Test Connection (``<agent>.test.html``).

    ``ok``: the log contains ``Replication test succeeded``; ``message``: the last non-empty
    line of the log (HTML stripped), e.g. ``Replication test failed: 400 {...}``; ``log``: the
    whole log as plain text.
    """

    ok: bool
    message: str
    log: str


def _quote_path(path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    return quote(path, safe=_SAFE_PATH_CHARS)


def _form_params(params: Sequence[tuple[str, str]] | Mapping[str, str]) -> dict[str, list[str]]:
    """Group (name, value) pairs into ``{name: [values...]}`` for httpx's form encoder.

    Repeated names become repeated form fields (multi-value properties); first-seen order is kept.
    """
    items: Iterable[tuple[str, str]] = params.items() if isinstance(params, Mapping) else params
    grouped: dict[str, list[str]] = {}
    for name, value in items:
        grouped.setdefault(name, []).append(value)
    return grouped


class AemClient(ServiceClient):
    """Client for one AEM author instance.

    Args:
        base_url: author root, e.g. ``http://localhost:4502``.
        username / password: HTTP Basic credentials (default local author: ``admin``/``admin``).
        bearer_token: alternatively an ``Authorization: Bearer`` token (exactly one auth kind).
        csrf_ttl_s: how long a fetched CSRF token is reused (Granite's default expiry is 600 s).
        transport, policy, secrets, sleep: see :class:`~reconciler.clients.ServiceClient`.

    Auth failures are :class:`~reconciler.clients.AuthError` (401 + ``WWW-Authenticate``,
    api-fidelity.md "AEM author" intro).
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        bearer_token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: SleepFn | None = None,
        csrf_ttl_s: float = 300.0,
    ) -> None:
        if bearer_token is not None and (username is not None or password is not None):
            raise ValueError("AemClient: give either username/password or bearer_token, not both")
        if bearer_token is not None:
            authorization = f"Bearer {bearer_token}"
        elif username is not None and password is not None:
            authorization = basic_auth_header(username, password)
        else:
            raise ValueError("AemClient: username and password (Basic) or bearer_token is required")
        super().__init__(
            "aem",
            base_url,
            transport=transport,
            policy=policy,
            # a password equal to the user name (admin/admin on a local author) is no secret
            # worth hiding everywhere the user name appears; the Basic header is redacted anyway
            secrets=[*secrets, *(s for s in (password, bearer_token) if s and s != username)],
            sleep=sleep,
            headers={"Authorization": authorization},
        )
        self.username = username
        self.add_secret(authorization.split(" ", 1)[1])  # the base64 / bearer credential
        self._referer = self.base_url + "/"
        self._csrf_ttl_s = csrf_ttl_s
        self._csrf_token: str | None = None
        self._csrf_fetched_at = 0.0
        self._csrf_lock = asyncio.Lock()

    # -- CSRF ------------------------------------------------------------------------------------

    async def _csrf(self, *, refresh: bool = False) -> str:
        """The CSRF token ("" when the instance has no CSRF servlet); fetched once per TTL.

        api-fidelity.md row ``GET /libs/granite/csrf/token.json`` -> ``{"token": "..."}``.
        """
        async with self._csrf_lock:
            fresh = time.monotonic() - self._csrf_fetched_at < self._csrf_ttl_s
            if self._csrf_token is not None and fresh and not refresh:
                return self._csrf_token
            response = await self.request("GET", CSRF_TOKEN_PATH, expected=(200, 404), secret_fields=("token",))
            self._store_csrf(response)
            return self._csrf_token or ""

    def _store_csrf(self, response: httpx.Response) -> None:
        token = ""
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("token"), str):
                token = body["token"]
        self._csrf_token = token
        self._csrf_fetched_at = time.monotonic()
        self.add_secret(token)

    async def _write(
        self,
        method: str,
        path: str,
        *,
        expected: Sequence[int],
        idempotent: bool | None = None,
        data: Mapping[str, Any] | None = None,
        accept_json: bool = False,
    ) -> httpx.Response:
        """A write (POST/DELETE) with ``CSRF-Token`` + same-host ``Referer`` (aem-api.md §7).

        A 403 while a CSRF token was sent is retried once with a freshly fetched token (the
        token may have expired during a long apply).
        """
        for refresh in (False, True):
            token = await self._csrf(refresh=refresh)
            headers = {"Referer": self._referer}
            if accept_json:
                headers["Accept"] = "application/json"
            if token:
                headers["CSRF-Token"] = token
            try:
                return await self.request(
                    method, path, data=data, headers=headers, idempotent=idempotent, expected=expected
                )
            except AuthError as exc:
                if exc.status != 403 or not token or refresh:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reading ---------------------------------------------------------------------------------

    async def get_json(self, path: str, depth: int | str = 0) -> dict[str, Any] | None:
        """GET ``<path>.json`` (depth 0), ``<path>.<N>.json`` or ``<path>.infinity.json``.

        ``depth``: 0.., or -1 / ``"infinity"`` for the whole subtree. Returns the node's
        properties with children nested as objects (``jcr:primaryType`` always present; multi-value
        properties as lists), or None when the node does not exist (404).

        Raises :class:`~reconciler.clients.ApiError` on 300 (``json.maximumresults``
        exceeded: ask for a smaller depth) and other unexpected statuses, and with code
        ``invalid_response`` when the body is not a JSON object.
        Protocol: api-fidelity.md row ``GET <path>.json, .<N>.json, .infinity.json``.
        """
        selector = str(depth).strip().lower()
        if not _DEPTH_RE.match(selector):
            raise ValueError(f"depth must be an integer >= -1 or 'infinity', got {depth!r}")
        path = path.rstrip("/") or "/"
        if selector in ("-1", "infinity"):
            suffix = ".infinity.json"
        elif selector == "0":
            suffix = ".json"
        else:
            suffix = f".{int(selector)}.json"
        response = await self.request("GET", _quote_path(path) + suffix, expected=(200, 404))
        if response.status_code == 404:
            return None
        return self._json_object(response)

    async def get_text(self, path: str) -> str | None:
        """GET ``path`` as text (e.g. ``<config>.publickey.pem``); None on 404.

        Protocol: api-fidelity.md "Adobe Experience Cloud" table, row ``GET <config path>.publickey.pem``
        (assumed endpoint).
        """
        response = await self.request("GET", _quote_path(path), expected=(200, 404))
        if response.status_code == 404:
            return None
        return response.text

    async def query(self, predicates: Mapping[str, str], *, page_size: int | None = 1000) -> list[dict[str, Any]]:
        """Run a Query Builder query and return all hits (``GET /bin/querybuilder.json``).

        ``predicates``: e.g. ``{"path": "/content/dam", "type": "sling:Folder", "p.hits": "full"}``
        (``p.limit``/``p.offset`` in it are ignored). Pages with ``p.offset`` by ``page_size``
        until the response says ``"more": false`` (or, without ``more``, until ``total`` is
        reached); ``page_size=None`` asks for everything at once with ``p.limit=-1``.
        Returns the concatenated ``hits`` (with ``p.hits=full``: ``jcr:path`` + all properties).
        Protocol: api-fidelity.md row ``GET /bin/querybuilder.json``.
        """
        base = [(k, v) for k, v in predicates.items() if k not in ("p.limit", "p.offset")]
        if page_size is None:
            body = await self._query_page([*base, ("p.limit", "-1")])
            return list(body.get("hits") or [])
        if page_size <= 0:
            raise ValueError("page_size must be positive or None")
        hits: list[dict[str, Any]] = []
        offset = 0
        while True:
            body = await self._query_page([*base, ("p.limit", str(page_size)), ("p.offset", str(offset))])
            page = list(body.get("hits") or [])
            hits.extend(page)
            more = body.get("more")
            if more is None:
                total = body.get("total")
                more = isinstance(total, int) and offset + len(page) < total
            if not more or not page:
                return hits
            offset += len(page)

    async def _query_page(self, params: list[tuple[str, str]]) -> dict[str, Any]:
        response = await self.request("GET", QUERY_BUILDER_PATH, params=params)
        return self._json_object(response, "Query Builder did not return a JSON object")

    # -- writing ---------------------------------------------------------------------------------

    async def sling_post(
        self,
        path: str,
        params: Sequence[tuple[str, str]] | Mapping[str, str],
        *,
        idempotent: bool = True,
    ) -> SlingPostResult:
        """POST form parameters to the Sling POST servlet at ``path``.

        ``params``: ``[("jcr:primaryType", "sling:Folder"), ("jcr:content/jcr:title", "X"),
        ("enabled@TypeHint", "Boolean"), ...]`` or a mapping; repeated names send a multi-value
        property. Sends ``Accept: application/json``, ``CSRF-Token`` and a same-host ``Referer``.
        ``idempotent`` (default True: setting properties on a fixed path can be repeated) allows
        retrying 5xx and dropped connections; pass False for name-generating posts (``.../*``).

        Returns :class:`SlingPostResult` (201 = created, 200 = modified). Raises
        :class:`~reconciler.clients.ApiError` subclasses: 403 (CSRF/permissions), 404,
        409/412, 500 (``status.message`` / ``error.message`` of the Sling JSON response).
        Protocol: api-fidelity.md row ``POST <path> (Sling POST servlet)``.
        """
        response = await self._write(
            "POST",
            _quote_path(path),
            data=_form_params(params),
            expected=(200, 201),
            idempotent=idempotent,
            accept_json=True,
        )
        location = response.headers.get("Location")
        body: Any = None
        if "json" in response.headers.get("content-type", ""):
            try:
                body = response.json()
            except ValueError:
                body = None
        if isinstance(body, dict):
            status = body.get("status.code", response.status_code)
            is_create = body.get("isCreate")
            changes = body.get("changes") or []
            return SlingPostResult(
                status=int(status) if isinstance(status, int | str) and str(status).isdigit() else response.status_code,
                created=bool(is_create) if is_create is not None else response.status_code == 201,
                path=str(body.get("path") or _location_path(location) or path),
                changes=[c for c in changes if isinstance(c, dict)],
                location=location,
            )
        return SlingPostResult(
            status=response.status_code,
            created=response.status_code == 201,
            path=_location_path(location) or path,
            changes=[],
            location=location,
        )

    async def delete(self, path: str) -> bool:
        """Delete ``path`` (and its subtree): True if it was deleted, False if it did not exist.

        Sends the Sling POST servlet's ``:operation=delete`` (200 deleted, 404 missing), not HTTP
        ``DELETE``, which hardened authors refuse with 405 (WebDAV bundle stopped) while the POST
        servlet works everywhere. Idempotent (retried like a DELETE): a retry whose first response
        was lost may report False although this call deleted the node. Raises ``ApiError``
        subclasses for other statuses (403 CSRF/permissions, 500).
        Protocol: api-fidelity.md row ``POST <path> with :operation=delete``.
        """
        response = await self._write(
            "POST",
            _quote_path(path),
            data={":operation": ["delete"]},
            expected=(200, 404),
            idempotent=True,
            accept_json=True,
        )
        return response.status_code != 404

    async def move(self, source: str, dest: str) -> None:
        """Move ``source`` and its subtree (a folder with its assets) to ``dest``: the Sling POST
        servlet's ``:operation=move`` with ``:dest`` (201/200). The destination's parent must exist.
        Not idempotent (a retry after a lost answer finds the source gone: 404). Raises ``ApiError``
        subclasses: 404 no source, 409 no parent, 412 destination exists.
        Protocol: Sling POST servlet docs, "Moving Content" (``:operation=move``, ``:dest``).
        """
        await self._write(
            "POST",
            _quote_path(source),
            data={":operation": ["move"], ":dest": [dest]},
            expected=(200, 201),
            idempotent=False,
            accept_json=True,
        )

    async def count_assets(self, path: str) -> int:
        """How many assets (``dam:Asset``) are below ``path``: one Query Builder request.
        Protocol: api-fidelity.md row ``GET /bin/querybuilder.json``."""
        hits = await self.query({"path": path, "type": "dam:Asset", "p.hits": "selective", "p.properties": "jcr:path"},
                                page_size=None)
        return len(hits)

    # -- replication agents ------------------------------------------------------------------------

    async def list_agents(self, runmode: str = "author") -> dict[str, dict[str, Any]]:
        """All replication agents of ``runmode`` in one request.

        ``GET /etc/replication/agents.<runmode>.2.json``; returns ``{agent name: properties of its
        jcr:content}`` (``transportPassword`` reads back encrypted as ``{...}``).

        A 404 is ambiguous in Sling (a missing node and a wrong base URL answer alike), so it is
        told apart by reading ``/etc/replication.json``, present on every author: when that exists,
        the agents folder of ``runmode`` is absent (the parent does not exist: ``{}``); when it
        does not, the base URL does not point at an AEM author and ``ApiError`` ``listing_failed``
        is raised. A body that is not a JSON object (e.g. a login page) raises ``invalid_response``.
        Protocol: api-fidelity.md row ``GET /etc/replication/agents.author.<N>.json`` (404 missing).
        """
        response = await self.request(
            "GET", f"/etc/replication/agents.{quote(runmode, safe='')}.2.json", expected=(200, 404)
        )
        if response.status_code == 404:
            probe = await self.request("GET", "/etc/replication.json", expected=(200, 404))
            if probe.status_code == 200:
                self._json_object(probe)  # an HTML page with 200 is not AEM either
                return {}
            raise self.listing_failed(response, "the listing answered 404 and so does /etc/replication.json")
        body = self._json_object(response)
        agents: dict[str, dict[str, Any]] = {}
        for name, node in body.items():
            if name == "jcr:content" or not isinstance(node, dict):
                continue
            content = node.get("jcr:content")
            if isinstance(content, dict):
                agents[name] = content
            elif node.get("jcr:primaryType") == "cq:Page":
                agents[name] = {}
        return agents

    async def test_agent(self, name: str, runmode: str = "author") -> AgentTestResult:
        """Run an agent's Test Connection: ``GET /etc/replication/agents.<runmode>/<name>.test.html``.

        Returns :class:`AgentTestResult`: ``ok`` iff the log contains ``Replication test
        succeeded``; ``message`` is the last non-empty text line. Raises
        :class:`~reconciler.clients.NotFoundError` if the agent does not exist.
        Protocol: api-fidelity.md row ``GET /etc/replication/agents.author/<name>.test.html``.
        """
        path = _quote_path(f"/etc/replication/agents.{runmode}/{name}") + ".test.html"
        response = await self.request("GET", path)
        text = html_to_text(response.text)
        lines = [" ".join(line.split()) for line in text.splitlines()]
        lines = [line for line in lines if line]
        log_text = "\n".join(lines)
        return AgentTestResult(
            ok=TEST_SUCCEEDED in log_text,
            message=lines[-1] if lines else "",
            log=log_text,
        )

    # -- shares and the Creative Cloud connection (assumed endpoints) ----------------------------

    async def list_shares(self) -> list[dict[str, Any]]:
        """Every folder share of the author in one request: ``GET /libs/dam/mac/shares.json``.

        Returns the ``shares`` list, each ``{"path", "target": "experience_cloud"|"creative_cloud",
        "members": [{"email", "role"}], "cloudConfig", "sharedAt"}`` (entries that are not objects
        are dropped). Raises :class:`~reconciler.clients.ApiError` with code ``invalid_response``
        when the body is not a JSON object (naming the service and the redacted URL).
        Protocol: api-fidelity.md "AEM author: shares and Creative Cloud connection (assumed)",
        row ``GET /libs/dam/mac/shares.json``.
        """
        body = self._json_object(await self.request("GET", SHARES_PATH + ".json"))
        return [s for s in body.get("shares") or [] if isinstance(s, dict)]

    async def save_share(self, share: Mapping[str, Any]) -> dict[str, Any]:
        """Share a folder or change its members: ``POST /libs/dam/mac/shares`` with a JSON body.

        ``share``: ``{"path", "target", "cloudConfig"?, "members"?: [{"email", "role"}]}``.
        Idempotent (the same body gives the same share), so it is retried like a PUT. Returns the
        share as the server reports it (201 new, 200 changed). Raises ``NotFoundError`` (404: no
        folder), ``ConflictError`` (409: ordered folder, unsuitable cloud configuration),
        ``ApiError`` (400: a member is not a user of the org; ``invalid_response``: the body is
        not a JSON object). Protocol: api-fidelity.md row ``POST /libs/dam/mac/shares``.
        """
        response = await self.request("POST", SHARES_PATH, json=dict(share), expected=(200, 201), idempotent=True)
        return self._json_object(response)

    async def delete_share(self, path: str, target: str) -> bool:
        """Stop sharing folder ``path`` to ``target``: ``DELETE /libs/dam/mac/shares?path=&target=``.

        Returns True if a share was removed (204), False if there was none (404).
        Protocol: api-fidelity.md row ``DELETE /libs/dam/mac/shares?path=&target=``.
        """
        response = await self.request(
            "DELETE", SHARES_PATH, params={"path": path, "target": target}, expected=(204, 404)
        )
        return response.status_code != 404

    async def get_cc_connection(self) -> dict[str, Any]:
        """The Creative Cloud connection of AEM Assets: ``GET /libs/dam/cc/connection.json``.

        Returns ``{"orgId", "orgName", "switchedAt", "availableOrgs": [{"orgId", "name",
        "creativeCloudEntitled"}]}`` (``orgId`` empty or null when not connected). Raises
        :class:`~reconciler.clients.ApiError` ``invalid_response`` when the body is not a JSON
        object. Protocol: api-fidelity.md row ``GET /libs/dam/cc/connection.json``.
        """
        return self._json_object(await self.request("GET", CC_CONNECTION_PATH + ".json"))

    async def set_cc_connection(self, org_id: str | None) -> dict[str, Any]:
        """Switch AEM Assets to the Creative Cloud org ``org_id`` (None: disconnect), for all users.

        ``POST /libs/dam/cc/connection`` with ``{"orgId": org_id}``; idempotent. Returns the new
        state (same shape as :meth:`get_cc_connection`). Raises ``NotFoundError`` (404: unknown
        org), ``ConflictError`` (409: no active Creative Cloud entitlement), ``ApiError``
        ``invalid_response`` (body not a JSON object).
        Protocol: api-fidelity.md row ``POST /libs/dam/cc/connection``.
        """
        response = await self.request("POST", CC_CONNECTION_PATH, json={"orgId": org_id}, idempotent=True)
        return self._json_object(response)

    # -- the connection's own user ---------------------------------------------------------------

    async def current_user(self) -> dict[str, Any]:
        """The connection's user: ``GET /libs/granite/security/currentuser.json?props=memberOf``.

        Returns Granite's authorizable JSON: ``{"authorizableId", "home", "type": "user",
        "memberOf": [{"authorizableId", "home", ...}], ...}`` (``memberOf``: every group, nested
        ones included). Raises ``AuthError`` (401), ``ApiError`` ``invalid_response`` (not a JSON
        object). Protocol: api-fidelity.md row ``GET /libs/granite/security/currentuser.json``.
        """
        response = await self.request("GET", CURRENT_USER_PATH, params={"props": "memberOf"})
        return self._json_object(response)

    async def is_administrator(self) -> tuple[bool, str]:
        """(True when the connection's user is ``admin`` or a member of ``administrators``, the
        user's id). Seeds 000/001: sharing to Experience Cloud / Creative Cloud needs administrator
        privileges on the AEM instance. Raises as :meth:`current_user`."""
        me = await self.current_user()
        user = str(me.get("authorizableId") or "")
        groups = {str(g.get("authorizableId")) for g in me.get("memberOf") or [] if isinstance(g, dict)}
        return user == ADMIN_USER or ADMINISTRATORS_GROUP in groups, user

    def _json_object(self, response: httpx.Response, message: str = "expected a JSON object") -> dict[str, Any]:
        """The body as a JSON object. Raises :class:`ApiError` with code ``invalid_response`` (the
        service, method and redacted URL in its message) when it is not JSON or not an object."""
        body = self.json_of(response)
        if not isinstance(body, dict):
            raise ApiError(
                self.service,
                response.request.method,
                self.redact(str(response.request.url)),
                response.status_code,
                "invalid_response",
                message,
            )
        return body

    # -- login -----------------------------------------------------------------------------------

    async def check_login(self) -> None:
        """Verify the credentials with one cheap authenticated GET (the CSRF token endpoint).

        Raises :class:`~reconciler.clients.AuthError` (one line, naming the user and URL) on
        401/403. The token fetched on the way is kept for the next write.
        Protocol: api-fidelity.md "AEM author" intro (401 with ``WWW-Authenticate``).
        """
        try:
            response = await self.request("GET", CSRF_TOKEN_PATH, expected=(200, 404), secret_fields=("token",))
        except AuthError as exc:
            who = f"user '{self.username}'" if self.username else "bearer token"
            raise AuthError(
                exc.service,
                exc.method,
                exc.url,
                exc.status,
                exc.code,
                f"login to {self.base_url} failed for {who}: check the AEM connection's credentials",
                attempts=exc.attempts,
                request_id=exc.request_id,
            ) from None
        async with self._csrf_lock:
            self._store_csrf(response)


def _location_path(location: str | None) -> str | None:
    if not location:
        return None
    return httpx.URL(location).path if "://" in location else location

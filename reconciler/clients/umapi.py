"""Adobe User Management API (UMAPI) client.

Protocol source: ``docs/api-fidelity.md`` section "User Management API" and
``../shared/reference/adobe-umapi.md``. Base URL ``https://usermanagement.adobe.io/v2/usermanagement``.

* Every call sends ``Authorization: Bearer <IMS token>``, ``X-Api-Key: <client id>``,
  ``Accept``/``Content-Type: application/json`` and an ``X-Request-Id``.
* Reads are paged in bulk (``GET /users/{orgId}/{page}``, ``GET /groups/{orgId}/{page}``, 0-based,
  up to 2000 entries a page) and stop at ``lastPage: true`` or an empty page: a whole org costs
  one request per 2000 users, never one per user.
* Writes are ``POST /action/{orgId}`` with a JSON array of commands (at most 10 commands a
  request, 10 steps a command, 10 groups a step: :meth:`UmapiClient.execute` splits them). The
  answer counts completed / not completed commands and lists per-command ``errors`` (partial
  success is normal): :class:`ActionResult` keeps them with the command they belong to.
  ``testOnly=true`` validates without changing anything.
* Published per-client rate limits (per minute): users 25, groups 5, action 10; the client keeps
  under them with one limiter per endpoint family, and 429 + ``Retry-After`` is retried by the
  shared policy.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from aiolimiter import AsyncLimiter

from reconciler.clients.errors import ApiError
from reconciler.clients.tokens import TokenProvider
from reconciler.clients.transport import HttpPolicy, ServiceClient, SleepFn

__all__ = [
    "MAX_COMMANDS",
    "MAX_GROUPS_PER_STEP",
    "MAX_STEPS",
    "PUBLISHED_LIMITS_PER_MIN",
    "ActionError",
    "ActionResult",
    "UmapiClient",
    "UmapiError",
    "user_command",
]

MAX_COMMANDS = 10
MAX_STEPS = 10
MAX_GROUPS_PER_STEP = 10
#: endpoint family -> requests per minute per client (UMAPI "Throttling").
PUBLISHED_LIMITS_PER_MIN: dict[str, int] = {"users": 25, "groups": 5, "action": 10}


class UmapiError(ApiError):
    """A 200 answer whose ``result`` is not ``success`` on a read, or a request-level failure."""


@dataclass(frozen=True)
class ActionError:
    """One per-command error of ``/action``: ``command`` is the command as sent (its index in the
    whole ``execute`` call), ``step`` the failing step's index, ``code`` e.g. ``error.group.not_found``."""

    command: int
    step: int | None
    user: str | None
    code: str
    message: str


@dataclass
class ActionResult:
    """Totals over every request of one ``execute`` call."""

    completed: int = 0
    not_completed: int = 0
    completed_in_test_mode: int = 0
    errors: list[ActionError] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and self.not_completed == 0


def user_command(
    user: str,
    steps: Sequence[Mapping[str, Any]],
    *,
    domain: str | None = None,
    use_adobe_id: bool = False,
    request_id: str | None = None,
) -> dict[str, Any]:
    """``{"user", ["domain"], ["useAdobeID"], "requestID", "do": [...]}``."""
    cmd: dict[str, Any] = {"user": user}
    if domain:
        cmd["domain"] = domain
    if use_adobe_id:
        cmd["useAdobeID"] = True
    cmd["requestID"] = request_id or f"action_{uuid.uuid4().hex[:12]}"
    cmd["do"] = [dict(s) for s in steps]
    return cmd


def _split_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Split add/remove steps naming more than 10 groups into several steps."""
    out: list[dict[str, Any]] = []
    for step in steps:
        ((name, body),) = step.items()
        if name in ("add", "remove") and isinstance(body, dict):
            lists = {k: list(v) for k, v in body.items() if isinstance(v, list)}
            longest = max((len(v) for v in lists.values()), default=0)
            if longest > MAX_GROUPS_PER_STEP:
                for start in range(0, longest, MAX_GROUPS_PER_STEP):
                    part = {k: v[start : start + MAX_GROUPS_PER_STEP] for k, v in lists.items()}
                    out.append({name: {k: v for k, v in part.items() if v}})
                continue
        out.append(step)
    return out


class UmapiClient(ServiceClient):
    """Client for the User Management API.

    Args:
        base_url: API root including ``/v2/usermanagement``.
        api_key: the client id of the reconciler's credential (``X-Api-Key``).
        token_provider: IMS tokens (scope ``user_management_sdk``); a 401 invalidates the token
            and retries once.
        limits_per_min: requests per minute per endpoint family (default: the published limits);
            ``{}`` turns them off.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        token_provider: TokenProvider,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: SleepFn | None = None,
        limits_per_min: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(
            "umapi",
            base_url,
            transport=transport,
            policy=policy,
            secrets=secrets,
            sleep=sleep,
            headers={"Accept": "application/json"},
        )
        self.api_key = api_key
        self.token_provider = token_provider
        self._session = uuid.uuid4().hex
        limits = PUBLISHED_LIMITS_PER_MIN if limits_per_min is None else limits_per_min
        self._limits = {family: AsyncLimiter(n, 60.0) for family, n in limits.items() if n > 0}
        self._queues: dict[tuple[str, bool], _ActionQueue] = {}

    async def auth_headers(self) -> dict[str, str]:
        token = await self.token_provider.token()
        self.add_secret(token)
        return {
            "Authorization": f"Bearer {token}",
            "X-Api-Key": self.api_key,
            "X-Request-Id": f"{self._session}_{uuid.uuid4().hex[:8]}",
        }

    async def _call(self, family: str, method: str, path: str, **kw: Any) -> httpx.Response:
        limiter = self._limits.get(family)
        if limiter is not None:
            await limiter.acquire()
        return await self.request_with_token_refresh(method, path, **kw)

    async def _pages(
        self,
        family: str,
        path: str,
        key: str,
        params: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 0
        while True:
            response = await self._call(family, "GET", f"{path}/{page}", params=params, expected=(200, 404))
            if response.status_code == 404:
                # UMAPI answers a page past the end with the last page (users) or a 200 "Not found"
                # (groups), an unknown org with 400: a 404 is the endpoint itself missing (a wrong
                # base URL), unless a later page answers UMAPI's own JSON error (then: past the end)
                if page > 0 and _umapi_body(response):
                    return out
                raise self.listing_failed(response, "the listing endpoint answered 404", UmapiError)
            body = self.json_of(response, UmapiError)
            if not isinstance(body, dict):
                raise UmapiError("umapi", "GET", path, 200, "invalid_response", "expected a JSON object")
            if body.get("result") != "success":
                if body.get("lastPage") is True and not body.get(key):
                    return out  # a page out of range ("Not found")
                raise UmapiError("umapi", "GET", path, 200, str(body.get("result")), str(body.get("message", "")))
            items = [i for i in body.get(key) or [] if isinstance(i, dict)]
            out.extend(items)
            if body.get("lastPage") is True or not items:
                return out
            page += 1

    # -- reads -----------------------------------------------------------------------------------

    async def list_users(
        self, org_id: str, *, group: str | None = None, direct_only: bool = True, domain: str | None = None
    ) -> list[dict[str, Any]]:
        """Every active user of the org (or of one group), all pages: ``GET /users/{orgId}/{page}``.

        An unknown ``group`` (UMAPI's documented 404 ``error.group.not_found``) lists no one. Any
        other 404, an HTML page or a body that is not UMAPI's JSON raises ``UmapiError``
        (``listing_failed`` / ``invalid_response``) naming the URL and the connection's base URL:
        a failed listing is never an empty one. Protocol: api-fidelity.md rows ``GET /users/...``."""
        path = f"/users/{quote(org_id, safe='@')}"
        params = {"directOnly": "true" if direct_only else "false"}
        if domain:
            params["domain"] = domain
        if group is not None:
            # the page number goes between org and group: /users/{org}/{page}/{group}
            out: list[dict[str, Any]] = []
            page = 0
            while True:
                response = await self._call(
                    "users", "GET", f"{path}/{page}/{quote(group, safe='')}", params=params, expected=(200, 404)
                )
                if response.status_code == 404:
                    # documented: an unknown group is 404 {"result": "error.group.not_found"} (the
                    # parent does not exist: no members); any other 404 is the endpoint missing
                    if _umapi_body(response).get("result") == "error.group.not_found":
                        return out
                    raise self.listing_failed(response, "the listing endpoint answered 404", UmapiError)
                body = self.json_of(response, UmapiError)
                if not isinstance(body, dict):
                    raise UmapiError("umapi", "GET", path, 200, "invalid_response", "expected a JSON object")
                items = [u for u in body.get("users") or [] if isinstance(u, dict)]
                out.extend(items)
                if body.get("lastPage") is True or not items:
                    return out
                page += 1
        return await self._pages("users", path, "users", params)

    async def list_groups(self, org_id: str) -> list[dict[str, Any]]:
        """Every user group, product profile and admin group: ``GET /groups/{orgId}/{page}``. A 404
        (the endpoint itself missing: UMAPI answers an unknown org with 400) raises ``UmapiError``
        ``listing_failed``. Protocol: api-fidelity.md row ``GET /groups/{orgId}/{page}``."""
        return await self._pages("groups", f"/groups/{quote(org_id, safe='@')}", "groups")

    async def get_user(self, org_id: str, user: str, *, domain: str | None = None) -> dict[str, Any] | None:
        """One user (case-insensitive) or None: ``GET /organizations/{orgId}/users/{user}``."""
        response = await self._call(
            "users",
            "GET",
            f"/organizations/{quote(org_id, safe='@')}/users/{quote(user, safe='@')}",
            params={"domain": domain} if domain else None,
            expected=(200, 404),
        )
        if response.status_code == 404:
            return None
        body = self.json_of(response, UmapiError)
        user_obj = body.get("user") if isinstance(body, dict) else None
        return user_obj if isinstance(user_obj, dict) else None

    # -- writes ----------------------------------------------------------------------------------

    async def execute(
        self,
        org_id: str,
        commands: Sequence[Mapping[str, Any]],
        *,
        test_only: bool = False,
    ) -> ActionResult:
        """Send commands in batches of 10 (a command with more than 10 steps is split into several
        commands with the same frame; add/remove lists longer than 10 into several steps). Errors
        are per command: ``ActionResult.errors[i].command`` is the index in ``commands``."""
        expanded: list[tuple[int, dict[str, Any]]] = []
        for index, cmd in enumerate(commands):
            frame = {k: v for k, v in cmd.items() if k != "do"}
            steps = _split_steps(list(cmd.get("do") or []))
            for start in range(0, max(len(steps), 1), MAX_STEPS):
                expanded.append((index, {**frame, "do": steps[start : start + MAX_STEPS]}))
        result = ActionResult()
        path = f"/action/{quote(org_id, safe='@')}"
        params = {"testOnly": "true"} if test_only else None
        for start in range(0, len(expanded), MAX_COMMANDS):
            batch = expanded[start : start + MAX_COMMANDS]
            response = await self._call(
                "action", "POST", path, params=params, json=[c for _, c in batch], expected=(200,), idempotent=True
            )
            result.requests += 1
            body = self.json_of(response, UmapiError)
            if not isinstance(body, dict):
                raise UmapiError("umapi", "POST", path, 200, "invalid_response", "expected a JSON object")
            outcome = str(body.get("result", ""))
            if outcome not in ("success", "partial", "error"):
                raise UmapiError("umapi", "POST", path, 200, outcome, str(body.get("message", "")))
            result.completed += int(body.get("completed") or 0)
            result.not_completed += int(body.get("notCompleted") or 0)
            result.completed_in_test_mode += int(body.get("completedInTestMode") or 0)
            for err in body.get("errors") or []:
                i = err.get("index")
                original = batch[i][0] if isinstance(i, int) and 0 <= i < len(batch) else -1
                result.errors.append(
                    ActionError(
                        original,
                        err.get("step"),
                        err.get("user"),
                        str(err.get("errorCode", "")),
                        str(err.get("message", "")),
                    )
                )
            result.warnings.extend(body.get("warnings") or [])
        return result

    async def submit(self, org_id: str, command: Mapping[str, Any], *, test_only: bool = False) -> ActionResult:
        """Send one command, batched with the commands other tasks submit meanwhile for the same org.

        Commands wait in a per-org queue that one sender drains: each ``/action`` POST takes as many
        queued commands as fit in 10 command entries (``execute``'s split counted), so while the
        sender waits for the action rate limit (10 requests per minute, ``../shared/reference/
        adobe-umapi.md`` §3-4) the commands of concurrent writes gather into the next request, as
        umapi-client's ``throttle_actions`` queue does. Returns this command's part of the result
        (``errors[i].command`` is 0). A failed request raises its ``ApiError`` in every task whose
        command it carried.
        """
        key = (org_id, test_only)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _ActionQueue(self, org_id, test_only)
        return await queue.submit(command)


def _entries(command: Mapping[str, Any]) -> int:
    """How many command entries ``execute`` sends for ``command`` (its steps split by 10)."""
    steps = _split_steps(list(command.get("do") or []))
    return max(1, -(-len(steps) // MAX_STEPS))


class _ActionQueue:
    """Commands waiting for ``/action`` for one org; one sender task drains them in batches."""

    def __init__(self, client: UmapiClient, org_id: str, test_only: bool) -> None:
        self.client, self.org_id, self.test_only = client, org_id, test_only
        self.pending: list[tuple[Mapping[str, Any], asyncio.Future[ActionResult]]] = []
        self.sender: asyncio.Task[None] | None = None

    async def submit(self, command: Mapping[str, Any]) -> ActionResult:
        fut: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        self.pending.append((command, fut))
        if self.sender is None or self.sender.done():
            self.sender = asyncio.create_task(self._drain())
        return await fut

    def _take(self) -> list[tuple[Mapping[str, Any], asyncio.Future[ActionResult]]]:
        batch: list[tuple[Mapping[str, Any], asyncio.Future[ActionResult]]] = []
        size = 0
        while self.pending and (not batch or size + _entries(self.pending[0][0]) <= MAX_COMMANDS):
            size += _entries(self.pending[0][0])
            batch.append(self.pending.pop(0))
        return batch

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let the writes started in the same step submit theirs first
        while self.pending:
            batch = self._take()
            try:
                result = await self.client.execute(self.org_id, [c for c, _ in batch], test_only=self.test_only)
            except BaseException as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                        fut.exception()  # the submitter re-raises it; no "never retrieved" log
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for i, (_, fut) in enumerate(batch):
                if not fut.done():
                    fut.set_result(_part(result, i, test_only=self.test_only))


def _part(result: ActionResult, index: int, *, test_only: bool) -> ActionResult:
    """Command ``index``'s share of a batched ``ActionResult`` (its errors re-numbered to 0)."""
    errors = [ActionError(0, e.step, e.user, e.code, e.message) for e in result.errors if e.command == index]
    failed = bool(errors)
    return ActionResult(
        completed=0 if failed or test_only else 1,
        completed_in_test_mode=1 if test_only and not failed else 0,
        not_completed=1 if failed else 0,
        errors=errors,
        warnings=list(result.warnings),
        requests=result.requests,
    )


def _umapi_body(response: httpx.Response) -> dict[str, Any]:
    """The body as UMAPI's own JSON object with a ``result`` (its documented error answers); ``{}``
    for anything else (a proxy's or another server's 404 page)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) and "result" in body else {}

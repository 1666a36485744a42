"""Shared pieces of the emulators: fault injection, ``/_sandbox/*`` endpoints, the ``handler()``
route wrapper and the error type it maps, a response-header middleware, and request parameters."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .world import (
    World,
    merge_faults,
    read_faults,
    reset_world,
    take_rate_token,
    validate_fault_settings,
    write_faults,
)
from .world import (
    clear_faults as _clear_faults,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
INTERNAL_HEADER = "x-sandbox-internal"


class SandboxCrash(Exception):
    """The crash-after-N-writes fault fired: the N-th write was committed, then the "server died"
    before answering. Raised out of the ASGI app (in-process use); over real HTTP it becomes a 503
    with ``Connection: close``."""


class SandboxDown(Exception):
    """The world crashed earlier (``SandboxCrash``); every request fails until faults are cleared."""


# --------------------------------------------------------------------------------------------------
# Fault middleware
# --------------------------------------------------------------------------------------------------


FaultBody = Callable[[int, str, dict[str, str]], Response]
"""``body(status, phrase, headers)``: a service's answer to an injected ``fail_next`` fault, in its
own error style (``headers`` carries ``Retry-After`` for 429)."""


def gateway_fault(status: int, phrase: str, headers: dict[str, str]) -> Response:
    """The Adobe API gateway's style (Console, UMAPI, and the default for a new service):
    ``{"error_code": "429050" | "<status>000", "message": phrase}``."""
    code = "429050" if status == 429 else f"{status}000"
    return JSONResponse({"error_code": code, "message": phrase}, status_code=status, headers=headers)


def fault_response(status: int, retry_after: int, body: FaultBody = gateway_fault) -> Response:
    """The answer to an injected ``fail_next`` or ``rate_limit_rps`` fault: ``body`` with the status
    phrase and, for 429, ``Retry-After: <retry_after>`` (seconds)."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    headers: dict[str, str] = {}
    if status == 429:
        headers["Retry-After"] = str(retry_after)
    return body(status, phrase, headers)


def down_response() -> Response:
    """What a crashed sandbox answers over real HTTP (the in-process form raises instead)."""
    return Response(
        "sandbox crashed (crash_after_writes fault)\n",
        status_code=503,
        media_type="text/plain",
        headers={"Connection": "close"},
    )


class FaultMiddleware:
    """Pure ASGI middleware applying the fault settings stored in the world to every request.

    Exempt: ``/_sandbox/*`` and the AEM -> IMS hop of Test Connection (header
    ``x-sandbox-internal``). ``options["crash_mode"]`` is ``"raise"`` (in-process: raise
    ``SandboxCrash``/``SandboxDown``) or ``"respond"`` (real HTTP: answer 503 + ``Connection:
    close``). ``fault`` renders ``fail_next`` and ``rate_limit_rps`` answers; ``counts_writes`` is
    false for a service whose writes do not count toward ``crash_after_writes`` (IMS token
    requests change nothing); ``service`` names the token bucket of the ``rate_limit_rps`` fault.

    Order per request: down after a crash, ``latency_ms``, ``rate_limit_rps`` (429 +
    ``Retry-After``, see ``world.take_rate_token``), ``fail_next``, then the app (with
    ``crash_after_writes`` counting its successful writes).
    """

    def __init__(
        self,
        app: ASGIApp,
        world: World,
        options: dict[str, Any],
        fault: FaultBody = gateway_fault,
        counts_writes: bool = True,
        service: str = "",
    ) -> None:
        self.app = app
        self.world = world
        self.options = options
        self.fault = fault
        self.counts_writes = counts_writes
        self.service = service

    def _rate_limited(self, rps: int) -> Response | None:
        """The 429 of the ``rate_limit_rps`` fault when this request finds the service's bucket
        empty, else None (a token was taken)."""
        with self.world.tx() as conn:
            wait = take_rate_token(conn, self.service, rps, time.time())
        return fault_response(429, wait, self.fault) if wait else None

    def _fail(self, exc: Exception) -> Response:
        if self.options.get("crash_mode") == "respond":
            return down_response()
        raise exc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower() for k, _ in scope.get("headers", [])}
        if INTERNAL_HEADER in headers:
            await self.app(scope, receive, send)
            return

        with self.world.tx(write=False) as conn:
            faults = read_faults(conn)
        if faults["crashed"]:
            await self._fail(SandboxDown("sandbox is down after a crash"))(scope, receive, send)
            return
        if faults["latency_ms"] > 0:
            await asyncio.sleep(faults["latency_ms"] / 1000.0)
        if faults["rate_limit_rps"] > 0:
            refused = self._rate_limited(int(faults["rate_limit_rps"]))
            if refused is not None:
                await refused(scope, receive, send)
                return
        if faults["fail_next"] > 0:
            fail = False
            with self.world.tx() as conn:
                current = read_faults(conn)
                if current["fail_next"] > 0:
                    current["fail_next"] -= 1
                    write_faults(conn, current)
                    fail = True
            if fail:
                resp = fault_response(current["fail_status"], current["retry_after"], self.fault)
                await resp(scope, receive, send)
                return

        counts = scope["method"] in WRITE_METHODS and self.counts_writes
        if not (counts and faults["crash_after_writes"] > 0):
            await self.app(scope, receive, send)
            return

        # A counted write: hold the answer until we know whether this write is the fatal one.
        buffered: list[Message] = []
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            buffered.append(message)

        await self.app(scope, receive, capture)
        crashed = False
        if status < 400:
            with self.world.tx() as conn:
                current = read_faults(conn)
                limit = int(current["crash_after_writes"])
                if limit > 0 and not current["crashed"]:
                    current["writes"] = int(current["writes"]) + 1
                    if current["writes"] >= limit:
                        current["crashed"] = True
                        crashed = True
                    write_faults(conn, current)
        if crashed:
            await self._fail(
                SandboxCrash(f"sandbox crashed after {limit} writes ({scope['method']} {scope['path']} was committed)")
            )(scope, receive, send)
            return
        for message in buffered:
            await send(message)


# --------------------------------------------------------------------------------------------------
# /_sandbox/* endpoints (no auth, no faults)
# --------------------------------------------------------------------------------------------------


def sandbox_routes(world: World, service: str) -> list[Route]:
    """``GET /_sandbox/health``, ``GET|PUT|DELETE /_sandbox/faults``, ``POST /_sandbox/reset``."""

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": service})

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                clean = validate_fault_settings(body)
            except (ValueError, json.JSONDecodeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            with world.tx() as conn:
                merge_faults(conn, clean)
        elif request.method == "DELETE":
            _clear_faults(world.path)
        with world.tx(write=False) as conn:
            return JSONResponse(read_faults(conn))

    async def reset(request: Request) -> Response:
        reset_world(world.path)
        return JSONResponse({"status": "reset"})

    return [
        Route("/_sandbox/health", health, methods=["GET"]),
        Route("/_sandbox/faults", faults, methods=["GET", "PUT", "DELETE"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
    ]


# --------------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------------

Param = tuple[str, "str | UploadFile"]


async def all_params(request: Request) -> list[tuple[str, str | UploadFile]]:
    """Query-string parameters followed by body parameters (urlencoded or multipart), in order."""
    params: list[tuple[str, str | UploadFile]] = list(request.query_params.multi_items())
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form(max_files=100, max_fields=10000)
        params.extend(form.multi_items())
    return params


def text_params(params: list[tuple[str, str | UploadFile]]) -> list[tuple[str, str]]:
    """Only the text parameters of ``all_params``."""
    return [(k, v) for k, v in params if isinstance(v, str)]


def first(params: list[tuple[str, str | UploadFile]], name: str) -> str | UploadFile | None:
    """The first value of ``name`` or None."""
    for k, v in params:
        if k == name:
            return v
    return None


Handler = Callable[[Request], Awaitable[Response]]
"""A Starlette endpoint."""


# --------------------------------------------------------------------------------------------------
# Errors and the route wrapper
# --------------------------------------------------------------------------------------------------


class ServiceError(Exception):
    """A refusal raised by a model or a gate, answered in the service's own error style.

    Subclasses (``ConsoleError``, ``WfError``, ...) implement ``response()``; ``Refused`` carries a
    ready-made response for the odd shapes (empty 401/403 bodies, extra headers).
    """

    def response(self) -> Response:
        """The HTTP answer for this refusal."""
        raise NotImplementedError


class Refused(ServiceError):
    """A refusal whose exact response is already built."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"refused with {response.status_code}")
        self._response = response

    def response(self) -> Response:
        return self._response


BodyReader = Callable[[Request], Awaitable[Any]]
Gate = Callable[[Request, sqlite3.Connection], Any]


def handler(
    world: World,
    route: Callable[..., Response],
    *,
    gate: Gate | None = None,
    write: bool | Callable[[Request], bool] = False,
    body: BodyReader | None = None,
) -> Handler:
    """Wrap a route function into an endpoint: read the body, run one transaction, gate, call.

    ``body(request)`` (optional) reads and checks the request body before anything else; then one
    ``world.tx`` (a write transaction when ``write`` is true or returns true for the request) runs
    ``auth = gate(request, conn)`` (optional, e.g. token claims) and
    ``route(request, conn, auth, body, **request.path_params)``, whose ``Response`` is the answer.
    A ``ServiceError`` raised by the body reader, the gate or the route rolls the transaction
    back and is answered with its ``response()``.
    """

    async def endpoint(request: Request) -> Response:
        try:
            payload = await body(request) if body is not None else None
            writes = write(request) if callable(write) else write
            with world.tx(write=writes) as conn:
                auth = gate(request, conn) if gate is not None else None
                result: Response = route(request, conn, auth, payload, **request.path_params)
                return result
        except ServiceError as refusal:
            return refusal.response()

    return endpoint


# --------------------------------------------------------------------------------------------------
# Response headers
# --------------------------------------------------------------------------------------------------


class ResponseHeaderMiddleware:
    """Pure ASGI middleware adding one header to every HTTP response.

    ``value(scope)`` is called once per request and gives the header's bytes, or None to add
    nothing (IMS: a fresh ``x-debug-id``; UMAPI: the caller's ``X-Request-Id`` echoed back).
    """

    def __init__(self, app: ASGIApp, name: bytes, value: Callable[[Scope], bytes | None]) -> None:
        self.app = app
        self.name = name
        self.value = value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = self.value(scope)

        async def with_header(message: Message) -> None:
            if value is not None and message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (self.name, value)]
            await send(message)

        await self.app(scope, receive, with_header)


def request_header(scope: Scope, name: bytes) -> bytes | None:
    """The raw value of the request header ``name`` (lower-case bytes) or None."""
    return next((v for k, v in scope.get("headers", []) if k.lower() == name), None)


def service_app(
    world: World,
    service: str,
    routes: list[Route],
    options: dict[str, Any],
    middleware: list[Middleware] | None = None,
    *,
    fault: FaultBody = gateway_fault,
    counts_writes: bool = True,
) -> Starlette:
    """The Starlette app of one service: the ``/_sandbox/*`` routes (health names ``service``),
    then ``routes``; the given ``middleware`` outside the ``FaultMiddleware`` (``fault``,
    ``counts_writes``: see there); ``app.state.sandbox_options`` = ``options``."""
    app = Starlette(
        routes=[*sandbox_routes(world, service), *routes],
        middleware=[
            *(middleware or []),
            Middleware(
                FaultMiddleware,
                world=world,
                options=options,
                fault=fault,
                counts_writes=counts_writes,
                service=service,
            ),
        ],
    )
    app.state.sandbox_options = options
    return app

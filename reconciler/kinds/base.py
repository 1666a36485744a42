"""Shared machinery of the resource kinds.

A kind is a ``KindDef``: its section name, its pydantic spec model (what users write), the
attributes others may reference (``outputs``), its *links* (values a provider needs from the
resources it names, such as the Console org id behind ``org: acme``, injected as ordinary
``${kind.name.attr}`` references so that the engine resolves them, including "known after apply"),
its implicit dependencies (``implicit_deps``), and a factory for its ``Provider``.

Values known only after apply reach a spec as ``reconciler.engine.Unknown``; format checks are
written with ``field_check``, which skips them (and, when the loader validates, the literal
``${...}`` references it has not resolved yet).

Reads: a provider subclasses ``KindProvider``; its bulk reads are ``Read`` pairs ``(key, fetch)``
that ``start_reads`` starts at the beginning of a plan and ``refresh`` awaits with ``read`` (one
``SharedReads`` per plan, shared by every kind: reads of one service several kinds need use the
same key). Apply's look-ups use a ``SharedListing`` per apply, kept current by the run's writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from reconciler.engine import PrefetchItem, Provider, RefreshItem, SpecError, SpecT, Unknown, is_unknown
from reconciler.engine.addrs import Address
from reconciler.refs import RefTo, is_unresolved

from .context import ProviderContext

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])
LINKS_KEY = "__links__"
#: pydantic validation context the engine's parses run with (the loader validates without it)
ENGINE_CONTEXT = {"engine": True}


class Spec(BaseModel):
    """Base of every kind's spec: unknown keys are errors; a field may be set by its alias.

    A top-level field whose value is ``Unknown`` (known only after apply) keeps it as is, whatever
    its type: the kind sees it (``is_unknown``) and the plan shows it as known after apply.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("*", mode="wrap")
    @classmethod
    def _keep_unknown(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        return value if isinstance(value, Unknown) else handler(value)


def not_known_yet(value: Any, info: ValidationInfo) -> bool:
    """True when ``value`` cannot be checked yet: an ``Unknown`` (engine parse), or a string that
    still holds a ``${kind.name.attr}`` reference (the loader's validation, before resolution)."""
    if is_unknown(value):
        return True
    return not (info.context or {}).get("engine") and is_unresolved(value)


def field_check(*fields: str) -> Callable[[F], F]:
    """``@field_check("tenant_url")``: a pydantic after-validator ``(cls, value) -> value`` on
    ``fields`` that runs only once the value is known (see ``not_known_yet``); ``None`` values are
    passed to it as well."""

    def decorate(fn: F) -> F:
        def check(cls: type[Any], value: Any, info: ValidationInfo) -> Any:
            return value if not_known_yet(value, info) else fn(cls, value)

        check.__name__ = getattr(fn, "__name__", "check")
        check.__doc__ = fn.__doc__
        return cast(F, field_validator(*fields)(classmethod(check)))

    return decorate


@dataclass
class Parsed(Generic[M]):
    """A parsed spec plus the linked values injected from the resources it names."""

    model: M
    links: dict[str, Any] = field(default_factory=dict)

    def link(self, name: str) -> Any:
        """A linked value (``None`` when the spec does not set the link's field); a value known only
        after apply is an ``Unknown``."""
        return self.links.get(name)

    def known(self, *names: str) -> bool:
        """True when every named link is set and known."""
        return all(n in self.links and not is_unknown(self.links[n]) for n in names)


@dataclass(frozen=True)
class Link:
    """``links[name] = ${<kind>.<value of field>.<attr>}`` when the spec sets ``field``."""

    field: str
    kind: str
    attr: str


#: ``(address, data, every declared resource's data by address) -> addresses it must wait for``
ImplicitDeps = Callable[[str, Mapping[str, Any], Mapping[str, Mapping[str, Any]]], Collection[str]]


@dataclass
class KindDef:
    """A resource kind as the loader, the schema generator and the CLI see it.

    ``implicit_deps``: dependencies the configuration does not spell out (a share waits for the
    replication agents its cloud configuration makes); the wiring adds them to the resource's
    ``depends_on``. Data is the loaded data (references still literal).
    """

    name: str
    model: type[BaseModel]
    outputs: frozenset[str]
    provider: Callable[[ProviderContext], Provider[Any]]
    links: Mapping[str, Link] = field(default_factory=dict)
    description: str = ""
    implicit_deps: ImplicitDeps | None = None

    @property
    def connection_type(self) -> str | None:
        """The connection type (``aem``, ``adobe``, ``workfront``) the spec's ``connection`` field
        names (its ``RefTo("connections:<type>")``); None when the kind has no such field or takes
        any type. A kind whose connection comes through a link: ``kinds.connection_type_of``."""
        info = self.model.model_fields.get("connection")
        for meta in info.metadata if info is not None else ():
            if isinstance(meta, RefTo) and meta.connection_type:
                return meta.connection_type
        return None

    def inject_links(self, data: dict[str, Any]) -> dict[str, Any]:
        """Copy of ``data`` with the kind's links added as references (see ``Link``)."""
        links = {}
        for name, link in self.links.items():
            value = data.get(link.field)
            if isinstance(value, str) and value:
                links[name] = "${" + f"{link.kind}.{value}.{link.attr}" + "}"
        out = dict(data)
        if links:
            out[LINKS_KEY] = links
        return out


def parse_model(model: type[M], address: str, data: Mapping[str, Any]) -> Parsed[M]:
    """Validate ``data`` (links split off) into ``model``. Raises SpecError with one line per error,
    never echoing an input value (it may be a secret)."""
    payload = dict(data)
    links = payload.pop(LINKS_KEY, {}) or {}
    try:
        return Parsed(model.model_validate(payload, context=ENGINE_CONTEXT), dict(links))
    except ValidationError as exc:
        msgs = []
        for err in exc.errors(include_input=False):
            where = ".".join(str(p) for p in err["loc"]) or "(spec)"
            msgs.append(f"{where}: {err['msg']}")
        raise SpecError(msgs) from None


def resource_name(address: str) -> str:
    """The name part of an address (``cloud_configs.assets-sync`` -> ``assets-sync``)."""
    return Address.parse(address).name


def parse_named(model: type[M], address: str, data: Mapping[str, Any]) -> Parsed[M]:
    """``parse_model`` for specs whose optional ``name`` (a node or project name) defaults to the
    resource name."""
    parsed = parse_model(model, address, data)
    if getattr(parsed.model, "name", None) is None:
        return Parsed(parsed.model.model_copy(update={"name": resource_name(address)}), parsed.links)
    return parsed


Item = RefreshItem[Parsed[Any]]


def by_links(items: list[Item], names: tuple[str, ...]) -> tuple[dict[tuple[str, ...], list[Item]], list[str]]:
    """Refresh items grouped by the values of ``names``: the state record's outputs (objects read by
    remote id) or else the spec's links. Returns ``(groups, pending)``: ``pending`` lists the
    addresses whose links are still unknown (their producer is being created: nothing to observe)."""
    groups: dict[tuple[str, ...], list[Item]] = {}
    pending: list[str] = []
    for item in items:
        if item.record is not None:
            key = tuple(str(item.record.outputs[n]) for n in names)
        else:
            if not item.parsed.known(*names):
                pending.append(item.address)
                continue
            key = tuple(str(item.parsed.link(n)) for n in names)
        groups.setdefault(key, []).append(item)
    return groups, pending


def by_connection(items: list[Item]) -> dict[str, list[Item]]:
    """Refresh items grouped by connection name: the state record's (objects read by remote id)
    or else the spec's ``connection`` field, so each connection is listed once."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        if item.record is not None:
            conn = item.record.outputs["connection"]
        else:
            conn = item.parsed.model.connection
        groups.setdefault(conn, []).append(item)
    return groups


K = TypeVar("K")
R = TypeVar("R")
V = TypeVar("V")


class SharedReads(Generic[K, V]):
    """One read per key, shared by every caller that asks for it while the cache lives.

    ``get(key, fetch)`` calls ``fetch()`` once per key: concurrent callers await the same read in
    flight, later callers get its value. ``start(key, fetch)`` begins the read now in a task of
    the running loop without waiting for it (a plan's prefetch), so that reads of many kinds go out
    together. A failed read is raised to every caller waiting for it and is not kept (the next
    ``get`` reads again); a started read that fails with nobody waiting is dropped quietly.
    """

    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._inflight: dict[K, asyncio.Future[V]] = {}
        self.fetches = 0  # reads made (for tests)

    def __contains__(self, key: K) -> bool:
        return key in self._values or key in self._inflight

    def _claim(self, key: K) -> asyncio.Future[V]:
        fut: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        self.fetches += 1
        return fut

    async def _fill(self, key: K, fut: asyncio.Future[V], fetch: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await fetch()
        except BaseException as exc:
            self._inflight.pop(key, None)
            fut.set_exception(exc)
            fut.exception()  # waiting callers still get it; no "never retrieved" log
            raise
        self._values[key] = value
        self._inflight.pop(key, None)
        fut.set_result(value)
        return value

    async def get(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """The value of ``key`` (read with ``fetch()`` on first use). Raises what ``fetch`` raises."""
        if key in self._values:
            return self._values[key]
        if key in self._inflight:
            return await asyncio.shield(self._inflight[key])
        return await self._fill(key, self._claim(key), fetch)

    def start(self, key: K, fetch: Callable[[], Awaitable[V]]) -> None:
        """Begin reading ``key`` now unless it is read or being read; returns at once. Must be
        called with an event loop running."""
        if key in self:
            return
        task = asyncio.ensure_future(self._fill(key, self._claim(key), fetch))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def forget(self, keys: Callable[[K], bool]) -> None:
        """Drop the values read for every key ``keys(key)`` is true of (e.g. after a delete)."""
        for key in [k for k in self._values if keys(k)]:
            del self._values[key]

    def peek(self, key: K) -> V | None:
        """The value of ``key`` if it has been read, else None (no read)."""
        return self._values.get(key)


class SharedListing(Generic[K, R]):
    """One bulk listing per key for the whole apply, shared by every write that needs a lookup.

    Apply looks each object up right before writing it; for kinds whose service has no
    single-object read by natural key, a listing per write makes apply quadratic. ``get(key,
    fetch)`` lists once per key (concurrent callers await the same in-flight listing; a failed
    listing is raised to all of them and not kept), and the kind keeps the copy current with
    ``put``/``drop`` after its own writes. ``R`` is the row type; rows are keyed by ``row_id``, and
    by ``natural_key`` too when given (:meth:`find_natural`), so a lookup costs no scan of the rows.
    """

    def __init__(self, row_id: Callable[[R], str], natural_key: Callable[[R], Any] | None = None) -> None:
        self._row_id = row_id
        self._natural_key = natural_key
        self._rows: dict[K, dict[str, R]] = {}
        self._by_natural: dict[K, dict[Any, R]] = {}
        self._reads: SharedReads[K, dict[str, R]] = SharedReads()

    async def _listed(self, key: K, fetch: Callable[[], Awaitable[list[R]]]) -> dict[str, R]:
        if key not in self._rows:

            async def listing() -> dict[str, R]:
                return {self._row_id(r): r for r in await fetch()}

            rows = await self._reads.get(key, listing)
            if key not in self._rows:
                self._rows[key] = rows
                if self._natural_key is not None:
                    self._by_natural[key] = {self._natural_key(r): r for r in rows.values()}
        return self._rows[key]

    async def get(self, key: K, fetch: Callable[[], Awaitable[list[R]]]) -> list[R]:
        """The rows of ``key`` (listed with ``fetch()`` on first use). Raises what ``fetch`` raises."""
        return list((await self._listed(key, fetch)).values())

    async def find(self, key: K, row_id: str, fetch: Callable[[], Awaitable[list[R]]]) -> R | None:
        """The row ``row_id`` of ``key`` (listing ``key`` once, as :meth:`get`), or None."""
        return (await self._listed(key, fetch)).get(row_id)

    async def find_natural(self, key: K, natural: Any, fetch: Callable[[], Awaitable[list[R]]]) -> R | None:
        """The row of ``key`` whose ``natural_key`` is ``natural`` (listing ``key`` once), or None.
        Raises ValueError when the listing was made without ``natural_key``."""
        await self._listed(key, fetch)
        if self._natural_key is None:
            raise ValueError("this SharedListing has no natural key")
        return self._by_natural[key].get(natural)

    def put(self, key: K, row: R) -> None:
        """Record ``row`` (created or updated by this run) if ``key`` was listed."""
        if key in self._rows:
            old = self._rows[key].get(self._row_id(row))
            if old is not None and self._natural_key is not None:
                self._by_natural[key].pop(self._natural_key(old), None)
            self._rows[key][self._row_id(row)] = row
            if self._natural_key is not None:
                self._by_natural[key][self._natural_key(row)] = row

    def drop(self, key: K, row_id: str) -> None:
        """Forget the row ``row_id`` (deleted by this run) if ``key`` was listed."""
        if key in self._rows:
            old = self._rows[key].pop(row_id, None)
            if old is not None and self._natural_key is not None:
                self._by_natural[key].pop(self._natural_key(old), None)

    def drop_where(self, key: K, row_ids: Callable[[str], bool]) -> None:
        """Forget every row of ``key`` whose id ``row_ids(id)`` is true of (e.g. a deleted subtree)."""
        for row_id in [r for r in self._rows.get(key, {}) if row_ids(r)]:
            self.drop(key, row_id)


#: the key of the plan's ``SharedReads`` in the dict the planner hands ``Provider.prefetch``
READS_KEY = "kinds.base.reads"
#: ``(cache key, fetch)``: a read the plan shares between its steps and kinds (see ``KindProvider``)
Read = tuple[Any, Callable[[], Awaitable[Any]]]


def known_str(value: Any) -> str | None:
    """``value`` when it is a string known now (not ``Unknown``, no ``${...}`` left), else None."""
    if isinstance(value, str) and not is_unknown(value) and not is_unresolved(value) and value:
        return value
    return None


def prefetch_value(item: PrefetchItem, output: str, field: str | None = None, *, link: str | None = None) -> str | None:
    """What a prefetch can tell of one value of ``item``: the record's output ``output``, else the
    desired data's ``field`` or link ``link`` when known (None otherwise)."""
    if item.record is not None:
        got = item.record.outputs.get(output)
        return str(got) if got is not None else None
    if item.data is None:
        return None
    if link is not None:
        return known_str((item.data.get(LINKS_KEY) or {}).get(link))
    return known_str(item.data.get(field or output))


class KindProvider(Provider[SpecT]):
    """A kind's provider on the clients of a ``ProviderContext``, with the plan's shared reads.

    ``prefetch`` keeps the plan's shared dict and calls ``start_reads`` (override it: call
    ``start(read)`` for each read the refresh will make). ``read(read)`` inside a plan answers
    from the plan's one ``SharedReads`` (started or not: a read made by a wave is shared by the
    later waves and by other kinds); outside a plan (apply's lookups, a refresh on its own) it
    reads directly, so nothing read for a plan is served later.
    """

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self._plan: dict[Any, Any] = {}

    def prefetch(self, items: list[PrefetchItem], shared: dict[Any, Any]) -> None:
        """Keep the plan's ``shared`` dict (its ``SharedReads`` under ``READS_KEY``) for this plan's
        ``read`` calls, then ``start_reads(items)``."""
        self._plan = shared
        shared.setdefault(READS_KEY, SharedReads())
        self.start_reads(items)

    def start_reads(self, items: list[PrefetchItem]) -> None:
        """Start the reads the refresh of ``items`` will make (``start``). Default: none."""

    def start(self, read: Read) -> None:
        """Begin ``read`` now, shared by the plan (nothing outside a plan)."""
        reads: SharedReads[Any, Any] | None = self._plan.get(READS_KEY)
        if reads is not None:
            reads.start(*read)

    async def read(self, read: Read) -> Any:
        """The value of ``read``: the plan's shared read, or a direct one outside a plan."""
        key, fetch = read
        reads: SharedReads[Any, Any] | None = self._plan.get(READS_KEY)
        return await (reads.get(key, fetch) if reads is not None else fetch())

"""Refresh and plan, as a list of named steps (in the manner of Terraform's plan graph builder).

``make_plan`` runs them in this order; each is a small function over one ``PlanRun``:

1. ``PlanRun.start``    rename the records of the ``moved:`` blocks (``explicit_moves``), build the
                        dependency graph (configuration + orphaned state records), its waves, the
                        ``--target`` scope; unknown targets are errors.
   ``prefetch``         every kind starts, at once, the bulk reads it can place from the state and
                        the configuration alone (``Provider.prefetch``): the waves below then mostly
                        read what is already in flight, so a plan costs about one round of requests
                        per level of real dependency (a token, then the listings), not one per wave.
2. for every wave of the graph (dependencies first):
   a. ``parse_wave``    resolve each resource's references (one ``Resolver`` for the whole run) and
                        parse its spec, once; invalid specs are errors.
   b. ``refresh_wave``  observe the wave in one bulk ``Provider.refresh`` per kind, kinds in parallel
                        (reading the prefetched listings).
   c. ``drift_wave``    compare state with what was observed (changes made outside this tool).
   d. ``decide_wave``   an implicit move first (``find_move``: a new address found the remote
                        object of a record that left the configuration), then diff desired with
                        observed and decide each action (``actions.py``), with
                        the providers' notes; producers being created make their outputs unknown
                        for the next waves.
3. raise ``PlanError`` with every error found; ``count_content_loss``: what each delete and
   replacement destroys of user content (a folder's assets).
4. ``schedule_checks``  health checks for what changes, depends on a change or failed last time.
5. ``order_plan``       changes in dependency order, deletions last in reverse order.

The result is a ``PlanResult``: the ``Plan`` (what a reviewer reads) plus what apply needs (parsed
specs, resolved data, observations, the graph).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .actions import DESTROY_REQUESTED, PENDING_ACTIONS, REMOVED, decide_desired, decide_orphan, detect_drift
from .errors import PlanError, SpecError
from .graph import DependencyGraph
from .imports import check_import
from .model import Action, DriftItem, Note, Observed, Plan, PlannedChange
from .provider import PrefetchItem, Provider, RefreshItem
from .resolve import Resolver, resolve_data
from .state import StateBackend, StateRecord

Providers = Mapping[str, Provider[Any]]


@dataclass
class DesiredResource:
    """A resource as the configuration declares it.

    ``data``: plain values (secrets in clear, in memory only); strings may hold
    ``${kind.name.attr}`` references. ``depends_on``: addresses of every dependency (typed name
    references, attribute references, explicit ``depends_on``, a kind's implicit dependencies).
    ``import_id``: set by an ``import:`` block (or ``reconciler import``): the existing object this
    resource must adopt (``engine.imports.check_import``); the plan never creates it.
    ``has_refs``: False when the loader found no ``${kind.name.attr}`` reference anywhere in
    ``data`` (resolving it then gives ``data`` itself: plan and apply skip the walk).
    """

    address: str
    kind: str
    name: str
    data: dict[str, Any]
    depends_on: set[str] = field(default_factory=set)
    prevent_destroy: bool = False
    moved_from: list[str] = field(default_factory=list)
    allow_content_loss: bool = False
    import_id: str | None = None
    has_refs: bool = True


@dataclass(repr=False)
class PlanResult:
    """The plan plus what apply needs to carry it out: the parsed ``specs`` and the ``resolved``
    data they were parsed from (by address), the observations, the state records, the graph.

    Its ``repr`` is one short line: a full dataclass repr of 10,000 resources takes a second, and
    Python 3.11's ``asyncio.run`` builds the repr of its main task (with this result) on exit."""

    plan: Plan
    graph: DependencyGraph
    desired: dict[str, DesiredResource]
    specs: dict[str, Any]
    observed: dict[str, Observed | None]
    records: dict[str, StateRecord]
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"PlanResult({len(self.plan.changes)} changes, {len(self.desired)} resources)"


def build_graph(desired: Mapping[str, DesiredResource], records: Mapping[str, StateRecord]) -> DependencyGraph:
    """Graph of desired resources (edges from ``depends_on``) plus orphaned state records (edges from
    the dependencies recorded when they were applied, so they are deleted in the right order)."""
    graph = DependencyGraph()
    for addr, res in desired.items():
        graph.add_node(addr)
        for dep in res.depends_on:
            graph.add_edge(addr, dep)
    for addr, rec in records.items():
        if addr in desired:
            continue
        graph.add_node(addr)
        for dep in rec.dependencies:
            if dep in desired or dep in records:
                graph.add_edge(addr, dep)
    return graph


@dataclass
class PlanRun:
    """The working state of one plan, shared by the steps (see the module docstring)."""

    desired: Mapping[str, DesiredResource]
    state: StateBackend
    providers: Providers
    records: dict[str, StateRecord]
    graph: DependencyGraph
    waves: list[list[str]]
    scope: set[str] | None
    force_replace: Collection[str] = ()
    leaving: str = REMOVED  # why a resource only in state leaves (``decide_orphan``)
    resolver: Resolver = field(init=False)
    specs: dict[str, Any] = field(default_factory=dict)
    observed: dict[str, Observed | None] = field(default_factory=dict)
    changes: dict[str, PlannedChange] = field(default_factory=dict)
    drift: list[DriftItem] = field(default_factory=list)
    errors: list[tuple[str | None, str]] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)
    moved_away: set[str] = field(default_factory=set)
    _orphans: dict[tuple[str, str], list[str]] | None = None

    def __post_init__(self) -> None:
        self.resolver = Resolver(self.records)

    @classmethod
    def start(
        cls, desired: Mapping[str, DesiredResource], state: StateBackend, providers: Providers, targets: Collection[str]
    ) -> PlanRun:
        """Step 1: graph, waves (raises CycleError), target scope; unknown targets are errors."""
        records = state.records()
        moved, errors = explicit_moves(desired, records)
        graph = build_graph(desired, records)
        waves = graph.generations()
        scope = set(targets) | graph.all_dependencies(targets) if targets else None
        run = cls(desired, state, providers, records, graph, waves, scope)
        run.moved, run.errors = moved, errors
        run.errors.extend((t, "no such resource to target") for t in targets if t not in desired and t not in records)
        return run

    def orphans_by_remote_id(self) -> dict[tuple[str, str], list[str]]:
        """(kind, remote id) -> addresses of the state records whose resource left the configuration,
        sorted; built once per plan (``find_move`` asks for every new address that found an object)."""
        if self._orphans is None:
            self._orphans = {}
            for src, rec in sorted(self.records.items()):
                if src not in self.desired:
                    self._orphans.setdefault((rec.kind, rec.remote_id), []).append(src)
        return self._orphans

    def kind_of(self, addr: str) -> str:
        """The kind of a configured resource or of a state record."""
        res = self.desired.get(addr)
        return res.kind if res is not None else self.records[addr].kind


def explicit_moves(
    desired: Mapping[str, DesiredResource], records: dict[str, StateRecord]
) -> tuple[dict[str, str], list[tuple[str | None, str]]]:
    """Step 1's ``moved:`` blocks: rename in ``records`` (in memory; apply writes it) the record of
    each ``moved_from`` address to its new address. Returns ``{new address: old address}`` and the
    errors: the new address already has a record, or the record is of another kind. A ``from`` with
    no record is skipped (the move was applied already), as Terraform does."""
    moved: dict[str, str] = {}
    errors: list[tuple[str | None, str]] = []
    for addr, res in desired.items():
        for src in res.moved_from:
            rec = records.get(src)
            if rec is None or src in desired:
                continue
            if addr in records:
                errors.append(
                    (addr, f"moved from {src}, but {addr} is already in state; run `reconciler state rm` on one")
                )
            elif rec.kind != res.kind:
                errors.append((addr, f"cannot move {src} (a {rec.kind} record) to a resource of kind {res.kind}"))
            else:
                records[addr] = _renamed(records.pop(src), addr)
                moved[addr] = src
            break
    return moved, errors


def _renamed(rec: StateRecord, address: str) -> StateRecord:
    return dataclasses.replace(rec, address=address)


def find_move(run: PlanRun, addr: str, obs: Observed | None) -> str | None:
    """An implicit move: ``addr`` has no record, and the object its natural key found is the remote
    object of a record whose resource left the configuration (same kind, same remote id). Renames
    that record to ``addr`` in the run (dropping the old address's planned removal and moving its
    drift) and returns the old address; None when there is no such record."""
    if obs is None or addr in run.records:
        return None
    for src in run.orphans_by_remote_id().get((run.kind_of(addr), obs.remote_id), ()):
        if src in run.moved_away or src not in run.records:
            continue
        run.moved_away.add(src)
        run.records[addr] = _renamed(run.records.pop(src), addr)
        run.changes.pop(src, None)
        run.drift = [d for d in run.drift if d.address != src]
        drifted = detect_drift(addr, run.records[addr], obs)
        if drifted is not None:
            run.drift.append(drifted)
        return src
    return None


def prefetch(run: PlanRun, shared: dict[Any, Any]) -> None:
    """Step 1b: hand every provider the plan's resources of its kind (``PrefetchItem``: the record,
    or for a resource without one its top-level values and links resolved from what the state
    knows) so that it starts its bulk reads now, all kinds together; ``shared`` is the plan's one
    cache for reads shared between kinds. Kinds without a provider are left to ``parse_wave``
    (which reports them)."""
    by_kind: dict[str, list[PrefetchItem]] = {kind: [] for kind in run.providers}
    for addr in run.graph.nodes:
        if run.scope is not None and addr not in run.scope:
            continue
        res, rec = run.desired.get(addr), run.records.get(addr)
        if res is None and rec is None:
            continue
        items = by_kind.get(run.kind_of(addr))
        if items is not None:
            data = _prefetch_data(run, res.data) if res is not None and rec is None else None
            items.append(PrefetchItem(addr, data, rec))
    for kind, items in by_kind.items():
        run.providers[kind].prefetch(items, shared)


def _prefetch_data(run: PlanRun, data: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level strings of ``data`` and its mappings of strings (the kinds' links), resolved
    from what the state knows: the rest is not needed to place a bulk read, and resolving all of
    it would cost as much as the parse."""
    top = {
        k: v
        for k, v in data.items()
        if isinstance(v, str) or (isinstance(v, dict) and all(isinstance(x, str) for x in v.values()))
    }
    out: dict[str, Any] = resolve_data(top, run.resolver.lookup)
    return out


def parse_wave(run: PlanRun, wave: list[str]) -> dict[str, list[RefreshItem[Any]]]:
    """Step 2a: resolve and parse the wave's resources once. Returns the refresh items by kind."""
    batch: dict[str, list[RefreshItem[Any]]] = {}
    for addr in wave:
        if run.scope is not None and addr not in run.scope:
            continue
        res, rec = run.desired.get(addr), run.records.get(addr)
        if res is None and rec is None:
            continue
        kind, spec = run.kind_of(addr), None
        if res is not None:
            try:
                spec = run.providers[kind].parse(addr, run.resolver.resolve(addr, res.data, refs=res.has_refs))
            except SpecError as exc:
                run.errors.extend((addr, m) for m in exc.messages)
                continue
            run.specs[addr] = spec
            run.resolver.known[addr] = run.providers[kind].planned_outputs(spec)
        if kind not in run.providers:
            run.errors.append((addr, f"no provider for kind {kind!r}"))
            continue
        batch.setdefault(kind, []).append(RefreshItem(addr, spec, rec))
    return batch


async def refresh_wave(run: PlanRun, batch: Mapping[str, list[RefreshItem[Any]]], sem: asyncio.Semaphore) -> None:
    """Step 2b: one bulk refresh per kind (kinds in parallel, at most ``sem`` at once). Provider
    and client exceptions propagate."""

    async def refresh_kind(kind: str) -> dict[str, Observed | None]:
        async with sem:
            return await run.providers[kind].refresh(batch[kind])

    kinds = sorted(batch)
    results = await asyncio.gather(*(refresh_kind(k) for k in kinds))
    for kind, got in zip(kinds, results, strict=True):
        for item in batch[kind]:
            run.observed[item.address] = got.get(item.address)
            run.resolver.observe(item.address, run.observed[item.address])


def drift_wave(run: PlanRun, wave: list[str]) -> None:
    """Step 2c: drift of the wave's resources in state (their last applied attributes vs now)."""
    for addr in wave:
        if addr in run.observed and addr in run.records and addr not in run.moved_away:
            drifted = detect_drift(addr, run.records[addr], run.observed[addr])
            if drifted is not None:
                run.drift.append(drifted)


def decide_wave(run: PlanRun, wave: list[str]) -> None:
    """Step 2d: the action of every observed resource of the wave, with the providers' notes."""
    for addr in wave:
        if addr not in run.observed or (addr in run.desired and addr not in run.specs) or addr in run.moved_away:
            continue
        provider = run.providers[run.kind_of(addr)]
        obs = run.observed[addr]
        if addr in run.desired:
            implicit = find_move(run, addr, obs)
            if implicit is not None:
                run.moved[addr] = implicit
            change = decide_desired(
                addr, run.kind_of(addr), run.specs[addr], provider, obs, run.records.get(addr), run.state,
                run.changes, run.errors, force=addr in run.force_replace,
            )  # fmt: skip
            _collect_notes(run, addr, provider.notes(addr, run.specs[addr], obs))
        else:
            change = decide_orphan(addr, run.records[addr], provider, obs, run.errors, leaving=run.leaving)
        if change is None:
            continue
        import_id = run.desired[addr].import_id if addr in run.desired else None
        if import_id is not None:
            check_import(addr, import_id, change, obs, run.records.get(addr), run.errors)
        change.previous_address = run.moved.get(addr)
        change.waits_for = sorted(
            d for d in run.graph.dependencies(addr) if d in run.changes and run.changes[d].action.is_change
        )
        if change.action.is_change and addr in run.desired:
            change.notes.extend(provider.change_notes(addr, run.specs[addr], obs))
        if change.action in PENDING_ACTIONS and not (change.action == Action.ADOPT and obs is not None):
            run.resolver.pending.add(addr)  # an object adopted as observed has known outputs: observed now
        run.changes[addr] = change


def _collect_notes(run: PlanRun, addr: str, notes: list[Note]) -> None:
    for note in notes:
        if note.severity == "error":
            run.errors.append((addr, note.summary + (f" ({note.detail})" if note.detail else "")))
        else:
            run.warnings.append(Note("warning", f"{addr}: {note.summary}", note.detail))


def contained_changes(run: PlanRun) -> None:
    """Step 2e: what deleting or replacing an object deletes with it (``Provider.holds_subtree``:
    an AEM folder's subfolders and the shares on them, by ``Provider.location``). A declared
    resource inside an object that is replaced is replaced too (it is made again once its holder
    is, which it now waits for); inside an object that is deleted, it is an error (it would be
    deleted although the configuration keeps it)."""
    holders: dict[tuple[str, str], str] = {}
    for addr, change in run.changes.items():
        provider = run.providers[change.kind]
        if not provider.holds_subtree or change.keeps_previous:
            continue
        if change.action not in (Action.REPLACE, Action.DELETE):
            continue
        rec = run.records.get(addr)  # what is deleted: the recorded object, else the one found
        where = provider.location(None, rec) if rec is not None else provider.location(run.specs.get(addr), None)
        if where is not None:
            holders[where] = addr
    if not holders:
        return
    for addr, change in run.changes.items():
        if addr not in run.desired or addr not in run.specs:
            continue
        where = run.providers[change.kind].location(run.specs[addr], None)
        holder = _holder_of(holders, where, addr) if where is not None else None
        if holder is not None:
            _goes_with(run, addr, change, holder, where[1] if where else "")


def _holder_of(holders: Mapping[tuple[str, str], str], where: tuple[str, str], addr: str) -> str | None:
    """The address in ``holders`` at ``where`` or at one of its ancestors (not ``addr`` itself)."""
    space, path = where
    while path:
        found = holders.get((space, path))
        if found is not None and found != addr:
            return found
        path = path.rsplit("/", 1)[0]
    return None


def _goes_with(run: PlanRun, addr: str, change: PlannedChange, holder: str, path: str) -> None:
    held = run.changes[holder]
    if held.action == Action.DELETE:
        run.errors.append((
            addr,
            f"{holder} is deleted ({held.reason}), and {addr} is inside it ({path}): deleting {holder} would"
            f" delete {addr} too; remove {addr} from the configuration as well, or keep {holder}",
        ))  # fmt: skip
        return
    if addr in run.graph.all_dependencies([holder]):  # an edge back would be a cycle
        run.errors.append((addr, f"{addr} is inside {holder}, which is replaced, but {holder} depends on it"))
        return
    run.graph.add_edge(addr, holder)  # made again only once its holder is
    if holder not in change.waits_for:
        change.waits_for = sorted({*change.waits_for, holder})
    if change.action in (Action.NOOP, Action.UPDATE, Action.ADOPT):
        change.action = Action.REPLACE
        change.keeps_previous = False
        change.reason = f"{holder} is replaced, which deletes this object with it ({path}); made again after it"
        run.resolver.pending.add(addr)


async def count_content_loss(run: PlanRun, sem: asyncio.Semaphore) -> None:
    """Step 3b: for every delete and replacement (of an object this tool deletes), how much user
    content it destroys (``Provider.content_loss``), as ``content_loss`` and a note."""

    async def count(change: PlannedChange, obs: Observed) -> None:
        provider = run.providers[change.kind]
        async with sem:
            n = await provider.content_loss(obs, run.records.get(change.address))
        if n > 0:
            change.content_loss = n
            unit = provider.content_unit + ("" if n == 1 else "s")
            allowed = "" if _content_loss_allowed(run, change.address) else (
                "; apply refuses it unless the resource sets lifecycle: {allow_content_loss: true}"
                " or the run passes --allow-content-loss"
            )  # fmt: skip
            change.notes.append(f"deletes {obs.remote_id} and its {n} {unit}{allowed}")

    todo = [
        count(c, obs)
        for c in run.changes.values()
        if c.action in (Action.DELETE, Action.REPLACE) and not c.keeps_previous
        and (obs := run.observed.get(c.address)) is not None
    ]  # fmt: skip
    await asyncio.gather(*todo)


def _content_loss_allowed(run: PlanRun, addr: str) -> bool:
    res = run.desired.get(addr)
    return res is not None and res.allow_content_loss


def schedule_checks(run: PlanRun) -> list[str]:
    """Step 4: health checks to run after apply, in dependency order: for resources that change,
    depend on a change, or whose last check did not pass. A no-op with a check is marked."""
    changed = {a for a, c in run.changes.items() if c.action.is_change}
    checks: list[str] = []
    for addr in run.graph.topological_order():
        spec = run.specs.get(addr)
        if spec is None or not run.providers[run.desired[addr].kind].health_check(spec):
            continue
        rec = run.records.get(addr)
        upstream = run.graph.all_dependencies([addr]) | {addr}
        if upstream & changed or rec is None or rec.check_status != "passed":
            checks.append(addr)
            if addr in run.changes and run.changes[addr].action == Action.NOOP:
                run.changes[addr].health_check = True
    return checks


def order_plan(run: PlanRun, checks: list[str], *, refresh_only: bool) -> Plan:
    """Step 5: the plan's changes in dependency order, then deletions and forgets in reverse order.
    A refresh-only plan keeps only the drift."""
    order = {a: i for i, a in enumerate(run.graph.topological_order())}
    listed = [c for c in run.changes.values() if c.is_listed]
    removals = (Action.DELETE, Action.FORGET)
    deletes = sorted((c for c in listed if c.action in removals), key=lambda c: -order[c.address])
    others = sorted((c for c in listed if c.action not in removals), key=lambda c: order[c.address])
    if refresh_only:
        others, deletes, checks = [], [], []
    return Plan(
        changes=others + deletes,
        unchanged=sum(1 for c in run.changes.values() if not c.is_listed),
        checks=checks,
        drift=sorted(run.drift, key=lambda d: order[d.address]),
        refresh_only=refresh_only,
        warnings=run.warnings,
        lineage=run.state.lineage,
        serial=run.state.serial,
    )


async def make_plan(
    desired: Mapping[str, DesiredResource],
    state: StateBackend,
    providers: Providers,
    *,
    config_digest: str = "",
    targets: Collection[str] = (),
    force_replace: Collection[str] = (),
    concurrency: int = 10,
    refresh_only: bool = False,
    destroy: bool = False,
    precheck: Callable[[Mapping[str, StateRecord]], None] | None = None,
) -> PlanResult:
    """Refresh every resource and compute the plan (the steps of the module docstring).

    ``targets``: limit the plan to these addresses and what they depend on. ``force_replace``:
    addresses to replace even if unchanged. ``concurrency``: bulk refreshes at once.
    ``refresh_only``: plan no action, only report drift (changes made outside this tool since the
    last apply; accept them with ``accept_drift``). ``destroy``: plan as if ``desired`` were empty
    (``plan -destroy``): every resource in state leaves, and the reasons say a destroy was asked
    for. ``precheck``: called with the state's records (address -> record) as soon as they are
    read, before any request; what it raises propagates (the CLI's check that every connection the
    state's objects live on is still declared). Raises CycleError on a dependency cycle and
    PlanError with every problem found (invalid specs once resolved, provider notes of severity
    ``error``, ``prevent_destroy`` violations). Provider/client exceptions during refresh propagate.
    """
    if destroy:
        desired = {}
    run = PlanRun.start(desired, state, providers, targets)
    if precheck is not None:
        precheck(run.records)
    run.force_replace = force_replace
    run.leaving = DESTROY_REQUESTED if destroy else REMOVED
    sem = asyncio.Semaphore(concurrency)
    shared: dict[Any, Any] = {}
    try:
        prefetch(run, shared)
        for wave in run.waves:
            await refresh_wave(run, parse_wave(run, wave), sem)
            drift_wave(run, wave)
            decide_wave(run, wave)
        contained_changes(run)
        if run.errors:
            raise PlanError(run.errors)
        await count_content_loss(run, sem)
    finally:
        shared.clear()
    plan = order_plan(run, schedule_checks(run), refresh_only=refresh_only)
    plan.config_digest, plan.targets = config_digest, sorted(targets)
    return PlanResult(
        plan, run.graph, dict(desired), run.specs, run.observed, run.records, dict(run.resolver.resolved)
    )


def accept_drift(result: PlanResult, state: StateBackend) -> list[str]:
    """Accept the drift of a plan into state: changed objects get their observed attributes and
    outputs recorded, vanished ones are removed from state. Returns the addresses touched."""
    touched = []
    for item in result.plan.drift:
        rec = result.records.get(item.address)
        if rec is None:
            continue
        if item.deleted:
            state.remove(item.address)
        else:
            obs = result.observed[item.address]
            assert obs is not None
            for change in item.changes:
                rec.attributes[change.path] = change.after
            rec.outputs.update(obs.outputs)
            state.put(rec)
        touched.append(item.address)
    return touched

"""Refresh and plan.

``make_plan`` walks the dependency graph in waves. For each wave it resolves the resources'
references from what earlier waves observed (or marks them known after apply), asks each kind's
provider to observe all of that wave's resources of the kind in one bulk call, and compares desired
with observed. The result is a ``PlanResult``: the ``Plan`` (what a reviewer reads) plus what apply
needs (parsed specs, observations, the graph).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.refs import AttrRef

from .diff import diff_attributes, normalise
from .errors import PlanError
from .graph import DependencyGraph
from .model import SENSITIVE_MASK, UNKNOWN, Action, DriftItem, FieldChange, Note, Observed, Plan, PlannedChange
from .provider import Provider, RefreshItem, SpecError
from .resolve import resolve_data, unresolved_paths
from .state import StateRecord, StateStore


@dataclass
class DesiredResource:
    """A resource as the configuration declares it.

    ``data``: plain values (secrets in clear, in memory only); strings may hold
    ``${kind.name.attr}`` references. ``depends_on``: addresses of every dependency (typed name
    references, attribute references, explicit ``depends_on``).
    """

    address: str
    kind: str
    name: str
    data: dict[str, Any]
    depends_on: set[str] = field(default_factory=set)
    prevent_destroy: bool = False


@dataclass
class PlanResult:
    """The plan plus what apply needs to carry it out."""

    plan: Plan
    graph: DependencyGraph
    desired: dict[str, DesiredResource]
    specs: dict[str, Any]
    observed: dict[str, Observed | None]
    records: dict[str, StateRecord]


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


def _closure_for_targets(graph: DependencyGraph, targets: Collection[str]) -> set[str]:
    return set(targets) | graph.all_dependencies(targets)


async def make_plan(
    desired: Mapping[str, DesiredResource],
    state: StateStore,
    providers: Mapping[str, Provider],
    *,
    config_digest: str = "",
    targets: Collection[str] = (),
    force_replace: Collection[str] = (),
    concurrency: int = 10,
    refresh_only: bool = False,
) -> PlanResult:
    """Refresh every resource and compute the plan.

    ``targets``: limit the plan to these addresses and what they depend on. ``force_replace``:
    addresses to replace even if unchanged. ``refresh_only``: plan no action, only report drift
    (changes made outside this tool since the last apply; accept them with ``accept_drift``).
    Raises CycleError on a dependency cycle and PlanError with every problem found (invalid specs
    once resolved, provider errors of severity ``error``, ``prevent_destroy`` violations).
    Provider/client exceptions during refresh propagate.
    """
    records = state.records()
    graph = build_graph(desired, records)
    waves = graph.generations()  # raises CycleError
    scope: set[str] | None = _closure_for_targets(graph, targets) if targets else None
    unknown_targets = [t for t in targets if t not in desired and t not in records]
    errors: list[tuple[str | None, str]] = [(t, "no such resource to target") for t in unknown_targets]
    warnings: list[Note] = []

    specs: dict[str, Any] = {}
    resolved: dict[str, dict[str, Any]] = {}
    observed: dict[str, Observed | None] = {}
    changes: dict[str, PlannedChange] = {}
    drift: list[DriftItem] = []
    sem = asyncio.Semaphore(concurrency)

    def lookup(ref: AttrRef) -> Any:
        producer = ref.address
        change = changes.get(producer)
        data = resolved.get(producer, {})
        pending = change is not None and change.action in (Action.CREATE, Action.REPLACE, Action.ADOPT)
        if ref.attr in data and not isinstance(data[ref.attr], dict | list):
            value = data[ref.attr]
            if not unresolved_paths({ref.attr: value}):
                return value
        if pending:
            return UNKNOWN
        obs = observed.get(producer)
        if obs is not None and ref.attr in obs.outputs:
            return obs.outputs[ref.attr]
        rec = records.get(producer)
        if rec is not None and ref.attr in rec.outputs:
            return rec.outputs[ref.attr]
        return UNKNOWN

    for wave in waves:
        batch: dict[str, list[RefreshItem]] = {}
        for addr in wave:
            if scope is not None and addr not in scope:
                continue
            res = desired.get(addr)
            rec = records.get(addr)
            if res is None:
                if rec is None:
                    continue
                kind = rec.kind
                spec = None
            else:
                kind = res.kind
                provider = providers[kind]
                data = resolve_data(res.data, lookup)
                resolved[addr] = data
                try:
                    spec = provider.parse(addr, data)
                except SpecError as exc:
                    errors.extend((addr, m) for m in exc.messages)
                    continue
                specs[addr] = spec
            if kind not in providers:
                errors.append((addr, f"no provider for kind {kind!r}"))
                continue
            batch.setdefault(kind, []).append(RefreshItem(addr, spec, rec))

        async def refresh_kind(kind: str, items: list[RefreshItem]) -> dict[str, Observed | None]:
            async with sem:
                return await providers[kind].refresh(items)

        kinds = sorted(batch)
        results = await asyncio.gather(*(refresh_kind(k, batch[k]) for k in kinds))
        for kind, got in zip(kinds, results, strict=True):
            for item in batch[kind]:
                observed[item.address] = got.get(item.address)

        for addr in wave:
            if addr in observed and addr in records:
                drifted = detect_drift(addr, records[addr], observed[addr])
                if drifted is not None:
                    drift.append(drifted)
        for addr in wave:
            if addr not in observed:
                continue
            provider = providers[(desired[addr].kind if addr in desired else records[addr].kind)]
            if addr in desired:
                if addr not in specs:
                    continue
                change = _plan_desired(
                    addr,
                    desired[addr],
                    specs[addr],
                    provider,
                    observed[addr],
                    records.get(addr),
                    state,
                    changes,
                    errors,
                    force=addr in force_replace,
                )
                for note in provider.notes(addr, specs[addr], observed[addr]):
                    if note.severity == "error":
                        errors.append((addr, note.summary + (f" ({note.detail})" if note.detail else "")))
                    else:
                        warnings.append(Note("warning", f"{addr}: {note.summary}", note.detail))
            else:
                change = _plan_orphan(addr, records[addr], provider, observed[addr], errors)
            if change is not None:
                change.waits_for = sorted(
                    d for d in graph.dependencies(addr) if d in changes and changes[d].action.is_change
                )
                if change.action.is_change:
                    change.notes.extend(
                        provider.change_notes(addr, specs.get(addr), observed.get(addr)) if addr in desired else []
                    )
                changes[addr] = change

    if errors:
        raise PlanError(errors)

    # Health checks: run after apply for resources that change, depend on a change, or failed last time.
    changed = {a for a, c in changes.items() if c.action.is_change}
    checks: list[str] = []
    for addr in graph.topological_order():
        spec = specs.get(addr)
        if spec is None or not providers[desired[addr].kind].health_check(spec):
            continue
        rec = records.get(addr)
        upstream = graph.all_dependencies([addr]) | {addr}
        if upstream & changed or rec is None or rec.check_status != "passed":
            checks.append(addr)
            if addr in changes and changes[addr].action == Action.NOOP:
                changes[addr].health_check = True

    order = {a: i for i, a in enumerate(graph.topological_order())}
    listed = [c for c in changes.values() if c.action != Action.NOOP]
    deletes = sorted((c for c in listed if c.action in (Action.DELETE, Action.FORGET)), key=lambda c: -order[c.address])
    others = sorted(
        (c for c in listed if c.action not in (Action.DELETE, Action.FORGET)), key=lambda c: order[c.address]
    )
    if refresh_only:
        others, deletes, checks = [], [], []
    plan = Plan(
        changes=others + deletes,
        unchanged=sum(1 for c in changes.values() if c.action == Action.NOOP),
        checks=checks,
        drift=sorted(drift, key=lambda d: order[d.address]),
        refresh_only=refresh_only,
        warnings=warnings,
        lineage=state.lineage,
        serial=state.serial,
        config_digest=config_digest,
        targets=sorted(targets),
    )
    return PlanResult(plan, graph, dict(desired), specs, observed, records)


def detect_drift(addr: str, rec: StateRecord, obs: Observed | None) -> DriftItem | None:
    """Differences between what was last applied (state) and what the service reports now."""
    if obs is None:
        return DriftItem(addr, rec.kind, [], deleted=True)
    changed = [
        FieldChange(k, v, obs.attributes.get(k))
        for k, v in sorted(rec.attributes.items())
        if normalise(v) != normalise(obs.attributes.get(k))
    ]
    return DriftItem(addr, rec.kind, changed) if changed else None


def accept_drift(result: PlanResult, state: StateStore) -> list[str]:
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


def secret_changes(
    addr: str, provider: Provider, spec: Any, record: StateRecord | None, state: StateStore
) -> tuple[list[FieldChange], dict[str, str]]:
    """Changes in sensitive attributes (by keyed hash against state) and the new hashes."""
    hashes: dict[str, str] = {}
    out: list[FieldChange] = []
    for name, value in sorted(provider.secrets(spec).items()):
        if unresolved_paths({name: value}):
            out.append(FieldChange(name, SENSITIVE_MASK, UNKNOWN, sensitive=True))
            continue
        digest = state.secret_hash(addr, name, value)
        hashes[name] = digest
        if record is None or record.secret_hashes.get(name) != digest:
            out.append(
                FieldChange(
                    name,
                    SENSITIVE_MASK,
                    SENSITIVE_MASK,
                    sensitive=True,
                    explanation="sensitive value changed" if record else "sensitive value set",
                )
            )
    return out, hashes


def _plan_desired(
    addr: str,
    res: DesiredResource,
    spec: Any,
    provider: Provider,
    obs: Observed | None,
    rec: StateRecord | None,
    state: StateStore,
    changes: Mapping[str, PlannedChange],
    errors: list[tuple[str | None, str]],
    *,
    force: bool,
) -> PlannedChange | None:
    want = provider.desired(spec)
    unknown = unresolved_paths(want)
    after = {k: (UNKNOWN if k in unknown else v) for k, v in want.items()}
    for name in provider.secrets(spec):
        after[name] = SENSITIVE_MASK
    pc = PlannedChange(
        address=addr,
        kind=res.kind,
        action=Action.NOOP,
        identity=provider.identity(spec),
        after=after,
        unknown=sorted(unknown),
    )
    if provider.read_only:
        if obs is None:
            errors.append((addr, f"{pc.identity or addr} was not found, and {res.kind} are never created by this tool"))
            return None
        pc.before = dict(obs.attributes)
        pc.action = Action.READ if rec is None else Action.NOOP
        pc.reason = "read from the service" if rec is None else ""
        return pc

    creator = provider.adopt_from(spec)
    if obs is None:
        if creator is not None and creator in changes and changes[creator].action in (Action.CREATE, Action.REPLACE):
            pc.action = Action.ADOPT
            pc.adopt_from = creator
            pc.reason = f"will be created by {creator}, then adopted"
            pc.changes = diff_attributes(want, {}, unknown=unknown)
            return pc
        pc.action = Action.CREATE
        if rec is not None:
            pc.reason = "drift: deleted outside this tool"
        elif creator is not None:
            pc.reason = f"not found (expected {creator} to have created it); creating it"
        else:
            pc.reason = "not found"
        pc.changes = diff_attributes(want, {}, unknown=unknown)
        pc.changes += secret_changes(addr, provider, spec, None, state)[0]
        return pc

    pc.before = dict(obs.attributes)
    diffs = diff_attributes(want, obs.attributes, replace_fields=provider.replace_fields, unknown=unknown)
    diffs += secret_changes(addr, provider, spec, rec, state)[0]
    pc.changes = diffs
    if rec is None:
        pc.action = Action.ADOPT
        pc.adopt_from = creator
        pc.reason = (
            f"created by {creator}; adopting it"
            if creator
            else "already exists; adopting it (it will not be deleted by this tool)"
        )
        return pc
    replacing = [c.path for c in diffs if c.forces_replacement]
    if force:
        pc.action = Action.REPLACE
        pc.reason = "replacement requested with --replace"
    elif replacing:
        pc.action = Action.REPLACE
        pc.reason = "cannot change in place: " + ", ".join(replacing)
    elif diffs:
        pc.action = Action.UPDATE
        drifted = [
            c.path
            for c in diffs
            if not c.sensitive
            and c.path not in unknown
            and c.path in rec.attributes
            and _same(rec.attributes[c.path], want.get(c.path))
        ]
        if drifted and len(drifted) == len([c for c in diffs if not c.sensitive]):
            pc.reason = "drift: changed outside this tool: " + ", ".join(drifted)
        else:
            pc.reason = "configuration changed"
    return pc


def _same(a: Any, b: Any) -> bool:
    return bool(normalise(a) == normalise(b))


def _plan_orphan(
    addr: str, rec: StateRecord, provider: Provider, obs: Observed | None, errors: list[tuple[str | None, str]]
) -> PlannedChange | None:
    pc = PlannedChange(address=addr, kind=rec.kind, action=Action.DELETE, before=obs.attributes if obs else None)
    if not rec.managed:
        pc.action = Action.FORGET
        pc.reason = "removed from the configuration; not created by this tool, so only forgotten (left in place)"
        note = provider.forget_note(rec) if obs is not None else None
        if note:
            pc.notes.append(note)
        return pc
    if obs is None:
        pc.action = Action.FORGET
        pc.reason = "removed from the configuration and already gone"
        return pc
    if rec.prevent_destroy:
        errors.append(
            (
                addr,
                "removed from the configuration, but lifecycle.prevent_destroy is set (kept in state);"
                " put it back, or set prevent_destroy: false and apply before removing it",
            )
        )
        return None
    pc.reason = "removed from the configuration"
    note = provider.destroy_note(rec)
    if note:
        pc.notes.append(note)
    return pc

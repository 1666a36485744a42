"""Apply: carry out a plan.

The planned actions are walked as a graph with bounded parallelism: an action starts when every
action it waits for has finished. Each action first resolves its references from the outputs its
producers actually returned, re-reads the live object (a create first looks the object up by its
natural key, so re-running an interrupted apply adopts what the first run made instead of making it
twice) and writes its outcome to state at once. A failed action skips its dependents; independent
branches go on. Health checks run last.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.refs import AttrRef

from .diff import diff_attributes
from .model import UNKNOWN, Action, CheckResult, Observed, PlannedChange
from .planner import PlanResult, secret_changes
from .provider import Provider, SpecError
from .resolve import resolve_data, unresolved_paths
from .state import StateRecord, StateStore


@dataclass
class ApplyEvent:
    """Progress of one action. ``phase``: ``start``, ``done``, ``failed``, ``skipped``, ``check``.
    ``elapsed_s`` in seconds; ``message`` is one line, secret-free."""

    address: str
    action: Action
    phase: str
    message: str = ""
    elapsed_s: float = 0.0
    remote_id: str | None = None


@dataclass
class ApplyResult:
    """Outcome by address. ``ok`` is False when anything failed or was skipped or a check failed."""

    done: dict[str, Action] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    checks: dict[str, CheckResult] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and all(c.ok for c in self.checks.values())


class ActionFailed(Exception):
    """An action could not be carried out; the message is one line for the user."""


def describe_error(exc: BaseException) -> str:
    """One line for an exception: errors meant for users (clients', providers') speak for themselves;
    built-in exceptions (a bug) get their type name so they are not mistaken for a service error."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if type(exc).__module__ == "builtins" or not text:
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text


async def apply_plan(
    result: PlanResult,
    state: StateStore,
    providers: Mapping[str, Provider],
    *,
    parallelism: int = 10,
    on_event: Callable[[ApplyEvent], None] | None = None,
) -> ApplyResult:
    """Carry out ``result.plan``. Never raises for a failed action: failures are in the result.

    ``parallelism``: how many actions run at once. ``on_event``: progress callback (called in the
    event loop's thread).
    """
    emit = on_event or (lambda e: None)
    out = ApplyResult()
    plan = result.plan
    changes = {c.address: c for c in plan.changes}
    outputs: dict[str, dict[str, Any]] = {}
    for addr, obs in result.observed.items():
        if obs is not None:
            outputs[addr] = dict(obs.outputs)
    for addr, rec in result.records.items():
        outputs.setdefault(addr, dict(rec.outputs))
    live: dict[str, Observed | None] = dict(result.observed)
    finished: dict[str, asyncio.Event] = {a: asyncio.Event() for a in changes}
    sem = asyncio.Semaphore(parallelism)
    graph = result.graph

    def lookup(ref: AttrRef) -> Any:
        data = result.desired.get(ref.address)
        if data is not None and ref.attr in data.data and not unresolved_paths({ref.attr: data.data[ref.attr]}):
            value = data.data[ref.attr]
            if not isinstance(value, dict | list):
                return value
        got = outputs.get(ref.address, {})
        return got.get(ref.attr, UNKNOWN)

    def waits_for(addr: str, change: PlannedChange) -> list[str]:
        if change.action in (Action.DELETE, Action.FORGET):
            # dependents are deleted first
            return sorted(
                d
                for d in graph.dependents(addr)
                if d in changes and changes[d].action in (Action.DELETE, Action.FORGET, Action.REPLACE)
            )
        return sorted(
            d
            for d in graph.all_dependencies([addr])
            if d in changes and changes[d].action not in (Action.DELETE, Action.FORGET)
        )

    async def run(addr: str, change: PlannedChange) -> None:
        try:
            for dep in waits_for(addr, change):
                await finished[dep].wait()
                if dep in out.failed or dep in out.skipped:
                    out.skipped[addr] = f"skipped because {dep} did not complete"
                    emit(ApplyEvent(addr, change.action, "skipped", out.skipped[addr]))
                    return
            async with sem:
                start = time.monotonic()
                emit(ApplyEvent(addr, change.action, "start"))
                try:
                    remote_id = await _execute(addr, change)
                except Exception as exc:  # a provider or client error: recorded, not raised
                    out.failed[addr] = describe_error(exc)
                    emit(ApplyEvent(addr, change.action, "failed", out.failed[addr], time.monotonic() - start))
                    return
                out.done[addr] = change.action
                emit(ApplyEvent(addr, change.action, "done", "", time.monotonic() - start, remote_id))
        finally:
            finished[addr].set()

    async def _execute(addr: str, change: PlannedChange) -> str | None:
        if change.action in (Action.DELETE, Action.FORGET):
            gone = result.records[addr]
            if change.action == Action.DELETE:
                await providers[gone.kind].delete(gone)
            elif not gone.managed:
                await providers[gone.kind].forget(gone)
            state.remove(addr)
            return gone.remote_id
        res = result.desired[addr]
        provider = providers[res.kind]
        data = resolve_data(res.data, lookup)
        try:
            spec = provider.parse(addr, data)
        except SpecError as exc:
            raise ActionFailed("invalid once references were resolved: " + "; ".join(exc.messages)) from None
        want = provider.desired(spec)
        missing = unresolved_paths(want) | unresolved_paths(provider.secrets(spec))
        if missing:
            raise ActionFailed("values still unknown after their producers finished: " + ", ".join(sorted(missing)))
        rec = state.get(addr)
        managed = rec.managed if rec is not None else change.action in (Action.CREATE, Action.REPLACE)
        if change.action == Action.REPLACE and rec is not None:
            await provider.delete(rec)
            state.remove(addr)
            rec = None
        obs: Observed | None
        if change.action == Action.ADOPT and change.adopt_from:
            obs = await _wait_for(provider, spec, rec, addr)
            if obs is None:
                raise ActionFailed(
                    f"{change.adopt_from} finished, but it did not create {provider.identity(spec) or addr}"
                )
        elif change.action == Action.READ:
            obs = await provider.lookup(spec, rec, addr)
            if obs is None:
                raise ActionFailed(f"{provider.identity(spec) or addr} was not found")
        else:
            obs = await provider.lookup(spec, rec, addr)  # live re-check / natural-key lookup
        if obs is None:
            obs = await provider.create(addr, spec)
        elif not provider.read_only:
            diffs = diff_attributes(want, obs.attributes, replace_fields=())
            secret_diffs, _ = secret_changes(addr, provider, spec, rec, state)
            if diffs or secret_diffs:
                obs = await provider.update(addr, spec, obs, diffs + secret_diffs)
        _, hashes = secret_changes(addr, provider, spec, None, state)
        live[addr] = obs
        outputs[addr] = dict(obs.outputs)
        state.put(
            StateRecord(
                address=addr,
                kind=res.kind,
                remote_id=obs.remote_id,
                managed=managed and not provider.read_only,
                prevent_destroy=res.prevent_destroy,
                secret_hashes=hashes,
                outputs=dict(obs.outputs),
                attributes={k: v for k, v in want.items()},
                dependencies=sorted(res.depends_on),
                check_status=rec.check_status if rec is not None and change.action != Action.CREATE else None,
            )
        )
        return obs.remote_id

    await asyncio.gather(*(run(a, c) for a, c in changes.items()))

    for addr in plan.checks:
        if addr in out.failed or addr in out.skipped:
            continue
        upstream = graph.all_dependencies([addr])
        if upstream & (set(out.failed) | set(out.skipped)):
            continue
        res = result.desired[addr]
        provider = providers[res.kind]
        start = time.monotonic()
        try:
            spec = provider.parse(addr, resolve_data(res.data, lookup))
            obs = live.get(addr) or await provider.lookup(spec, state.get(addr), addr)
            if obs is None:
                check = CheckResult(False, "object not found")
            else:
                check = await provider.check(addr, spec, obs)
        except Exception as exc:
            check = CheckResult(False, describe_error(exc))
        out.checks[addr] = check
        if state.get(addr) is not None:
            state.set_check_status(addr, "passed" if check.ok else "failed")
        emit(ApplyEvent(addr, Action.CHECK, "check", check.message, time.monotonic() - start))
    return out


async def _wait_for(provider: Provider, spec: Any, rec: StateRecord | None, addr: str) -> Observed | None:
    """Poll for an object another resource creates, up to ``provider.adopt_timeout_s`` seconds."""
    deadline = time.monotonic() + provider.adopt_timeout_s
    delay = 0.05
    while True:
        obs = await provider.lookup(spec, rec, addr)
        if obs is not None or time.monotonic() >= deadline:
            return obs
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)

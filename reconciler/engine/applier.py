"""Apply: carry out a plan.

The planned actions are walked as a graph with bounded parallelism: an action starts when every
action it waits for has finished. Each action first resolves its references from the outputs its
producers actually returned (the same ``Resolver`` rules as the plan; the plan's parsed spec is
reused when nothing new became known), re-reads the live object (a create first looks the object up
by its natural key, so re-running an interrupted apply adopts what the first run made instead of
making it twice) and writes its outcome to state at once. An action that raises ``TemporaryError``
is run again after its delay, a bounded number of times. A failed action skips its dependents;
independent branches go on. Health checks run last.

Safety rules: a move (``previous_address``) renames the state record, with no API call; a create
writes its intent (``state.Intent``) before the API call and clears it with the record; an object
this tool did not create is forgotten, never deleted, even when replaced; a delete or replacement
that destroys user content (``content_loss``) is refused unless the resource or the run allows it;
the record keeps the attributes the service reported after the write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .diff import diff_attributes, observed_attributes
from .errors import ActionFailed, SpecError, TemporaryError
from .model import Action, CheckResult, Observed, PlannedChange
from .planner import PlanResult
from .provider import Provider
from .resolve import Resolver, unresolved_paths
from .secrets import secret_changes
from .state import Intent, StateBackend, StateRecord

__all__ = ["ActionFailed", "ApplyEvent", "ApplyResult", "apply_plan", "describe_error"]

REMOVALS = (Action.DELETE, Action.FORGET)


@dataclass
class ApplyEvent:
    """Progress of one action. ``phase``: ``start``, ``retry`` (a temporary error; ``message`` says
    why and ``elapsed_s`` is the delay before the next attempt), ``done``, ``failed``, ``skipped``,
    ``check``. ``elapsed_s`` in seconds; ``message`` is one line, secret-free."""

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


def describe_error(exc: BaseException) -> str:
    """One line for an exception: errors meant for users (clients', providers') speak for themselves;
    built-in exceptions (a bug) get their type name so they are not mistaken for a service error."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if type(exc).__module__ == "builtins" or not text:
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text


class _Apply:
    """One apply run: the plan, the shared resolver and the live observations, the outcome."""

    def __init__(
        self,
        result: PlanResult,
        state: StateBackend,
        providers: Mapping[str, Provider[Any]],
        emit: Callable[[ApplyEvent], None],
        parallelism: int,
        retries: int,
        allow_content_loss: bool = False,
    ) -> None:
        self.result, self.state, self.providers, self.emit = result, state, providers, emit
        self.retries = retries
        self.allow_content_loss = allow_content_loss
        self.out = ApplyResult()
        self.changes = {c.address: c for c in result.plan.changes}
        self.resolver = Resolver(result.records)
        self.resolver.resolved.update(result.resolved)
        for addr, spec in result.specs.items():
            self.resolver.known[addr] = providers[result.desired[addr].kind].desired(spec)
        for addr, obs in result.observed.items():
            self.resolver.observe(addr, obs)
        self.live: dict[str, Observed | None] = dict(result.observed)
        self.intended: set[str] = set()  # addresses whose create intent this run wrote
        self.finished = {a: asyncio.Event() for a in self.changes}
        self.sem = asyncio.Semaphore(parallelism)

    def waits_for(self, addr: str, change: PlannedChange) -> list[str]:
        """The actions ``change`` waits for: for a removal its dependents' removals and replacements
        (they go first); otherwise every transitive dependency that is not removed."""
        graph, changes = self.result.graph, self.changes
        if change.action in REMOVALS:
            return sorted(
                d
                for d in graph.dependents(addr)
                if d in changes and changes[d].action in (Action.DELETE, Action.FORGET, Action.REPLACE)
            )
        return sorted(d for d in graph.all_dependencies([addr]) if d in changes and changes[d].action not in REMOVALS)

    async def run(self, addr: str, change: PlannedChange) -> None:
        """Wait for the dependencies, then run the action (retrying temporary errors); never raises."""
        try:
            for dep in self.waits_for(addr, change):
                await self.finished[dep].wait()
                if dep in self.out.failed or dep in self.out.skipped:
                    self.out.skipped[addr] = f"skipped because {dep} did not complete"
                    self.emit(ApplyEvent(addr, change.action, "skipped", self.out.skipped[addr]))
                    return
            await self._attempts(addr, change)
        finally:
            self.finished[addr].set()

    async def _attempts(self, addr: str, change: PlannedChange) -> None:
        start = time.monotonic()
        for attempt in range(self.retries + 1):
            try:
                async with self.sem:
                    if attempt == 0:
                        start = time.monotonic()
                        self.emit(ApplyEvent(addr, change.action, "start"))
                    remote_id = await self.execute(addr, change)
            except TemporaryError as exc:
                if attempt < self.retries:
                    self.emit(ApplyEvent(addr, change.action, "retry", describe_error(exc), exc.delay_s))
                    await asyncio.sleep(exc.delay_s)
                    continue
                self._failed(addr, change, exc, start)
                return
            except Exception as exc:  # a provider or client error: recorded, not raised
                self._failed(addr, change, exc, start)
                return
            self.out.done[addr] = change.action
            self.emit(ApplyEvent(addr, change.action, "done", "", time.monotonic() - start, remote_id))
            return

    def _failed(self, addr: str, change: PlannedChange, exc: Exception, start: float) -> None:
        self.out.failed[addr] = describe_error(exc)
        self.emit(ApplyEvent(addr, change.action, "failed", self.out.failed[addr], time.monotonic() - start))

    def refuse_content_loss(self, addr: str, change: PlannedChange) -> None:
        """Raise ActionFailed when ``change`` destroys user content (``content_loss``) that neither
        the resource's ``lifecycle.allow_content_loss`` nor this run allows."""
        if not content_loss_refused(self.result, change, allowed=self.allow_content_loss):
            return
        raise ActionFailed(
            f"refused: this {change.action.value} destroys {change.content_loss} piece(s) of content"
            " (see the plan); set lifecycle: {allow_content_loss: true} on the resource, or allow content"
            " loss for this run"
        )

    async def execute(self, addr: str, change: PlannedChange) -> str | None:
        """Carry out one action; returns the remote id. Raises on failure. A move
        (``previous_address``) renames the state record first."""
        self.refuse_content_loss(addr, change)
        if change.action in REMOVALS:
            return await self.remove(addr, change)
        if change.previous_address is not None and self.state.get(change.previous_address) is not None:
            self.state.move(change.previous_address, addr)  # the state record only: no API call
        if change.action == Action.NOOP:  # a move and nothing else
            moved = self.state.get(addr)
            return moved.remote_id if moved is not None else None
        res = self.result.desired[addr]
        provider = self.providers[res.kind]
        spec = self.spec_for(addr)
        want = provider.desired(spec)
        missing = unresolved_paths(want) | unresolved_paths(provider.secrets(spec))
        if missing:
            raise ActionFailed("values still unknown after their producers finished: " + ", ".join(sorted(missing)))
        rec = self.state.get(addr)
        managed = rec.managed if rec is not None else change.owned or change.action in (Action.CREATE, Action.REPLACE)
        if change.action == Action.REPLACE and rec is not None:
            if rec.managed:
                await provider.delete(rec)
            else:  # not created here: forgotten, left in place (keeps_previous)
                await provider.forget(rec)
            self.state.remove(addr)
            rec = None
        elif change.action == Action.REPLACE:  # an adopted object that cannot be changed in place
            found = await provider.lookup(spec, None, addr)
            if found is not None:
                existing = StateRecord(addr, res.kind, found.remote_id, managed=False, outputs=dict(found.outputs))
                await provider.delete(existing)
        obs = await self.write(addr, change, provider, spec, want, rec)
        self.record(addr, change, provider, spec, want, obs, rec, managed=managed)
        return obs.remote_id

    async def remove(self, addr: str, change: PlannedChange) -> str:
        """Delete (or, for an adopted object, forget) a resource that left the configuration."""
        gone = self.result.records[addr]
        if change.action == Action.DELETE:
            await self.providers[gone.kind].delete(gone)
        elif not gone.managed:
            await self.providers[gone.kind].forget(gone)
        self.state.remove(addr)
        return gone.remote_id

    def spec_for(self, addr: str) -> Any:
        """The spec of ``addr`` with what is known now: the plan's parsed spec when resolving gives
        the same data as at plan time, else a new parse. Raises ActionFailed for an invalid spec."""
        desired = self.result.desired[addr]
        data = self.resolver.resolve(addr, desired.data, refs=desired.has_refs)
        if addr in self.result.specs and data == self.result.resolved.get(addr):
            return self.result.specs[addr]
        try:
            return self.providers[desired.kind].parse(addr, data)
        except SpecError as exc:
            raise ActionFailed("invalid once references were resolved: " + "; ".join(exc.messages)) from None

    async def write(
        self,
        addr: str,
        change: PlannedChange,
        provider: Provider[Any],
        spec: Any,
        want: dict[str, Any],
        rec: StateRecord | None,
    ) -> Observed:
        """Look the live object up (waiting for it when another resource creates it), then create
        it or update what differs. Returns what the service reports afterwards."""
        if change.adopt_from and change.action in (Action.ADOPT, Action.REPLACE):
            obs = await _wait_for(provider, spec, rec, addr)
            if obs is None:
                what = provider.identity(spec) or addr
                raise ActionFailed(f"{change.adopt_from} finished, but it did not create {what}")
        else:
            obs = await provider.lookup(spec, rec, addr)  # live re-check / natural-key lookup
            if obs is None and change.action == Action.READ:
                raise ActionFailed(f"{provider.identity(spec) or addr} was not found")
        if obs is None and addr not in self.result.records and self.result.desired[addr].import_id is not None:
            # an import the plan found to adopt (in the plan's state already, the block is done)
            raise ActionFailed(f"{provider.identity(spec) or addr} is gone since the plan; an import never creates")
        if obs is None:
            # the intent first: a run that stops after the create but before its record still knows
            self.state.put_intent(Intent(addr, self.result.desired[addr].kind, provider.identity(spec)))
            self.intended.add(addr)
            return await provider.create(addr, spec)
        if not provider.read_only:
            diffs = diff_attributes(want, obs.attributes, replace_fields=())
            secret_diffs, _ = secret_changes(addr, provider, spec, rec, self.state)
            if diffs or secret_diffs:
                return await provider.update(addr, spec, obs, diffs + secret_diffs)
        return obs

    def record(
        self,
        addr: str,
        change: PlannedChange,
        provider: Provider[Any],
        spec: Any,
        want: dict[str, Any],
        obs: Observed,
        rec: StateRecord | None,
        *,
        managed: bool,
    ) -> None:
        """Write the outcome of an action to state at once, and make its outputs known. The record
        keeps the attributes the service reported after the write (``observed_attributes``), so
        that the next plan's drift is only what changed outside this tool."""
        res = self.result.desired[addr]
        _, hashes = secret_changes(addr, provider, spec, None, self.state)
        self.live[addr] = obs
        self.resolver.observe(addr, obs)
        check_status = rec.check_status if rec is not None and change.action != Action.CREATE else None
        self.state.put(
            StateRecord(
                address=addr,
                kind=res.kind,
                remote_id=obs.remote_id,
                managed=managed and not provider.read_only,
                prevent_destroy=res.prevent_destroy,
                secret_hashes=hashes,
                outputs=dict(obs.outputs),
                attributes=observed_attributes(want, obs),
                dependencies=sorted(res.depends_on),
                check_status=check_status,
            )
        )
        if addr in self.intended or change.owned:
            self.state.clear_intent(addr)

    async def run_checks(self) -> None:
        """The plan's health checks, for resources whose apply and dependencies all went through."""
        not_done = set(self.out.failed) | set(self.out.skipped)
        for addr in self.result.plan.checks:
            if addr in not_done or self.result.graph.all_dependencies([addr]) & not_done:
                continue
            provider = self.providers[self.result.desired[addr].kind]
            start = time.monotonic()
            try:
                spec = self.spec_for(addr)
                obs = self.live.get(addr) or await provider.lookup(spec, self.state.get(addr), addr)
                check = CheckResult(False, "object not found") if obs is None else await provider.check(addr, spec, obs)
            except Exception as exc:
                check = CheckResult(False, describe_error(exc))
            self.out.checks[addr] = check
            if self.state.get(addr) is not None:
                self.state.set_check_status(addr, "passed" if check.ok else "failed")
            self.emit(ApplyEvent(addr, Action.CHECK, "check", check.message, time.monotonic() - start))


def content_loss_refused(result: PlanResult, change: PlannedChange, *, allowed: bool) -> bool:
    """Whether apply refuses ``change`` (a change of ``result``'s plan): it destroys user content
    (``content_loss`` > 0) that neither the run (``allowed``: ``--allow-content-loss``) nor the
    resource's ``lifecycle.allow_content_loss`` allows. The CLI asks it of every change before the
    apply starts; the applier asks it again before each action."""
    if change.content_loss <= 0 or allowed:
        return False
    res = result.desired.get(change.address)
    return res is None or not res.allow_content_loss


async def apply_plan(
    result: PlanResult,
    state: StateBackend,
    providers: Mapping[str, Provider[Any]],
    *,
    parallelism: int = 10,
    retries: int = 3,
    on_event: Callable[[ApplyEvent], None] | None = None,
    allow_content_loss: bool = False,
) -> ApplyResult:
    """Carry out ``result.plan``. Never raises for a failed action: failures are in the result.

    ``parallelism``: how many actions run at once. ``retries``: how many more times an action that
    raised ``TemporaryError`` is run (each after the error's ``delay_s``). ``on_event``: progress
    callback (called in the event loop's thread). ``allow_content_loss``: this run may carry out
    deletes and replacements that destroy user content (``PlannedChange.content_loss``); without it
    (and without the resource's ``lifecycle.allow_content_loss``) such an action fails, refused.
    """
    run = _Apply(result, state, providers, on_event or (lambda e: None), parallelism, retries, allow_content_loss)
    await asyncio.gather(*(run.run(a, c) for a, c in run.changes.items()))
    await run.run_checks()
    return run.out


async def _wait_for(provider: Provider[Any], spec: Any, rec: StateRecord | None, addr: str) -> Observed | None:
    """Poll for an object another resource creates, up to ``provider.adopt_timeout_s`` seconds."""
    deadline = time.monotonic() + provider.adopt_timeout_s
    delay = 0.05
    while True:
        obs = await provider.lookup(spec, rec, addr)
        if obs is not None or time.monotonic() >= deadline:
            return obs
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)

"""Decide the action of one resource, from its desired spec, what was observed and its state record.

Pure functions, no network: the planner calls ``decide_desired`` for a resource in the
configuration, ``decide_orphan`` for one only in state, and ``detect_drift`` for every resource in
state. Problems that stop the plan are appended to ``errors`` as ``(address, message)`` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .diff import diff_attributes, same_value
from .model import SENSITIVE_MASK, UNKNOWN, Action, DriftItem, FieldChange, Observed, PlannedChange
from .provider import Provider
from .resolve import unresolved_paths
from .secrets import secret_changes
from .state import StateBackend, StateRecord

Errors = list[tuple[str | None, str]]

#: actions after which a resource's outputs are known only once apply ran (an adopt only when it waits
#: for its creator; the planner takes an adopted object's observed outputs as known)
PENDING_ACTIONS = (Action.CREATE, Action.REPLACE, Action.ADOPT)


def detect_drift(addr: str, rec: StateRecord, obs: Observed | None) -> DriftItem | None:
    """Differences between what was last applied (state) and what the service reports now."""
    if obs is None:
        return DriftItem(addr, rec.kind, [], deleted=True)
    changed = [
        FieldChange(k, v, obs.attributes.get(k))
        for k, v in sorted(rec.attributes.items())
        if not same_value(v, obs.attributes.get(k))
    ]
    return DriftItem(addr, rec.kind, changed) if changed else None


def decide_desired(
    addr: str,
    kind: str,
    spec: Any,
    provider: Provider[Any],
    obs: Observed | None,
    rec: StateRecord | None,
    state: StateBackend,
    changes: Mapping[str, PlannedChange],
    errors: Errors,
    *,
    force: bool,
) -> PlannedChange | None:
    """The planned change of a configured resource (a no-op included), or None after an error.

    ``changes``: the actions decided so far (earlier waves), to see whether ``adopt_from`` is being
    created. ``force``: ``--replace`` was asked for this address.
    """
    want = provider.desired(spec)
    unknown = unresolved_paths(want)
    after = {k: (UNKNOWN if k in unknown else v) for k, v in want.items()}
    after.update(dict.fromkeys(provider.secrets(spec), SENSITIVE_MASK))
    pc = PlannedChange(addr, kind, Action.NOOP, identity=provider.identity(spec), after=after, unknown=sorted(unknown))
    if provider.read_only:
        return _read_only(pc, obs, rec, errors)
    creator = provider.adopt_from(spec)
    if obs is None:
        pc.changes = diff_attributes(want, {}, unknown=unknown)
        if creator is not None and creator in changes and changes[creator].action in (Action.CREATE, Action.REPLACE):
            pc.action, pc.adopt_from = Action.ADOPT, creator
            pc.reason = f"will be created by {creator}, then adopted"
            return pc
        pc.action, pc.reason = Action.CREATE, _create_reason(rec, creator)
        pc.changes += secret_changes(addr, provider, spec, None, state)[0]
        return pc
    pc.before = dict(obs.attributes)
    pc.changes = diff_attributes(want, obs.attributes, replace_fields=provider.replace_fields, unknown=unknown)
    pc.changes += secret_changes(addr, provider, spec, rec, state)[0]
    if rec is None:
        intent = state.intents().get(addr)
        pc.owned = intent is not None and intent.kind == kind and intent.natural_key == pc.identity
        return _decide_adopt(pc, creator, errors, force=force)
    _decide_existing(pc, want, unknown, rec, force=force)
    if pc.action == Action.REPLACE and not rec.managed:
        _keep_previous(pc, rec, creator, changes)
    return pc


def _keep_previous(
    pc: PlannedChange, rec: StateRecord, creator: str | None, changes: Mapping[str, PlannedChange]
) -> None:
    """A replacement of an object this tool did not create: the old one is only forgotten."""
    pc.keeps_previous = True
    made = creator is not None and creator in changes and changes[creator].action in (Action.CREATE, Action.REPLACE)
    pc.adopt_from = creator if made else None
    then = f"the new one is adopted once {creator} has made it" if made else "the new one is created"
    pc.notes.append(
        f"{rec.remote_id} was not created by this tool: it is forgotten (left in place, not deleted); {then}"
    )


def _decide_adopt(pc: PlannedChange, creator: str | None, errors: Errors, *, force: bool) -> PlannedChange | None:
    """An existing object this tool has no record of (``pc.changes``: desired vs observed): adopt it,
    and when it differs, count it as what apply will do to it: an update in place, or a replacement
    (the observed object is deleted and made again; a note says so, as it was not created here).
    ``pc.owned`` (a create intent matched) makes it this tool's own object, recorded as managed.

    A replacement of an object nothing declared here made (no ``creator``, not ``owned``) would
    destroy what this tool did not create: it is a plan error (appended to ``errors``; returns None)
    unless ``force`` (``-replace=ADDR``) asks for it."""
    pc.adopt_from = creator
    found = f"created by {creator}" if creator else "already exists (this state has no record of it)"
    if pc.owned:
        found = "created by an interrupted apply of this tool (its create intent is in state); managed"
    forcing = [c for c in pc.changes if c.forces_replacement]
    replacing = [c.path for c in forcing]
    if forcing and creator is None and not pc.owned and not force:
        keep = "; ".join(f"{c.path}: {_shown(c.before)} (configured: {_shown(c.after)})" for c in forcing)
        errors.append((
            pc.address,
            f"{pc.identity or pc.address} exists and is not in this state, but"
            f" {', '.join(replacing)} cannot change in place: adopting it would delete the existing object"
            f" (and what it holds) and create it again. To adopt it, set what exists: {keep}. To replace"
            f" it anyway, plan with -replace={pc.address}",
        ))
        return None
    if replacing:
        pc.action = Action.REPLACE
        pc.reason = f"{found}; adopting it, but {', '.join(replacing)} cannot change in place"
        if not pc.owned:
            pc.notes.append(
                "this object was not created by this tool: replacing it deletes the existing object (and what it"
                " holds) and creates it again; to keep it, set the configuration to what exists"
            )
    elif any(c for c in pc.changes):
        pc.action = Action.UPDATE
        pc.reason = f"{found}; adopting it and updating " + ", ".join(c.path for c in pc.changes)
    else:
        pc.action = Action.ADOPT
        pc.reason = (
            found
            if pc.owned
            else f"created by {creator}; adopting it"
            if creator
            else "already exists; adopting it (it will not be deleted by this tool)"
        )
    return pc


def _shown(value: Any) -> str:
    """A field value as the configuration would spell it (YAML-ish), for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null (unset)"
    return repr(value) if isinstance(value, str) else str(value)


def _read_only(
    pc: PlannedChange, obs: Observed | None, rec: StateRecord | None, errors: Errors
) -> PlannedChange | None:
    """A kind this tool never creates (``orgs``): read it, or fail the plan when it is missing."""
    if obs is None:
        what = pc.identity or pc.address
        errors.append((pc.address, f"{what} was not found, and {pc.kind} are never created by this tool"))
        return None
    pc.before = dict(obs.attributes)
    pc.action = Action.READ if rec is None else Action.NOOP
    pc.reason = "read from the service" if rec is None else ""
    return pc


def _create_reason(rec: StateRecord | None, creator: str | None) -> str:
    if rec is not None:
        return "drift: deleted outside this tool"
    if creator is not None:
        return f"not found (expected {creator} to have created it); creating it"
    return "not found"


def _decide_existing(
    pc: PlannedChange, want: Mapping[str, Any], unknown: set[str], rec: StateRecord, *, force: bool
) -> None:
    """Replace, update or no-op for an object this tool manages (``pc.changes`` already set)."""
    diffs = pc.changes
    replacing = [c.path for c in diffs if c.forces_replacement]
    if force:
        pc.action, pc.reason = Action.REPLACE, "replacement requested with --replace"
    elif replacing:
        pc.action, pc.reason = Action.REPLACE, "cannot change in place: " + ", ".join(replacing)
    elif diffs:
        pc.action = Action.UPDATE
        drifted = [
            c.path
            for c in diffs
            if not c.sensitive
            and c.path not in unknown
            and c.path in rec.attributes
            and same_value(rec.attributes[c.path], want.get(c.path))
        ]
        if drifted and len(drifted) == len([c for c in diffs if not c.sensitive]):
            pc.reason = "drift: changed outside this tool: " + ", ".join(drifted)
        else:
            pc.reason = "configuration changed"


#: why a resource only in state leaves it (``decide_orphan``'s ``leaving``)
REMOVED = "removed from the configuration"
DESTROY_REQUESTED = "destroy requested (plan -destroy)"


def decide_orphan(
    addr: str, rec: StateRecord, provider: Provider[Any], obs: Observed | None, errors: Errors,
    *, leaving: str = REMOVED,
) -> PlannedChange | None:
    """Delete or forget a resource that leaves the state's management (``leaving``: why, the start
    of every reason: ``REMOVED`` or ``DESTROY_REQUESTED``); None (and an error) when
    ``prevent_destroy`` keeps it."""
    pc = PlannedChange(address=addr, kind=rec.kind, action=Action.DELETE, before=obs.attributes if obs else None)
    if not rec.managed:
        pc.action = Action.FORGET
        pc.reason = f"{leaving}; not created by this tool, so only forgotten (left in place)"
        note = provider.forget_note(rec) if obs is not None else None
        if note:
            pc.notes.append(note)
        pc.effect = provider.removal_effect(rec) if obs is not None else None
        return pc
    if obs is None:
        pc.action = Action.FORGET
        pc.reason = f"{leaving} and already gone"
        return pc
    if rec.prevent_destroy:
        fix = (
            "set prevent_destroy: false and apply before destroying it"
            if leaving == DESTROY_REQUESTED
            else "put it back, or set prevent_destroy: false and apply before removing it"
        )
        errors.append((addr, f"{leaving}, but lifecycle.prevent_destroy is set (kept in state); {fix}"))
        return None
    pc.reason = leaving
    note = provider.destroy_note(rec)
    if note:
        pc.notes.append(note)
    pc.effect = provider.removal_effect(rec)
    return pc

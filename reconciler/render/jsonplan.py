"""The versioned JSON form of a plan (``plan -json``, plan files, ``show -json``).

Format (``format_version`` "1.0")::

    {"format_version": "1.0", "tool": {"name", "version"},
     "lineage", "serial", "config_digest", "targets": [...], "replace": [...],
     "summary": {"create": n, ..., "unchanged": n, "has_changes": bool, "content_loss": n,
                 "delete_object_kept": n},
     "resource_changes": [{"address", "previous_address", "kind", "actions": [...], "reason",
                           "identity", "waits_for",
                           "before", "after", "after_unknown": [...], "sensitive": [...],
                           "changes": [{"path", "before", "after", "sensitive", "forces_replacement"}],
                           "notes": [...], "content_loss": n, "drift": bool,
                           "effect": null | {"planned", "done", "object_kept"}}],
     "checks": [...], "warnings": [{"summary", "detail"}], "refresh_only": bool,
     "resource_drift": [{"address", "kind", "deleted", "changes": [{"path", "before", "after"}]}]}

The JSON Schema is ``schemas/plan.schema.json``; a test validates real output against it.

``previous_address`` (as in Terraform's JSON plan) is the address a moved resource's state record
had; a move with nothing else to do has ``"actions": ["no-op"]``. ``summary.move`` counts moves.
``content_loss`` is how much user content (a folder's assets) a delete or replacement destroys (its
note says what: "deletes /content/dam/x and its 37 assets"); ``summary.content_loss`` is the total over
the plan, so a pipeline can refuse a plan that loses content without reading the notes.

``effect`` says what a delete or forget really does when its action alone would mislead
(``PlannedChange.effect``): ``planned`` ("will lose the memberships this tool added (Marketing
Cloud); the account stays"), ``done`` (the same, once applied) and ``object_kept`` (the remote object
stays in its service: such a ``delete`` deletes nothing, and the text view shows it as a forget).
``actions`` stay the engine's, for compatibility. ``summary.delete_object_kept`` counts those
deletes, so ``summary.delete - summary.delete_object_kept`` and ``summary.forget +
summary.delete_object_kept`` are the text plan's "to delete" and "to forget".

Sensitive values appear only as ``"(sensitive)"``; unknown values as ``null`` with the path listed
in ``after_unknown``.
"""

from __future__ import annotations

from typing import Any

from reconciler import __version__
from reconciler.engine import Action, Plan, PlannedChange, Unknown

FORMAT_VERSION = "1.0"


def _clean(value: Any) -> Any:
    if isinstance(value, Unknown):  # known after apply (listed in after_unknown)
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _actions(c: PlannedChange) -> list[str]:
    if c.action == Action.REPLACE:
        return ["forget", "create"] if c.keeps_previous else ["delete", "create"]
    return [c.action.value]


def change_json(c: PlannedChange) -> dict[str, Any]:
    """One ``resource_changes`` entry (see the module docstring)."""
    return {
        "address": c.address,
        "previous_address": c.previous_address,
        "kind": c.kind,
        "actions": _actions(c),
        "reason": c.reason,
        "identity": c.identity,
        "waits_for": c.waits_for,
        "before": _clean(c.before),
        "after": _clean(c.after) if c.action not in (Action.DELETE, Action.FORGET) else None,
        "after_unknown": c.unknown,
        "sensitive": sorted(f.path for f in c.changes if f.sensitive),
        "changes": [
            {
                "path": f.path,
                "before": _clean(f.before),
                "after": _clean(f.after),
                "sensitive": f.sensitive,
                "forces_replacement": f.forces_replacement,
            }
            for f in c.changes
        ],
        "notes": c.notes,
        "content_loss": c.content_loss,
        "drift": c.reason.startswith("drift"),
        "effect": None
        if c.effect is None
        else {"planned": c.effect.planned, "done": c.effect.done, "object_kept": c.effect.kept},
    }


def plan_json(plan: Plan, *, replace: list[str] | None = None) -> dict[str, Any]:
    """The plan as a JSON-ready dict (see the module docstring)."""
    summary: dict[str, Any] = {a.value: 0 for a in Action if a not in (Action.NOOP, Action.CHECK)}
    summary["move"] = 0
    summary.update(plan.counts())
    summary["unchanged"] = plan.unchanged
    summary["checks"] = len(plan.checks)
    summary["has_changes"] = plan.has_changes
    summary["content_loss"] = sum(c.content_loss for c in plan.changes)
    summary["delete_object_kept"] = sum(1 for c in plan.changes if c.shown_action != c.action)
    return {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "aem-assets-reconciler", "version": __version__},
        "lineage": plan.lineage,
        "serial": plan.serial,
        "config_digest": plan.config_digest,
        "targets": plan.targets,
        "replace": sorted(replace or []),
        "summary": summary,
        "resource_changes": [change_json(c) for c in plan.changes],
        "checks": plan.checks,
        "warnings": [{"summary": w.summary, "detail": w.detail} for w in plan.warnings],
        "refresh_only": plan.refresh_only,
        "resource_drift": [
            {
                "address": d.address,
                "kind": d.kind,
                "deleted": d.deleted,
                "changes": [{"path": f.path, "before": _clean(f.before), "after": _clean(f.after)} for f in d.changes],
            }
            for d in plan.drift
        ],
    }

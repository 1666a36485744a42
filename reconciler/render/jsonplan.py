"""The versioned JSON form of a plan (``plan -json``, plan files, ``show -json``).

Format (``format_version`` "1.0")::

    {"format_version": "1.0", "tool": {"name", "version"},
     "lineage", "serial", "config_digest", "targets": [...], "replace": [...],
     "summary": {"create": n, ..., "unchanged": n, "has_changes": bool, "content_loss": n,
                 "delete_object_kept": n},
     "resource_changes": [{"address", "previous_address", "kind", "actions": [...], "reason",
                           "identity", "waits_for",
                           "before", "after", "after_unknown": [...], "sensitive": [...],
                           "changes": [{"path", "before", "after", "sensitive", "forces_replacement",
                                        "known_after_apply", "explanation"}],
                           "notes": [...], "content_loss": n, "drift": bool,
                           "effect": null | {"planned", "done", "object_kept"}}],
     "checks": [...], "warnings": [{"summary", "detail", "source", "location"}], "refresh_only": bool,
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
in ``after_unknown`` (a change's ``known_after_apply`` says the same of its ``after``, sensitive ones
included). A change's ``explanation`` is the plan's comment on it ("added: ..."; ``""`` for none).

``warnings``: ``source`` ``plan`` (the planner's, e.g. a provider's note) or ``configuration`` (loading
the configuration: a secret written in clear, an unset variable with a default, a change that
cannot be made in place; ``ConfigWarning``); ``location`` is where (``file:line:col``, else the
address, else ``""``), and a configuration warning's ``summary`` starts with it. ``detail`` may
have several lines (a configuration warning's last ones are its hint, ``hint: ...``).

``plan_from_json`` turns the document back into the engine ``Plan`` it was made from, for ``show
PLANFILE`` to render it as ``plan`` did. ``known_after_apply``, ``explanation``, ``source`` and
``location`` are newer than the format's first files: readers must accept their absence.
"""

from __future__ import annotations

from typing import Any

from reconciler import __version__
from reconciler.engine import UNKNOWN, Action, DriftItem, FieldChange, Note, Plan, PlannedChange, Unknown
from reconciler.engine.model import Effect

from .config_warnings import SOURCE, ConfigWarning

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
                "known_after_apply": isinstance(f.after, Unknown),
                "explanation": f.explanation,
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


def _warning_json(w: Note) -> dict[str, Any]:
    if isinstance(w, ConfigWarning):
        return {"summary": w.summary, "detail": w.detail, "source": SOURCE, "location": w.location}
    return {"summary": w.summary, "detail": w.detail, "source": "plan", "location": ""}


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
        "warnings": [_warning_json(w) for w in plan.warnings],
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


def plan_from_json(doc: dict[str, Any]) -> Plan:
    """The engine ``Plan`` a JSON plan (``plan_json``'s output, e.g. the ``plan`` of a saved plan
    file) was made from, so that ``show PLANFILE`` renders it as ``plan`` printed it
    (``TextRenderer.plan(plan_from_json(plan_json(p)))`` equals ``TextRenderer.plan(p)``).

    A value known only after apply (a path in ``after_unknown``, a change with ``known_after_apply``;
    in files written before that flag: a sensitive change whose ``after`` is null) becomes
    ``UNKNOWN``; sensitive values stay ``"(sensitive)"``, as saved. A warning whose ``source`` is
    ``configuration`` becomes a ``ConfigWarning``. What the JSON does not carry (``adopt_from``,
    ``health_check``, ``owned``) keeps its default. Raises ValueError for another major
    ``format_version``, and KeyError, TypeError or ValueError for a document not of this format.
    """
    version = str(doc.get("format_version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise ValueError(f"plan format_version {version!r}; this version reads {FORMAT_VERSION}")
    return Plan(
        changes=[_change_from_json(c) for c in doc["resource_changes"]],
        unchanged=int(doc["summary"]["unchanged"]),
        checks=[str(a) for a in doc["checks"]],
        warnings=[_warning_from_json(w) for w in doc["warnings"]],
        lineage=doc["lineage"],
        serial=int(doc["serial"]),
        config_digest=doc["config_digest"],
        targets=list(doc["targets"]),
        drift=[
            DriftItem(
                d["address"],
                d["kind"],
                changes=[FieldChange(f["path"], f["before"], f["after"]) for f in d["changes"]],
                deleted=bool(d["deleted"]),
            )
            for d in doc.get("resource_drift", [])
        ],
        refresh_only=bool(doc.get("refresh_only", False)),
    )


def _warning_from_json(w: dict[str, Any]) -> Note:
    if w.get("source") == SOURCE:
        return ConfigWarning("warning", w["summary"], w["detail"], w.get("location") or "")
    return Note("warning", w["summary"], w["detail"])


def _change_from_json(c: dict[str, Any]) -> PlannedChange:
    actions = c["actions"]
    action = Action.REPLACE if len(actions) == 2 else Action(actions[0])
    unknown = [str(p) for p in c["after_unknown"]]
    after = c["after"]
    if isinstance(after, dict):
        after = {k: UNKNOWN if k in unknown else v for k, v in after.items()}
    effect = c.get("effect")
    return PlannedChange(
        address=c["address"],
        kind=c["kind"],
        action=action,
        reason=c["reason"],
        changes=[_field_from_json(f, unknown) for f in c["changes"]],
        waits_for=list(c["waits_for"]),
        before=c["before"],
        after=after,
        unknown=unknown,
        notes=list(c["notes"]),
        identity=c["identity"],
        previous_address=c.get("previous_address"),
        keeps_previous=action == Action.REPLACE and actions[0] == "forget",
        content_loss=int(c.get("content_loss", 0)),
        effect=None if not effect else Effect(effect["planned"], effect["done"], bool(effect["object_kept"])),
    )


def _field_from_json(f: dict[str, Any], unknown: list[str]) -> FieldChange:
    sensitive = bool(f["sensitive"])
    known_later = f.get("known_after_apply")
    if known_later is None:  # a file written before the flag
        known_later = f["path"] in unknown or (sensitive and f["after"] is None)
    return FieldChange(
        f["path"],
        f["before"],
        UNKNOWN if known_later else f["after"],
        sensitive=sensitive,
        forces_replacement=bool(f["forces_replacement"]),
        explanation=str(f.get("explanation", "")),
    )
